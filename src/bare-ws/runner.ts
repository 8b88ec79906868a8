/**
 * One bare-ws run: a bare ws server of one installed release in this process (with
 * the pool watch attached, optional CPU load, optional runtime fix), bare clients in a forked
 * process sending fragmented compressed messages back to back, the wire watched for the positive
 * controls. Bounded in time; everything is closed and restored before it returns a record.
 */
import { classifyBareWs, type BareWsClassification } from '../traffic/failure-rule';
import {
  emptyWireCounts,
  positiveControls,
  WireObserver,
  type Controls,
  type Handshake,
  type WireCounts,
} from '../observe/wire';
import { payload, variantCount } from '../traffic/payloads';
import { newRecordId, recordEnvelope, writeRunRecord, type RecordBase, type RecordOption } from '../core/records';
import { occupyEventLoop, type BusyReport } from './event-loop-load';
import { CLOSE_WAIT_MS } from '../clients/bare';
import { applyRuntimeFix, endPacketSource, fixedSource, type RuntimeFix } from './fix';
import { attachPoolWatch, type PoolWatch, type PoolWatchReport } from './pool-watch';
import { SenderHost } from './sender-process';
import { CONNECT_DEADLINE_MS } from '../core/timing';
import { countBy } from '../core/stats';
import type { SenderResult } from './senders';
import type { BareServerError } from '../traffic/failure-rule';
import { startBareServer, type BareServer } from './server';
import { wsRelease } from './versions';
import { assertMeasuring } from '../core/replay';

/** `runtime`: ws 0.8.1's endPacket line applied to the loaded release for the run (./fix). */
export const BARE_WS_FIXES = ['none', 'runtime'] as const;
/** Whether the run applies the one-line fix at run time. */
export type BareWsFix = (typeof BARE_WS_FIXES)[number];

/** Everything that defines a bare-ws run. Sizes in bytes, times in ms. */
export interface BareWsSpec {
  /** An installed ws release, e.g. `0.8.0`. */
  ws: string;
  /** Characters of each message (a PNG data URL, as the 2015 pages sent). */
  frameSize: number;
  /** Compressed bytes per WebSocket frame; at least the compressed message size means unfragmented. */
  fragmentSize: number;
  /** Messages sent back to back per tick. */
  burst: number;
  /** Ticks per second per client. */
  rate: number;
  clients: number;
  duration: number;
  seed: number;
  /** Fraction of the server process's event loop kept busy (./busy), 0 for none. */
  serverLoad: number;
  fix: BareWsFix;
  /**
   * End the send window at the first failure (for time-to-failure), or `failureTailMs` after it;
   * `duration` is then the deadline for a run that does not fail.
   */
  stopOnFirstFailure?: boolean;
  /** With stopOnFirstFailure: how long sending goes on after the first failure (default 0). */
  failureTailMs?: number;
}

/** The measured outcome of one run. */
export interface BareWsResult {
  /** `failed` means the run itself could not complete (not that ws failed). */
  status: 'completed' | 'failed';
  runError?: string;
  /** Epoch ms when sending started and stopped. */
  sendWindow: { start: number; end: number };
  sent: number;
  notSent: number;
  delivered: number;
  verified: number;
  corrupted: number;
  /** Every server-side connection error of the run, in order. */
  serverErrors: BareServerError[];
  /** The errors judged failures (src/traffic/failure-rule), counted by message. */
  errorCounts: Record<string, number>;
  /** Failing errors whose message is `invalid compressed data`: the 2015 failure. */
  compressedDataErrors: number;
  /** Epoch ms of the first corrupted delivery; absent when none. */
  firstCorruptAt?: number;
  /** Failing server errors plus corrupted deliveries, under src/traffic/failure-rule. */
  failures: number;
  /** ms from the start of sending to the first failure; null when none. */
  firstFailureMs: number | null;
  /** The failure rule's verdict when recorded. */
  judgement: Omit<BareWsClassification, 'failingErrors'>;
  clientDisconnects: number;
  connections: number;
  wire: WireCounts;
  handshakes: Handshake[];
  controls: Controls;
  /** The pool watch's counts (the field keeps its first name, so recorded runs stay readable). */
  probe: PoolWatchReport;
  serverLoad: BusyReport;
  /** Whether the runtime fix was in place, and the line it ran. */
  fix: { applied: boolean; line?: string };
  /** CPU of this (the server's) process during the run; the senders run in their own. */
  cpu: { userMs: number; systemMs: number };
}

/** One bare-ws run's record, as written to `<data dir>/repro/`. */
export interface BareWsRecord extends RecordBase {
  kind: 'repro';
  spec: BareWsSpec;
  release: { version: string; dir: string };
  result: BareWsResult;
}

export interface BareWsOptions {
  /** Called about four times a second while sending. */
  onProgress?: (p: { elapsedMs: number; delivered: number; failures: number }) => void;
  /**
   * Write the record to the data dir (default RECORD_BY_DEFAULT, in src/core/records.ts); a string
   * names a dir. The chapters keep their many small runs in memory and pass false.
   */
  record?: RecordOption;
  quick?: boolean;
  /** A sender process to run the clients in (for a series of runs); without it the run starts and closes its own. */
  senders?: SenderHost;
}

/** The error message ws's Receiver gives when inflate fails: the post's error. */
export const INVALID_COMPRESSED_DATA = 'invalid compressed data';
/** Slack beyond connect + send window + close before a run is cut off and recorded as failed. */
export const BARE_WS_SLACK_MS = 15_000;
const PROGRESS_EVERY_MS = 250;
// A few message sets stay cached: a 1 MiB picture set takes about a second to encode, and a
// chapter runs the same set dozens of times.
const BODY_CACHE_SIZE = 4;
const bodyCache = new Map<string, { key: string; bodies: Buffer[]; crcs: Set<number> }>();

/** The run's hard limit: connect, send, close, and slack. */
export function bareWsLimitMs(duration: number): number {
  return CONNECT_DEADLINE_MS + duration + CLOSE_WAIT_MS + BARE_WS_SLACK_MS;
}

/** The messages a run sends (variantCount(size) data URLs of `size` characters), their checksums, and a key naming the set. */
export function messageBodies(size: number, seed: number): { key: string; bodies: Buffer[]; crcs: Set<number> } {
  const key = `data-url:${size}:${seed}`;
  let set = bodyCache.get(key);
  if (!set) {
    const made = Array.from({ length: variantCount(size) }, (_, v) => payload('data-url', size, seed, v));
    set = { key: key, bodies: made.map((p) => Buffer.from(p.data)), crcs: new Set(made.map((p) => p.crc)) };
    bodyCache.set(key, set);
    if (bodyCache.size > BODY_CACHE_SIZE) bodyCache.delete(bodyCache.keys().next().value as string);
  }
  return set;
}

function emptySenders(): SenderResult {
  return { startedAt: 0, sendEndedAt: 0, sent: 0, notSent: 0, opens: { compressing: 0, plain: 0 }, disconnects: [] };
}

/** Runs one bare-ws scenario, bounded in time; always tears down and restores; returns its record. */
export async function runBareWs(spec: BareWsSpec, options: BareWsOptions = {}): Promise<BareWsRecord> {
  assertMeasuring(`a bare-ws run on ws ${spec.ws}`);
  const startedAt = new Date().toISOString();
  const release = wsRelease(spec.ws);
  // Refused before anything starts: a release without the 0.8.0 line cannot take the fix.
  if (spec.fix === 'runtime') fixedSource(endPacketSource(release));
  const { key, bodies, crcs } = messageBodies(spec.frameSize, spec.seed);
  let fix: RuntimeFix | undefined;
  let poolWatch: PoolWatch | undefined;
  let server: BareServer | undefined;
  let wire: WireObserver | undefined;
  let senders: SenderResult = emptySenders();
  let runError: string | undefined;
  let poolWatchReport: PoolWatchReport | undefined;
  let sendStart = 0;
  const busy = occupyEventLoop(spec.serverLoad);
  const cpuStart = process.cpuUsage();
  let progress: NodeJS.Timeout | undefined;
  let tail: NodeJS.Timeout | undefined;
  let sendingEnded = false;
  let serverLoad: BusyReport | undefined;
  let ownHost: SenderHost | undefined;
  try {
    const host = options.senders ?? (ownHost = new SenderHost());
    if (spec.fix === 'runtime') fix = applyRuntimeFix(release);
    poolWatch = attachPoolWatch(release);
    let stopSenders: (() => void) | undefined;
    // Armed at the first failure: the senders stop a tail later (at once without one).
    const stopAfterFailure = () => {
      if (!spec.stopOnFirstFailure || tail !== undefined || sendingEnded) return;
      tail = setTimeout(() => stopSenders?.(), spec.failureTailMs ?? 0);
    };
    server = await startBareServer(release, crcs, stopAfterFailure);
    wire = new WireObserver(server.http);
    const running = host.run(
      {
        clients: spec.clients,
        rate: spec.rate,
        burst: spec.burst,
        duration: spec.duration,
        fragmentSize: spec.fragmentSize,
      },
      server.url,
      key,
      bodies,
      bareWsLimitMs(spec.duration),
      (t) => {
        sendStart = t;
      },
    );
    stopSenders = running.stop;
    const live = server;
    progress = setInterval(() => {
      const counts = live.counts();
      if (counts.corrupted > 0) stopAfterFailure();
      options.onProgress?.({
        elapsedMs: sendStart ? Date.now() - sendStart : 0,
        delivered: counts.delivered,
        // While sending every error is a failure under the rule: the window is still open.
        failures: classifyBareWs({
          sendWindow: { start: sendStart || Date.now(), end: Infinity },
          serverErrors: counts.errors,
          corrupted: counts.corrupted,
        }).failures,
      });
    }, PROGRESS_EVERY_MS);
    senders = await running.result;
  } catch (error) {
    runError = (error as Error).message;
  } finally {
    sendingEnded = true;
    clearTimeout(tail);
    serverLoad = busy.stop();
    clearInterval(progress);
    poolWatchReport = poolWatch?.report();
    poolWatch?.restore();
    fix?.restore();
    wire?.detach();
    await server?.close();
    await ownHost?.close();
  }
  const cpu = process.cpuUsage(cpuStart);

  const result = bareWsResult({
    runError,
    server,
    wire,
    senders,
    sendStart,
    poolWatchReport,
    serverLoad: serverLoad ?? busy.stop(),
    fix,
    cpu,
  });
  const record: BareWsRecord = {
    ...recordEnvelope({ kind: 'repro', id: newRecordId(`ws${spec.ws}-`), startedAt, quick: options.quick ?? false }),
    spec,
    release: { version: release.version, dir: release.dir },
    result,
  };
  await writeRunRecord(record, options.record);
  return record;
}

/** What a run left for its result, once everything is closed and restored. */
interface BareWsRun {
  runError: string | undefined;
  /** Closed; undefined when it never started. */
  server: BareServer | undefined;
  wire: WireObserver | undefined;
  senders: SenderResult;
  /** When the senders said sending started; 0 when they never did. */
  sendStart: number;
  poolWatchReport: PoolWatchReport | undefined;
  serverLoad: BusyReport;
  fix: RuntimeFix | undefined;
  cpu: NodeJS.CpuUsage;
}

/** The record's result: both sides' counts judged by the failure rule, the positive controls, and the pool watch's counts. */
function bareWsResult(run: BareWsRun): BareWsResult {
  const { runError, server, wire, senders, fix, cpu } = run;
  const counts = server?.counts() ?? { connections: 0, delivered: 0, verified: 0, corrupted: 0, errors: [] };
  const start = senders.startedAt || run.sendStart || Date.now();
  const end = senders.sendEndedAt || Date.now();
  const { failingErrors: errors, ...judgement } = classifyBareWs({
    sendWindow: { start, end },
    serverErrors: counts.errors,
    corrupted: counts.corrupted,
    firstCorruptAt: counts.firstCorruptAt,
  });
  const wireTotals = wire?.totals() ?? emptyWireCounts();
  const handshakes = wire?.handshakes() ?? [];
  return {
    status: runError ? 'failed' : 'completed',
    runError,
    sendWindow: { start, end },
    sent: senders.sent,
    notSent: senders.notSent,
    delivered: counts.delivered,
    verified: counts.verified,
    corrupted: counts.corrupted,
    serverErrors: counts.errors,
    errorCounts: countBy(errors, (e) => e.message),
    compressedDataErrors: errors.filter((e) => e.message === INVALID_COMPRESSED_DATA).length,
    firstCorruptAt: counts.firstCorruptAt,
    failures: judgement.failures,
    firstFailureMs: judgement.firstFailureMs,
    judgement: judgement,
    clientDisconnects: senders.disconnects.length,
    connections: counts.connections,
    wire: wireTotals,
    handshakes,
    controls: positiveControls(wireTotals, handshakes, senders.sent, counts.delivered),
    probe: run.poolWatchReport ?? attachFailedReport(),
    serverLoad: run.serverLoad,
    fix: fix ? { applied: true, line: fixLine(fix) } : { applied: false },
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
  };
}

function fixLine(fix: RuntimeFix): string {
  const after = fix.after.split('\n');
  return (after.find((line, i) => line !== fix.before.split('\n')[i]) ?? '').trim();
}

// The pool watch could not be attached (the run error says why): nothing was counted.
function attachFailedReport(): PoolWatchReport {
  return {
    queued: 0,
    queuedFragmented: 0,
    messages: 0,
    backToBack: 0,
    consumed: 0,
    neverConsumed: 0,
    overwritten: { fragmented: 0, unfragmented: 0 },
    differing: 0,
    differingAtHandOff: 0,
    differingAfterHandOff: 0,
    differingNotOverwritten: 0,
    resets: { fragmented: { keep: 0, fresh: 0 }, unfragmented: { keep: 0, fresh: 0 } },
    errors: [],
    errorsWithDifferingBefore: 0,
    timeline: [],
  };
}
