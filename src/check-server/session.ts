/**
 * One connection of the battery to the server under test: a ws 8 WebSocket offering
 * permessage-deflate as Chromium does, speaking engine.io 3 or 4 and socket.io by hand (so every
 * outgoing message can be compressed and fragmented by DeflateSender), joining one namespace with
 * the user's auth, and recording how the connection ended. It answers heartbeats unless told to
 * stay silent. Credentials never leave this object except on the wire to the server.
 */
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { rawSocket } from '../clients/crafted-frames';
import { DeflateSender } from '../clients/deflate-sender';
import { withinLimit } from '../core/limit';
import { OPCODE } from '../clients/frames';
import {
  connectPacket,
  ENGINE,
  encodeTextEvent,
  parseIncoming,
  SOCKET,
  type EioRevision,
  type Incoming,
} from '../clients/sio-protocol';
import type { Target } from './options';

/** The server's engine.io open packet, as far as the battery reads it. */
export interface OpenInfo {
  sid: string;
  pingInterval: number;
  pingTimeout: number;
  upgrades: string[];
  /** engine.io ≥ 6 announces its largest accepted message; older servers do not. */
  maxPayload?: number;
}

/** How a session ended, as the client saw it. */
export interface SessionEnd {
  /** ms since the session was created. */
  atMs: number;
  /** The close code from the server's close frame; 1006 when the TCP connection ended without one. */
  code: number;
  /** The close frame's reason text, or the socket error. */
  detail: string;
  /** Who ended it: the server (close frame, error or cut), or the battery itself. */
  by: 'server' | 'client';
}

/** What the documented ack event answers: the message's length and SHA-256, as the server saw it. */
export interface DigestAck {
  bytes: number;
  sha256: string;
}

/** The documented ack event: a server that answers it lets the battery verify every message. */
export const DIGEST_EVENT = 'deflate-lab:digest';
/** The lines a server adds to answer the ack event (docs/check-server.md quotes them; a test keeps the two equal). */
export const DIGEST_SERVER_LINES = [
  "const crypto = require('node:crypto');",
  "io.on('connection', (socket) => {",
  "  socket.on('deflate-lab:digest', (data, ack) => {",
  "    ack({ bytes: Buffer.byteLength(data), sha256: crypto.createHash('sha256').update(data).digest('hex') });",
  '  });',
  '});',
].join('\n');
/** An event name no server handles: the load goes there, so the application does no work. */
export const UNHANDLED_EVENT = 'deflate-lab:unhandled';
/** The prefix of the namespaces used as in-order probes: connecting to one gets an answer from any socket.io server. */
export const PROBE_NAMESPACE = '/deflate-lab-probe';

/** SHA-256 hex of a string's UTF-8 bytes, as the server lines in docs/check-server.md compute it. */
export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** The engine.io WebSocket URL for the target, with revision-3 auth in the query (where those servers read it). */
export function sessionUrl(target: Target, eio: EioRevision): string {
  const url = new URL(target.origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${target.path}/`;
  for (const [key, value] of target.query) url.searchParams.append(key, value);
  url.searchParams.set('EIO', String(eio));
  url.searchParams.set('transport', 'websocket');
  if (eio === 3) for (const [key, value] of Object.entries(target.auth)) url.searchParams.set(key, value);
  return url.toString();
}

/** One WebSocket session with the server under test. */
export class CheckSession {
  readonly ws: WebSocket;
  readonly sender: DeflateSender;
  readonly startedAt = Date.now();
  open?: OpenInfo;
  /** Set once the namespace is joined; `refused` carries the server's connect error. */
  joined?: { ok: true } | { ok: false; refused: string };
  end?: SessionEnd;
  /** Server-initiated disconnects of our namespace (socket.io `disconnect` packets). */
  namespaceDisconnects = 0;
  /** Protocol messages written (connect, heartbeats): one frame each, so the wire controls can leave them out. */
  protocolMessages = 0;
  private silent = false;
  private heartbeat?: NodeJS.Timeout;
  private nextAck = 0;
  private probes = 0;
  private readonly waiting = new Map<string, (packet: Incoming) => void>();
  private readonly ended: Promise<SessionEnd>;

  constructor(
    readonly target: Target,
    readonly eio: EioRevision,
    fragmentSize: number,
    connectTimeoutMs: number,
  ) {
    this.ws = new WebSocket(sessionUrl(target, eio), {
      perMessageDeflate: true,
      handshakeTimeout: connectTimeoutMs,
      headers: target.headers,
    });
    this.sender = new DeflateSender(this.ws, fragmentSize);
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(data.toString());
    });
    this.ended = new Promise((resolve) => {
      let error = '';
      this.ws.on('error', (e) => {
        error = e.message;
      });
      this.ws.on('close', (code, reason) => {
        clearInterval(this.heartbeat);
        this.sender.close();
        this.end ??= { atMs: Date.now() - this.startedAt, code, detail: reason.toString() || error, by: 'server' };
        for (const resolveWait of this.waiting.values()) resolveWait({ kind: 'close' });
        this.waiting.clear();
        resolve(this.end);
      });
    });
  }

  /** Stops answering heartbeats (revision 4: no pongs; revision 3: no pings) and sends nothing more. */
  goSilent(): void {
    this.silent = true;
    clearInterval(this.heartbeat);
  }

  /** Resolves when the connection has closed, however it ended. */
  closed(): Promise<SessionEnd> {
    return this.ended;
  }

  /** Waits for the open packet and the namespace join; false (with `end` or `joined` saying why) on failure or timeout. */
  async ready(timeoutMs: number): Promise<boolean> {
    const joined = new Promise<void>((resolve) => this.waiting.set('join', () => resolve()));
    await withinLimit(Promise.race([joined, this.ended]), timeoutMs);
    return this.joined?.ok === true && this.end === undefined;
  }

  private onText(text: string): void {
    const packet = parseIncoming(text);
    switch (packet.kind) {
      case 'open': {
        const open = packet.open as OpenInfo;
        this.open = open;
        const connect = connectPacket(this.eio, this.target.namespace, this.target.auth);
        if (connect) this.write(connect);
        else this.markJoined({ ok: true });
        if (this.eio === 3) this.heartbeat = setInterval(() => this.write(ENGINE.ping), open.pingInterval);
        break;
      }
      case 'ping':
        if (!this.silent) this.write(ENGINE.pong);
        break;
      case 'connect':
        if (packet.nsp === this.target.namespace) this.markJoined({ ok: true });
        else this.resolveWait(`nsp:${packet.nsp}`, packet);
        break;
      case 'error':
        if (packet.nsp === this.target.namespace && !this.joined) this.markJoined({ ok: false, refused: packet.data });
        else this.resolveWait(`nsp:${packet.nsp}`, packet);
        break;
      case 'ack':
        this.resolveWait(`ack:${packet.id}`, packet);
        break;
      case 'disconnect':
        if (packet.nsp === this.target.namespace) this.namespaceDisconnects++;
        break;
      default:
        break;
    }
  }

  private markJoined(joined: NonNullable<CheckSession['joined']>): void {
    this.joined ??= joined;
    this.resolveWait('join', { kind: 'other', text: '' });
  }

  private resolveWait(key: string, packet: Incoming): void {
    const resolve = this.waiting.get(key);
    this.waiting.delete(key);
    resolve?.(packet);
  }

  private wait(key: string, timeoutMs: number): Promise<Incoming | undefined> {
    if (this.end) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(key, (packet) => {
        clearTimeout(timer);
        resolve(packet.kind === 'close' ? undefined : packet);
      });
    });
  }

  private write(text: string): void {
    if (this.silent) return;
    this.protocolMessages++;
    this.sender.send(Buffer.from(text), OPCODE.text).catch(() => undefined);
  }

  /** Sends `count` events to the unhandled event name back to back, each `data` (compressed and fragmented when negotiated). */
  async sendUnhandled(data: readonly string[]): Promise<number> {
    const bodies = data.map((d, seq) =>
      Buffer.from(encodeTextEvent(this.target.namespace, UNHANDLED_EVENT, [{ seq: seq }, d])),
    );
    // A connection the server ends mid-compression rejects the write: nothing of it was sent.
    return this.sender.sendTogether(bodies, OPCODE.text).catch(() => 0);
  }

  /**
   * Writes frames as they are, straight to the socket, once every message queued before them is
   * out (so they keep their place): an uncompressed message where deflate was negotiated, or frames
   * no conforming client sends. False when the connection is not open.
   */
  async writeRaw(frames: readonly Buffer[]): Promise<boolean> {
    await this.sender.flushed();
    if (this.end || this.ws.readyState !== WebSocket.OPEN) return false;
    const socket = rawSocket(this.ws);
    for (const frame of frames) socket.write(frame);
    return true;
  }

  /**
   * Emits the documented ack event with `data` and waits for the server's digest; undefined when no
   * answer came in time (the server does not handle it, or the connection ended).
   */
  async digest(data: string, timeoutMs: number): Promise<DigestAck | undefined> {
    const id = this.nextAck++;
    const answer = this.wait(`ack:${id}`, timeoutMs);
    await this.sender
      .send(Buffer.from(encodeTextEvent(this.target.namespace, DIGEST_EVENT, [data], id)), OPCODE.text)
      .catch(() => false);
    const packet = await answer;
    if (packet?.kind !== 'ack') return undefined;
    const ack = packet.args[0] as Partial<DigestAck> | undefined;
    return typeof ack?.bytes === 'number' && typeof ack.sha256 === 'string'
      ? { bytes: ack.bytes, sha256: ack.sha256 }
      : undefined;
  }

  /**
   * Asks to join a namespace that does not exist: every socket.io server answers in order (an
   * `Invalid namespace` error, or a connect where namespaces are dynamic), so an answer proves
   * everything sent before it was read. Resolves with the answer's round trip in ms, or undefined.
   */
  async probe(timeoutMs: number): Promise<number | undefined> {
    const nsp = `${PROBE_NAMESPACE}-${this.probes++}`;
    const answer = this.wait(`nsp:${nsp}`, timeoutMs);
    const sentAt = Date.now();
    await this.sender
      .send(Buffer.from(`${ENGINE.message}${SOCKET.connect}${nsp}${this.eio === 4 ? ',{}' : ''}`), OPCODE.text)
      .catch(() => false);
    const packet = await answer;
    if (!packet) return undefined;
    // A dynamic namespace let us in: leave it again.
    if (packet.kind === 'connect') this.write(`${ENGINE.message}${SOCKET.disconnect}${nsp},`);
    return Date.now() - sentAt;
  }

  /** Closes the connection (normal closure) and waits for it, at most `timeoutMs`. */
  async close(timeoutMs = 2000): Promise<SessionEnd> {
    clearInterval(this.heartbeat);
    if (!this.end && this.ws.readyState !== WebSocket.CLOSED) {
      this.end = { atMs: Date.now() - this.startedAt, code: 1000, detail: 'closed by the battery', by: 'client' };
      const timer = setTimeout(() => this.ws.terminate(), timeoutMs);
      if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
      else this.ws.close(1000);
      await this.ended;
      clearTimeout(timer);
    }
    return this.ended;
  }
}
