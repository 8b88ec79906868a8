/**
 * The bare-ws engine's client side: N bare WebSocket clients, each sending `burst` messages back to
 * back every 1/rate seconds for `duration`, compressed and fragmented like Chromium's. Runs in the
 * forked sender process (./sender-process), away from the server whose process it loads.
 */
import { BareDeflateClient, type BareDisconnect } from '../clients/bare';
import { OPCODE } from '../clients/frames';
import { connected, CONNECT_DEADLINE_MS, tickFor } from '../core/timing';

/**
 * Messages a client may have queued (waiting for its compressor) per message of a burst; beyond
 * that a tick's message is counted as not sent. Keeps a client that compresses slower than it is
 * asked to send from building an unbounded queue.
 */
export const PENDING_PER_BURST = 2;

/** What the senders need to know. */
export interface SenderSpec {
  clients: number;
  rate: number;
  burst: number;
  duration: number;
  fragmentSize: number;
}

/** What the senders saw. */
export interface SenderResult {
  /** Epoch ms of the first tick and of the end of the send window. */
  startedAt: number;
  sendEndedAt: number;
  /** Messages whose frames were all handed to an open connection's socket. */
  sent: number;
  /** Tick messages not sent: client offline, or too many still waiting for the compressor. */
  notSent: number;
  /** Connections that opened with permessage-deflate negotiated, and without. */
  opens: { compressing: number; plain: number };
  disconnects: BareDisconnect[];
}

/**
 * Connects, sends for the spec's duration, then lets every client write what it queued and close
 * cleanly. If `stop` aborts first (a run that ends at its first failure), the clients drop what is
 * queued and cut their connections instead. Every client is stopped before it returns.
 */
export async function runSenders(
  spec: SenderSpec,
  url: string,
  bodies: readonly Buffer[],
  stop?: AbortSignal,
  onStart?: (t: number) => void,
): Promise<SenderResult> {
  const result: SenderResult = {
    startedAt: 0,
    sendEndedAt: 0,
    sent: 0,
    notSent: 0,
    opens: { compressing: 0, plain: 0 },
    disconnects: [],
  };
  const clients = Array.from(
    { length: spec.clients },
    (_, i) => new BareDeflateClient({ label: `c${i}`, url, fragmentSize: spec.fragmentSize, reconnect: true }),
  );
  const writes: Array<Promise<unknown>> = [];
  try {
    for (const client of clients) {
      client.on('open', () => {
        if (client.compressing) result.opens.compressing++;
        else result.opens.plain++;
      });
      client.on('disconnect', (event: BareDisconnect) => result.disconnects.push(event));
    }
    await connected(
      () => clients.every((c) => c.open),
      () => `senders did not connect to ${url} within ${CONNECT_DEADLINE_MS} ms`,
    );
    result.startedAt = Date.now();
    onStart?.(result.startedAt);
    let next = 0;
    // A tick's burst is compressed first and then written in one go, so its messages reach the
    // server back to back however long compressing took.
    const tick = (client: BareDeflateClient) => {
      if (!client.open || client.pending >= PENDING_PER_BURST * spec.burst) {
        result.notSent += spec.burst;
        return;
      }
      const burst = Array.from({ length: spec.burst }, () => bodies[next++ % bodies.length]);
      writes.push(
        client.sendTogether(burst, OPCODE.text).then(
          (written) => {
            result.sent += written;
            result.notSent += burst.length - written;
          },
          () => {
            result.notSent += burst.length;
          },
        ),
      );
    };
    await tickFor(clients, spec.rate, spec.duration, tick, stop);
    result.sendEndedAt = Date.now();
  } finally {
    await Promise.all(clients.map((c) => c.stop(!stop?.aborted)));
    await Promise.all(writes);
  }
  return result;
}
