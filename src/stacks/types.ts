/** The interface every installed stack offers, whatever its socket.io generation. */
/* eslint-disable @typescript-eslint/no-explicit-any -- listener signatures differ per event */
import type http from 'node:http';
import type { EventEmitter } from 'node:events';
import type { DeflateMode, StackName } from '../core/params';
import type { StackPackage } from '../core/stack-catalog';

/** An engine.io socket as both generations expose it: `close` carries (reason, description). */
export interface EngineSocket extends EventEmitter {
  id: string;
}

/** A server-side socket.io socket (1.x and 4.x agree on this much). */
export interface ServerSocket extends EventEmitter {
  id: string;
  conn: EngineSocket;
  disconnect(close?: boolean): void;
}

/** A Node socket.io client socket of the stack's own client package. */
export interface ClientSocket {
  id?: string;
  connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(): void;
  close(): void;
  io?: EventEmitter & { engine?: EventEmitter & { id?: string } };
}

export interface ServerOptions {
  /** `on`/`off` forces permessage-deflate; `default` leaves the stack's own default. */
  deflate: DeflateMode | 'default';
  /** Largest message the server accepts; undefined keeps the stack's default. */
  maxHttpBufferSize?: number;
  pingInterval?: number;
  pingTimeout?: number;
  /** A fixed port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number;
  /** Handler for HTTP requests that socket.io does not take (browser pages). */
  onRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/** A running server; close() releases every socket and the port. */
export interface StackServer {
  stack: StackName;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  http: http.Server;
  onConnection(handler: (socket: ServerSocket) => void): void;
  /** The settings the server actually runs with, read back from it. */
  settings: { deflate: DeflateMode | 'default'; maxHttpBufferSize: number; pingInterval: number; pingTimeout: number };
  /** The engine.io server (engine.io 1.x: `io.eio`, 4.x: `io.engine`). */
  engine: EventEmitter;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Reconnect after a disconnect, as the stack's client does by default. */
  reconnection: boolean;
  reconnectionDelay: number;
}

/** Which BufferUtil/Validation a ws copy loaded: the native add-on or ws's JavaScript fallback. */
export interface WsAddons {
  dir: string;
  version: string;
  bufferUtil: string;
  validation: string;
}

/** A loaded stack: versions checked, ready to start servers and clients. */
export interface Stack {
  name: StackName;
  eio: 3 | 4;
  versions: Record<StackPackage, string>;
  /** What each ws copy (server, client) loaded for masking and UTF-8 validation. */
  addons: { server: WsAddons; client: WsAddons };
  /** The file socket.io serves as /socket.io/socket.io.js to browsers. */
  clientBundle: string;
  /** The server's ws PerMessageDeflate class, whose decompress() the zlib errors come through. */
  serverPerMessageDeflate: { prototype: object };
  createServer(options: ServerOptions): Promise<StackServer>;
  connect(url: string, options: ClientOptions): ClientSocket;
}
