/**
 * A child process that holds thousands of socket.io connections to a socket.io 2.x server on
 * 127.0.0.1, each a real socket.io connection spoken by hand over the root's ws 8 (engine.io
 * protocol 3: open, heartbeat, namespace connect, events): socket.io-client 2 would cost this
 * process ten times the memory per connection, and the server sees the same bytes. Each connection
 * offers permessage-deflate, as socket.io-client does, and sends its heartbeats uncompressed, as
 * engine.io-client does below its 1024-byte threshold, so the server's only zlib work is the one
 * message it sends. Driven over IPC by src/history/memory.ts; started through prlimit.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { serveParent } from '../core/child-host';
import { withLimit } from '../core/limit';
import { sleep } from '../core/timing';
import { acceptsDeflate } from '../observe/wire';
import { ENGINE, parseIncoming, websocketUrl } from '../clients/sio-protocol';
import { payload } from '../traffic/payloads';
import { MESSAGE_EVENT } from './memory-server';

/** Parent → child. */
export type MemoryClientsRequest =
  | { type: 'open'; url: string; count: number; limitMs: number }
  | { type: 'await-messages'; bytes: number; seed: number; limitMs: number }
  | { type: 'close-all' }
  | { type: 'exit' };

/** What every held connection showed, at one moment. */
export interface ClientTally {
  held: number;
  /** Connections that got the socket.io connect packet. */
  connected: number;
  /** Connections holding exactly one message, equal to the one sent. */
  received: number;
  /** Connections whose handshake answer accepted permessage-deflate. */
  deflateAnswers: number;
  /** The server's distinct handshake answers (`` when it sent no extensions header). */
  answers: string[];
  /** TCP bytes the connections read while their message came (from their connect packet on). */
  wireBytes: number;
  /** Characters of the messages they received. */
  messageBytes: number;
}

/** Child → parent: one reply per request, in order. */
export type MemoryClientsReply =
  | { type: 'opened'; tally: ClientTally }
  | { type: 'received'; tally: ClientTally }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

/** Handshakes in flight at once: enough to keep the server busy, few enough not to time out under load. */
const OPENING_AT_ONCE = 64;
/** How often the wait for messages looks again. */
const POLL_MS = 20;

interface Held {
  ws: WebSocket;
  answer: string;
  socket?: Socket;
  connected: boolean;
  bytesAtConnect: number;
  messages: string[];
  heartbeat?: NodeJS.Timeout;
}

class Holder {
  private readonly held: Held[] = [];

  private openOne(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: Held = {
        ws: new WebSocket(websocketUrl(url, 3)),
        answer: '',
        connected: false,
        bytesAtConnect: 0,
        messages: [],
      };
      this.held.push(entry);
      entry.ws.on('upgrade', (response) => {
        entry.answer = String(response.headers['sec-websocket-extensions'] ?? '');
        entry.socket = response.socket;
      });
      entry.ws.on('message', (data) => {
        const incoming = parseIncoming(String(data));
        if (incoming.kind === 'open') {
          // engine.io 3: the client pings, the server closes a connection that has not within pingInterval + pingTimeout.
          entry.heartbeat = setInterval(
            () => entry.ws.send(ENGINE.ping, { compress: false }),
            incoming.open.pingInterval,
          );
        } else if (incoming.kind === 'connect' && incoming.nsp === '/') {
          entry.connected = true;
          entry.bytesAtConnect = entry.socket?.bytesRead ?? 0;
          resolve();
        } else if (incoming.kind === 'event' && incoming.name === MESSAGE_EVENT) {
          entry.messages.push(String(incoming.args[0]));
        }
      });
      entry.ws.on('error', (error) => reject(new Error(`a connection to ${url} failed: ${error.message}`)));
      entry.ws.on('close', () => {
        clearInterval(entry.heartbeat);
        reject(new Error(`a connection to ${url} closed before socket.io connected`));
      });
    });
  }

  async open(url: string, count: number, limitMs: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        await this.openOne(url);
      }
    };
    await withLimit(
      Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, worker)),
      limitMs,
      `${count} connections to ${url}`,
    );
  }

  /** Waits until every connection has a message, or `limitMs` has passed: the tally then says how many did. */
  async awaitMessages(limitMs: number): Promise<void> {
    const started = Date.now();
    while (this.held.some((h) => h.messages.length === 0) && Date.now() - started < limitMs) await sleep(POLL_MS);
  }

  tally(expected?: string): ClientTally {
    const received =
      expected === undefined ? [] : this.held.filter((h) => h.messages.length === 1 && h.messages[0] === expected);
    return {
      held: this.held.length,
      connected: this.held.filter((h) => h.connected).length,
      received: received.length,
      deflateAnswers: this.held.filter((h) => acceptsDeflate(h.answer)).length,
      answers: [...new Set(this.held.map((h) => h.answer))],
      wireBytes: received.reduce((sum, h) => sum + (h.socket?.bytesRead ?? 0) - h.bytesAtConnect, 0),
      messageBytes: received.reduce((sum, h) => sum + h.messages[0].length, 0),
    };
  }

  closeAll(): void {
    for (const entry of this.held.splice(0)) {
      clearInterval(entry.heartbeat);
      entry.ws.removeAllListeners('close');
      entry.ws.on('error', () => undefined);
      entry.ws.terminate();
    }
  }
}

if (require.main === module) {
  const holder = new Holder();
  serveParent<MemoryClientsRequest, MemoryClientsReply>(
    async (request, parent) => {
      if (request.type === 'open') {
        await holder.open(request.url, request.count, request.limitMs);
        return { type: 'opened', tally: holder.tally() };
      }
      if (request.type === 'await-messages') {
        await holder.awaitMessages(request.limitMs);
        return { type: 'received', tally: holder.tally(String(payload('json', request.bytes, request.seed, 0).data)) };
      }
      holder.closeAll();
      if (request.type === 'close-all') return { type: 'closed' };
      parent.leave();
    },
    { inOrder: true },
  );
}
