/**
 * A plain WebSocket client (no engine.io, no socket.io) that sends each message as
 * permessage-deflate compressed fragments, as Chromium does with a large message, and reconnects
 * after a disconnect. The bare-ws engine's client: it talks straight to a bare ws server.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { DeflateSender } from './deflate-sender';
import { CONNECT_TIMEOUT_MS, RECONNECT_DELAY_MS } from './fragmenting';

/**
 * How long stop() waits for the server to answer a close before it cuts the connection. A ws
 * server answers only after inflating everything queued before the close, which on a loaded
 * machine takes seconds; cutting earlier would lose messages that were sent.
 */
export const CLOSE_WAIT_MS = 10_000;

export interface BareClientOptions {
  label: string;
  /** `ws://127.0.0.1:<port>/` */
  url: string;
  fragmentSize: number;
  reconnect: boolean;
}

/** A connection ending, as the client saw it. */
export interface BareDisconnect {
  t: number;
  client: string;
  code: number;
  reason: string;
}

/** Events: `open` (), `disconnect` (BareDisconnect). */
export class BareDeflateClient extends EventEmitter {
  private ws?: WebSocket;
  private sender?: DeflateSender;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: BareClientOptions) {
    super();
    this.connect();
  }

  get label(): string {
    return this.options.label;
  }

  /** Open, and deflate negotiated or not (the caller checks `compressing`). */
  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  get compressing(): boolean {
    return this.sender?.compressing ?? false;
  }

  /** Messages given to send() and not yet written on the current connection. */
  get pending(): number {
    return this.sender?.pending ?? 0;
  }

  private connect(): void {
    const ws = new WebSocket(this.options.url, { perMessageDeflate: true, handshakeTimeout: CONNECT_TIMEOUT_MS });
    const sender = new DeflateSender(ws, this.options.fragmentSize);
    this.ws = ws;
    this.sender = sender;
    ws.on('open', () => this.emit('open'));
    // A connect failure gives 'error' then 'close'; both end up in 'close'.
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => {
      sender.close();
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.sender = undefined;
      if (this.stopped) return;
      const event: BareDisconnect = { t: Date.now(), client: this.label, code, reason: reason.toString() };
      this.emit('disconnect', event);
      if (this.options.reconnect) this.retry = setTimeout(() => this.connect(), RECONNECT_DELAY_MS);
    });
  }

  /**
   * Queues messages on the current connection to go out back to back (DeflateSender.sendTogether);
   * resolves with how many were written: all, or none if the connection was not open or ended.
   */
  sendTogether(bodies: readonly Buffer[], opcode: number): Promise<number> {
    if (!this.open || !this.sender) return Promise.resolve(0);
    return this.sender.sendTogether(bodies, opcode);
  }

  /**
   * Graceful (the default): writes what is queued, then closes with 1000 and waits for the
   * server's answer (bounded by CLOSE_WAIT_MS); a server that answers has handled every message
   * before the close. Not graceful: drops what is queued and cuts the connection.
   */
  async stop(graceful = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const ws = this.ws;
    const sender = this.sender;
    if (!ws) return;
    if (!graceful) sender?.close();
    if (sender) await sender.flushed();
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, CLOSE_WAIT_MS);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (graceful && ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    });
  }
}
