/**
 * The client side of a scenario: N clients, each emitting `burst` frames back to back every
 * 1/rate seconds for `duration`, then waiting briefly for outstanding acks. Runs in the kernel or
 * in a forked load generator (src/loadgen.ts), with the same code.
 */
import { runBrowserLoad, type BrowserRun } from './clients/browser';
import { FragmentingClient } from './clients/fragmenting';
import { SocketIoClient } from './clients/socketio';
import type { AppClient, ClientDisconnect, ClientKind, FrameAck } from './clients/types';
import type { PayloadKind, StackName } from './params';
import { payload, VARIANTS } from './payloads';
import { loadStack } from './stacks';
import { connected, CONNECT_DEADLINE_MS, drain, tickFor } from './timing';

/** What the load loop needs to know. */
export interface LoadSpec {
  stack: StackName;
  client: ClientKind;
  payload: PayloadKind;
  frameSize: number;
  fragmentSize: number;
  rate: number;
  clients: number;
  burst: number;
  duration: number;
  seed: number;
  /** Client `browser` only: chat pages sending short text at the same rate beside the `clients` pages. */
  chatPages?: number;
}

/** A session starting, as the client saw it. */
export interface ClientConnect {
  t: number;
  client: string;
  sid?: string;
}

/** Everything the clients observed. */
export interface LoadResult {
  startedAt: number;
  sendEndedAt: number;
  /** When the drain ended and teardown began: disconnects after this are the clients' own. */
  drainEndedAt: number;
  endedAt: number;
  /** Frames handed to a connected client. */
  sent: number;
  /** Ticks' frames not sent because the client was offline or its send backlog full. */
  notSent: number;
  acked: number;
  /** Acks in which the server reported a checksum mismatch. */
  ackedCorrupt: number;
  /** Round-trip times of acked frames, ms. */
  rtt: number[];
  /** Payload characters or bytes handed to clients. */
  payloadBytes: number;
  connects: ClientConnect[];
  disconnects: ClientDisconnect[];
  /** Client `browser` only: Chromium, its pages and the client bundle they loaded. */
  browser?: BrowserRun;
}

function makeClient(spec: LoadSpec, label: string, url: string): AppClient {
  const stack = loadStack(spec.stack);
  if (spec.client === 'fragmenting') {
    return new FragmentingClient({ label, url, eio: stack.eio, fragmentSize: spec.fragmentSize, reconnect: true });
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
  onTick?: (sent: number, acked: number) => void,
  stop?: AbortSignal,
): Promise<LoadResult> {
  if (spec.client === 'browser') return runBrowserLoad(spec, url, onTick, stop);
  if (spec.chatPages)
    throw new Error(`chatPages is for client 'browser' (got client '${spec.client}'): remove it or use the browser`);
  // Payloads are made before the clock starts: a 4 MiB picture takes a moment to encode.
  const variants = Array.from({ length: VARIANTS }, (_, v) => payload(spec.payload, spec.frameSize, spec.seed, v));
  const result: LoadResult = {
    startedAt: 0,
    sendEndedAt: 0,
    drainEndedAt: 0,
    endedAt: 0,
    sent: 0,
    notSent: 0,
    acked: 0,
    ackedCorrupt: 0,
    rtt: [],
    payloadBytes: 0,
    connects: [],
    disconnects: [],
  };
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

    result.startedAt = Date.now();
    let seq = 0;
    const tick = (client: AppClient) => {
      for (let b = 0; b < spec.burst; b++) {
        const n = seq++;
        const p = variants[n % VARIANTS];
        const sentAt = performance.now();
        const meta = { client: client.label, seq: n, crc: p.crc, length: p.length };
        const queued = client.emitFrame(meta, p.data, (ack: FrameAck) => {
          result.acked++;
          if (!ack.ok) result.ackedCorrupt++;
          result.rtt.push(performance.now() - sentAt);
        });
        if (queued) {
          result.sent++;
          result.payloadBytes += p.length;
        } else result.notSent++;
      }
      onTick?.(result.sent, result.acked);
    };
    await tickFor(clients, spec.rate, spec.duration, tick, stop);
    result.sendEndedAt = Date.now();
    await drain(
      () => result.acked,
      () => result.sent,
    );
    result.drainEndedAt = Date.now();
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    result.endedAt = Date.now();
  }
  return result;
}
