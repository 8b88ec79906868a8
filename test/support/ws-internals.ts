/**
 * ws's internals, exported by its index (its package `exports` hide lib/) but not typed by
 * @types/ws: the Receiver, the permessage-deflate extension and the header parser, for tests that
 * decode bytes with ws's own code.
 */
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import WebSocket from 'ws';

export interface PerMessageDeflateInstance {
  offer(): Record<string, unknown>;
  accept(offers: unknown[]): Record<string, unknown>;
  cleanup(): void;
}
interface WsInternals {
  Receiver: new (options: {
    isServer: boolean;
    extensions: Record<string, PerMessageDeflateInstance>;
  }) => Writable & EventEmitter;
  PerMessageDeflate: new (options: Record<string, unknown>) => PerMessageDeflateInstance;
  extension: {
    parse(header: string): Record<string, unknown[]>;
    format(extensions: Record<string, unknown[]>): string;
  };
}

/** The installed ws 8's internals. */
export const { Receiver, PerMessageDeflate, extension } = WebSocket as unknown as WsInternals;
