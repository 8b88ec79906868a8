/**
 * A child process that runs one bare ws server (a release from the version cache, permessage-deflate
 * on) on 127.0.0.1 and, when asked, sends a burst of compressed messages to every connection at
 * once, as a server broadcasting to its clients does. It is started with the allocator's
 * environment (src/history/zlib.ts), so that environment applies to this process alone, and it
 * reports its own memory: process.memoryUsage() and /proc/self/status.
 *
 * What it watches in ws, to prove what ran (each read where ws does the work, so no code path can
 * miss it):
 * - PerMessageDeflate's compressing method (`_compress` where a limiter wraps it, from ws 3.2.0;
 *   `compress` before): how many compressions ran at once at most, and how many completed;
 * - async-limiter's queue, where the release depends on it: the concurrency it was built with,
 *   which is the limit in force (ws builds one, module-wide, from the first PerMessageDeflate's
 *   options);
 * - each connection's negotiated PerMessageDeflate: its `concurrencyLimit` option as ws received it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { serveParent } from '../core/child-host';
import { collectTwice, exposedGc } from '../core/memory-sample';
import { versionAt } from '../core/stack-catalog';
import { versionPackageDir } from '../core/version-cache';
import { listenLoopback, type LoopbackServer } from '../stacks/http-server';
import { payload } from '../traffic/payloads';
import { combinedDigest, CONNECTION_PARAM } from './zlib-digest';

/* eslint-disable @typescript-eslint/no-explicit-any -- ws 3.x has no types of its own */
type Untyped = any;

/** process.memoryUsage(), bytes. */
export interface MemorySnapshot {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  /** Memory outside the JS heap that V8 is told about (Buffers, zlib's output among it). */
  external: number;
  arrayBuffers: number;
}

/** How the server is told to set ws's option: a number, Infinity ('unlimited'), or not at all. */
export type ConcurrencyOption = number | 'unlimited' | 'unset';

/** Parent → child. */
export type ZlibServerRequest =
  | { type: 'start'; ws: string; concurrencyLimit: ConcurrencyOption }
  | { type: 'sample' }
  | { type: 'burst'; messagesPerConnection: number; messageBytes: number; seed: number }
  | { type: 'settle'; settleMs: number }
  | { type: 'stop' };

/** What the server saw of ws's zlib work. */
export interface ZlibWork {
  /** Most compressions running at once. */
  peakInFlight: number;
  /** Compressions that completed. */
  compressed: number;
}

/** Child → parent: one reply per request, in order. */
export type ZlibServerReply =
  | {
      type: 'started';
      url: string;
      pid: number;
      wsVersion: string;
      node: string;
      /** The allocator's environment as this process sees it, and whether jemalloc is mapped into it. */
      allocator: { ldPreload: string | null; mallocArenaMax: string | null; jemallocMapped: boolean };
    }
  | { type: 'sampled'; memory: MemorySnapshot; connections: number }
  | {
      type: 'burst-done';
      memory: MemorySnapshot;
      /** VmHWM after the burst, reset just before it (/proc/self/clear_refs): the burst's peak RSS, bytes. */
      peakRss: number;
      burstMs: number;
      sent: number;
      /** sha256 over the connections in index order of sha256 over each connection's messages in order. */
      sentDigest: string;
      work: ZlibWork;
    }
  | { type: 'settled'; memory: MemorySnapshot }
  | {
      type: 'stopped';
      connections: number;
      /** Connections whose handshake accepted permessage-deflate. */
      deflateConnections: number;
      /** `concurrencyLimit` as each connection's PerMessageDeflate received it, distinct, as text ('absent' when unset). */
      optionSeen: string[];
      /** The concurrency of ws's limiter ('unlimited' for Infinity), or null when ws built none. */
      limiterConcurrency: number | 'unlimited' | null;
      work: ZlibWork;
      /** glibc arena heaps mapped after the burst (glibcArenaHeaps). */
      arenaHeaps: number;
    }
  | { type: 'failed'; error: string };

/** One message: its connection and sequence number first, so a reordered or misrouted message changes the digest. */
export function zlibMessage(connection: number, index: number, bytes: number, seed: number): string {
  const head = `{"c":${connection},"k":${index},"d":`;
  const body = payload('json', Math.max(16, bytes - head.length - 1), seed, connection + index).data as string;
  return `${head}${body}}`;
}

function snapshot(): MemorySnapshot {
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers };
}

/** VmHWM, bytes: the most RSS this process has had since start, or since the last reset. */
function peakRss(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('/proc/self/status has no VmHWM line');
  return Number(match[1]) * 1024;
}

/** Watches ws's zlib work and limiter; installed before ws loads, on the very modules ws will use. */
class ZlibWatch {
  inFlight = 0;
  peakInFlight = 0;
  compressed = 0;
  limiters: Untyped[] = [];

  constructor(wsDir: string) {
    const wsRequire = createRequire(path.join(wsDir, 'package.json'));
    let Queue: Untyped;
    try {
      Queue = wsRequire('async-limiter');
    } catch {
      Queue = undefined; // a release without the dependency has no limiter to watch
    }
    if (Queue) {
      const run = Queue.prototype._run;
      const limiters = this.limiters;
      Queue.prototype._run = function (this: Untyped, ...args: unknown[]) {
        if (!limiters.includes(this)) limiters.push(this);
        return run.apply(this, args);
      };
    }
    const deflate = wsRequire(path.join(wsDir, 'lib', 'PerMessageDeflate.js'));
    const method = typeof deflate.prototype._compress === 'function' ? '_compress' : 'compress';
    const compress = deflate.prototype[method];
    const watch = this;
    deflate.prototype[method] = function (this: Untyped, data: Buffer, fin: boolean, callback: Untyped) {
      watch.inFlight++;
      watch.peakInFlight = Math.max(watch.peakInFlight, watch.inFlight);
      return compress.call(this, data, fin, (error: Error | null, result: Buffer) => {
        watch.inFlight--;
        if (!error) watch.compressed++;
        callback(error, result);
      });
    };
  }

  work(): ZlibWork {
    return { peakInFlight: this.peakInFlight, compressed: this.compressed };
  }

  limiterConcurrency(): number | 'unlimited' | null {
    if (this.limiters.length > 1) throw new Error(`ws built ${this.limiters.length} limiters, not one`);
    const concurrency = this.limiters[0]?.concurrency as number | undefined;
    return concurrency === undefined ? null : concurrency === Infinity ? 'unlimited' : concurrency;
  }
}

/** The running server and its connections by index. */
class BurstServer {
  private readonly sockets = new Map<number, Untyped>();
  private constructor(
    readonly loopback: LoopbackServer,
    readonly watch: ZlibWatch,
  ) {}

  static async start(ws: string, option: ConcurrencyOption): Promise<{ server: BurstServer; version: string }> {
    const dir = versionPackageDir('ws', ws);
    const watch = new ZlibWatch(dir);
    const WebSocketServer = (require(dir) as Untyped).Server;
    const perMessageDeflate =
      option === 'unset' ? {} : { concurrencyLimit: option === 'unlimited' ? Infinity : option };
    let self: BurstServer | undefined;
    const loopback = await listenLoopback((srv: http.Server) => {
      const wss = new WebSocketServer({ server: srv, perMessageDeflate: perMessageDeflate });
      wss.on('error', () => undefined);
      wss.on('connection', (socket: Untyped, req: http.IncomingMessage) => {
        const index = Number(new URL(req.url ?? '/', 'http://x').searchParams.get(CONNECTION_PARAM));
        socket.on('error', () => undefined);
        self?.sockets.set(index, socket);
      });
    }, undefined);
    self = new BurstServer(loopback, watch);
    return { server: self, version: versionAt(dir) };
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Sends every message to every connection in one go; resolves once ws has written them all. */
  async burst(perConnection: number, bytes: number, seed: number): Promise<{ sent: number; digest: string }> {
    const order = [...this.sockets.keys()].sort((a, b) => a - b);
    const digests: string[] = [];
    const writes: Promise<void>[] = [];
    for (const index of order) {
      const socket = this.sockets.get(index);
      const hash = createHash('sha256');
      for (let k = 0; k < perConnection; k++) {
        const message = zlibMessage(index, k, bytes, seed);
        hash.update(message);
        writes.push(
          new Promise((resolve, reject) =>
            socket.send(message, { compress: true }, (error?: Error) => (error ? reject(error) : resolve())),
          ),
        );
      }
      digests.push(hash.digest('hex'));
    }
    await Promise.all(writes);
    return { sent: writes.length, digest: combinedDigest(digests) };
  }

  negotiated(): { deflate: number; optionSeen: string[] } {
    const deflates = [...this.sockets.values()]
      .map((socket) => socket.extensions?.['permessage-deflate'])
      .filter(Boolean);
    const seen = deflates.map((d: Untyped) => {
      const value = d._options?.concurrencyLimit;
      return value === undefined ? 'absent' : String(value);
    });
    return { deflate: deflates.length, optionSeen: [...new Set<string>(seen)] };
  }

  close(): Promise<void> {
    for (const socket of this.sockets.values()) socket.terminate();
    return this.loopback.close();
  }
}

async function collected(gc: () => void, settleMs: number): Promise<MemorySnapshot> {
  await collectTwice(gc, settleMs);
  return snapshot();
}

function jemallocMapped(): boolean {
  return fs.readFileSync('/proc/self/maps', 'utf8').includes('libjemalloc');
}

/** glibc's heap size for arenas other than the main one (HEAP_MAX_SIZE on 64-bit): 64 MiB, reserved at a 64 MiB boundary. */
const GLIBC_HEAP = 64n << 20n;

/**
 * How many glibc arena heaps are mapped into this process: anonymous 64 MiB reservations, aligned
 * to 64 MiB, made of a read-write part and an inaccessible rest. Each arena besides the main one
 * has at least one, so the count shows MALLOC_ARENA_MAX at work (and zero under jemalloc, which
 * leaves glibc's malloc unused). Read from /proc/self/maps because glibc reports its arenas nowhere
 * a Node process can ask.
 */
export function glibcArenaHeaps(maps: string): number {
  const regions = maps
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [range, perms, , , inode, ...rest] = line.split(/\s+/);
      const [start, end] = range.split('-').map((hex) => BigInt(`0x${hex}`));
      return { start, end, perms, anonymous: inode === '0' && rest.join('') === '' };
    });
  let heaps = 0;
  regions.forEach((region, i) => {
    if (!(region.anonymous && region.perms === 'rw-p' && region.start % GLIBC_HEAP === 0n)) return;
    let end = region.end;
    for (let j = i + 1; j < regions.length; j++) {
      const next = regions[j];
      if (!(next.anonymous && next.perms === '---p' && next.start === end)) break;
      end = next.end;
    }
    if (end - region.start === GLIBC_HEAP) heaps++;
  });
  return heaps;
}

if (require.main === module) {
  let server: BurstServer | undefined;
  serveParent<ZlibServerRequest, ZlibServerReply>(
    async (request, parent) => {
      const gc = exposedGc();
      if (request.type === 'start') {
        const started = await BurstServer.start(request.ws, request.concurrencyLimit);
        server = started.server;
        return {
          type: 'started',
          url: `ws://127.0.0.1:${server.loopback.port}/`,
          pid: process.pid,
          wsVersion: started.version,
          node: process.version,
          allocator: {
            ldPreload: process.env.LD_PRELOAD ?? null,
            mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
            jemallocMapped: jemallocMapped(),
          },
        };
      }
      if (!server) throw new Error(`'${request.type}' before 'start'`);
      if (request.type === 'sample')
        return { type: 'sampled', memory: await collected(gc, 50), connections: server.connections };
      if (request.type === 'burst') {
        fs.writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
        const started = performance.now();
        const { sent, digest } = await server.burst(request.messagesPerConnection, request.messageBytes, request.seed);
        const burstMs = performance.now() - started;
        const memory = snapshot();
        return {
          type: 'burst-done',
          memory: memory,
          peakRss: peakRss(),
          burstMs: burstMs,
          sent: sent,
          sentDigest: digest,
          work: server.watch.work(),
        };
      }
      if (request.type === 'settle') return { type: 'settled', memory: await collected(gc, request.settleMs) };
      const { deflate, optionSeen } = server.negotiated();
      const stopped: ZlibServerReply = {
        type: 'stopped',
        connections: server.connections,
        deflateConnections: deflate,
        optionSeen: optionSeen,
        limiterConcurrency: server.watch.limiterConcurrency(),
        work: server.watch.work(),
        arenaHeaps: glibcArenaHeaps(fs.readFileSync('/proc/self/maps', 'utf8')),
      };
      await server.close();
      await parent.send(stopped);
      parent.leave();
    },
    { inOrder: true },
  );
}
