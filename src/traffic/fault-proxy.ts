/**
 * A loopback TCP proxy that puts one wire fault between clients and a server: added latency, every
 * chunk split into small TCP segments, chunks merged over a window, or a reset in the middle of a
 * client's stream. It binds 127.0.0.1 only, and close() ends every socket and timer it holds.
 *
 * Hand-rolled on node:net because the faults live between reads and writes (when to write, how
 * much per write), which no installed package exposes.
 */
import net from 'node:net';
import { setImmediate as setImmediatePromise, setTimeout as delay } from 'node:timers/promises';
import { LOOPBACK } from '../core/net';

/** A fault on the wire, applied by the proxy to every connection (a reset: to the first one that gets there). */
export type WireFault =
  /** Every chunk, both ways, is written `ms` after it was read (pipelined, order kept). */
  | { kind: 'latency'; ms: number }
  /** Every chunk, both ways, is written as `bytes`-byte writes, each waited for, with Nagle off. */
  | { kind: 'split'; bytes: number }
  /** Chunks read within `windowMs` of the first are written as one. */
  | { kind: 'merge'; windowMs: number }
  /** The first connection to pass `afterBytes` client → server gets exactly that many through, then an RST both ways. */
  | { kind: 'reset'; afterBytes: number };

/** One direction's traffic through the proxy: split makes more writes than reads, merge fewer. */
export interface LaneStats {
  bytes: number;
  reads: number;
  writes: number;
}

/** What the proxy did. */
export interface ProxyStats {
  connections: number;
  /** Client → server. */
  up: LaneStats;
  /** Server → client. */
  down: LaneStats;
  resets: Array<{ t: number; connection: number; bytesUp: number }>;
}

/** A running proxy; clients connect to `url` instead of the server's. */
export interface FaultProxy {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  readonly stats: ProxyStats;
  close(): Promise<void>;
}

// A lane stops reading while this much waits to be written, so a slow fault cannot buffer without
// bound; it reads again once under half.
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

interface Group {
  due: number;
  chunks: Buffer[];
  taken: boolean;
}

/** The reset, shared by every connection of a proxy: only the first to reach it takes it. */
interface ResetPoint {
  afterBytes: number;
  /** True once, for the lane that takes the reset. */
  claim(): boolean;
}

/** One direction of one connection: reads from `from`, applies the fault, writes to `to`. */
class Lane {
  private readonly queue: Group[] = [];
  private queued = 0;
  private seen = 0;
  private ended = false;
  private pumping = false;
  private resetting = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly fault: WireFault,
    private readonly stats: LaneStats,
    private readonly stop: AbortSignal,
    private readonly reset?: { point: ResetPoint; fire: () => void },
  ) {
    from.on('data', (chunk: Buffer) => this.read(chunk));
    from.on('end', () => {
      this.ended = true;
      void this.pump();
    });
    // The far side went away before this direction was done: nothing more can be delivered.
    to.once('close', () => {
      if (!this.ended || this.queue.length > 0) from.destroy();
    });
  }

  private read(chunk: Buffer): void {
    if (this.resetting) return;
    this.stats.reads++;
    this.seen += chunk.length;
    if (this.reset && this.seen >= this.reset.point.afterBytes && this.reset.point.claim()) {
      // Cut inside this chunk: exactly `afterBytes` reach the server, then the reset.
      chunk = chunk.subarray(0, chunk.length - (this.seen - this.reset.point.afterBytes));
      this.resetting = true;
      this.from.pause();
    }
    const now = Date.now();
    const last = this.queue[this.queue.length - 1];
    if (this.fault.kind === 'merge' && last && !last.taken && now < last.due) last.chunks.push(chunk);
    else {
      const hold =
        this.fault.kind === 'latency' ? this.fault.ms : this.fault.kind === 'merge' ? this.fault.windowMs : 0;
      this.queue.push({ due: now + hold, chunks: [chunk], taken: false });
    }
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER_BYTES) this.from.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue[0];
        const wait = group.due - Date.now();
        if (wait > 0) await delay(wait, undefined, { signal: this.stop });
        group.taken = true;
        this.queue.shift();
        const data = group.chunks.length === 1 ? group.chunks[0] : Buffer.concat(group.chunks);
        const size = this.fault.kind === 'split' ? this.fault.bytes : data.length;
        for (let at = 0; at < data.length; at += size) {
          await this.write(data.subarray(at, at + size));
          // Lets a reader in this process take each piece as its own read, not a coalesced one.
          if (this.fault.kind === 'split') await setImmediatePromise();
        }
        this.queued -= data.length;
        if (!this.resetting && this.queued < HIGH_WATER_BYTES / 2 && this.from.isPaused()) this.from.resume();
      }
      if (this.resetting) this.reset?.fire();
      else if (this.ended) this.to.end();
    } catch {
      // Aborted by close(), or the far side is gone: the connection is being torn down.
    } finally {
      this.pumping = false;
    }
  }

  private write(piece: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.to.destroyed || this.stop.aborted) return reject(new Error('closed'));
      this.stats.writes++;
      this.stats.bytes += piece.length;
      // Waiting for each write keeps split pieces from being gathered into one writev.
      this.to.write(piece, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `targetPort`, applying `fault`. */
export async function startFaultProxy(targetPort: number, fault: WireFault): Promise<FaultProxy> {
  const stats: ProxyStats = {
    connections: 0,
    up: { bytes: 0, reads: 0, writes: 0 },
    down: { bytes: 0, reads: 0, writes: 0 },
    resets: [],
  };
  const sockets = new Set<net.Socket>();
  const stop = new AbortController();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  let claimed = false;
  const point: ResetPoint | undefined =
    fault.kind === 'reset' ? { afterBytes: fault.afterBytes, claim: () => !claimed && (claimed = true) } : undefined;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const connection = ++stats.connections;
    track(client);
    const upstream = net.connect({ host: LOOPBACK, port: targetPort, allowHalfOpen: true });
    track(upstream);
    // A reset from one side is passed on as a reset; other errors as a close.
    const passOn = (from: net.Socket, to: net.Socket) =>
      from.on('error', (error: NodeJS.ErrnoException) => {
        if (to.destroyed) return;
        if (error.code === 'ECONNRESET') to.resetAndDestroy();
        else to.destroy();
      });
    passOn(client, upstream);
    passOn(upstream, client);
    upstream.once('connect', () => {
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      const fire = () => {
        stats.resets.push({ t: Date.now(), connection: connection, bytesUp: point?.afterBytes ?? 0 });
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      };
      new Lane(client, upstream, fault, stats.up, stop.signal, point && { point: point, fire: fire });
      new Lane(upstream, client, fault, stats.down, stop.signal);
      client.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port: port,
    url: `http://${LOOPBACK}:${port}`,
    stats: stats,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stop.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
