/**
 * The Node fragmenting client: speaks engine.io/socket.io over a WebSocket and sends every message
 * as permessage-deflate compressed fragments of `fragmentSize` bytes, the way Chromium sends a
 * large message (an RSV1 first frame, then continuation frames). The compressing and fragmenting
 * is DeflateSender's (./deflate-sender), shared with the bare-ws engine's client; this
 * file adds the engine.io/socket.io protocol, acks and reconnects.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { MiB } from '../core/params';
import { DeflateSender, type DeflateContext, type MessageParts } from './deflate-sender';
import { OPCODE } from './frames';
import {
  connectPacket,
  ENGINE,
  encodeEvent,
  parseIncoming,
  payloadPart,
  websocketUrl,
  type EioRevision,
} from './sio-protocol';
import type { AppClient, ClientDisconnect, FrameAck, FrameMeta } from './types';

/** Delay before a client reconnects after a disconnect, for every client kind. */
export const RECONNECT_DELAY_MS = 500;
/** A client stops queueing new frames while this much is waiting in its socket's send buffer. */
export const MAX_SEND_BACKLOG = 32 * MiB;
/** How long a connection attempt may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface FragmentingOptions {
  label: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  eio: EioRevision;
  fragmentSize: number;
  reconnect: boolean;
  /** How messages are compressed (default `per-message`: prepared, so the client is not the bottleneck). */
  context?: DeflateContext;
}

/** How the fragmenting client compresses unless told otherwise: see DeflateContext. */
const DEFAULT_DEFLATE_CONTEXT: DeflateContext = 'per-message';
// Payload parts kept per client (the JSON text of a picture is as large as the picture): enough
// for every variant a load cycles through at the smallest sizes.
const PAYLOAD_PART_CACHE = 64;

// One WebSocket session: a new one (with a new sid) is made on every reconnect.
class Session {
  ws: WebSocket;
  readonly sender: DeflateSender;
  sid?: string;
  connected = false;
  private ended = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    readonly owner: FragmentingClient,
    readonly options: FragmentingOptions,
  ) {
    this.ws = new WebSocket(websocketUrl(options.url, options.eio), {
      perMessageDeflate: true,
      handshakeTimeout: CONNECT_TIMEOUT_MS,
    });
    this.sender = new DeflateSender(this.ws, options.fragmentSize, options.context ?? DEFAULT_DEFLATE_CONTEXT);
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(data.toString());
    });
  }

  private onText(text: string): void {
    const packet = parseIncoming(text);
    switch (packet.kind) {
      case 'open': {
        this.sid = packet.open.sid;
        const connect = connectPacket(this.options.eio);
        if (connect) this.write(Buffer.from(connect), OPCODE.text);
        if (this.options.eio === 3) {
          this.heartbeat = setInterval(
            () => this.write(Buffer.from(ENGINE.ping), OPCODE.text),
            packet.open.pingInterval,
          );
        }
        break;
      }
      case 'ping':
        this.write(Buffer.from(ENGINE.pong), OPCODE.text);
        break;
      case 'connect':
        this.connected = true;
        this.owner.emit('connect', this.sid);
        break;
      case 'ack':
        this.owner.onAck(packet.id, packet.args[0] as FrameAck);
        break;
      case 'disconnect':
        this.owner.onSessionEnd(this, { reason: 'io server disconnect' });
        this.ws.close();
        break;
      default:
        break;
    }
  }

  /**
   * Compresses (when negotiated) and writes one message as fragments; order is kept by the
   * sender's queue. Resolves true once all its frames are handed to the socket.
   */
  write(body: Buffer | MessageParts, opcode: number): Promise<boolean> {
    return this.sender.send(body, opcode).catch((error: Error) => {
      if (!this.ended) this.owner.onSessionEnd(this, { reason: 'transport error', detail: error.message });
      return false;
    });
  }

  backlog(): number {
    return this.sender.backlog();
  }

  end(): void {
    this.ended = true;
    clearInterval(this.heartbeat);
    this.sender.close();
  }
}

/** A fragmenting client that reconnects (new session, new sid) after every disconnect until stop(). */
export class FragmentingClient extends EventEmitter implements AppClient {
  private session?: Session;
  private nextAck = 0;
  private readonly acks = new Map<number, (ack: FrameAck) => void>();
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private readonly payloadParts = new Map<string | Buffer, Buffer>();

  constructor(private readonly options: FragmentingOptions) {
    super();
    this.open();
  }

  get label(): string {
    return this.options.label;
  }

  get connected(): boolean {
    return this.session?.connected ?? false;
  }

  get sid(): string | undefined {
    return this.session?.sid;
  }

  // The acks of a session that ended are dropped with it (onSessionEnd).
  get awaitingAcks(): number {
    return this.acks.size;
  }

  private open(): void {
    const session = new Session(this, this.options);
    this.session = session;
    session.ws.on('close', (code, reason) => {
      this.onSessionEnd(session, { reason: 'transport close', code, detail: reason.toString() });
    });
    session.ws.on('error', (error) => {
      this.onSessionEnd(session, { reason: 'transport error', detail: error.message });
    });
  }

  /** @internal called by the session */
  onAck(id: number, ack: FrameAck): void {
    const done = this.acks.get(id);
    this.acks.delete(id);
    done?.(ack);
  }

  /** @internal called by the session when it ends for any reason; reconnects unless stopped. */
  onSessionEnd(session: Session, what: Omit<ClientDisconnect, 't' | 'client' | 'sid'>): void {
    if (this.session !== session) return;
    this.session = undefined;
    session.end();
    this.acks.clear();
    if (this.stopped) return;
    const event: ClientDisconnect = { t: Date.now(), client: this.label, sid: session.sid, ...what };
    this.emit('disconnect', event);
    if (session.ws.readyState !== WebSocket.CLOSED) session.ws.terminate();
    if (this.options.reconnect) this.retry = setTimeout(() => this.open(), RECONNECT_DELAY_MS);
  }

  emitFrame(
    meta: FrameMeta,
    data: string | Buffer,
    onAck: (ack: FrameAck) => void,
    onHanded?: (handed: boolean) => void,
  ): boolean {
    const session = this.session;
    if (!session?.connected || session.backlog() > MAX_SEND_BACKLOG) return false;
    const id = this.nextAck++;
    this.acks.set(id, onAck);
    const writes = encodeEvent(this.options.eio, 'frame', meta, data, id, this.payloadPart(data)).map((message) =>
      session.write(message.parts, message.binary ? OPCODE.binary : OPCODE.text),
    );
    // Handed once the last of its messages is on the socket; the sender's queue keeps them in order.
    if (onHanded) void writes[writes.length - 1].then(onHanded);
    return true;
  }

  /** Prepares the payloads a load will emit (their parts, and their compressed bytes where deflate was negotiated). */
  prepare(payloads: ReadonlyArray<string | Buffer>): void {
    this.session?.sender.prepare(payloads.map((data) => this.payloadPart(data)));
  }

  private payloadPart(data: string | Buffer): Buffer {
    let part = this.payloadParts.get(data);
    if (!part) {
      if (this.payloadParts.size >= PAYLOAD_PART_CACHE) this.payloadParts.clear();
      part = payloadPart(this.options.eio, data);
      this.payloadParts.set(data, part);
    }
    return part;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    session.end();
    if (session.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        session.ws.terminate();
        resolve();
      }, 1000);
      session.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      session.ws.close(1000);
    });
  }
}
