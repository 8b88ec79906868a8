/**
 * Chapter 4, deflate off: why anything is compressed (the handshake), where engine.io 1.5.4 decides
 * it (its WebSocketServer construction, read from the installed source), the post's fix applied
 * at run time without editing a file, and each of the post's claims about that fix measured.
 */
import path from 'node:path';
import { showChart, showLog, showTable, progress } from '../../show/display';
import { readLongRuns, TIMELINE_EVERY_MS, type LongRunRecord } from '../../traffic/long-run';
import { resolveParams, type Params, type RawParams } from '../../core/params';
import { dataDir, PROJECT_ROOT } from '../../core/paths';
import { POST_CLAIMS, POST_SERVER_JS, POST_SERVER_JS_EDIT, POST_TESTED_MS } from '../post-quotes';
import { recordedDataDir, replaySteps } from '../../core/replay';
import { replayable } from '../replayable';
import { FAILING_SCENARIO } from '../../traffic/presets';
import { classifyScenario, zeroFailureBlockers } from '../../traffic/failure-rule';
import { runMetrics } from '../../traffic/metrics';
import { exposureText } from '../../traffic/rates';
import type { ScenarioRecord, ScenarioSpec } from '../../traffic/scenario';
import { MIN_UNITS } from '../../core/stats';
import type { Judgement, RunMode } from '../../core/verdict';
import { functionSource, numbered, search, sourceLines } from '../../search';
import { loadStack } from '../../stacks';
import { stackPackageDirs } from '../../core/stack-catalog';
import { formatBytes, formatDuration } from '../../core/units';
import { plural, showFinding } from '../show-finding';
import {
  bytesPerFrame,
  bytesRatio,
  bytesVerdict,
  CLAIMS_STACK,
  cpuMs,
  cpuPerMiB,
  CPU_CLAIM_RATIO,
  deflateCostVerdict,
  disconnectVerdict,
  equalWorkLeftOut,
  equalWorkLoad,
  EQUAL_WORK_FRACTION,
  EQUAL_WORK_STACK,
  failureCost,
  failureCostVerdict,
  longRunSentences,
  pairBlockers,
  NOTICEABLE_BYTES,
  runEqualWorkPairs,
  runFailures,
  runLoadPairs,
  runWirePairs,
  WIRE_LOAD,
  WIRE_RUN_MS,
  type BytesAnswer,
  type CpuAnswer,
  type DisconnectAnswer,
  type EqualWorkLoad,
  type LoadPair,
  type PairedAnswer,
  type WirePair,
} from './claims';
import { fractionLabel, KNEE_FRAME_SIZES } from '../../sweep/grid';
import { kneeBasis, recordedKnees } from '../../sweep/knees';
import { KNEE_SEARCH } from '../../capacity/knee';
import { capacityBoundMs, runCapacity, type CapacityPlan, type KneeResult } from '../../capacity/measure';
import { probeHandshakes, type HandshakeRow, type ProbeClient } from './handshakes';

export { type LoadPair, type WirePair } from './claims';

const step = replaySteps('deflate-off');

/** Checks the notebook's parameters (the same model and errors as the CLI). */
export function deflateOffParams(raw: RawParams): Params {
  return resolveParams(raw);
}

// Chromium takes seconds to start; quick mode keeps to the Node clients.
function probeClients(params: Params): ProbeClient[] {
  return params.quick ? ['fragmenting', 'socket.io'] : ['browser', 'fragmenting', 'socket.io'];
}

function showHandshakeRows(rows: readonly HandshakeRow[], caption: string): void {
  showTable(
    rows.map((row) => ({
      client: row.client,
      'server deflate': row.server,
      'offer (client → server)': row.offer || '(none)',
      'answer (server → client)': row.answer || '(none)',
      'deflate in use': row.negotiated ? 'yes' : 'no',
    })),
    { caption: caption },
  );
}

/** Step 1's probe: each client's handshake with the 2015 server left at its defaults. */
export interface HandshakeProbe {
  rows: HandshakeRow[];
  /** Whether the probe left Chromium out (quick mode). */
  quick: boolean;
}

/** Step 1's probe: each client's `Sec-WebSocket-Extensions` offer and the 2015 server's answer, at its own default. */
export async function runHandshakes(params: Params): Promise<HandshakeProbe> {
  return replayable(step('handshakes', params), async () => ({
    rows: await probeHandshakes(CLAIMS_STACK, 'default', probeClients(params), params.quick),
    quick: params.quick,
  }));
}

/** Step 1: the offers and answers, and who chose compression. */
export function showHandshakes(probe: HandshakeProbe): void {
  const { rows } = probe;
  showHandshakeRows(
    rows,
    `WebSocket handshakes with the ${CLAIMS_STACK} server left at its defaults, read at the server's TCP socket`,
  );
  const offering = rows.filter((row) => row.offer.includes('permessage-deflate'));
  const accepted = rows.filter((row) => row.negotiated);
  showFinding(
    [
      `${offering.length} of ${plural(rows.length, 'client')} offered permessage-deflate without being asked to, and the server accepted ${accepted.length} of them.`,
      accepted.length === rows.length
        ? 'Nobody in the application chose compression: the client offered it and ws agreed by default.'
        : '',
      probe.quick ? 'Quick mode probes the Node clients only; the full report adds a Chromium page.' : '',
    ].filter((s) => s !== ''),
  );
}

/** engine.io's WebSocketServer construction as installed: the file, its line, and the enclosing function. */
export function serverConstruction() {
  const engineDir = stackPackageDirs(CLAIMS_STACK)['engine.io'];
  const hits = search({ literal: 'new WebSocketServer', roots: path.join(engineDir, 'lib') });
  const hit = hits.find((h) => h.enclosing === 'Server');
  if (!hit)
    throw new Error(
      `engine.io in ${engineDir} constructs no WebSocketServer inside Server(): is this engine.io 1.5.4?`,
    );
  return { hit: hit, fn: functionSource(hit.file, 'Server') };
}

/**
 * What the WebSocketServer construction line and the Server() function around it say about
 * perMessageDeflate, worded from the source text that was found.
 */
export function constructionFinding(line: number, lineText: string, serverSource: string, version: string): string {
  const call = lineText
    .trim()
    .replace(/^this\.ws = /, '')
    .replace(/;$/, '');
  const passed = /perMessageDeflate/.test(lineText);
  const mentioned = /perMessageDeflate/.test(serverSource);
  return (
    `The WebSocketServer is built at line ${line} with ${call}: ` +
    (passed ? 'perMessageDeflate is passed on that line' : 'no perMessageDeflate is passed on that line') +
    (mentioned
      ? `, and engine.io ${version}'s Server() mentions perMessageDeflate, so an option may reach it.`
      : `, and nothing in engine.io ${version}'s Server() mentions perMessageDeflate, so no engine.io option reaches it: ws's own default applies.`)
  );
}

/** Step 2's reading: engine.io's Server constructor as installed, and the settings a live server reports. */
export interface ServerDefaults {
  construction: ReturnType<typeof serverConstruction>;
  /** Settings read back from a 2015 server started with no options. */
  live: Record<string, unknown>;
}

/** Step 2's reading: the installed constructor, and a 2015 server started with no options, its settings read back. */
export async function runServerDefaults(params: Params): Promise<ServerDefaults> {
  return replayable(step('server-defaults', params), () => readServerDefaults());
}

async function readServerDefaults(): Promise<ServerDefaults> {
  const construction = serverConstruction();
  const server = await loadStack(CLAIMS_STACK).createServer({ deflate: 'default' });
  try {
    /* eslint-disable @typescript-eslint/no-explicit-any -- engine.io 1.5.4 has no types */
    const engine = server.engine as any;
    const live: Record<string, unknown> = {
      pingTimeout: engine.pingTimeout,
      pingInterval: engine.pingInterval,
      upgradeTimeout: engine.upgradeTimeout,
      maxHttpBufferSize: engine.maxHttpBufferSize,
      'ws noServer': engine.ws.options.noServer,
      'ws clientTracking': engine.ws.options.clientTracking,
      'ws perMessageDeflate': engine.ws.options.perMessageDeflate,
    };
    /* eslint-enable @typescript-eslint/no-explicit-any */
    return { construction: construction, live: live };
  } finally {
    await server.close();
  }
}

/** Step 2: engine.io's Server constructor, and the live server's defaults beside the post's listing. */
export function showServerDefaults(defaults: ServerDefaults): void {
  const { hit, fn } = defaults.construction;
  const { live } = defaults;
  showLog(numbered(fn), {
    summary: `${fn.name}() in ${hit.path.replace(/^node_modules\//, '')} (engine.io@${hit.package?.version}), lines ${fn.startLine}–${fn.endLine}, read from the installed file`,
    open: true,
  });
  const post: Record<string, unknown> = {
    ...POST_SERVER_JS.defaults,
    'ws noServer': POST_SERVER_JS.wsOptions.noServer,
    'ws clientTracking': POST_SERVER_JS.wsOptions.clientTracking,
    'ws perMessageDeflate': '(not passed)',
  };
  showTable(
    Object.keys(live).map((setting) => ({
      setting: setting,
      "the post's server.js": String(post[setting]),
      'live server here': String(live[setting]),
    })),
    {
      caption: `A ${CLAIMS_STACK} server started in this kernel with no options, its settings read back from the running objects`,
    },
  );
  const same = Object.keys(POST_SERVER_JS.defaults).filter((key) => post[key] === live[key]);
  showFinding([
    constructionFinding(hit.line, hit.text, fn.text, String(hit.package?.version)),
    `On the live server, ws's perMessageDeflate option is ${String(live['ws perMessageDeflate'])}.`,
    `${same.length} of ${Object.keys(POST_SERVER_JS.defaults).length} engine.io defaults match the post's listing (${same.join(', ')}).`,
  ]);
}

/** What assigning to a ws 0.8 server option does, tried on a live server. */
export interface GetterTry {
  before: unknown;
  hasSetter: boolean;
  setReturned: boolean;
  after: unknown;
}

/** Tries the tempting runtime fix (assign `perMessageDeflate = false` on the live server's options) and reads it back. */
export async function tryAssigningOption(): Promise<GetterTry> {
  const server = await loadStack(CLAIMS_STACK).createServer({ deflate: 'default' });
  try {
    const options = (server.engine as unknown as { ws: { options: Record<string, unknown> } }).ws.options;
    const before = options.perMessageDeflate;
    const descriptor = Object.getOwnPropertyDescriptor(options, 'perMessageDeflate');
    // Reflect.set reports the refusal instead of throwing (this module is strict mode).
    const setReturned = Reflect.set(options, 'perMessageDeflate', false);
    return {
      before: before,
      hasSetter: descriptor?.set !== undefined || descriptor?.writable === true,
      setReturned: setReturned,
      after: options.perMessageDeflate,
    };
  } finally {
    await server.close();
  }
}

// The lines of this project's stack adapter that apply the post's edit at run time.
function adapterLines(): string {
  const file = path.join(PROJECT_ROOT, 'src', 'stacks', 'index.ts');
  const hit = search({ literal: 'io.eio.ws = new WebSocketServer', roots: file })[0];
  if (!hit) throw new Error(`${file} no longer replaces io.eio.ws: update chapter 4's adapterLines()`);
  const from = hit.line - 1;
  return sourceLines(file, from, hit.line + 1)
    .split('\n')
    .map((line, i) => `${String(from + i).padStart(4)} ${line}`)
    .join('\n');
}

/** Step 3's runs: the tempting runtime assignment tried, and the handshakes with deflate 'off'. */
export interface FixApplied {
  tried: GetterTry;
  rows: HandshakeRow[];
  /** The stack adapter's lines that apply the post's edit, numbered, as they were when the run was made. */
  adapter: string;
}

/** Step 3's runs: tries assigning the option on a live server, then probes the clients against the fix. */
export async function runFixApplied(params: Params): Promise<FixApplied> {
  return replayable(step('fix-applied', params), async () => {
    const tried = await tryAssigningOption();
    const rows = await probeHandshakes(CLAIMS_STACK, 'off', probeClients(params), params.quick);
    return { tried: tried, rows: rows, adapter: adapterLines() };
  });
}

/** Step 3: the fix at run time, and the handshakes that prove it took. */
export function showFixApplied(fix: FixApplied): void {
  const { tried, rows, adapter } = fix;
  showTable(
    [
      {
        'perMessageDeflate before': String(tried.before),
        'a setter or writable?': tried.hasSetter ? 'yes' : 'no (getter only)',
        'Reflect.set(options, "perMessageDeflate", false)': String(tried.setReturned),
        'perMessageDeflate after': String(tried.after),
      },
    ],
    { caption: "Assigning the option on a live 2015 server (ws 0.8's options object)" },
  );
  showLog(POST_SERVER_JS_EDIT, { summary: "the post's edit to engine.io lib/server.js (2015)" });
  showLog(adapter, {
    summary:
      "this project's stack adapter (src/stacks/index.ts): the same construction, swapped in at run time for deflate 'off'",
    open: true,
  });
  showHandshakeRows(rows, `The same clients against a ${CLAIMS_STACK} server with deflate 'off'`);
  const stillOn = rows.filter((row) => row.negotiated);
  showFinding([
    tried.after === tried.before
      ? `Assigning false to the live option changed nothing (it still reads ${String(tried.after)}), so the fix has to replace the WebSocketServer, as the post's edit did.`
      : `Assigning the option changed it to ${String(tried.after)}.`,
    stillOn.length === 0
      ? `With the replacement in place, none of the ${plural(rows.length, 'handshake')} carries permessage-deflate in the server's answer, although every client still offers it: the fix took.`
      : `${stillOn.length} of ${rows.length} handshakes still negotiated deflate: the fix did not take.`,
  ]);
}

/**
 * The claims' runs come in three steps, each its own cell, so no cell runs long: the reproducer's
 * load with deflate on and off on 2015 (claim 1 and the CPU claim's part b), the same frames at
 * equal delivered work on a stack that does not fail (part a), and the bytes of one frame at a time
 * (claim 3). Each holds one block per frame size the chapter was given, in the order given.
 */
interface ClaimStep<T> {
  /** Whether the runs were quick: as measured, or as the replayed record was made. */
  quick: boolean;
  sizes: Array<{ frameSize: number } & T>;
}

/** The reproducer's on/off pairs on 2015 at each size, clients forked. */
export type LoadRuns = ClaimStep<{ load: LoadPair[] }>;
/** The equal-work on/off pairs at each size, with the load offered there. */
export interface EqualWorkRuns extends ClaimStep<{ equalWorkLoad: EqualWorkLoad; equalWork: LoadPair[] }> {
  /** The equal-work knees searched live in this run (full mode, for a size none is recorded at); empty when all were recorded. */
  searchedKnees: KneeResult[];
}
/** The bytes pairs at each size: per payload kind, one pair per seed. */
export type BytesRuns = ClaimStep<{ wire: WirePair[] }>;

/** Where a step's verdicts come from: a quick or a full run. */
function modeOf(runs: { quick: boolean }): RunMode {
  return runs.quick ? 'quick' : 'full';
}

/** The capacity plan of the equal-work stack's knees at some sizes. */
function equalWorkPlan(frameSizes: number[]): CapacityPlan {
  return { frameSizes: frameSizes, stacks: [EQUAL_WORK_STACK], deflate: ['on', 'off'], pin: true, search: KNEE_SEARCH };
}

/** The recorded sizes of the equal-work stack's knees (the capacity search's sizes), from the dir the long runs come from. */
function recordedEqualWorkKnees(frameSizes: number[]): { knees: KneeResult[]; missingSizes: number[] } {
  const dir = recordedDataDir();
  const recorded = recordedKnees(equalWorkPlan([...new Set([...frameSizes, ...KNEE_FRAME_SIZES])]), dir).knees;
  return {
    knees: recorded,
    missingSizes: frameSizes.filter((size) => typeof kneeBasis(recorded, EQUAL_WORK_STACK, size) === 'string'),
  };
}

/** A progress line over `total` runs, and the notice that moves it on as each run starts. */
function runProgress(label: string, total: number) {
  const bar = progress(label, total);
  let started = 0;
  return {
    notice: (run: string) => {
      if (started++ > 0) bar.tick(1);
      bar.set(run);
    },
    done: () => {
      bar.tick(1);
      bar.done(`${plural(total, 'run')}, every server closed`);
    },
  };
}

/** Claim 1's and claim 2(b)'s runs: the reproducer's load on 2015, deflate on and off, `repeats` pairs per size. */
export async function runLoadClaims(params: Params): Promise<LoadRuns> {
  return replayable(step('load-pairs', params), async () => {
    const bar = runProgress(
      `the reproducer on ${CLAIMS_STACK}, deflate on and off, at ${params.frameSizes.map(formatBytes).join(', ')}`,
      2 * params.repeats * params.frameSizes.length,
    );
    const sizes: LoadRuns['sizes'] = [];
    for (const frameSize of params.frameSizes)
      sizes.push({ frameSize: frameSize, load: await runLoadPairs(params, frameSize, bar.notice) });
    bar.done();
    return { quick: params.quick, sizes: sizes };
  });
}

/**
 * Claim 2(a)'s runs at each frame size. A size whose equal-work knee is not recorded gets a bounded
 * live knee search in full mode (recorded in the data dir); quick mode uses the nearest recorded
 * size's knee, and the load's origin says so.
 */
export async function runEqualWorkClaims(params: Params): Promise<EqualWorkRuns> {
  return replayable(step('equal-work-pairs', params), () => measureEqualWork(params));
}

async function measureEqualWork(params: Params): Promise<EqualWorkRuns> {
  const recorded = recordedEqualWorkKnees(params.frameSizes);
  let searchedKnees: KneeResult[] = [];
  if (!params.quick && recorded.missingSizes.length > 0) {
    const plan = equalWorkPlan(recorded.missingSizes);
    const search = progress(
      `equal-work knees of ${EQUAL_WORK_STACK} at ${recorded.missingSizes.map(formatBytes).join(', ')} (not recorded; at most ${formatDuration(capacityBoundMs(plan))})`,
      recorded.missingSizes.length * 2,
    );
    const record = await runCapacity(plan, {
      dir: dataDir(),
      progress: (line) => {
        // A finished knee ends its line with its wall time, "(41 s)"; step lines do not.
        if (/\(\d+ s\)$/.test(line)) search.tick(1);
        search.set(line.trim());
      },
    });
    search.done(`${plural(record.knees.length, 'knee')} searched, recorded as ${record.id}`);
    searchedKnees = record.knees;
  }
  const knees = [...searchedKnees, ...recorded.knees];
  const bar = runProgress(
    `${EQUAL_WORK_STACK} at equal work, deflate on and off, at ${params.frameSizes.map(formatBytes).join(', ')}`,
    2 * params.repeats * params.frameSizes.length,
  );
  const sizes: EqualWorkRuns['sizes'] = [];
  for (const frameSize of params.frameSizes) {
    const work = equalWorkLoad(knees, frameSize);
    sizes.push({
      frameSize: frameSize,
      equalWorkLoad: work,
      equalWork: await runEqualWorkPairs(params, work, bar.notice),
    });
  }
  bar.done();
  return { quick: params.quick, sizes: sizes, searchedKnees: searchedKnees };
}

/** Claim 3's runs: per size and payload kind, `repeats` on/off pairs of one frame at a time, a seed each. */
export async function runBytesClaims(params: Params): Promise<BytesRuns> {
  return replayable(step('bytes-pairs', params), async () => {
    const bar = runProgress(
      `bytes of ${params.payload.join(', ')}, deflate on and off, at ${params.frameSizes.map(formatBytes).join(', ')}`,
      2 * params.repeats * params.payload.length * params.frameSizes.length,
    );
    const sizes: BytesRuns['sizes'] = [];
    for (const frameSize of params.frameSizes)
      sizes.push({ frameSize: frameSize, wire: await runWirePairs(params, frameSize, bar.notice) });
    bar.done();
    return { quick: params.quick, sizes: sizes };
  });
}

/** What chapter 4 does with the frame sizes and repeats it was given, in sentences. */
export function claimSizesSentence(params: Params): string {
  const sizes = params.frameSizes.map(formatBytes).join(', ');
  return (
    `Frame ${params.frameSizes.length === 1 ? 'size' : 'sizes'}: ${sizes}. The three claims are measured and answered at each size: ` +
    `the reproducer's load on ${CLAIMS_STACK} with that frame size, deflate's own cost at equal delivered work (${fractionLabel(EQUAL_WORK_FRACTION)} of ${EQUAL_WORK_STACK} at that size, the slower setting's), ` +
    `and the bytes of one frame at a time. Each comparison is ${plural(params.repeats, 'on/off pair')} run back to back (${formatDuration(params.duration)} each for the load and equal-work pairs; ` +
    `${formatDuration(params.quick ? WIRE_RUN_MS.quick : WIRE_RUN_MS.full)} per bytes run, a new seed per pair); a ratio needs ${MIN_UNITS} pairs for a verdict, so fewer leave it not settled. ` +
    `The long run is read from its record, at the size it was recorded at (${formatBytes(FAILING_SCENARIO.frameSize)}).`
  );
}

/** Says what the chapter does with its sizes. */
export function showClaimSizes(params: Params): void {
  showFinding(claimSizesSentence(params));
}

/** A claim's answer at one frame size. */
export interface SizedAnswer<T> {
  frameSize: number;
  answer: T;
}

/** The recorded long runs: from the `--from-data` dir when given, else from the committed data/. */
export function recordedLongRuns(): { dir: string; runs: LongRunRecord[]; skipped: string[] } {
  const dir = recordedDataDir();
  const { records, skipped } = readLongRuns(dir);
  return { dir: dir, runs: records.filter((r) => !r.quick), skipped: skipped.map((s) => `${s.file}: ${s.reason}`) };
}

const errorsText = (record: ScenarioRecord) =>
  Object.entries(record.result.underlyingErrors)
    .map(([e, n]) => `${e} ×${n}`)
    .join(', ') || 'none';

/** The live on/off runs of claim 1, a row per run, with each run's events and exposure. */
function showDisconnectRuns(runs: LoadRuns): void {
  showTable(
    runs.sizes
      .flatMap(({ load }) => load)
      .flatMap((pair) =>
        [pair.on, pair.off].map((record) => {
          const metrics = runMetrics(record);
          return {
            frame: formatBytes(record.spec.frameSize),
            pair: pair.repeat,
            deflate: record.spec.deflate,
            'sent for': formatDuration(record.result.loadMs),
            sent: record.result.sent,
            delivered: record.result.delivered,
            'failures (the rule)': runFailures(record.result),
            'server-side failure disconnects': metrics.disconnects,
            'connection time sending': exposureText(metrics.connectionHours),
            'underlying errors': errorsText(record),
            'deflate negotiated': record.result.controls.deflateNegotiated ? 'yes' : 'no',
            'fragmented messages': record.result.controls.fragmentedMessages,
            'zero-failure blockers':
              record.spec.deflate === 'off' ? zeroFailureBlockers(record).join('; ') || 'none' : '',
          };
        }),
      ),
    {
      caption: `The reproducer (${FAILING_SCENARIO.clients} fragmenting clients, data URLs in ${formatBytes(FAILING_SCENARIO.fragmentSize)} fragments, burst ${FAILING_SCENARIO.burst} at ${FAILING_SCENARIO.rate}/s) on ${CLAIMS_STACK} at each frame size, clients in a child process; the disconnect rate counts server-side failure disconnects over connection time while sending, each failure's gap to the reconnect left out`,
    },
  );
}

/** The recorded long runs: a row each, the latest one's timeline, and its bound beside its control. */
async function showLongRuns(recorded: ReturnType<typeof recordedLongRuns>): Promise<void> {
  if (recorded.runs.length === 0) {
    showFinding(
      `No long run is recorded in ${recorded.dir}/long-run${recorded.skipped.length ? ` (unreadable: ${recorded.skipped.join('; ')})` : ''}: record one with npm run long-run.`,
    );
    return;
  }
  showTable(
    recorded.runs.map((l) => ({
      recorded: l.startedAt.slice(0, 16).replace('T', ' '),
      commit: l.meta.commit.slice(0, 7) + (l.meta.dirty ? ' (dirty)' : ''),
      cpu: `${l.meta.cpuModel}, ${l.meta.cores} cores`,
      'deflate-off sent for': formatDuration(l.run.result.loadMs),
      'connection time sending': exposureText(runMetrics(l.run).connectionHours),
      sent: l.run.result.sent,
      'not sent (client backlog full)': l.run.result.notSent,
      delivered: l.run.result.delivered,
      'failures (the rule)': runFailures(l.run.result),
      'zero-failure blockers': zeroFailureBlockers(l.run).join('; ') || 'none',
      'control (deflate on): first failure after':
        classifyScenario(l.control.result).firstFailureMs === null
          ? 'none'
          : formatDuration(classifyScenario(l.control.result).firstFailureMs as number),
      'control: underlying errors': errorsText(l.control),
    })),
    {
      caption: `Recorded long runs (${path.relative(PROJECT_ROOT, recorded.dir) || recorded.dir}/long-run), the same load with the clients forked; each control runs first and stops at its first failure`,
    },
  );
  const latest = recorded.runs[recorded.runs.length - 1];
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 480,
      height: 180,
      data: {
        values: latest.timeline.flatMap((s) => [
          { minutes: Number((s.elapsedMs / 60_000).toFixed(2)), series: 'frames delivered', value: s.delivered },
          { minutes: Number((s.elapsedMs / 60_000).toFixed(2)), series: 'failures', value: s.failures },
        ]),
      },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'minutes', type: 'quantitative', title: 'minutes since the run started' },
        y: { field: 'value', type: 'quantitative', title: 'count' },
        color: { field: 'series', type: 'nominal' },
      },
    },
    {
      caption: `Long run recorded ${latest.startedAt.slice(0, 10)}: frames delivered and failures while it sent, sampled about every ${formatDuration(TIMELINE_EVERY_MS)}`,
    },
  );
  showFinding(longRunSentences(latest));
}

/** How the rate chart marks a rate and a zero's bound. */
const RATE_SHOWN = { rate: 'rate, with its 95% interval', bound: 'none seen: its one-sided 95% bound' };

/** Each side's disconnect rate with its 95% interval on a log scale; a zero drawn at its one-sided bound and marked as one. */
async function showRateChart(answers: ReadonlyArray<SizedAnswer<DisconnectAnswer>>): Promise<void> {
  const values = answers.flatMap(({ frameSize, answer }) =>
    (['on', 'off'] as const).flatMap((deflate) => {
      const rate = answer[deflate];
      if (rate === null) return [];
      const zero = rate.events === 0;
      return [
        {
          row: `${answers.length > 1 ? `${formatBytes(frameSize)}, ` : ''}deflate ${deflate}`,
          rate: zero ? rate.interval.high : rate.rate,
          low: zero ? null : rate.interval.low,
          high: rate.interval.high,
          shown: zero ? RATE_SHOWN.bound : RATE_SHOWN.rate,
        },
      ];
    }),
  );
  const x = { type: 'quantitative', scale: { type: 'log' }, title: 'disconnects per connection-hour of sending' };
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 420,
      data: { values: values },
      encoding: { y: { field: 'row', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } } },
      layer: [
        { mark: { type: 'rule' }, encoding: { x: { field: 'low', ...x }, x2: { field: 'high' } } },
        {
          mark: { type: 'point', filled: true, size: 80 },
          encoding: {
            x: { field: 'rate', ...x },
            shape: {
              field: 'shown',
              type: 'nominal',
              title: null,
              scale: { domain: [RATE_SHOWN.rate, RATE_SHOWN.bound], range: ['circle', 'triangle-left'] },
              legend: { labelLimit: 320 },
            },
          },
        },
      ],
    },
    {
      caption:
        'Disconnect rate per connection-hour, deflate on beside off (live runs, and the recorded hour on the off side): a zero is drawn at its one-sided bound',
    },
  );
}

const LOAD_KEYS = ['stack', 'client', 'payload', 'frameSize', 'fragmentSize', 'rate', 'burst', 'clients'] as const;

/** Whether two runs offered the same load (deflate, duration and seed aside). */
function sameLoad(a: ScenarioSpec, b: ScenarioSpec): boolean {
  return LOAD_KEYS.every((key) => a[key] === b[key]);
}

/** Claim 1: the live on/off runs at each size, the recorded long runs with their bound, the rates, and an answer per size. */
export async function showDisconnectClaim(runs: LoadRuns): Promise<Array<SizedAnswer<DisconnectAnswer>>> {
  showDisconnectRuns(runs);
  const recorded = recordedLongRuns();
  await showLongRuns(recorded);
  const mode = modeOf(runs);
  const answers = runs.sizes.map(({ frameSize, load }) => ({
    frameSize: frameSize,
    // A long run answers for the load it was recorded at only: the same stack, payload, size and schedule.
    answer: disconnectVerdict(
      load,
      recorded.runs.filter((l) => load.length > 0 && sameLoad(l.run.spec, load[0].off.spec)),
      { frameSize: frameSize, mode: mode },
    ),
  }));
  await showRateChart(answers);
  for (const { frameSize, answer } of answers) {
    showFinding(
      [
        `At ${formatBytes(frameSize)}: the post's claim: ${POST_CLAIMS.disconnects}.`,
        ...answer.sentences,
        answer.longestOffMs !== null && answer.longestOffMs < POST_TESTED_MS
          ? `The longest deflate-off run here is ${formatDuration(answer.longestOffMs)} of the post's ${formatDuration(POST_TESTED_MS)}.`
          : '',
      ].filter((s) => s !== ''),
    );
  }
  return answers;
}

/** The CPU claim's two answers at one size. */
export interface CpuAnswers {
  /** (a) What deflate itself costs per MiB, at equal delivered work on a stack that does not fail. */
  own: CpuAnswer;
  /** (b) What the failure costs on 2015, under the same offered load. */
  failure: CpuAnswer;
}

const perMiBText = (record: ScenarioRecord) =>
  cpuPerMiB(record) === null ? null : Number((cpuPerMiB(record) as number).toFixed(1));
const order = (pair: LoadPair) => (pair.on.startedAt <= pair.off.startedAt ? 'on, then off' : 'off, then on');

/** (a)'s pairs, a row each: both sides' CPU per MiB delivered and their ratio, and whether the pair counts. */
function equalWorkRows(pairs: readonly LoadPair[]) {
  return pairs.map((pair) => ({
    frame: formatBytes(pair.on.spec.frameSize),
    pair: pair.repeat,
    order: order(pair),
    'rate × burst × clients': `${pair.on.spec.rate}/s × ${pair.on.spec.burst} × ${pair.on.spec.clients}`,
    'server CPU ms, on': Math.round(cpuMs(pair.on.result)),
    'server CPU ms, off': Math.round(cpuMs(pair.off.result)),
    'frames delivered, on': pair.on.result.delivered,
    'frames delivered, off': pair.off.result.delivered,
    'CPU ms per MiB, on': perMiBText(pair.on),
    'CPU ms per MiB, off': perMiBText(pair.off),
    'off ÷ on per MiB':
      equalWorkLeftOut(pair).length === 0
        ? Number(((cpuPerMiB(pair.off) as number) / (cpuPerMiB(pair.on) as number)).toFixed(3))
        : null,
    counts: equalWorkLeftOut(pair).join('; ') || 'yes',
  }));
}

/** (b)'s pairs, a row each: both sides' CPU, their ratio, and what the deflate-on run's failures cost. */
function failureRows(pairs: readonly LoadPair[]) {
  return pairs.map((pair) => {
    const cost = failureCost(pair.on);
    const blockers = pairBlockers(pair);
    return {
      frame: formatBytes(pair.on.spec.frameSize),
      pair: pair.repeat,
      order: order(pair),
      'server CPU ms, on': Math.round(cpuMs(pair.on.result)),
      'server CPU ms, off': Math.round(cpuMs(pair.off.result)),
      'off ÷ on': blockers.length === 0 ? Number((cpuMs(pair.off.result) / cpuMs(pair.on.result)).toFixed(3)) : null,
      'frames delivered, on': pair.on.result.delivered,
      'frames delivered, off': pair.off.result.delivered,
      'failures, on': cost.failures,
      'inflates rejected': cost.rejectedInflates,
      reconnects: cost.reconnects,
      'frames lost': cost.framesLost,
      counts: blockers.join('; ') || 'yes',
    };
  });
}

/** Each pair's ratio as a point, the geometric mean's 95% interval as a bar, and the claim's threshold as a line, on a log scale. */
async function showRatioChart(
  groups: ReadonlyArray<{ group: string; paired: PairedAnswer | null }>,
  threshold: number,
  title: string,
  caption: string,
): Promise<void> {
  const x = { type: 'quantitative', scale: { type: 'log' }, title: title };
  const y = {
    field: 'group',
    type: 'nominal',
    title: null,
    sort: groups.map((g) => g.group),
    axis: { labelLimit: 320 },
  };
  const pairs = groups.flatMap(({ group, paired }) => (paired?.ratios ?? []).map((ratio) => ({ group, ratio })));
  const estimates = groups.flatMap(({ group, paired }) =>
    paired?.estimate
      ? [{ group, mean: paired.estimate.ratio, low: paired.estimate.interval.low, high: paired.estimate.interval.high }]
      : [],
  );
  // The interval layers only where some group has one: an empty layer is an infinite extent to vega.
  const interval =
    estimates.length === 0
      ? []
      : [
          {
            data: { values: estimates },
            mark: { type: 'rule', size: 3, opacity: 0.5 },
            encoding: { y: y, x: { field: 'low', ...x }, x2: { field: 'high' } },
          },
          {
            data: { values: estimates },
            mark: { type: 'tick', thickness: 2 },
            encoding: { y: y, x: { field: 'mean', ...x } },
          },
        ];
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 420,
      layer: [
        ...interval,
        {
          data: { values: pairs },
          mark: { type: 'point', opacity: 0.8 },
          encoding: { y: y, x: { field: 'ratio', ...x } },
        },
        {
          data: { values: [{ threshold: threshold }] },
          mark: { type: 'rule', strokeDash: [4, 3], color: 'firebrick' },
          encoding: { x: { field: 'threshold', ...x } },
        },
      ],
    },
    { caption: caption },
  );
}

/**
 * Claim 2, in two parts: (a) deflate's own cost at equal work, from `equal`, (b) the failure's cost
 * on 2015, from claim 1's `load` pairs; a table each, the ratios, and both answers per size.
 */
export async function showCpuClaim(load: LoadRuns, equal: EqualWorkRuns): Promise<Array<SizedAnswer<CpuAnswers>>> {
  showTable(
    equal.sizes.flatMap((size) => equalWorkRows(size.equalWork)),
    {
      caption: `(a) Equal work: ${EQUAL_WORK_STACK}, data URLs at ${equal.sizes.map((size) => `${equal.sizes.length > 1 ? `${formatBytes(size.frameSize)}: ` : ''}${size.equalWorkLoad.MiBps.toFixed(1)} MiB/s offered (${size.equalWorkLoad.origin})`).join('; ')}; server CPU from process.cpuUsage(), clients in a child process; a row per on/off pair`,
    },
  );
  showTable(
    load.sizes.flatMap((size) => failureRows(size.load)),
    { caption: `(b) The failing stack: ${CLAIMS_STACK} under the reproducer's load, a row per on/off pair` },
  );
  const answers = equal.sizes.flatMap(({ frameSize, equalWork, equalWorkLoad }) => {
    const failing = load.sizes.find((size) => size.frameSize === frameSize);
    if (!failing) return [];
    return [
      {
        frameSize: frameSize,
        answer: {
          own: deflateCostVerdict(equalWork, { frameSize: frameSize, mode: modeOf(equal) }, equalWorkLoad),
          failure: failureCostVerdict(failing.load, { frameSize: frameSize, mode: modeOf(load) }),
        },
      },
    ];
  });
  const at = (frameSize: number) => (answers.length > 1 ? `, ${formatBytes(frameSize)}` : '');
  await showRatioChart(
    answers.flatMap(({ frameSize, answer }) => [
      { group: `(a) per MiB, equal work${at(frameSize)}`, paired: answer.own.paired },
      { group: `(b) same load on ${CLAIMS_STACK}${at(frameSize)}`, paired: answer.failure.paired },
    ]),
    CPU_CLAIM_RATIO,
    'server CPU, deflate off ÷ on',
    `Server CPU with deflate off ÷ with it on: each on/off pair a point, the 95% interval of their geometric mean a bar (from ${MIN_UNITS} pairs up it can carry a verdict), the post's "less than half" the dashed line (measured in this run)`,
  );
  for (const { frameSize, answer } of answers) {
    showFinding([
      `At ${formatBytes(frameSize)}: the post's claim: ${POST_CLAIMS.cpu}.`,
      ...answer.own.sentences,
      ...answer.failure.sentences,
    ]);
  }
  return answers;
}

/** Claim 3's pairs, a row each: both sides' bytes per frame and their ratio. */
function bytesRows(pairs: readonly WirePair[]) {
  return pairs.map((pair) => {
    const perFrame = (record: ScenarioRecord) =>
      bytesPerFrame(record.result) === null ? null : Math.round(bytesPerFrame(record.result) as number);
    const ratio = bytesRatio(pair);
    return {
      payload: pair.payload,
      frame: formatBytes(pair.on.spec.frameSize),
      seed: pair.on.spec.seed,
      'delivered, on': pair.on.result.delivered,
      'delivered, off': pair.off.result.delivered,
      'compressed messages, on': pair.on.result.controls.compressedMessages,
      'TCP bytes per frame, on': perFrame(pair.on),
      'TCP bytes per frame, off': perFrame(pair.off),
      'off ÷ on': ratio === null ? 'not comparable' : Number(ratio.toFixed(4)),
    };
  });
}

/** Claim 3: bytes on the wire per frame, by payload kind, deflate on and off; an answer per size. */
export async function showBytesClaim(runs: BytesRuns): Promise<Array<SizedAnswer<BytesAnswer>>> {
  showTable(
    runs.sizes.flatMap(({ wire }) => bytesRows(wire)),
    {
      caption: `Bytes the server read, ${WIRE_LOAD.clients} client sending one frame at a time at ${WIRE_LOAD.rate}/s in ${formatBytes(WIRE_LOAD.fragmentSize)} fragments: a row per on/off pair, each pair a seed's frames`,
    },
  );
  const mode = modeOf(runs);
  const answers = runs.sizes.map(({ frameSize, wire }) => ({
    frameSize: frameSize,
    answer: bytesVerdict(wire, { frameSize: frameSize, mode: mode }),
  }));
  await showRatioChart(
    answers.flatMap(({ frameSize, answer }) =>
      answer.payloads.map((p) => ({
        group: `${p.payload}${answers.length > 1 ? `, ${formatBytes(frameSize)}` : ''}`,
        paired: p.paired,
      })),
    ),
    1 + NOTICEABLE_BYTES,
    'TCP bytes per delivered frame, deflate off ÷ on',
    `Bytes per delivered frame with deflate off ÷ with it on, by payload kind: each pair a point, the 95% interval of their geometric mean a bar, ${1 + NOTICEABLE_BYTES} (more than framing) the dashed line (measured in this run)`,
  );
  for (const { frameSize, answer } of answers) {
    showFinding([`At ${formatBytes(frameSize)}: the post's claim: ${POST_CLAIMS.bytes}.`, ...answer.sentences]);
  }
  return answers;
}

/** The claims' answers at every size. */
export interface ClaimAnswers {
  disconnects: Array<SizedAnswer<DisconnectAnswer>>;
  cpu: Array<SizedAnswer<CpuAnswers>>;
  bytes: Array<SizedAnswer<BytesAnswer>>;
}

/** Every judgement of the chapter, size by size: claim 1, the CPU claim's two parts, claim 3. */
export function claimJudgements(answers: ClaimAnswers): Judgement[] {
  return answers.disconnects.flatMap(({ frameSize, answer }) => {
    const cpu = answers.cpu.find((a) => a.frameSize === frameSize)?.answer;
    const bytes = answers.bytes.find((a) => a.frameSize === frameSize)?.answer;
    return [
      answer.judgement,
      ...(cpu ? [cpu.own.judgement, cpu.failure.judgement] : []),
      ...(bytes ? [bytes.judgement] : []),
    ];
  });
}

/** The verdicts in one table, a row per claim and size: each with its finer word, its basis, its run, and what would settle it. */
export function showVerdicts(answers: ClaimAnswers): void {
  showTable(
    claimJudgements(answers).map((j) => ({
      claim: j.claim,
      verdict: j.verdict,
      'finer word': j.finer ?? '',
      run: j.mode,
      'judged from': j.basis,
      'to settle it': j.toSettle ?? '',
    })),
    {
      caption:
        "The post's claims about turning deflate off, each judged from a 95% interval against its threshold: holds, does not hold, or not settled",
    },
  );
}
