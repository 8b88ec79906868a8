/**
 * The client side of a scenario: N clients, each emitting `burst` frames back to back every
 * 1/rate seconds for `duration`, then waiting briefly for outstanding acks. Runs in the kernel or
 * in a forked load generator (src/traffic/loadgen.ts), with the same code.
 */
import { runBrowserLoad } from './browser-load';
import { FragmentingClient } from '../clients/fragmenting';
import { SocketIoClient } from '../clients/socketio';
import type { AppClient, ClientDisconnect, FrameAck } from '../clients/types';
import { emptyLoadResult, type LoadResult } from './load-result';
import type { LoadSpec } from './load-spec';
import { payload, variantCount } from './payloads';
import { loadStack } from '../stacks';
import { connected, CONNECT_DEADLINE_MS, drain, tickFor } from '../core/timing';
import { assertMeasuring } from '../core/replay';

function makeClient(spec: LoadSpec, label: string, url: string): AppClient {
  const stack = loadStack(spec.stack);
  if (spec.client === 'fragmenting') {
    return new FragmentingClient({
      label,
      url,
      eio: stack.eio,
      fragmentSize: spec.fragmentSize,
      reconnect: true,
      context: spec.context,
    });
  }
  return new SocketIoClient(label, stack, url, true);
}

/**
 * Runs the clients against `url` and returns what they saw; every client is stopped before it
 * returns. Aborting `stop` ends the send window early (e.g. at the first failure).
 */
export async function runLoad(
  spec: LoadSpec,
  url: string,
  onTick?: (sent: number, acked: number, handed: number | null) => void,
  stop?: AbortSignal,
): Promise<LoadResult> {
  assertMeasuring(`a ${spec.client} load`);
  if (spec.client === 'browser') return runBrowserLoad(spec, url, onTick, stop);
  if (spec.chatPages)
    throw new Error(`chatPages is for client 'browser' (got client '${spec.client}'): remove it or use the browser`);
  // Payloads are made before the clock starts: a 4 MiB picture takes a moment to encode.
  const variants = Array.from({ length: variantCount(spec.frameSize) }, (_, v) =>
    payload(spec.payload, spec.frameSize, spec.seed, v),
  );
  const result = emptyLoadResult(spec.client === 'fragmenting' ? 0 : null);
  const clients = Array.from({ length: spec.clients }, (_, i) => makeClient(spec, `c${i}`, url));
  try {
    for (const client of clients) {
      client.on('connect', (sid?: string) => result.connects.push({ t: Date.now(), client: client.label, sid }));
      client.on('disconnect', (event: ClientDisconnect) => result.disconnects.push(event));
    }
    await connected(
      () => clients.every((c) => c.connected),
      () =>
        `clients did not connect to ${url} within ${CONNECT_DEADLINE_MS} ms (${clients.filter((c) => c.connected).length}/${clients.length} connected)`,
    );

    // Compressing a 4 MiB picture takes about 0.1 s: done now, not inside the send window.
    for (const client of clients) client.prepare?.(variants.map((p) => p.data));
    result.startedAt = Date.now();
    let seq = 0;
    const tick = (client: AppClient) => {
      for (let b = 0; b < spec.burst; b++) {
        const n = seq++;
        const p = variants[n % variants.length];
        const sentAt = performance.now();
        const online = client.connected;
        const meta = { client: client.label, seq: n, crc: p.crc, length: p.length };
        const queued = client.emitFrame(
          meta,
          p.data,
          (ack: FrameAck) => {
            result.acked++;
            if (!ack.ok) result.ackedCorrupt++;
            result.rtt.push(performance.now() - sentAt);
            result.ackAt.push(Date.now());
          },
          (handed) => {
            if (handed && result.handed !== null) result.handed++;
          },
        );
        if (queued) {
          result.sent++;
          result.payloadBytes += p.length;
        } else {
          result.notSent++;
          if (online) result.backlogFull++;
        }
      }
      onTick?.(result.sent, result.acked, result.handed);
    };
    const ticks = await tickFor(clients, spec.rate, spec.duration, tick, stop);
    result.ticksMissed = ticks.missed;
    result.nominal = (ticks.ran + ticks.missed) * spec.burst;
    result.sendEndedAt = Date.now();
    // Until every ack that can still come has come: a frame whose session ended will never be acked.
    await drain(
      () => result.acked,
      () => result.acked + clients.reduce((n, c) => n + c.awaitingAcks, 0),
    );
    result.drainEndedAt = Date.now();
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    result.endedAt = Date.now();
  }
  return result;
}
