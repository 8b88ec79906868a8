/**
 * A child process that holds the burst's connections to the zlib server (src/history/zlib-server.ts)
 * and receives what it sends: today's ws client (the root install), permessage-deflate offered, as
 * every ws client does by default. It counts each connection's messages and hashes them in order,
 * so the parent can check that every message arrived, unchanged, and it records whether each
 * handshake's answer accepted permessage-deflate.
 */
import { createHash, type Hash } from 'node:crypto';
import WebSocket from 'ws';
import { serveParent } from '../core/child-host';
import { withLimit } from '../core/limit';
import { CONNECT_DEADLINE_MS } from '../core/timing';
import { combinedDigest, CONNECTION_PARAM } from './zlib-digest';

/** Parent → child. */
export type ZlibClientsRequest =
  | { type: 'open'; url: string; count: number }
  | { type: 'await'; messages: number; limitMs: number }
  | { type: 'exit' };

/** Child → parent: one reply per request, in order. */
export type ZlibClientsReply =
  | { type: 'opened'; open: number; deflate: number }
  | { type: 'received'; delivered: number; deliveredDigest: string }
  | { type: 'failed'; error: string };

interface Held {
  socket: WebSocket;
  hash: Hash;
  received: number;
  deflate: boolean;
}

class Receivers {
  private readonly held: Held[] = [];
  private delivered = 0;
  private waiter: (() => void) | undefined;

  async open(url: string, count: number): Promise<{ open: number; deflate: number }> {
    const opened = Array.from({ length: count }, (_, index) => {
      const held: Held = {
        socket: new WebSocket(`${url}?${CONNECTION_PARAM}=${index}`, { perMessageDeflate: true }),
        hash: createHash('sha256'),
        received: 0,
        deflate: false,
      };
      this.held.push(held);
      held.socket.on('upgrade', (res) => {
        held.deflate = /permessage-deflate/.test(String(res.headers['sec-websocket-extensions'] ?? ''));
      });
      held.socket.on('message', (data: Buffer) => {
        held.hash.update(data);
        held.received++;
        this.delivered++;
        this.waiter?.();
      });
      return new Promise<void>((resolve, reject) => {
        held.socket.once('open', () => resolve());
        held.socket.once('error', (error) => reject(new Error(`connection ${index} to ${url}: ${error.message}`)));
      });
    });
    await withLimit(Promise.all(opened), CONNECT_DEADLINE_MS, `${count} connections to ${url}`);
    return { open: this.held.length, deflate: this.held.filter((h) => h.deflate).length };
  }

  /** Waits for `messages` in all (or the limit), then gives the count and the digest of what came. */
  async received(messages: number, limitMs: number): Promise<{ delivered: number; deliveredDigest: string }> {
    if (this.delivered < messages) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, limitMs);
        const self = this;
        function done(): void {
          clearTimeout(timer);
          self.waiter = undefined;
          resolve();
        }
        this.waiter = () => {
          if (this.delivered >= messages) done();
        };
      });
    }
    return {
      delivered: this.delivered,
      deliveredDigest: combinedDigest(this.held.map((h) => h.hash.copy().digest('hex'))),
    };
  }

  closeAll(): void {
    for (const held of this.held.splice(0)) held.socket.terminate();
  }
}

if (require.main === module) {
  const receivers = new Receivers();
  serveParent<ZlibClientsRequest, ZlibClientsReply>(
    async (request, parent) => {
      if (request.type === 'open') return { type: 'opened', ...(await receivers.open(request.url, request.count)) };
      if (request.type === 'await')
        return { type: 'received', ...(await receivers.received(request.messages, request.limitMs)) };
      receivers.closeAll();
      parent.leave();
    },
    { inOrder: true, exitWithParent: true },
  );
}
