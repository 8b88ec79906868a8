/**
 * Chapter 9, row 2: zlib concurrency and heap fragmentation. In 2016–2018 servers that compressed
 * many messages at once with permessage-deflate saw their RSS climb and stay up; ws 3.2.0 added a
 * module-wide limit on concurrent zlib jobs (`concurrencyLimit`, default 10) to curb it, and users
 * still reported growth with a limit of 1, blaming glibc's malloc (arenas per thread) rather than
 * zlib. This file measures one cell: a ws release, a limit, an allocator.
 *
 * A cell: a fresh server process (src/history/zlib-server.ts), started with the allocator's
 * environment, holds M connections from a clients process (src/history/zlib-clients.ts), then
 * sends N compressed messages at once, M × N/M, the way a server broadcasts. The server compresses
 * (what the reports were about: the sender's deflate jobs queued on the thread pool); the clients
 * only inflate. Recorded: the server's memory after the connections open (after GC), right after
 * the burst, and after a forced GC and a settle; its peak RSS during the burst, twice (its own
 * VmHWM, reset before the burst, and VmRSS polled from this process); and the controls that make
 * the figures mean something (deflate on every connection, every message delivered unchanged and
 * compressed, the limit in force as ws built it, the allocator as the server's process has it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ChildHost } from '../core/child-host';
import { InputError } from '../core/errors';
import { KiB } from '../core/params';
import { assertMeasuring } from '../core/replay';
import { CONNECT_DEADLINE_MS } from '../core/timing';
import { versionPackageDir } from '../core/version-cache';
import type { ZlibClientsReply, ZlibClientsRequest } from './zlib-clients';
import type { ConcurrencyOption, MemorySnapshot, ZlibServerReply, ZlibServerRequest } from './zlib-server';

export type { MemorySnapshot } from './zlib-server';

/** The releases compared: the last without the limit, and the first with it. */
export const ZLIB_WS_VERSIONS = ['3.1.0', '3.2.0'] as const;

/** The limits tried on a release that reads `concurrencyLimit`: one job at a time, ws's default, none. */
export const ZLIB_LIMITS = [1, 10, 'unlimited'] as const;
/** A cell's limit: a whole number of jobs, 'unlimited', or 'no-option' for a release whose source has no such option. */
export type ZlibLimit = number | 'unlimited' | 'no-option';

/** The allocators: glibc's malloc as is, glibc with two arenas, and jemalloc preloaded. */
export const ALLOCATORS = ['glibc', 'glibc-arenas-2', 'jemalloc'] as const;
export type Allocator = (typeof ALLOCATORS)[number];

/** Debian's libjemalloc2, preloaded into the server's process for the jemalloc cells. */
export const JEMALLOC_LIBRARY = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

/** Repeats per cell in the recorded plan. */
export const ZLIB_REPEATS = 3;

/** The burst every cell sends; fixed before any run (see ZLIB_LOAD). */
export interface ZlibLoad {
  connections: number;
  messagesPerConnection: number;
  /** Characters per message (ASCII JSON, so bytes too). */
  messageBytes: number;
  seed: number;
  /** Pause between the two forced collections after the burst. */
  settleMs: number;
}

/**
 * The burst, fixed before measuring:
 * - 200 connections: twenty times ws's default limit of 10, so without a limit far more deflate
 *   jobs can be in flight at once than with one (ws compresses one message at a time per
 *   connection, so connections bound the jobs in flight); 400 sockets over two processes, far
 *   under the file-descriptor limit;
 * - 16 KiB messages of telemetry-like JSON (compressible, as most socket traffic is): well above ws
 *   3.x's 1024-byte threshold, so every message is compressed, and the size chapter 7 exchanges;
 * - 20 messages per connection, 4,000 in all (62.5 MiB of text): a burst long enough for a 10 ms
 *   RSS poll to catch its peak, short enough that a cell takes a few seconds;
 * - 500 ms between two forced collections: the "short settle" after the burst.
 * The server's live memory stays in the hundreds of MiB (200 deflate contexts, the queued
 * messages), far under the 8 GiB budget.
 */
export const ZLIB_LOAD: ZlibLoad = {
  connections: 200,
  messagesPerConnection: 20,
  messageBytes: 16 * KiB,
  seed: 1,
  settleMs: 500,
};

/** One cell of the plan. */
export interface ZlibCell {
  ws: string;
  limit: ZlibLimit;
  allocator: Allocator;
  load: ZlibLoad;
}

/** VmRSS polled from outside the server during its burst. */
export interface RssPoll {
  intervalMs: number;
  /** VmRSS at each poll, KiB, in order. */
  kib: number[];
}

/** One measured cell: raw samples and controls, plain JSON. */
export interface ZlibCellResult {
  cell: ZlibCell;
  startedAt: string;
  /** Wall time of the whole cell, start of the processes to their exit. */
  elapsedMs: number;
  versions: { ws: string; node: string };
  memory: {
    /** After the connections opened, after a forced GC: before any message. */
    baseline: MemorySnapshot;
    /** Right after ws had written the last message. */
    afterBurst: MemorySnapshot;
    /** After a forced GC, the settle, and another. */
    afterSettle: MemorySnapshot;
    /** The server's VmHWM after the burst, reset just before it, bytes. */
    peakRss: number;
    poll: RssPoll;
  };
  burstMs: number;
  controls: {
    connections: { asked: number; opened: number; serverSaw: number; deflateServer: number; deflateClient: number };
    messages: { sent: number; delivered: number; compressed: number; sentDigest: string; deliveredDigest: string };
    limit: {
      /** Whether the installed PerMessageDeflate.js reads a `concurrencyLimit` option. */
      sourceHasOption: boolean;
      /** What the server passed ws. */
      optionPassed: ConcurrencyOption;
      /** The option as each connection's PerMessageDeflate held it, distinct values as text. */
      optionSeen: string[];
      /** The concurrency of the limiter ws built, or null when it built none. */
      limiterConcurrency: number | 'unlimited' | null;
      /** Most compressions in flight at once. */
      peakInFlight: number;
    };
    allocator: {
      ldPreload: string | null;
      mallocArenaMax: string | null;
      jemallocMapped: boolean;
      /** glibc arena heaps mapped into the server's process after the burst (none under jemalloc). */
      arenaHeaps: number;
    };
  };
}

const SERVER = path.join(__dirname, 'zlib-server.js');
const CLIENTS = path.join(__dirname, 'zlib-clients.js');
/** A step of a child that takes longer than this fails the cell. */
const STEP_LIMIT_MS = CONNECT_DEADLINE_MS;
const STEP = { limitMs: STEP_LIMIT_MS, atLimit: 'keep' } as const;
/** How often the server's VmRSS is read during its burst. */
const POLL_MS = 10;
/** After the server has written the burst, the clients get this long to have received all of it. */
const DELIVERY_LIMIT_MS = 5_000;

/** Where a release's permessage-deflate reads `concurrencyLimit`: the first line that names it, or null when none does. */
export interface ConcurrencyOptionSource {
  ws: string;
  /** The file, as `ws@3.2.0/lib/PerMessageDeflate.js`. */
  file: string;
  lineNumber: number | null;
  line: string | null;
}

/** Reads the installed PerMessageDeflate.js of a release for the option (the plan and the chapter both ask). */
export function readConcurrencyOption(ws: string): ConcurrencyOptionSource {
  const lines = fs
    .readFileSync(path.join(versionPackageDir('ws', ws), 'lib', 'PerMessageDeflate.js'), 'utf8')
    .split('\n');
  const index = lines.findIndex((text) => text.includes('concurrencyLimit'));
  return {
    ws: ws,
    file: `ws@${ws}/lib/PerMessageDeflate.js`,
    lineNumber: index < 0 ? null : index + 1,
    line: index < 0 ? null : lines[index].trim(),
  };
}

/**
 * The plan: each release × the limits it has (ZLIB_LIMITS where its source reads
 * `concurrencyLimit`, else 'no-option') × each allocator, at ZLIB_LOAD. Decided from the
 * installed source, so a release is never run with an option it would ignore.
 */
export function zlibPlan(load: ZlibLoad = ZLIB_LOAD): ZlibCell[] {
  return ZLIB_WS_VERSIONS.flatMap((ws) => {
    const limits: readonly ZlibLimit[] = readConcurrencyOption(ws).line ? ZLIB_LIMITS : ['no-option'];
    return limits.flatMap((limit) => ALLOCATORS.map((allocator) => ({ ws, limit, allocator, load })));
  });
}

/** The cells `repeats` times, round-robin (every cell once, then again), so slow drift spreads over all cells. */
export function zlibSchedule(cells: readonly ZlibCell[], repeats: number = ZLIB_REPEATS): ZlibCell[] {
  return Array.from({ length: repeats }, () => cells).flat();
}

/** The allocator's variables for the server's process; undefined removes one the parent may have. */
export function allocatorEnv(allocator: Allocator): Record<string, string | undefined> {
  return {
    LD_PRELOAD: allocator === 'jemalloc' ? JEMALLOC_LIBRARY : undefined,
    MALLOC_ARENA_MAX: allocator === 'glibc-arenas-2' ? '2' : undefined,
    // Node's default thread pool, which the reports ran with: a parent's setting must not change the cell.
    UV_THREADPOOL_SIZE: '4',
  };
}

/** Checks a cell before anything starts: one line naming what is wrong and what is accepted. */
export function assertZlibCell(cell: ZlibCell): void {
  if (!(ALLOCATORS as readonly string[]).includes(cell.allocator))
    throw new InputError(`allocator "${cell.allocator}": use one of ${ALLOCATORS.join(', ')}`);
  const hasOption = readConcurrencyOption(cell.ws).line !== null;
  if (hasOption && cell.limit === 'no-option')
    throw new InputError(`limit "no-option" for ws ${cell.ws}: it reads concurrencyLimit, use one of 1, 10, unlimited`);
  if (!hasOption && cell.limit !== 'no-option')
    throw new InputError(`limit ${cell.limit} for ws ${cell.ws}: it has no concurrencyLimit option, use "no-option"`);
  if (typeof cell.limit === 'number' && !(Number.isInteger(cell.limit) && cell.limit >= 1))
    throw new InputError(`limit ${cell.limit}: use a whole number of at least 1, "unlimited" or "no-option"`);
  const { connections, messagesPerConnection, messageBytes, settleMs } = cell.load;
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= 1000))
    throw new InputError(`connections ${connections}: use a whole number from 1 to 1000`);
  if (!(Number.isInteger(messagesPerConnection) && messagesPerConnection >= 1 && messagesPerConnection <= 1000))
    throw new InputError(`messagesPerConnection ${messagesPerConnection}: use a whole number from 1 to 1000`);
  if (!(Number.isInteger(messageBytes) && messageBytes >= 1 * KiB && messageBytes <= 1024 * KiB))
    throw new InputError(`messageBytes ${messageBytes}: use a whole number of bytes from 1 KiB to 1 MiB`);
  if (!(Number.isInteger(settleMs) && settleMs >= 0 && settleMs <= 10_000))
    throw new InputError(`settleMs ${settleMs}: use a whole number of ms from 0 to 10000`);
  if (cell.allocator === 'jemalloc' && !fs.existsSync(JEMALLOC_LIBRARY))
    throw new InputError(
      `allocator jemalloc: ${JEMALLOC_LIBRARY} is missing: install Debian's libjemalloc2 (scripts/setup)`,
    );
}

function concurrencyOption(limit: ZlibLimit): ConcurrencyOption {
  return limit === 'no-option' ? 'unset' : limit;
}

/** Reads VmRSS of `pid` every POLL_MS until stopped. */
function pollRss(pid: number): { stop(): RssPoll } {
  const kib: number[] = [];
  const read = () => {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) kib.push(Number(match[1]));
    } catch {
      // The process is gone: the cell fails on its own account.
    }
  };
  read();
  const timer = setInterval(read, POLL_MS);
  return {
    stop() {
      clearInterval(timer);
      read();
      return { intervalMs: POLL_MS, kib: kib };
    },
  };
}

type Reply<T extends ZlibServerReply['type']> = Extract<ZlibServerReply, { type: T }>;
type ClientsReply<T extends ZlibClientsReply['type']> = Extract<ZlibClientsReply, { type: T }>;

/** Every reply of one cell's steps, in order. */
interface BurstReplies {
  started: Reply<'started'>;
  opened: ClientsReply<'opened'>;
  baseline: Reply<'sampled'>;
  burst: Reply<'burst-done'>;
  polled: RssPoll;
  received: ClientsReply<'received'>;
  settled: Reply<'settled'>;
  stopped: Reply<'stopped'>;
}

/** The cell's steps: start, connect, baseline, burst (polled), delivery, settle, stop. */
async function burstSteps(
  cell: ZlibCell,
  server: ChildHost<ZlibServerRequest, ZlibServerReply>,
  clients: ChildHost<ZlibClientsRequest, ZlibClientsReply>,
): Promise<BurstReplies> {
  const { load } = cell;
  const option = concurrencyOption(cell.limit);
  const started = await server.ask({ type: 'start', ws: cell.ws, concurrencyLimit: option }, 'started', STEP);
  const opened = await clients.ask({ type: 'open', url: started.url, count: load.connections }, 'opened', STEP);
  const baseline = await server.ask({ type: 'sample' }, 'sampled', STEP);
  const poll = pollRss(started.pid);
  let polled: RssPoll;
  let burst: Reply<'burst-done'>;
  try {
    const { messagesPerConnection, messageBytes, seed } = load;
    burst = await server.ask(
      { type: 'burst', messagesPerConnection: messagesPerConnection, messageBytes: messageBytes, seed: seed },
      'burst-done',
      STEP,
    );
  } finally {
    polled = poll.stop();
  }
  const messages = load.connections * load.messagesPerConnection;
  const received = await clients.ask(
    { type: 'await', messages: messages, limitMs: DELIVERY_LIMIT_MS },
    'received',
    STEP,
  );
  const settled = await server.ask({ type: 'settle', settleMs: load.settleMs }, 'settled', STEP);
  const stopped = await server.ask({ type: 'stop' }, 'stopped', STEP);
  return { started, opened, baseline, burst, polled, received, settled, stopped };
}

function cellResult(cell: ZlibCell, startedAt: string, elapsedMs: number, r: BurstReplies): ZlibCellResult {
  return {
    cell: cell,
    startedAt: startedAt,
    elapsedMs: elapsedMs,
    versions: { ws: r.started.wsVersion, node: r.started.node },
    memory: {
      baseline: r.baseline.memory,
      afterBurst: r.burst.memory,
      afterSettle: r.settled.memory,
      peakRss: r.burst.peakRss,
      poll: r.polled,
    },
    burstMs: r.burst.burstMs,
    controls: {
      connections: {
        asked: cell.load.connections,
        opened: r.opened.open,
        serverSaw: r.stopped.connections,
        deflateServer: r.stopped.deflateConnections,
        deflateClient: r.opened.deflate,
      },
      messages: {
        sent: r.burst.sent,
        delivered: r.received.delivered,
        compressed: r.stopped.work.compressed,
        sentDigest: r.burst.sentDigest,
        deliveredDigest: r.received.deliveredDigest,
      },
      limit: {
        sourceHasOption: readConcurrencyOption(cell.ws).line !== null,
        optionPassed: concurrencyOption(cell.limit),
        optionSeen: r.stopped.optionSeen,
        limiterConcurrency: r.stopped.limiterConcurrency,
        peakInFlight: r.stopped.work.peakInFlight,
      },
      allocator: { ...r.started.allocator, arenaHeaps: r.stopped.arenaHeaps },
    },
  };
}

/** Measures one cell in fresh processes; always tears them down. */
export async function measureZlibCell(cell: ZlibCell): Promise<ZlibCellResult> {
  assertZlibCell(cell);
  assertMeasuring('a zlib burst server');
  const startedAt = new Date().toISOString();
  const began = performance.now();
  // The allocator's variables go to the server's environment alone: they act when a process starts.
  const server = new ChildHost<ZlibServerRequest, ZlibServerReply>(SERVER, {
    name: 'zlib server',
    execArgv: ['--expose-gc'],
    env: allocatorEnv(cell.allocator),
  });
  const clients = new ChildHost<ZlibClientsRequest, ZlibClientsReply>(CLIENTS, { name: 'zlib clients' });
  let replies: BurstReplies;
  try {
    replies = await burstSteps(cell, server, clients);
  } finally {
    await Promise.all([server.close(STEP_LIMIT_MS, { type: 'stop' }), clients.close(STEP_LIMIT_MS, { type: 'exit' })]);
  }
  // The whole cell, processes' exit included: what a recording of the plan pays per cell.
  return cellResult(cell, startedAt, performance.now() - began, replies);
}

// ---- judging a stored result -------------------------------------------------------------------

/** The figures a result gives, recomputed from its raw samples. */
export interface ZlibFigures {
  /** The larger of the server's VmHWM and the highest VmRSS polled during the burst, bytes. */
  peakRss: number;
  afterBurstRss: number;
  afterSettleRss: number;
  /** What the burst left in RSS after GC and the settle: after-settle minus baseline, bytes. */
  retainedRss: number;
}

/** A result judged again: its figures, and every control that failed, worded. */
export interface ZlibJudgement {
  valid: boolean;
  problems: string[];
  figures: ZlibFigures;
}

/** The figures of one result, from its raw samples. */
export function zlibFigures(result: ZlibCellResult): ZlibFigures {
  const { memory } = result;
  const polled = memory.poll.kib.length > 0 ? Math.max(...memory.poll.kib) * 1024 : 0;
  return {
    peakRss: Math.max(memory.peakRss, polled),
    afterBurstRss: memory.afterBurst.rss,
    afterSettleRss: memory.afterSettle.rss,
    retainedRss: memory.afterSettle.rss - memory.baseline.rss,
  };
}

/** The largest numeric limit the plan tries: a run without a limit must exceed it to show none acted. */
const LARGEST_LIMIT = Math.max(...ZLIB_LIMITS.filter((l): l is Exclude<typeof l, 'unlimited'> => l !== 'unlimited'));

function limitProblems(result: ZlibCellResult): string[] {
  const { limit } = result.cell;
  const seen = result.controls.limit;
  const problems: string[] = [];
  const expectSeen = limit === 'no-option' ? 'absent' : limit === 'unlimited' ? 'Infinity' : String(limit);
  if (seen.sourceHasOption !== (limit !== 'no-option'))
    problems.push(
      `ws ${result.cell.ws}'s source ${seen.sourceHasOption ? 'reads' : 'does not read'} concurrencyLimit, yet the cell's limit is ${limit}`,
    );
  if (seen.optionSeen.length !== 1 || seen.optionSeen[0] !== expectSeen)
    problems.push(
      `ws's connections held concurrencyLimit ${seen.optionSeen.join(', ') || '(none)'}, not ${expectSeen}`,
    );
  const expectLimiter = limit === 'no-option' ? null : limit;
  if (seen.limiterConcurrency !== expectLimiter)
    problems.push(
      `ws's limiter ran with concurrency ${seen.limiterConcurrency ?? '(no limiter)'}, not ${expectLimiter ?? '(no limiter)'}`,
    );
  const connections = result.cell.load.connections;
  if (typeof limit === 'number') {
    if (seen.peakInFlight > limit)
      problems.push(`${seen.peakInFlight} compressions ran at once, over the limit of ${limit}`);
    else if (connections >= limit && seen.peakInFlight < limit)
      problems.push(`at most ${seen.peakInFlight} compressions ran at once: the limit of ${limit} was never reached`);
  } else if (connections > LARGEST_LIMIT && seen.peakInFlight <= LARGEST_LIMIT) {
    problems.push(
      `at most ${seen.peakInFlight} compressions ran at once without a limit: no more than a limit of ${LARGEST_LIMIT} allows`,
    );
  }
  return problems;
}

function allocatorProblems(result: ZlibCellResult): string[] {
  const { allocator } = result.cell;
  const seen = result.controls.allocator;
  const problems: string[] = [];
  const wantJemalloc = allocator === 'jemalloc';
  if (seen.jemallocMapped !== wantJemalloc)
    problems.push(`jemalloc was ${seen.jemallocMapped ? '' : 'not '}mapped into the server's process (${allocator})`);
  if ((seen.ldPreload === JEMALLOC_LIBRARY) !== wantJemalloc)
    problems.push(`the server's LD_PRELOAD was ${seen.ldPreload ?? 'unset'} (${allocator})`);
  // Under jemalloc glibc's malloc serves no thread, so it maps no arena heap; under glibc the
  // thread pool's allocations have arenas of their own, which is what the reports blamed.
  if (wantJemalloc ? seen.arenaHeaps !== 0 : seen.arenaHeaps < 1)
    problems.push(`the server's process had ${seen.arenaHeaps} glibc arena heaps (${allocator})`);
  const arenas = allocator === 'glibc-arenas-2' ? '2' : null;
  if (seen.mallocArenaMax !== arenas)
    problems.push(
      `the server's MALLOC_ARENA_MAX was ${seen.mallocArenaMax ?? 'unset'}, not ${arenas ?? 'unset'} (${allocator})`,
    );
  return problems;
}

function trafficProblems(result: ZlibCellResult): string[] {
  const { connections: c, messages: m } = result.controls;
  const { connections, messagesPerConnection } = result.cell.load;
  const problems: string[] = [];
  for (const [what, count] of [
    ['opened', c.opened],
    ['seen by the server', c.serverSaw],
    ['with deflate accepted by the server', c.deflateServer],
    ['with deflate in the client handshake answer', c.deflateClient],
  ] as const) {
    if (count !== connections) problems.push(`${count} of ${connections} connections ${what}`);
  }
  const messages = connections * messagesPerConnection;
  if (m.sent !== messages) problems.push(`${m.sent} of ${messages} messages sent`);
  if (m.delivered !== m.sent) problems.push(`${m.delivered} of ${m.sent} messages delivered`);
  if (m.compressed !== m.sent) problems.push(`${m.compressed} of ${m.sent} messages compressed`);
  if (m.sentDigest !== m.deliveredDigest) problems.push('what the clients received differs from what the server sent');
  return problems;
}

function memoryProblems(result: ZlibCellResult): string[] {
  const { memory } = result;
  const problems: string[] = [];
  for (const [name, sample] of Object.entries({
    baseline: memory.baseline,
    'after the burst': memory.afterBurst,
    'after the settle': memory.afterSettle,
  })) {
    if (!Object.values(sample).every((v) => Number.isFinite(v) && v >= 0) || !(sample.rss > 0))
      problems.push(`the memory sample ${name} is not a set of byte counts`);
  }
  if (memory.poll.kib.length < 2)
    problems.push(`the RSS poll took ${memory.poll.kib.length} reading(s) during the burst`);
  // VmHWM is read after the after-burst sample, from the same kernel counter: it cannot be lower.
  if (!(memory.peakRss >= memory.afterBurst.rss * 0.99))
    problems.push(`the peak RSS (${memory.peakRss}) is below the RSS after the burst (${memory.afterBurst.rss})`);
  return problems;
}

/** Judges a stored result again from its raw samples and controls (for check-data, and the chapter). */
export function judgeZlibResult(result: ZlibCellResult): ZlibJudgement {
  const problems = [
    ...trafficProblems(result),
    ...limitProblems(result),
    ...allocatorProblems(result),
    ...memoryProblems(result),
  ];
  return { valid: problems.length === 0, problems: problems, figures: zlibFigures(result) };
}

/** The name of a cell, for tables and messages: `ws 3.2.0, limit 10, jemalloc`. */
export function zlibCellName(cell: Pick<ZlibCell, 'ws' | 'limit' | 'allocator'>): string {
  const limit = cell.limit === 'no-option' ? 'no limit option' : `limit ${cell.limit}`;
  return `ws ${cell.ws}, ${limit}, ${cell.allocator}`;
}

/** The plan's cells that have fewer than `repeats` valid results among `results` (same load), with their count. */
export function zlibShortfall(
  results: readonly ZlibCellResult[],
  cells: readonly ZlibCell[],
  repeats: number = ZLIB_REPEATS,
): { cell: ZlibCell; valid: number }[] {
  return cells
    .map((cell) => ({
      cell: cell,
      valid: results.filter((r) => isDeepStrictEqual(r.cell, cell) && judgeZlibResult(r).valid).length,
    }))
    .filter((c) => c.valid < repeats);
}
