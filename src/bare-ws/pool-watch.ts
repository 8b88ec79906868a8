/**
 * Evidence from inside a ws server: the Receiver's buffer pools and its inflate queue, watched
 * with instrument() on the loaded prototypes of one installed ws release (nothing is edited).
 *
 * Every compressed data-frame fragment is hashed (crc32) when the Receiver queues it for inflate
 * (the moment `unmask` returns it), and again when ws hands it to zlib
 * (`PerMessageDeflate.decompress`), when zlib starts reading it (`InflateRaw._transform`) and when
 * zlib is done with it (the transform's callback, or the decompress error). A fragment whose later
 * hash differs from its queued hash had its bytes changed before zlib read them. The pools are
 * watched too: every `reset(false)` / `reset(true)`, and every slice handed out over the bytes of a
 * fragment still waiting for zlib.
 */
import path from 'node:path';
import zlib from 'node:zlib';
import { instrument, type InstrumentHooks, type Instrumentation } from '../observe/instrument';
import type { WsRelease } from './versions';

/** Which of the Receiver's two pools a slice or a reset belongs to. */
export type PoolKind = 'fragmented' | 'unfragmented';

/** A step in one fragment's life (message m, fragment f on its connection). */
export interface PoolWatchEvent {
  /** ms since the watch started. */
  t: number;
  kind: 'queued' | 'overwritten' | 'pool reset' | 'handed to zlib' | 'zlib reads' | 'zlib done' | 'zlib error';
  /** `m<message>.f<fragment>`. */
  fragment?: string;
  /** `buf<n>[start,end)`: which pool buffer, which bytes. */
  where?: string;
  /** For a hash check: whether the bytes still hash to what was queued. */
  same?: boolean;
  note?: string;
}

/** A zlib error seen by ws's decompress, and what the hashes say about it. */
export interface WatchedZlibError {
  t: number;
  connection: number;
  /** The fragment zlib failed on. */
  fragment?: string;
  message: string;
  code?: string;
  /** The fragment zlib failed on had different bytes than when it was queued. */
  fragmentDiffered: boolean;
  /** Fragments on the same connection found differing at or before the error. */
  differingBefore: number;
}

/** Everything the watch counted. */
export interface PoolWatchReport {
  /** Compressed data-frame fragments queued for inflate (of fragmented messages or not). */
  queued: number;
  queuedFragmented: number;
  /** Compressed messages whose last fragment was queued. */
  messages: number;
  /**
   * Messages whose first frame was read while fragments of an earlier message still waited for
   * zlib: the moment the 0.8.0 pool can hand out bytes that are still in use. Counted the same on
   * every release, so a good release with none of these was never put to the test.
   */
  backToBack: number;
  /** Fragments zlib finished reading. */
  consumed: number;
  /** Queued fragments zlib never finished (the connection ended first). */
  neverConsumed: number;
  /** Fragments that a new pool slice was handed out over while they waited for zlib, by the new slice's pool. */
  overwritten: Record<PoolKind, number>;
  /** Fragments whose bytes, at a check after queueing, hashed differently than when queued. */
  differing: number;
  /** Of those: already different when ws handed them to zlib. */
  differingAtHandOff: number;
  /** Of those: the same at hand-off, different when zlib started or finished reading them. */
  differingAfterHandOff: number;
  /** Differing fragments that no new pool slice had been handed out over (something else changed them). */
  differingNotOverwritten: number;
  /** `reset(false)` (keep the buffer) and `reset(true)` (a new one) calls, per pool. */
  resets: Record<PoolKind, { keep: number; fresh: number }>;
  errors: WatchedZlibError[];
  /** Errors with at least one differing fragment on their connection at or before them. */
  errorsWithDifferingBefore: number;
  /** The first error's story: the life of the differing fragment behind it, the pool resets, the error. */
  timeline: PoolWatchEvent[];
}

/** A pool watch in place; report() may be called any time, restore() in a `finally`. */
export interface PoolWatch {
  report(): PoolWatchReport;
  restore(): void;
}

interface ReceiverLike {
  state?: { opcode?: number; compressed?: boolean; fragmentedOperation?: boolean; lastFragment?: boolean };
  extensions?: Record<string, object>;
  fragmentedBufferPool?: object;
  unfragmentedBufferPool?: object;
}

interface Connection {
  id: number;
  message: number;
  fragment: number;
  pending: Set<Chunk>;
  differingAt: number[];
  lastDiffering?: Chunk;
  /** Recent fragmented-pool resets, for the timeline. */
  resets: PoolWatchEvent[];
}

interface Chunk {
  buf: Buffer;
  connection: Connection;
  message: number;
  label: string;
  crc: number;
  overwritten: boolean;
  differing: boolean;
  history: PoolWatchEvent[];
}

const DEFLATE_EXTENSION = 'permessage-deflate';
/** Fragmented-pool resets kept per connection for the timeline. */
const RESETS_KEPT = 16;
// The class behind zlib.createInflateRaw(), which ws uses; @types/node declares only its instance type.
const INFLATE_RAW = (zlib as unknown as { InflateRaw: { prototype: object } }).InflateRaw;

/** Attaches the watch to one release's Receiver, BufferPool and PerMessageDeflate, and to zlib's InflateRaw. */
export function attachPoolWatch(release: WsRelease): PoolWatch {
  return new PoolWatcher(release);
}

type HashCheck = 'handed to zlib' | 'zlib reads' | 'zlib done' | 'zlib error';

/**
 * The watch's state, and one method per instrumented step of a fragment's life: queued (unmask),
 * a pool slice handed out (allocateFromPool), a pool reset, handed to zlib (decompress), zlib
 * reading it and done with it (InflateRaw._transform), or zlib failing on it (decompress's callback).
 */
class PoolWatcher implements PoolWatch {
  private readonly t0 = performance.now();
  private readonly connections = new WeakMap<object, Connection>();
  private readonly live = new Set<Connection>();
  private readonly chunks = new Map<Buffer, Chunk>();
  private readonly poolKinds = new WeakMap<object, { kind: PoolKind; connection: Connection }>();
  private readonly bufferIds = new WeakMap<ArrayBufferLike, number>();
  private readonly bufferBeforeReset = new Map<object, unknown>();
  private readonly counts = {
    queued: 0,
    queuedFragmented: 0,
    messages: 0,
    backToBack: 0,
    consumed: 0,
    failed: 0,
    differing: 0,
    differingAtHandOff: 0,
    differingAfterHandOff: 0,
    differingNotOverwritten: 0,
    overwritten: { fragmented: 0, unfragmented: 0 } as Record<PoolKind, number>,
  };
  private readonly resets: PoolWatchReport['resets'] = {
    fragmented: { keep: 0, fresh: 0 },
    unfragmented: { keep: 0, fresh: 0 },
  };
  private readonly errors: WatchedZlibError[] = [];
  private timeline: PoolWatchEvent[] = [];
  private nextConnection = 1;
  private nextBuffer = 1;
  private readonly hooks: Instrumentation[] = [];

  constructor(release: WsRelease) {
    const lib = (file: string) => require(path.join(release.dir, 'lib', file)) as { prototype: object };
    try {
      const receiver = lib('Receiver.js').prototype;
      const pool = lib('BufferPool.js').prototype;
      const deflate = lib('PerMessageDeflate.js').prototype;
      this.hook(receiver, 'unmask', { after: (result, _args, self) => this.queue(result, self as ReceiverLike) });
      this.hook(receiver, 'allocateFromPool', {
        after: (result, args, self) =>
          this.slice(result, args[1] ? 'fragmented' : 'unfragmented', self as ReceiverLike),
      });
      this.hook(pool, 'reset', {
        before: (_args, self) => this.bufferBeforeReset.set(self as object, (self as { _buffer?: unknown })._buffer),
        after: (_result, args, self) => this.poolReset(self as object, args[0]),
      });
      this.hook(deflate, 'decompress', {
        before: (args) => this.checkWatched(args[0], 'handed to zlib'),
        callbackArg: 2,
        callback: (err, _value, args, self) => {
          if (err) this.zlibFailed(err as Error & { code?: string }, args[0], self as object);
        },
      });
      this.hook(INFLATE_RAW.prototype, '_transform', {
        before: (args) => this.checkWatched(args[0], 'zlib reads'),
        callbackArg: 2,
        callback: (_err, _value, args) => this.zlibDone(args[0]),
      });
    } catch (error) {
      for (const hook of this.hooks) hook.restore();
      throw error;
    }
  }

  report(): PoolWatchReport {
    const { counts, resets, errors } = this;
    return {
      queued: counts.queued,
      queuedFragmented: counts.queuedFragmented,
      messages: counts.messages,
      backToBack: counts.backToBack,
      consumed: counts.consumed,
      neverConsumed: counts.queued - counts.consumed - counts.failed,
      overwritten: { ...counts.overwritten },
      differing: counts.differing,
      differingAtHandOff: counts.differingAtHandOff,
      differingAfterHandOff: counts.differingAfterHandOff,
      differingNotOverwritten: counts.differingNotOverwritten,
      resets: { fragmented: { ...resets.fragmented }, unfragmented: { ...resets.unfragmented } },
      errors: errors.map((e) => ({ ...e })),
      errorsWithDifferingBefore: errors.filter((e) => e.differingBefore > 0).length,
      timeline: this.timeline.map((e) => ({ ...e })),
    };
  }

  restore(): void {
    for (const hook of this.hooks.reverse()) hook.restore();
    this.hooks.length = 0;
    this.chunks.clear();
    for (const connection of this.live) connection.pending.clear();
    this.live.clear();
  }

  private hook(target: object, method: string, hooks: InstrumentHooks): void {
    this.hooks.push(instrument(target, method, hooks, { keepCalls: 0 }));
  }

  private now(): number {
    return Math.round((performance.now() - this.t0) * 10) / 10;
  }

  private connectionOf(receiver: ReceiverLike): Connection {
    let connection = this.connections.get(receiver);
    if (!connection) {
      connection = {
        id: this.nextConnection++,
        message: 0,
        fragment: 0,
        pending: new Set(),
        differingAt: [],
        resets: [],
      };
      this.connections.set(receiver, connection);
      const deflate = receiver.extensions?.[DEFLATE_EXTENSION];
      if (deflate) this.connections.set(deflate, connection);
      this.live.add(connection);
    }
    return connection;
  }

  private where(buf: Buffer): string {
    let id = this.bufferIds.get(buf.buffer);
    if (id === undefined) this.bufferIds.set(buf.buffer, (id = this.nextBuffer++));
    return `buf${id}[${buf.byteOffset},${buf.byteOffset + buf.length})`;
  }

  /** unmask returned a frame's payload: a compressed data-frame fragment is queued for inflate. */
  private queue(result: unknown, receiver: ReceiverLike): void {
    const state = receiver.state;
    if (
      !Buffer.isBuffer(result) ||
      result.length === 0 ||
      !state?.compressed ||
      (state.opcode !== 1 && state.opcode !== 2)
    )
      return;
    const connection = this.connectionOf(receiver);
    const label = `m${connection.message}.f${connection.fragment}`;
    const chunk: Chunk = {
      buf: result,
      connection,
      message: connection.message,
      label,
      crc: zlib.crc32(result),
      overwritten: false,
      differing: false,
      history: [{ t: this.now(), kind: 'queued', fragment: label, where: this.where(result) }],
    };
    if (state.lastFragment) {
      connection.message++;
      connection.fragment = 0;
      this.counts.messages++;
    } else connection.fragment++;
    this.chunks.set(result, chunk);
    connection.pending.add(chunk);
    this.counts.queued++;
    if (state.fragmentedOperation) this.counts.queuedFragmented++;
  }

  /** A pool handed out a slice: marks every fragment still waiting for zlib whose bytes it covers. */
  private slice(result: unknown, kind: PoolKind, receiver: ReceiverLike): void {
    const connection = this.connectionOf(receiver);
    if (receiver.fragmentedBufferPool)
      this.poolKinds.set(receiver.fragmentedBufferPool, { kind: 'fragmented', connection });
    if (receiver.unfragmentedBufferPool)
      this.poolKinds.set(receiver.unfragmentedBufferPool, { kind: 'unfragmented', connection });
    if (!Buffer.isBuffer(result)) return;
    const state = receiver.state;
    const firstOfMessage = connection.fragment === 0 && state?.compressed && (state.opcode === 1 || state.opcode === 2);
    if (firstOfMessage && [...connection.pending].some((c) => c.message < connection.message)) this.counts.backToBack++;
    const start = result.byteOffset;
    const end = start + result.length;
    for (const chunk of connection.pending) {
      const c = chunk.buf;
      if (c.buffer !== result.buffer || c.byteOffset >= end || c.byteOffset + c.length <= start) continue;
      if (!chunk.overwritten) this.counts.overwritten[kind]++;
      chunk.overwritten = true;
      // The slice is for the frame being read now, which unmask will label with these counters.
      chunk.history.push({
        t: this.now(),
        kind: 'overwritten',
        fragment: chunk.label,
        where: this.where(result),
        note: `new ${kind} slice for m${connection.message}.f${connection.fragment}`,
      });
    }
  }

  private poolReset(pool: object, fresh: unknown): void {
    const owner = this.poolKinds.get(pool);
    const kept = this.bufferBeforeReset.get(pool) === (pool as { _buffer?: unknown })._buffer;
    this.bufferBeforeReset.delete(pool);
    if (!owner) return;
    this.resets[owner.kind][fresh ? 'fresh' : 'keep']++;
    // Only the fragmented pool's resets tell the story; the other one resets after every frame.
    if (owner.kind !== 'fragmented') return;
    const { connection } = owner;
    connection.resets.push({
      t: this.now(),
      kind: 'pool reset',
      note: `fragmented pool reset(${String(fresh)}) after m${connection.message - 1}: buffer ${kept ? 'kept, next slices start at 0' : 'replaced'}; ${connection.pending.size} fragment(s) waiting for zlib`,
    });
    if (connection.resets.length > RESETS_KEPT) connection.resets.shift();
  }

  private checkWatched(buf: unknown, kind: HashCheck): void {
    const chunk = this.chunks.get(buf as Buffer);
    if (chunk) this.check(chunk, kind);
  }

  // Hashes the fragment's bytes now; marks it differing (once) if they are not what was queued.
  private check(chunk: Chunk, kind: HashCheck): void {
    const same = zlib.crc32(chunk.buf) === chunk.crc;
    chunk.history.push({ t: this.now(), kind, fragment: chunk.label, same });
    if (same || chunk.differing) return;
    chunk.differing = true;
    this.counts.differing++;
    if (kind === 'handed to zlib') this.counts.differingAtHandOff++;
    else this.counts.differingAfterHandOff++;
    if (!chunk.overwritten) this.counts.differingNotOverwritten++;
    chunk.connection.differingAt.push(performance.now());
    chunk.connection.lastDiffering = chunk;
  }

  private zlibDone(buf: unknown): void {
    const chunk = this.chunks.get(buf as Buffer);
    if (!chunk) return;
    this.check(chunk, 'zlib done');
    this.counts.consumed++;
    this.settle(chunk);
  }

  private zlibFailed(error: Error & { code?: string }, buf: unknown, deflate: object): void {
    const connection = this.connections.get(deflate);
    const chunk = this.chunks.get(buf as Buffer);
    const note = `${error.message}${error.code ? ` (${error.code})` : ''}`;
    const at = performance.now();
    let event: PoolWatchEvent = { t: this.now(), kind: 'zlib error', note };
    if (chunk) {
      this.check(chunk, 'zlib error');
      event = chunk.history[chunk.history.length - 1];
      event.note = note;
    }
    if (connection && this.errors.length === 0) this.timeline = story(connection, chunk, event);
    this.errors.push({
      t: event.t,
      connection: connection?.id ?? 0,
      fragment: chunk?.label,
      message: error.message,
      code: error.code,
      fragmentDiffered: chunk?.differing ?? false,
      differingBefore: connection ? connection.differingAt.filter((t) => t <= at).length : 0,
    });
    if (chunk) {
      this.counts.failed++;
      this.settle(chunk);
    }
  }

  private settle(chunk: Chunk): void {
    chunk.connection.pending.delete(chunk);
    this.chunks.delete(chunk.buf);
  }
}

// The first error's story: the differing fragment's life (or, if the failing fragment itself
// was intact, the last differing one before it and then the failing one), with the pool resets
// between the first event and the error.
function story(connection: Connection, failing: Chunk | undefined, error: PoolWatchEvent): PoolWatchEvent[] {
  const lives = [connection.lastDiffering, failing].filter(
    (c, i, all): c is Chunk => c !== undefined && all.indexOf(c) === i,
  );
  const events = new Set([...lives.flatMap((c) => c.history), error]);
  const from = Math.min(...[...events].map((e) => e.t));
  return [...events, ...connection.resets.filter((r) => r.t >= from)].sort((a, b) => a.t - b.t);
}
