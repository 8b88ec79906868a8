/**
 * One run is one scenario: stack × client kind × payload × frame size × rate × clients × burst ×
 * deflate × duration. runScenario() starts the stack's server in this process, drives clients (here
 * or in a forked load generator), watches the wire, tears everything down, and returns (and
 * writes) one record with the failures, their underlying errors, and the positive controls.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import zlib from 'node:zlib';
import { servePages } from '../clients/page';
import type { ClientKind } from '../clients/types';
import { classifyScenario, type RunClassification } from './failure-rule';
import { checkFault, injectFault, type ActiveFault, type Fault, type FaultResult } from './faults';
import { runLoad } from './load';
import type { LoadSpec } from './load-spec';
import { emptyLoadResult, type LoadResult } from './load-result';
import { CONNECT_DEADLINE_MS, sleep } from '../core/timing';
import { cpuBetween, readProcessCpu, type ProcessCpu } from '../core/process-cpu';
import { ChildHost } from '../core/child-host';
import { withLimit } from '../core/limit';
import type { LoadReply, LoadRequest } from './loadgen';
import { watchMachineLoad } from '../core/machine-load';
import { deliveryTiming } from './delivery-timing';
import { CountTimeline, READ_GRACE_MS, saturationReasons, type OfferedLoad } from './offered-load';
import { countErrors, instrument, type ErrorCount, type Instrumentation } from '../observe/instrument';
import { positiveControls, WireObserver, type Controls, type Handshake, type WireCounts } from '../observe/wire';

export type { Controls } from '../observe/wire';
import type { DeflateMode } from '../core/params';
import { newRecordId, recordEnvelope, writeRunRecord, type RecordBase, type RecordOption } from '../core/records';
import { loadStack } from '../stacks';
import { countBy, quantileSorted } from '../core/stats';
import type { ServerSocket, Stack, StackServer, WsAddons } from '../stacks/types';
import { assertMeasuring } from '../core/replay';

/** Where the clients run: `forked` keeps the kernel's CPU and memory figures the server's alone. */
export type ClientPlacement = 'in-process' | 'forked';

/** Everything that defines a run. Sizes in bytes, times in ms. */
export interface ScenarioSpec extends LoadSpec {
  client: ClientKind;
  /** `default` leaves the stack's own setting; on/off force it (engine.io 1.5.4: by replacing its WebSocketServer). */
  deflate: DeflateMode | 'default';
  placement: ClientPlacement;
  /** Largest message the server accepts; undefined keeps the stack's default. */
  maxHttpBufferSize?: number;
  /**
   * End the send window at the first failure (for time-to-failure measurements), or `failureTailMs`
   * after it; `duration` is then the deadline for a run that does not fail.
   */
  stopOnFirstFailure?: boolean;
  /** With stopOnFirstFailure: how long sending goes on after the first failure (default 0), so what follows it is seen. */
  failureTailMs?: number;
  /** A fault injected during the run (src/traffic/faults.ts); what it did is in the result's `fault`. */
  fault?: Fault;
}

/** A disconnect as the server saw it, with the error underneath where there was one. */
export interface ServerDisconnect {
  t: number;
  sid: string;
  /** socket.io's reason: `transport error`, `transport close`, `ping timeout`, `parse error`, … */
  reason: string;
  /** The engine.io close description, e.g. `invalid compressed data (1007)`. */
  error?: string;
}

/** The measured outcome of one run. */
export interface ScenarioResult {
  /** `failed` means the run itself could not complete (not that the stack failed). */
  status: 'completed' | 'failed';
  runError?: string;
  /**
   * Epoch ms when sending started and stopped, and when the drain that followed ended (absent in
   * records made before it was stored). src/traffic/failure-rule places each disconnect by this window.
   */
  sendWindow: { start: number; end: number; drainEnd?: number };
  loadMs: number;
  sent: number;
  notSent: number;
  /** Frames the server's handler received. */
  delivered: number;
  /** Delivered frames whose checksum matched. */
  verified: number;
  /** Delivered frames whose bytes differed from what was sent. */
  corrupted: number;
  /** Epoch ms of the first corrupted delivery; absent when none (or in older records). */
  firstCorruptAt?: number;
  acked: number;
  serverDisconnects: ServerDisconnect[];
  clientDisconnects: LoadResult['disconnects'];
  clientConnects: LoadResult['connects'];
  /** Client `browser` only: Chromium, each page's figures, and the client bundle the pages loaded. */
  browser?: LoadResult['browser'];
  /** Counts by underlying error string (`invalid compressed data (1007)`, …). */
  underlyingErrors: Record<string, number>;
  /** Counts by server-side reason. */
  serverReasons: Record<string, number>;
  /** Errors zlib gave the server's ws decompress(), by message and code (`invalid distance code`, Z_DATA_ERROR). */
  zlibErrors: ErrorCount[];
  /** Failures under src/traffic/failure-rule: disconnects on either side judged failures, and corrupted deliveries. */
  failures: number;
  /** ms from the start of sending to the first failure; null when none. */
  firstFailureMs: number | null;
  /** The failure rule's verdict when recorded (absent in older records, which are re-classified when read). */
  judgement?: RunClassification;
  /** The load, counted at each step from the schedule to the ack; absent in records made before it was counted. */
  offered?: OfferedLoad;
  /** Why the run fell short of its load (src/traffic/offered-load.ts); empty when it met it. Absent in older records. */
  saturation?: string[];
  /** Distinct server sessions (a reconnect makes a new one). */
  sessions: number;
  ackRttMs: { p50: number | null; p99: number | null; n: number };
  /** Server process CPU during the load; includes the clients when they ran in-process. */
  cpu: { userMs: number; systemMs: number; includesClients: boolean };
  /**
   * The server process's CPU from /proc (src/core/process-cpu.ts) from the first frame sent to the
   * end of the drain (`wallMs`), split into the main thread and the others (zlib's pool, V8's
   * helpers); absent where /proc cannot tell, and in records made before it was read.
   */
  cpuWhileSending?: { wallMs: number; totalMs: number; mainThreadMs: number; otherThreadsMs: number };
  memory: { rssStart: number; rssEnd: number; heapStart: number; heapEnd: number };
  wire: WireCounts;
  handshakes: Handshake[];
  /** Wire payload bytes (client → server data frames) per payload byte handed to clients. */
  wireRatio: number | null;
  controls: Controls;
  /** The injected fault and what it did; absent when the spec has none. */
  fault?: FaultResult;
}

/** One scenario's record, as written to `<data dir>/scenario/`. */
export interface ScenarioRecord extends RecordBase {
  kind: 'scenario';
  spec: ScenarioSpec;
  stack: { versions: Stack['versions']; addons: { server: WsAddons; client: WsAddons } };
  server: StackServer['settings'];
  result: ScenarioResult;
}

export interface ScenarioOptions {
  /** Called about four times a second while the load runs. */
  onProgress?: (p: { elapsedMs: number; sent: number; delivered: number; failures: number }) => void;
  /** Write the record to the data dir (default RECORD_BY_DEFAULT, in src/core/records.ts); a string names another dir. */
  record?: RecordOption;
  quick?: boolean;
}

/** Slack beyond connect + send window + drain before a run is cut off and recorded as failed. */
export const HARD_LIMIT_SLACK_MS = 30_000;

/** A run's hard limit: connect, send, a drain as long as the send window, and slack. */
export function hardLimitMs(duration: number): number {
  return CONNECT_DEADLINE_MS + 2 * duration + HARD_LIMIT_SLACK_MS;
}
const PROGRESS_EVERY_MS = 250;
/** After a load that ended abnormally, how long the server gets to see its clients' connections end. */
const SERVER_SETTLE_MS = 1000;
const LOADGEN = path.join(__dirname, 'loadgen.js');
/** How long a load generator that has reported gets to exit before it is killed. */
const LOADGEN_EXIT_MS = 5_000;

function describeError(description: unknown): string | undefined {
  if (!(description instanceof Error)) return description === undefined ? undefined : String(description);
  const inner = (description as Error & { description?: unknown }).description;
  if (inner instanceof Error) {
    const code = (inner as Error & { code?: string }).code;
    return `${description.message}: ${inner.message}${code ? ` (${code})` : ''}`;
  }
  return inner === undefined ? description.message : `${description.message} (${String(inner)})`;
}

/** Tracks what the server's application sees: frames verified, sessions, and how they ended. */
class ServerSide {
  delivered = 0;
  verified = 0;
  corrupted = 0;
  firstCorruptAt: number | undefined;
  readonly sessions = new Set<string>();
  readonly disconnects: ServerDisconnect[] = [];
  /** Called at every disconnect and at the first corrupted frame, as it happens. */
  onFailure?: () => void;

  /** Waits (at most `ms`) until every session has ended. */
  async settle(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (new Set(this.disconnects.map((d) => d.sid)).size < this.sessions.size && Date.now() < until) await sleep(20);
  }

  attach(server: StackServer): void {
    server.onConnection((socket: ServerSocket) => {
      const sid = socket.conn.id;
      this.sessions.add(sid);
      let closeError: string | undefined;
      // Prepended: socket.io's own close listener runs first otherwise, and emits 'disconnect'
      // before the description could be read.
      socket.conn.prependListener('close', (_reason: string, description: unknown) => {
        closeError = describeError(description);
      });
      socket.on('disconnect', (reason: string) => {
        this.disconnects.push({ t: Date.now(), sid, reason, error: closeError });
        this.onFailure?.();
      });
      socket.on(
        'frame',
        (meta: { seq?: number; crc?: number; length?: number } | undefined, data: unknown, ack: unknown) => {
          this.delivered++;
          const bytes = typeof data === 'string' || Buffer.isBuffer(data) ? data : undefined;
          const ok = bytes !== undefined && meta?.crc === zlib.crc32(bytes) && meta.length === bytes.length;
          if (ok) this.verified++;
          else {
            this.corrupted++;
            if (this.firstCorruptAt === undefined) {
              this.firstCorruptAt = Date.now();
              this.onFailure?.();
            }
          }
          if (typeof ack === 'function') ack({ seq: meta?.seq, ok });
        },
      );
    });
  }
}

/** Runs the clients in a child process; resolves with what they saw, once the child has left. */
async function forkLoad(
  spec: LoadSpec,
  url: string,
  onTick: (sent: number, acked: number, handed: number | null) => void,
  stop: AbortSignal,
  limitMs: number,
  onChild?: (child: ChildProcess) => void,
): Promise<LoadResult> {
  const loadgen = new ChildHost<LoadRequest, LoadReply>(LOADGEN, {
    name: 'load generator',
    exitMessage: (code, signal) =>
      signal
        ? `load generator was killed (${signal}) before reporting`
        : `load generator exited (${code}) before reporting`,
  });
  onChild?.(loadgen.child);
  const onAbort = () => loadgen.post({ type: 'stop' });
  stop.addEventListener('abort', onAbort, { once: true });
  try {
    const reply = await loadgen.ask({ type: 'start', spec, url }, 'done', {
      limitMs: limitMs,
      limitError: () => new Error(`load generator did not finish within ${limitMs} ms and was killed`),
      progress: { tick: (tick) => onTick(tick.sent, tick.acked, tick.handed) },
    });
    return reply.result;
  } finally {
    stop.removeEventListener('abort', onAbort);
    // It leaves by itself once it has reported (or been killed): this waits for that, no longer.
    await loadgen.close(LOADGEN_EXIT_MS);
  }
}

/** Runs one scenario, bounded in time; always tears down; returns (and by default writes) its record. */
export async function runScenario(spec: ScenarioSpec, options: ScenarioOptions = {}): Promise<ScenarioRecord> {
  assertMeasuring(`a scenario on ${spec.stack}`);
  const startedAt = new Date().toISOString();
  const machineLoad = watchMachineLoad();
  if (spec.fault) checkFault(spec.fault, spec);
  const stack = loadStack(spec.stack);
  const { server, wire, serverSide, fault } = await startServer(spec, stack);
  const run = await driveClients(spec, fault?.url ?? server.url, stack, serverSide, fault, options.onProgress);
  const faultOutcome = await fault?.finish();
  wire.detach();
  await server.close();
  const record: ScenarioRecord = {
    ...recordEnvelope({
      kind: 'scenario',
      id: newRecordId(`${spec.stack.replace(/[^A-Za-z0-9.]/g, '_')}-`),
      startedAt,
      quick: options.quick ?? false,
      machineLoad: machineLoad,
    }),
    spec,
    stack: { versions: stack.versions, addons: stack.addons },
    server: server.settings,
    result: scenarioResult(spec, run, serverSide, wire, faultOutcome),
  };
  await writeRunRecord(record, options.record);
  return record;
}

/** The LoadSpec part of a scenario: what the clients need, without the server's and the run's settings. */
function loadPartOf(spec: ScenarioSpec): LoadSpec {
  const { deflate, placement, maxHttpBufferSize, stopOnFirstFailure, failureTailMs, fault, ...load } = spec;
  return load;
}

/** The stack's server, watched (wire, application) and, when the spec has one, with its fault injected. */
async function startServer(spec: ScenarioSpec, stack: Stack) {
  const server = await stack.createServer({
    deflate: spec.deflate,
    maxHttpBufferSize: spec.maxHttpBufferSize,
    onRequest: spec.client === 'browser' ? servePages : undefined,
  });
  const wire = new WireObserver(server.http);
  const serverSide = new ServerSide();
  serverSide.attach(server);
  const fault = spec.fault
    ? await injectFault(spec.fault, server).catch(async (error: unknown) => {
        wire.detach();
        await server.close();
        throw error;
      })
    : undefined;
  return { server, wire, serverSide, fault };
}

/** What the clients' side of a run measured, for scenarioResult(). */
interface ClientsRun {
  load: LoadResult;
  runError: string | undefined;
  /** Frames sent by the last progress report: the count of a load that failed before reporting. */
  sentSoFar: number;
  t0: number;
  /** When the load ended, or failed: the end of the send window of a load that reported none. */
  loadEnded: number;
  /** The server's decompress, restored; read after the teardown, as calls in flight still report their errors. */
  decompress: Instrumentation;
  handedTimeline: CountTimeline;
  readTimeline: CountTimeline;
  cpu: NodeJS.CpuUsage;
  cpuWhileSending: ScenarioResult['cpuWhileSending'];
  memStart: NodeJS.MemoryUsage;
  memEnd: NodeJS.MemoryUsage;
}

/**
 * Drives the clients (here or forked) against `url` within the run's hard limit, with progress,
 * and, when the spec asks, ends the send window at the first failure (or a tail after it).
 */
async function driveClients(
  spec: ScenarioSpec,
  url: string,
  stack: Stack,
  serverSide: ServerSide,
  fault: ActiveFault | undefined,
  onProgress: ScenarioOptions['onProgress'],
): Promise<ClientsRun> {
  const loadSpec = loadPartOf(spec);
  const limitMs = hardLimitMs(spec.duration);
  const stop = new AbortController();
  let sentSoFar = 0;
  // Sampled as the run goes, to read both counts off at the first failure once it is known.
  const handedTimeline = new CountTimeline();
  const readTimeline = new CountTimeline();
  let load: LoadResult = emptyLoadResult(null);
  let runError: string | undefined;
  // Counts the errors zlib hands to the server's decompress callback; restored after the run.
  const decompress = instrument(
    stack.serverPerMessageDeflate.prototype,
    'decompress',
    { callbackArg: 2 },
    { keepCalls: 0 },
  );
  const memStart = process.memoryUsage();
  const cpuStart = process.cpuUsage();
  const t0 = Date.now();
  // While sending, every disconnect is a failure under the rule: the window is still open.
  const failuresNow = () =>
    classifyScenario({
      sendWindow: { start: t0, end: Infinity },
      serverDisconnects: serverSide.disconnects,
      clientDisconnects: [],
      corrupted: serverSide.corrupted,
    }).failures;
  // Armed at the first failure, as it happens: the send window ends a tail later (at once without one).
  let tail: NodeJS.Timeout | undefined;
  let loading = true;
  const stopAfterFailure = (failures: number) => {
    if (loading && failures > 0 && spec.stopOnFirstFailure && tail === undefined)
      tail = setTimeout(() => stop.abort(), spec.failureTailMs ?? 0);
  };
  serverSide.onFailure = () => {
    readTimeline.record(Date.now(), serverSide.delivered);
    stopAfterFailure(failuresNow());
  };
  const progress = setInterval(() => {
    const failures = failuresNow();
    stopAfterFailure(failures);
    readTimeline.record(Date.now(), serverSide.delivered);
    onProgress?.({ elapsedMs: Date.now() - t0, sent: sentSoFar, delivered: serverSide.delivered, failures });
  }, PROGRESS_EVERY_MS);
  // Read at the first tick: the connects before it are not the load's work.
  let sendingFrom: { at: number; cpu: ProcessCpu | null } | undefined;
  const onTick = (sent: number, _acked: number, handed: number | null) => {
    sendingFrom ??= { at: Date.now(), cpu: readProcessCpu() };
    sentSoFar = sent;
    handedTimeline.record(Date.now(), handed ?? sent);
    fault?.sendingStarted();
  };
  try {
    load =
      spec.placement === 'forked'
        ? await forkLoad(loadSpec, url, onTick, stop.signal, limitMs, (child) => fault?.loadGenerator(child))
        : await withLimit(
            runLoad(loadSpec, url, onTick, stop.signal),
            limitMs,
            (ms) => `the load exceeded its hard limit of ${ms} ms`,
          );
  } catch (error) {
    runError = (error as Error).message;
    // The clients are gone (their generator killed) or stuck: the server gets a moment to see
    // their connections end, so it records why rather than the teardown's 'forced close'.
    await serverSide.settle(SERVER_SETTLE_MS);
  } finally {
    loading = false;
    clearInterval(progress);
    clearTimeout(tail);
    decompress.restore();
  }
  // When the load failed it reported no window: the window then ends here, before the teardown.
  const loadEnded = Date.now();
  const cpuEnd = readProcessCpu();
  const cpuWhileSending =
    sendingFrom?.cpu && cpuEnd
      ? { wallMs: loadEnded - sendingFrom.at, ...cpuBetween(sendingFrom.cpu, cpuEnd) }
      : undefined;
  const cpu = process.cpuUsage(cpuStart);
  const memEnd = process.memoryUsage();
  return {
    load,
    runError,
    sentSoFar,
    t0,
    loadEnded,
    decompress,
    handedTimeline,
    readTimeline,
    cpu,
    cpuWhileSending,
    memStart,
    memEnd,
  };
}

/** The record's result: the run's counts from both sides, judged by the failure rule, with the positive controls. */
function scenarioResult(
  spec: ScenarioSpec,
  run: ClientsRun,
  serverSide: ServerSide,
  wire: WireObserver,
  faultOutcome: FaultResult | undefined,
): ScenarioResult {
  const { load, runError, cpu, memStart, memEnd } = run;
  const sendStart = load.startedAt || run.t0;
  const sendEnd = load.sendEndedAt || run.loadEnded;
  const sendWindow = { start: sendStart, end: sendEnd, drainEnd: load.drainEndedAt || sendEnd };
  const wireTotals = wire.totals();
  const handshakes = wire.handshakes();
  const sortedRtt = [...load.rtt].sort((a, b) => a - b);
  const judgement = classifyScenario({
    sendWindow: sendWindow,
    serverDisconnects: serverSide.disconnects,
    clientDisconnects: load.disconnects,
    corrupted: serverSide.corrupted,
    firstCorruptAt: serverSide.firstCorruptAt,
  });
  const firstFailureAt = judgement.firstFailureMs === null ? undefined : sendStart + judgement.firstFailureMs;
  // A failing run is judged up to READ_GRACE_MS before its first failure, as its reads are.
  const spanEnd = firstFailureAt === undefined ? sendEnd : Math.max(sendStart, firstFailureAt - READ_GRACE_MS);
  const acks = load.ackAt.map((ackedAt, i) => ({ sentAt: ackedAt - load.rtt[i], ackedAt: ackedAt }));
  const offered: OfferedLoad = {
    nominal: load.nominal,
    ticksMissed: load.ticksMissed,
    sent: load.sent,
    offline: load.notSent - load.backlogFull,
    backlogFull: load.backlogFull,
    handed: load.handed,
    serverRead: serverSide.delivered,
    acked: load.acked,
    atFirstFailure:
      firstFailureAt === undefined
        ? null
        : {
            handed: run.handedTimeline.at(firstFailureAt - READ_GRACE_MS),
            serverRead: run.readTimeline.at(firstFailureAt),
          },
    timing: deliveryTiming(acks, sendStart, spanEnd - sendStart),
  };
  return {
    status: runError ? 'failed' : 'completed',
    runError,
    sendWindow,
    loadMs: sendEnd - sendStart,
    // A load that failed (its generator killed, say) never reported its totals: its last progress
    // report is the best count of what it sent.
    sent: runError ? Math.max(load.sent, run.sentSoFar) : load.sent,
    notSent: load.notSent,
    delivered: serverSide.delivered,
    verified: serverSide.verified,
    corrupted: serverSide.corrupted,
    firstCorruptAt: serverSide.firstCorruptAt,
    acked: load.acked,
    serverDisconnects: serverSide.disconnects,
    clientDisconnects: load.disconnects,
    clientConnects: load.connects,
    browser: load.browser,
    underlyingErrors: countBy(serverSide.disconnects, (d) => d.error),
    serverReasons: countBy(serverSide.disconnects, (d) => d.reason),
    zlibErrors: countErrors(run.decompress.errors()),
    failures: judgement.failures,
    firstFailureMs: judgement.firstFailureMs,
    judgement: judgement,
    offered: offered,
    saturation: saturationReasons(offered),
    sessions: serverSide.sessions.size,
    ackRttMs: {
      p50: sortedRtt.length ? quantileSorted(sortedRtt, 0.5) : null,
      p99: sortedRtt.length ? quantileSorted(sortedRtt, 0.99) : null,
      n: sortedRtt.length,
    },
    // Browser pages run in Chromium's own processes wherever their driver runs.
    cpu: {
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      includesClients: spec.placement === 'in-process' && spec.client !== 'browser',
    },
    cpuWhileSending: run.cpuWhileSending,
    memory: { rssStart: memStart.rss, rssEnd: memEnd.rss, heapStart: memStart.heapUsed, heapEnd: memEnd.heapUsed },
    wire: wireTotals,
    handshakes,
    wireRatio: load.payloadBytes > 0 ? wireTotals.payloadBytes / load.payloadBytes : null,
    controls: positiveControls(wireTotals, handshakes, load.sent, serverSide.delivered),
    fault: faultOutcome,
  };
}
