/**
 * A child process that holds many idle socket.io connections open to a server on 127.0.0.1, so the
 * server's process can measure what each connection costs it. Driven over IPC by
 * src/chapters/07-today/connection-memory.ts: open more connections, make each exchange one message with the server
 * (src/chapters/07-today/memory-server.ts echoes it),
 * close them all, exit. The load generator (src/traffic/loadgen.ts) streams frames and closes its clients
 * when its send window ends; this one keeps connections open between steps, which is the point.
 */
import { CONNECT_DEADLINE_MS } from '../../core/timing';
import { serveParent } from '../../core/child-host';
import { withLimit } from '../../core/limit';
import { EXCHANGE_EVENT } from './memory-server';
import type { StackName } from '../../core/params';
import { payload } from '../../traffic/payloads';
import { loadStack } from '../../stacks';
import type { ClientSocket } from '../../stacks/types';

/** Parent → child. */
export type HeldRequest =
  | { type: 'open'; stack: StackName; url: string; count: number }
  | { type: 'exchange'; bytes: number; seed: number }
  | { type: 'close-all' }
  | { type: 'exit' };

/** Child → parent: one reply per request, in order. */
export type HeldReply =
  | { type: 'opened'; held: number }
  | { type: 'exchanged'; acked: number; bytes: number }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

/** The connections a child holds and the steps it takes on them. */
class Holder {
  private readonly sockets: ClientSocket[] = [];

  async open(stack: StackName, url: string, count: number): Promise<number> {
    const fresh = Array.from({ length: count }, () =>
      loadStack(stack).connect(url, { reconnection: false, reconnectionDelay: 0 }),
    );
    this.sockets.push(...fresh);
    const connected = fresh.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          socket.on('connect', () => resolve());
          socket.on('connect_error', (error: Error) => reject(new Error(`connect to ${url} failed: ${error.message}`)));
        }),
    );
    await withLimit(Promise.all(connected), CONNECT_DEADLINE_MS, `${count} connections to ${url}`);
    return this.sockets.length;
  }

  async exchange(bytes: number, seed: number): Promise<number> {
    const { data } = payload('json', bytes, seed, 0);
    const acks = this.sockets.map(
      (socket) => new Promise<void>((resolve) => socket.emit(EXCHANGE_EVENT, data, () => resolve())),
    );
    await withLimit(Promise.all(acks), CONNECT_DEADLINE_MS, `an exchange on ${this.sockets.length} connections`);
    return acks.length;
  }

  closeAll(): void {
    for (const socket of this.sockets.splice(0)) socket.close();
  }
}

if (require.main === module) {
  const holder = new Holder();
  // Requests are handled one at a time, in order, as the parent sends them.
  serveParent<HeldRequest, HeldReply>(
    async (request, parent) => {
      if (request.type === 'open')
        return { type: 'opened', held: await holder.open(request.stack, request.url, request.count) };
      if (request.type === 'exchange')
        return { type: 'exchanged', acked: await holder.exchange(request.bytes, request.seed), bytes: request.bytes };
      holder.closeAll();
      if (request.type === 'close-all') return { type: 'closed' };
      parent.leave();
    },
    { inOrder: true },
  );
}
