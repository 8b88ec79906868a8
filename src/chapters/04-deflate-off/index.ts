/**
 * Chapter 4, deflate off: why anything is compressed (the handshake), where engine.io 1.5.4 decides
 * it (its WebSocketServer construction, read from the installed source), the post's fix applied
 * at run time without editing a file, and each of the post's claims about that fix measured.
 */
import path from 'node:path';
import { showChart, showLog, showTable, progress } from '../../show/display';
import { readLongRuns, TIMELINE_EVERY_MS, type LongRunRecord } from '../../run/long-run';
import { resolveParams, type Params, type RawParams } from '../../core/params';
import { dataDir, PROJECT_ROOT } from '../../core/paths';
import { POST_CLAIMS, POST_SERVER_JS, POST_SERVER_JS_EDIT, POST_TESTED_MS } from '../post-quotes';
import { recordedDataDir, replayable, replaySteps } from '../../report/replay';
import { FAILING_SCENARIO } from '../../run/presets';
import { zeroFailureBlockers } from '../../run/failure-rule';
import { functionSource, numbered, search, sourceLines } from '../../search';
import { loadStack } from '../../stacks';
import { stackPackageDirs } from '../../stacks/catalog';
import { formatBytes, formatDuration } from '../../core/units';
import { plural, showFinding } from '../finding';
import {
  bytesPerFrame,
  bytesVerdict,
  CLAIMS_STACK,
  cpuMs,
  cpuPerMiB,
  deflateCostVerdict,
  disconnectVerdict,
  equalWorkLoad,
  EQUAL_WORK_FRACTION,
  EQUAL_WORK_STACK,
  failureCost,
  failureCostVerdict,
  runEqualWorkPairs,
  runFailures,
  runLoadPairs,
  runWirePairs,
  WIRE_LOAD,
  type ClaimVerdict,
  type EqualWorkLoad,
  type LoadPair,
  type WirePair,
} from './claims';
import { fractionLabel, KNEE_FRAME_SIZES } from '../../sweep/grid';
import { kneeBasis, recordedKnees } from '../../sweep/knees';
import { KNEE_SEARCH } from '../../capacity/knee';
import { capacityBoundMs, runCapacity, type CapacityPlan, type KneeResult } from '../../capacity/run';
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
 * The claims' runs at one frame size: the same load with deflate on and off on 2015 (clients
 * forked); the same frames at equal delivered work on a stack that does not fail; and one run per
 * payload kind for the bytes.
 */
export interface SizeClaimRuns {
  frameSize: number;
  load: LoadPair[];
  equalWork: LoadPair[];
  equalWorkLoad: EqualWorkLoad;
  wire: WirePair[];
}

/** The claims' runs, one block per frame size the chapter was given, in the order given. */
export interface ClaimRuns {
  sizes: SizeClaimRuns[];
  /** The equal-work knees searched live in this run (full mode, for a size none is recorded at); empty when all were recorded. */
  searchedKnees: KneeResult[];
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

/**
 * Step 4's measurements at each frame size, with one live progress line. A size whose equal-work
 * knee is not recorded gets a bounded live knee search in full mode (recorded in the data dir);
 * quick mode uses the nearest recorded size's knee, and the load's origin says so.
 */
export async function runClaims(params: Params): Promise<ClaimRuns> {
  return replayable(step('claims', params), () => measureClaims(params));
}

async function measureClaims(params: Params): Promise<ClaimRuns> {
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
  const perSize = 4 * params.repeats + 2 * params.payload.length;
  const total = perSize * params.frameSizes.length;
  const bar = progress(
    `claims: ${CLAIMS_STACK}, deflate on and off, at ${params.frameSizes.map(formatBytes).join(', ')}`,
    total,
  );
  let started = 0;
  const notice = (label: string) => {
    if (started++ > 0) bar.tick(1);
    bar.set(label);
  };
  const sizes: SizeClaimRuns[] = [];
  for (const frameSize of params.frameSizes) {
    const load = await runLoadPairs(params, frameSize, notice);
    const work = equalWorkLoad(knees, frameSize);
    const equalWork = await runEqualWorkPairs(params, work, notice);
    const wire = await runWirePairs(params, frameSize, notice);
    sizes.push({ frameSize: frameSize, load: load, equalWork: equalWork, equalWorkLoad: work, wire: wire });
  }
  bar.tick(1);
  bar.done(`${plural(total, 'run')}, every server closed`);
  return { sizes: sizes, searchedKnees: searchedKnees };
}

/** What chapter 4 does with the frame sizes it was given, in a sentence. */
export function claimSizesSentence(params: Params): string {
  const sizes = params.frameSizes.map(formatBytes).join(', ');
  return (
    `Frame ${params.frameSizes.length === 1 ? 'size' : 'sizes'}: ${sizes}. The three claims are measured and answered at each size: ` +
    `the reproducer's load on ${CLAIMS_STACK} with that frame size, deflate's own cost at equal delivered work (${fractionLabel(EQUAL_WORK_FRACTION)} of ${EQUAL_WORK_STACK} at that size, the slower setting's), ` +
    `and the bytes of one frame at a time. The long run is read from its record, at the size it was recorded at (${formatBytes(FAILING_SCENARIO.frameSize)}).`
  );
}

/** Says what the chapter does with its sizes. */
export function showClaimSizes(params: Params): void {
  showFinding(claimSizesSentence(params));
}

/** A verdict at one frame size. */
export interface SizedVerdict<T> {
  frameSize: number;
  verdict: T;
}

/** The recorded long runs: from the `--from-data` dir when given, else from the committed data/. */
export function recordedLongRuns(): { dir: string; runs: LongRunRecord[]; skipped: string[] } {
  const dir = recordedDataDir();
  const { records, skipped } = readLongRuns(dir);
  return { dir: dir, runs: records.filter((r) => !r.quick), skipped: skipped.map((s) => `${s.file}: ${s.reason}`) };
}

/** Claim 1: the live on/off runs at each size, then the recorded long runs with their timeline; a verdict per size. */
export async function showDisconnectClaim(runs: ClaimRuns): Promise<Array<SizedVerdict<ClaimVerdict>>> {
  showTable(
    runs.sizes
      .flatMap(({ load }) => load)
      .flatMap((pair) =>
        [pair.on, pair.off].map((record) => ({
          frame: formatBytes(record.spec.frameSize),
          repeat: pair.repeat,
          deflate: record.spec.deflate,
          'sent for': formatDuration(record.result.loadMs),
          sent: record.result.sent,
          delivered: record.result.delivered,
          'failures (the rule)': runFailures(record.result),
          'underlying errors':
            Object.entries(record.result.underlyingErrors)
              .map(([e, n]) => `${e} ×${n}`)
              .join(', ') || 'none',
          'deflate negotiated': record.result.controls.deflateNegotiated ? 'yes' : 'no',
          'fragmented messages': record.result.controls.fragmentedMessages,
          'zero-failure blockers':
            record.spec.deflate === 'off' ? zeroFailureBlockers(record).join('; ') || 'none' : '',
        })),
      ),
    {
      caption: `The reproducer (${FAILING_SCENARIO.clients} fragmenting clients, data URLs in ${formatBytes(FAILING_SCENARIO.fragmentSize)} fragments, burst ${FAILING_SCENARIO.burst} at ${FAILING_SCENARIO.rate}/s) on ${CLAIMS_STACK} at each frame size, clients in a child process`,
    },
  );
  const recorded = recordedLongRuns();
  if (recorded.runs.length === 0) {
    showFinding(
      `No long run is recorded in ${recorded.dir}/long-run${recorded.skipped.length ? ` (unreadable: ${recorded.skipped.join('; ')})` : ''}: record one with npm run long-run.`,
    );
  } else {
    showTable(
      recorded.runs.map((l) => ({
        recorded: l.startedAt.slice(0, 16).replace('T', ' '),
        commit: l.meta.commit.slice(0, 7) + (l.meta.dirty ? ' (dirty)' : ''),
        cpu: `${l.meta.cpuModel}, ${l.meta.cores} cores`,
        'deflate-off sent for': formatDuration(l.run.result.loadMs),
        sent: l.run.result.sent,
        'not sent (client backlog full)': l.run.result.notSent,
        delivered: l.run.result.delivered,
        'failures (the rule)': runFailures(l.run.result),
        blockers: l.blockers.join('; ') || 'none',
        'control (deflate on): failures': runFailures(l.control.result),
        'control: underlying errors':
          Object.entries(l.control.result.underlyingErrors)
            .map(([e, n]) => `${e} ×${n}`)
            .join(', ') || 'none',
      })),
      {
        caption: `Recorded long runs (${path.relative(PROJECT_ROOT, recorded.dir) || recorded.dir}/long-run), the same load with the clients forked`,
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
  }
  const verdicts = runs.sizes.map(({ frameSize, load }) => {
    // A long run answers for the size it was recorded at only.
    const verdict = disconnectVerdict(
      load,
      recorded.runs.filter((l) => l.run.spec.frameSize === frameSize),
    );
    showFinding(
      [
        `At ${formatBytes(frameSize)}: claim: ${POST_CLAIMS.disconnects}. Verdict: ${verdict.verdict}.`,
        ...verdict.sentences,
        verdict.longestOffMs !== null && verdict.longestOffMs < POST_TESTED_MS
          ? `That is ${formatDuration(verdict.longestOffMs)} of the post's ${formatDuration(POST_TESTED_MS)}.`
          : '',
      ].filter((s) => s !== ''),
    );
    return { frameSize: frameSize, verdict: verdict };
  });
  return verdicts;
}

/** The CPU claim's two answers. */
export interface CpuVerdicts {
  /** (a) What deflate itself costs per MiB, at equal delivered work on a stack that does not fail. */
  own: ClaimVerdict;
  /** (b) What the failure costs on 2015, under the same offered load. */
  failure: ClaimVerdict;
}

function cpuRows(pairs: readonly LoadPair[], withFailureCost: boolean) {
  return pairs.flatMap((pair) =>
    [pair.on, pair.off].map((record) => {
      const cost = failureCost(record);
      return {
        frame: formatBytes(record.spec.frameSize),
        repeat: pair.repeat,
        deflate: record.spec.deflate,
        'rate × burst × clients': `${record.spec.rate}/s × ${record.spec.burst} × ${record.spec.clients}`,
        'server CPU ms': Math.round(cpuMs(record.result)),
        'MiB delivered': Number(((record.result.delivered * record.spec.frameSize) / (1024 * 1024)).toFixed(1)),
        'CPU ms per MiB delivered':
          cpuPerMiB(record) === null ? null : Number((cpuPerMiB(record) as number).toFixed(1)),
        'load met':
          record.result.saturation === undefined ? 'not counted' : record.result.saturation.join('; ') || 'yes',
        ...(withFailureCost
          ? {
              failures: cost.failures,
              'inflates rejected': cost.rejectedInflates,
              reconnects: cost.reconnects,
              'frames lost': cost.framesLost,
            }
          : {}),
      };
    }),
  );
}

/** Claim 2, in two parts: (a) deflate's own cost at equal work, (b) the failure's cost on 2015; each a table over every size, then both verdicts per size. */
export async function showCpuClaim(runs: ClaimRuns): Promise<Array<SizedVerdict<CpuVerdicts>>> {
  const own = runs.sizes.flatMap((size) => cpuRows(size.equalWork, false));
  showTable(own, {
    caption: `(a) Equal work: ${EQUAL_WORK_STACK}, data URLs at ${runs.sizes.map((size) => `${runs.sizes.length > 1 ? `${formatBytes(size.frameSize)}: ` : ''}${size.equalWorkLoad.MiBps.toFixed(1)} MiB/s offered (${size.equalWorkLoad.origin})`).join('; ')}; server CPU from process.cpuUsage(), clients in a child process`,
  });
  const failing = runs.sizes.flatMap((size) => cpuRows(size.load, true));
  showTable(failing, {
    caption: `(b) The failing stack: ${CLAIMS_STACK} under the reproducer's load, deflate on and off`,
  });
  const label = (r: { frame: string; repeat: number }) =>
    runs.sizes.length > 1 ? `${r.frame}, repeat ${r.repeat}` : `repeat ${r.repeat}`;
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 200,
      height: 180,
      data: {
        values: [
          ...own.map((r) => ({
            part: `(a) ${EQUAL_WORK_STACK}, equal work`,
            run: label(r),
            deflate: r.deflate,
            value: r['CPU ms per MiB delivered'],
          })),
          ...failing.map((r) => ({
            part: `(b) ${CLAIMS_STACK}, same offered load`,
            run: label(r),
            deflate: r.deflate,
            value: r['CPU ms per MiB delivered'],
          })),
        ].filter((v) => v.value !== null),
      },
      mark: { type: 'bar' },
      encoding: {
        column: { field: 'part', type: 'nominal', title: null },
        x: { field: 'run', type: 'nominal', title: null, sort: null },
        xOffset: { field: 'deflate' },
        y: { field: 'value', type: 'quantitative', title: 'server CPU ms per MiB delivered' },
        color: { field: 'deflate', type: 'nominal' },
      },
    },
    {
      caption:
        'Server CPU per MiB delivered, deflate on and off: at equal work on a stack that does not fail, and on the failing 2015 stack (measured in this run)',
    },
  );
  return runs.sizes.map((size) => {
    const verdicts = {
      own: deflateCostVerdict(size.equalWork, size.equalWorkLoad),
      failure: failureCostVerdict(size.load),
    };
    showFinding([
      `At ${formatBytes(size.frameSize)}: claim: ${POST_CLAIMS.cpu}. Verdict: (a) ${verdicts.own.verdict}; (b) ${verdicts.failure.verdict}.`,
      ...verdicts.own.sentences,
      ...verdicts.failure.sentences,
    ]);
    return { frameSize: size.frameSize, verdict: verdicts };
  });
}

/** Claim 3: bytes on the wire per frame, by payload kind, deflate on and off; a verdict per size. */
export async function showBytesClaim(runs: ClaimRuns): Promise<Array<SizedVerdict<ClaimVerdict>>> {
  const rows = runs.sizes
    .flatMap(({ wire }) => wire)
    .flatMap((pair) =>
      [pair.on, pair.off].map((record) => ({
        payload: pair.payload,
        deflate: record.spec.deflate,
        frame: formatBytes(record.spec.frameSize),
        delivered: record.result.delivered,
        failures: runFailures(record.result),
        'compressed messages': record.result.controls.compressedMessages,
        'TCP bytes in': record.result.wire.bytesIn,
        'TCP bytes per frame':
          bytesPerFrame(record.result) === null ? null : Math.round(bytesPerFrame(record.result) as number),
        'wire ÷ payload': record.result.wireRatio === null ? null : Number(record.result.wireRatio.toFixed(3)),
      })),
    );
  showTable(rows, {
    caption: `Bytes the server read, ${WIRE_LOAD.clients} client sending one frame at a time at ${WIRE_LOAD.rate}/s in ${formatBytes(WIRE_LOAD.fragmentSize)} fragments, at each frame size`,
  });
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 320,
      height: 180,
      data: {
        values: rows
          .filter((r) => r['TCP bytes per frame'] !== null)
          .map((r) => ({
            payload: runs.sizes.length > 1 ? `${r.payload}, ${r.frame}` : r.payload,
            deflate: r.deflate,
            KiB: Number(((r['TCP bytes per frame'] as number) / 1024).toFixed(1)),
          })),
      },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'payload', type: 'nominal', title: null, sort: null },
        xOffset: { field: 'deflate' },
        y: { field: 'KiB', type: 'quantitative', title: 'KiB on the wire per frame' },
        color: { field: 'deflate', type: 'nominal' },
      },
    },
    { caption: 'TCP bytes per delivered frame, by payload kind (measured in this run)' },
  );
  return runs.sizes.map(({ frameSize, wire }) => {
    const verdict = bytesVerdict(wire);
    showFinding([
      `At ${formatBytes(frameSize)}: claim: ${POST_CLAIMS.bytes}. Verdict: ${verdict.verdict}.`,
      ...verdict.sentences,
    ]);
    return { frameSize: frameSize, verdict: verdict };
  });
}

/** The claims' verdicts at every size. */
export interface ClaimVerdicts {
  disconnects: Array<SizedVerdict<ClaimVerdict>>;
  cpu: Array<SizedVerdict<CpuVerdicts>>;
  bytes: Array<SizedVerdict<ClaimVerdict>>;
}

/** The verdicts in one table, a row per claim and size: the CPU claim in its two parts. */
export function showVerdicts(verdicts: ClaimVerdicts): void {
  const rows = verdicts.disconnects.flatMap(({ frameSize, verdict: disconnects }) => {
    const cpu = verdicts.cpu.find((v) => v.frameSize === frameSize)?.verdict;
    const bytes = verdicts.bytes.find((v) => v.frameSize === frameSize)?.verdict;
    const frame = formatBytes(frameSize);
    return [
      {
        "the post's claim": POST_CLAIMS.disconnects,
        frame: frame,
        verdict: disconnects.verdict,
        measured: disconnects.summary,
      },
      ...(cpu
        ? [
            {
              "the post's claim": `${POST_CLAIMS.cpu}: (a) deflate's own cost, at equal work`,
              frame: frame,
              verdict: cpu.own.verdict,
              measured: cpu.own.summary,
            },
            {
              "the post's claim": `${POST_CLAIMS.cpu}: (b) the failure's cost on ${CLAIMS_STACK}`,
              frame: frame,
              verdict: cpu.failure.verdict,
              measured: cpu.failure.summary,
            },
          ]
        : []),
      ...(bytes
        ? [{ "the post's claim": POST_CLAIMS.bytes, frame: frame, verdict: bytes.verdict, measured: bytes.summary }]
        : []),
    ];
  });
  showTable(rows, {
    caption: "The post's claims about turning deflate off, against this page's measurements, at each frame size",
  });
}
