/**
 * A bare ws server of one installed release (no engine.io, no socket.io): `new WebSocketServer({
 * server })` on a loopback HTTP server, with permessage-deflate on. It checks every message
 * against the checksums it expects and records every error a connection reports.
 */
import type http from 'node:http';
import zlib from 'node:zlib';
import { listenLoopback } from '../stacks/http-server';
import { LOOPBACK } from '../core/net';
import type { BareServerError } from '../traffic/failure-rule';
import type { WsRelease } from './versions';

/* eslint-disable @typescript-eslint/no-explicit-any -- ws 0.7–1.x have no types */
type Untyped = any;

/** What the server saw so far. */
export interface BareServerCounts {
  connections: number;
  /** Messages the 'message' handler received. */
  delivered: number;
  /** Delivered messages whose crc32 is one the clients send. */
  verified: number;
  /** Delivered messages with any other checksum: bytes changed on the way. */
  corrupted: number;
  /** Epoch ms of the first corrupted delivery. */
  firstCorruptAt?: number;
  errors: BareServerError[];
}

/** A running bare server; close() releases every socket and the port. */
export interface BareServer {
  release: string;
  url: string;
  http: http.Server;
  counts(): BareServerCounts;
  close(): Promise<void>;
}

/**
 * Starts a bare server of `release` on 127.0.0.1 that accepts the messages whose crc32 is in
 * `expected`; `onError` hears each connection error as it happens.
 */
export async function startBareServer(
  release: WsRelease,
  expected: ReadonlySet<number>,
  onError?: (error: BareServerError) => void,
): Promise<BareServer> {
  const WebSocketServer: Untyped = (require(release.dir) as Untyped).Server;
  const counts: BareServerCounts = { connections: 0, delivered: 0, verified: 0, corrupted: 0, errors: [] };
  let wss: Untyped;
  const server = await listenLoopback((srv) => {
    // Deflate on explicitly: it is the default in every release here, but the run must not depend on it.
    wss = new WebSocketServer({ server: srv, perMessageDeflate: true });
    wss.on('error', () => undefined);
    wss.on('connection', (ws: Untyped) => {
      const connection = ++counts.connections;
      ws.on('message', (data: string | Buffer) => {
        counts.delivered++;
        if (expected.has(zlib.crc32(data))) counts.verified++;
        else {
          counts.corrupted++;
          counts.firstCorruptAt ??= Date.now();
        }
      });
      ws.on('error', (reason: unknown, code?: number) => {
        const message = reason instanceof Error ? reason.message : String(reason);
        const error: BareServerError = { t: Date.now(), connection, message, code };
        counts.errors.push(error);
        onError?.(error);
      });
    });
  }, undefined);
  return {
    release: release.version,
    url: `ws://${LOOPBACK}:${server.port}/`,
    http: server.http,
    counts: () => ({ ...counts, errors: [...counts.errors] }),
    async close() {
      try {
        wss?.close();
      } finally {
        await server.close();
      }
    },
  };
}
