/** What the load loop needs from any client kind: connect, emit a frame with an ack, report drops. */
import type { EventEmitter } from 'node:events';

export const CLIENT_KINDS = ['fragmenting', 'socket.io', 'browser'] as const;
/**
 * `fragmenting`: the Node client that splits compressed messages like a browser; `socket.io`: the
 * stack's own client; `browser`: headless Chromium pages loading the stack's client bundle.
 */
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** Metadata sent beside every frame so the server can verify it. */
export interface FrameMeta {
  client: string;
  seq: number;
  /** crc32 of the payload's bytes (UTF-8 for strings). */
  crc: number;
  length: number;
}

/** The server's answer to a frame. */
export interface FrameAck {
  seq: number;
  ok: boolean;
}

/** A disconnect as the client saw it. */
export interface ClientDisconnect {
  t: number;
  client: string;
  /** socket.io's reason where the client is socket.io (`transport close`, …), else the same vocabulary. */
  reason: string;
  /** WebSocket close code and text, where known. */
  code?: number;
  detail?: string;
  /** The session id that ended. */
  sid?: string;
}

/** Events: `connect` (sid), `disconnect` (ClientDisconnect). */
export interface AppClient extends EventEmitter {
  readonly label: string;
  readonly connected: boolean;
  /** Current session id (changes on every reconnect). */
  readonly sid: string | undefined;
  /**
   * Frames emitted on the current session whose ack has not come. A session that ends takes its
   * frames with it: they can no longer be acked, so a drain does not wait for them.
   */
  readonly awaitingAcks: number;
  /**
   * Queues one frame; false when it was not sent (offline, or the send backlog is full). A client
   * that can tell calls `onHanded(true)` once all of the frame's WebSocket frames are on the socket
   * (false if its connection ended first).
   */
  emitFrame(
    meta: FrameMeta,
    data: string | Buffer,
    onAck: (ack: FrameAck) => void,
    onHanded?: (handed: boolean) => void,
  ): boolean;
  /** Does ahead of a send window what emitting these payloads would otherwise do inside it (where the client can). */
  prepare?(payloads: ReadonlyArray<string | Buffer>): void;
  /** Closes for good: no reconnect after this. */
  stop(): Promise<void>;
}
