/**
 * Chapter 7, part 6: advice for someone streaming frames of size S at rate R on today's
 * socket.io. Each choice (the defaults, deflate on, a raised maxHttpBufferSize, both, or chunking
 * the frame below the limit) is run, and its cost is read from the records: this chapter's runs
 * (an earlier part's run with the same spec is reused, not repeated) and, when present, the
 * sweep's. The recommendation sentences are worded from those numbers, and each choice's claim is
 * judged: a failure settles it against; a zero needs its controls, and where the defaults failed
 * it must be told apart from their disconnect rate by an interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { showHtml, showTable, showText, progress, textTable } from '../../show/display';
import { collapsible, htmlTable } from '../../show/fragments';
import type { ConnectionMemoryRecord } from './connection-memory';
import { COMMITTED_DATA_DIR, dataDir } from '../../core/paths';
import { BOUNDS, KiB, MiB, type DeflateMode, type Params } from '../../core/params';
import { readRecords, type RecordBase } from '../../core/records';
import { cannotSayNoFailure, classifyScenario } from '../../traffic/failure-rule';
import { noFailureJudgement } from '../../traffic/no-failure';
import { judgementRow, type Judgement } from '../../core/verdict';
import { runScenario, type ScenarioRecord, type ScenarioSpec } from '../../traffic/scenario';
import { socketIoScenario } from '../../traffic/presets';
import { median } from '../../core/stats';
import { formatBytes } from '../../core/units';
import { CLIFF_STACK, envelopeBytes, perMinute } from './cliff';
import { memoryCells } from './memory';
import { replayable } from '../replayable';
import { step } from './step';

/**
 * The frame sizes advised on: every size given, smallest first (the cliff's defaults runs are
 * reused); in quick mode the largest only, the size the advice is most needed at, to keep the
 * quick report short.
 */
export function adviceFrameSizes(params: Params): number[] {
  const sizes = [...params.frameSizes].sort((a, b) => a - b);
  return params.quick ? sizes.slice(-1) : sizes;
}
/** The piece size for chunking: a quarter of a MiB, well under the default limit. */
export const CHUNK_SIZE = 256 * KiB;

/**
 * The choices compared. Deflate above the limit is left to the sweep's records (its runs raise the
 * limit and pair deflate on with off), which keeps this chapter's quick mode within its budget.
 */
export type AdviceOption = 'defaults' | 'deflate on' | 'limit raised' | 'chunked' | 'as recorded';

/** One planned (or reused) run: a choice for a user's frame size S. */
export interface AdvicePlan {
  /** The user's frame size S. */
  frameSize: number;
  option: AdviceOption;
  /** Messages per user frame: 1, or the number of chunks. */
  pieces: number;
  spec: ScenarioSpec;
}

/** A run's cost for one choice, and where it was read from. */
export interface AdviceRun extends AdvicePlan {
  source: string;
  record: ScenarioRecord;
}

/** A limit that fits a message of `bytes`: the next whole MiB above it. */
export function raisedLimit(bytes: number): number {
  return Math.ceil((bytes + 1) / MiB) * MiB;
}

/** Plans every choice for each advised frame size at params.rate; `limit` is the stack's default maxHttpBufferSize. */
export function advicePlan(params: Params, limit: number): AdvicePlan[] {
  const plans: AdvicePlan[] = [];
  for (const frameSize of adviceFrameSizes(params)) {
    const base = socketIoScenario(params, CLIFF_STACK, frameSize, 'forked');
    const largestSeq = Math.ceil((params.rate * params.clients * params.burst * params.duration) / 1000);
    const message = frameSize + envelopeBytes(largestSeq, params.clients, frameSize);
    plans.push({ frameSize, option: 'defaults', pieces: 1, spec: base });
    plans.push({ frameSize, option: 'deflate on', pieces: 1, spec: { ...base, deflate: 'on' } });
    if (message > limit) {
      const raised = raisedLimit(message);
      const pieces = Math.ceil(frameSize / CHUNK_SIZE);
      plans.push({ frameSize, option: 'limit raised', pieces: 1, spec: { ...base, maxHttpBufferSize: raised } });
      // Chunked: the same bytes per second as `pieces` messages of CHUNK_SIZE (reassembly on the
      // server is the application's and is not measured here).
      plans.push({
        frameSize,
        option: 'chunked',
        pieces,
        spec: { ...base, frameSize: CHUNK_SIZE, rate: Math.min(params.rate * pieces, BOUNDS.rate.max) },
      });
    }
  }
  return plans;
}

const SPEC_KEYS: ReadonlyArray<keyof ScenarioSpec> = [
  'stack',
  'client',
  'payload',
  'frameSize',
  'fragmentSize',
  'rate',
  'clients',
  'burst',
  'deflate',
  'duration',
  'seed',
  'placement',
  'maxHttpBufferSize',
  'stopOnFirstFailure',
];

function sameSpec(a: ScenarioSpec, b: ScenarioSpec): boolean {
  return SPEC_KEYS.every((key) => a[key] === b[key]);
}

/** Runs each planned choice, reusing a run of this chapter with the same spec where there is one. */
export async function runAdvice(params: Params, limit: number, earlier: ScenarioRecord[]): Promise<AdviceRun[]> {
  return replayable(step('advice', params), () => measureAdvice(params, limit, earlier));
}

async function measureAdvice(params: Params, limit: number, earlier: ScenarioRecord[]): Promise<AdviceRun[]> {
  const plans = advicePlan(params, limit);
  const bar = progress('advice: each choice for each frame size', plans.length);
  const runs: AdviceRun[] = [];
  try {
    for (const plan of plans) {
      const reused = earlier.find((record) => sameSpec(record.spec, plan.spec));
      const record = reused ?? (await runScenario(plan.spec, { quick: params.quick }));
      runs.push({ ...plan, record, source: `this chapter${reused ? ' (the cliff sweep)' : ''}: ${record.id}` });
      bar.tick(1, `${formatBytes(plan.frameSize)}, ${plan.option}`);
    }
  } finally {
    bar.done();
  }
  return runs;
}

function looksLikeScenario(value: unknown): value is ScenarioRecord {
  const v = value as Partial<ScenarioRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.spec === 'object' &&
    v.spec !== null &&
    typeof v.result === 'object' &&
    v.result !== null &&
    typeof v.result.sent === 'number' &&
    typeof v.result.cpu === 'object' &&
    typeof v.result.wire === 'object'
  );
}

/** The sweep records found at run time: where they were looked for, the today runs in them, and what was not understood. */
export interface SweepFindings {
  looked: string[];
  runs: Array<{ source: string; record: ScenarioRecord }>;
  /** Sweep records (or their parts) that are not scenario-shaped, by file. */
  notUnderstood: number;
  skipped: string[];
}

/**
 * Reads the sweep's records from the data dir and the committed `data/` (each once), keeping the
 * today-stack scenario runs they hold: a record that is itself a scenario record, or one that
 * holds scenario records in a property or a list.
 */
export function readSweep(): SweepFindings {
  const dirs = [...new Set([dataDir(), COMMITTED_DATA_DIR].map((d) => path.resolve(d)))];
  const found: SweepFindings = {
    looked: dirs.map((d) => path.join(d, 'sweep')),
    runs: [],
    notUnderstood: 0,
    skipped: [],
  };
  for (const dir of dirs) {
    if (!fs.existsSync(path.join(dir, 'sweep'))) continue;
    const { records, skipped } = readRecords<RecordBase & Record<string, unknown>>('sweep', dir);
    found.skipped.push(...skipped.map((s) => `${s.file}: ${s.reason}`));
    for (const record of records) {
      // A sweep record may be a scenario record, hold one (`scenario`), or hold a list of them.
      const candidates: unknown[] = looksLikeScenario(record)
        ? [record]
        : Object.values(record).flatMap((value) => (Array.isArray(value) ? value : [value]));
      const scenarios = candidates.filter(looksLikeScenario);
      if (scenarios.length === 0) found.notUnderstood++;
      for (const scenario of scenarios) {
        if (scenario.spec.stack === 'today')
          found.runs.push({ source: `sweep: ${path.join(dir, 'sweep', record.id)}`, record: scenario });
      }
    }
  }
  return found;
}

/** Runs of the sweep as advice rows: each is its own (S, R) choice, labelled as recorded. */
export function sweepAdviceRuns(sweep: SweepFindings): AdviceRun[] {
  return sweep.runs.map(({ source, record }) => ({
    frameSize: record.spec.frameSize,
    option: 'as recorded',
    pieces: 1,
    spec: record.spec,
    source,
    record,
  }));
}

function deflateOf(run: AdviceRun): DeflateMode {
  return run.record.result.controls.deflateNegotiated ? 'on' : 'off';
}

/** The server settings (and client behaviour) a run stands for, as a reader would write them. */
export function settingsText(run: AdviceRun, limit: number): string {
  const parts: string[] = [];
  const { spec, server } = run.record;
  if (spec.deflate === 'on') parts.push('perMessageDeflate: true');
  if (server.maxHttpBufferSize !== limit) parts.push(`maxHttpBufferSize: ${server.maxHttpBufferSize}`);
  if (run.pieces > 1)
    parts.push(`each frame split into ${run.pieces} messages of ${spec.frameSize.toLocaleString('en-US')} bytes`);
  return parts.length > 0 ? parts.join(', ') : 'nothing (the defaults)';
}

/** The costs of one run, per user frame of size S. */
export function adviceCosts(run: AdviceRun, memory: ConnectionMemoryRecord[]) {
  const { result, server } = run.record;
  const frames = result.delivered / run.pieces;
  // Not zeroFailureBlockers(): its fragment and compression controls answer another question.
  const judgement = classifyScenario(result);
  const carried =
    result.status === 'completed' && judgement.failures === 0 && result.sent > 0 && result.delivered === result.sent;
  const cells = memoryCells(memory);
  const most = Math.max(0, ...cells.map((c) => c.connections));
  const mem = cells.find((c) => c.connections === most && c.deflate === deflateOf(run));
  const disconnects = judgement.serverFailures + judgement.clientFailures;
  return {
    frame: formatBytes(run.frameSize),
    'frame (bytes)': run.frameSize,
    rate: run.record.spec.rate / run.pieces,
    option: run.option,
    clients: `${run.record.spec.clients} ${run.record.spec.client}, ${run.record.spec.payload}`,
    settings: `deflate ${deflateOf(run)}, maxHttpBufferSize ${server.maxHttpBufferSize.toLocaleString('en-US')}${run.pieces > 1 ? `, ${run.pieces} × ${formatBytes(run.record.spec.frameSize)} messages` : ''}`,
    'delivered / sent': `${result.delivered} / ${result.sent}`,
    'all delivered, no disconnect': carried,
    'disconnects / min': perMinute(disconnects, result),
    'wire bytes / frame': frames > 0 ? Math.round(result.wire.payloadBytes / frames) : null,
    'wire ÷ frame': frames > 0 ? Number((result.wire.payloadBytes / frames / run.frameSize).toFixed(3)) : null,
    'compressed messages': `${result.wire.compressedMessages} / ${result.wire.messages}`,
    'server CPU ms / frame':
      frames > 0 ? Number(((result.cpu.userMs + result.cpu.systemMs) / frames).toFixed(2)) : null,
    'CPU includes clients': result.cpu.includesClients,
    'ack p50 ms': result.ackRttMs.p50 === null ? null : Number(result.ackRttMs.p50.toFixed(1)),
    [`server RSS / connection (KiB, ${most} conns)`]: mem ? Math.round(mem.exchanged.rss / 102.4) / 10 : null,
    source: run.source,
  };
}

type Costed = { run: AdviceRun; cost: ReturnType<typeof adviceCosts> };

/**
 * The settings that won each measured cost (memory per connection, bandwidth, server CPU) among
 * the choices that carried every frame, worded with the values; ties are named together. CPU comes
 * from one run per choice on a shared machine, so its load average is given beside it.
 */
export function whatToSet(ok: Costed[], limit: number): string {
  const memoryKey = Object.keys(ok[0].cost).find((k) => k.startsWith('server RSS')) as keyof Costed['cost'];
  const criteria: Array<{ key: keyof Costed['cost']; what: string; unit: string }> = [
    { key: memoryKey, what: 'the least server memory per connection', unit: ' KiB' },
    { key: 'wire bytes / frame', what: 'the least bandwidth', unit: ' bytes a frame' },
    { key: 'server CPU ms / frame', what: 'the least server CPU', unit: ' ms a frame' },
  ];
  const wins = new Map<Costed, string[]>();
  for (const { key, what, unit } of criteria) {
    const valued = ok.filter((r) => typeof r.cost[key] === 'number');
    if (valued.length === 0) continue;
    const best = Math.min(...valued.map((r) => r.cost[key] as number));
    for (const r of valued.filter((v) => v.cost[key] === best))
      wins.set(r, [...(wins.get(r) ?? []), `${what} (${best.toLocaleString('en-US')}${unit})`]);
  }
  const loads = ok.map((r) => r.run.record.meta.loadAverage);
  const loadNote = `CPU from one run per choice, 1-minute load average ${Math.min(...loads)}–${Math.max(...loads)} on ${ok[0].run.record.meta.cores} cores`;
  return (
    [...wins].map(([r, won]) => `${settingsText(r.run, limit)} for ${won.join(' and ')}`).join('; ') + ` (${loadNote})`
  );
}

/** Words the advice for each (S, R) from the rows: which choices carried every frame, and at what cost. */
export function adviceFinding(runs: AdviceRun[], memory: ConnectionMemoryRecord[], limit: number): string[] {
  const groups = new Map<string, AdviceRun[]>();
  for (const run of runs) {
    const key = `${run.frameSize}@${run.record.spec.rate / run.pieces}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const sentences: string[] = [];
  for (const group of groups.values()) {
    const rows = group.map((run) => ({ run, cost: adviceCosts(run, memory) }));
    const { frame, rate } = rows[0].cost;
    const ok = rows.filter((r) => r.cost['all delivered, no disconnect']);
    const defaults = rows.find((r) => r.run.option === 'defaults');
    const parts: string[] = [`${frame} frames at ${rate}/s per client:`];
    if (defaults) {
      // An errored run, or one that sent nothing, neither carried every frame nor failed to.
      const cannotSay = cannotSayNoFailure(defaults.run.record.result, 'any load');
      parts.push(
        defaults.cost['all delivered, no disconnect']
          ? 'the defaults carried every frame.'
          : cannotSay !== null
            ? `the defaults were not measured (${cannotSay}).`
            : `the defaults did not (${defaults.cost['delivered / sent']} delivered, ${defaults.cost['disconnects / min'] === null ? '?' : Math.round(defaults.cost['disconnects / min'])} disconnects a minute).`,
      );
    }
    if (ok.length === 0) {
      parts.push('No measured choice carried every frame without a disconnect.');
    } else {
      parts.push(`${ok.length} choice${ok.length === 1 ? '' : 's'} did: ${ok.map((r) => r.run.option).join(', ')}.`);
      parts.push(`Set: ${whatToSet(ok, limit)}.`);
      const deflated = ok.filter((r) => deflateOf(r.run) === 'on');
      const plain = ok.filter((r) => deflateOf(r.run) === 'off');
      if (deflated.length > 0 && plain.length > 0) {
        const d = deflated[0].cost;
        const p = plain[0].cost;
        const memKey = Object.keys(d).find((k) => k.startsWith('server RSS')) as keyof typeof d;
        parts.push(
          `Deflate (${deflated[0].run.option} vs ${plain[0].run.option}) changed server CPU from ${p['server CPU ms / frame']} to ${d['server CPU ms / frame']} ms a frame, ` +
            `wire bytes from ${p['wire bytes / frame']?.toLocaleString('en-US')} to ${d['wire bytes / frame']?.toLocaleString('en-US')}` +
            (d[memKey] !== null && p[memKey] !== null
              ? `, and memory per connection from ${p[memKey]} to ${d[memKey]} KiB.`
              : '.'),
        );
      }
    }
    sentences.push(parts.join(' '));
  }
  return sentences;
}

/** Words what the deflate threshold did for these frames: the smallest frame against engine.io's threshold. */
export function thresholdNote(runs: AdviceRun[], threshold: number | null): string {
  if (threshold === null || runs.length === 0) return 'No deflate threshold was read from the installed engine.io.';
  const smallest = Math.min(...runs.map((r) => r.record.spec.frameSize));
  return smallest >= threshold
    ? `Deflate's threshold (${threshold} bytes, engine.io's, read in part 1) is below every message here (the smallest is ${smallest.toLocaleString('en-US')} bytes), so it decides nothing for these frames; on the server side ws applies it only when server_no_context_takeover is negotiated (part 3).`
    : `Some messages here (${smallest.toLocaleString('en-US')} bytes) are below deflate's ${threshold}-byte threshold; on the server side ws applies it only when server_no_context_takeover is negotiated (part 3).`;
}

/**
 * Words what the sweep's (deflate on, off) pairs of today's stack show: for each setting recorded
 * with both, the median CPU and wire bytes per frame of each side (over its repeats, runs that
 * carried every frame only), then the spread of the on/off ratios.
 */
export function sweepFinding(runs: AdviceRun[], memory: ConnectionMemoryRecord[]): string | null {
  const groups = new Map<
    string,
    { on: Array<ReturnType<typeof adviceCosts>>; off: Array<ReturnType<typeof adviceCosts>>; frame: number }
  >();
  for (const run of runs) {
    const cost = adviceCosts(run, memory);
    if (
      !cost['all delivered, no disconnect'] ||
      cost['server CPU ms / frame'] === null ||
      cost['wire bytes / frame'] === null
    )
      continue;
    const key = JSON.stringify(SPEC_KEYS.filter((k) => k !== 'deflate').map((k) => run.record.spec[k]));
    const group = groups.get(key) ?? { on: [], off: [], frame: run.frameSize };
    group[deflateOf(run)].push(cost);
    groups.set(key, group);
  }
  const ratios: Array<{ cpu: number; wire: number; frame: number }> = [];
  for (const { on, off, frame } of groups.values()) {
    if (on.length === 0 || off.length === 0) continue;
    const med = (costs: typeof on, key: 'server CPU ms / frame' | 'wire bytes / frame') =>
      median(costs.map((c) => c[key] as number));
    const [offCpu, offWire] = [med(off, 'server CPU ms / frame'), med(off, 'wire bytes / frame')];
    if (offCpu === 0 || offWire === 0) continue;
    ratios.push({
      cpu: med(on, 'server CPU ms / frame') / offCpu,
      wire: med(on, 'wire bytes / frame') / offWire,
      frame,
    });
  }
  if (ratios.length === 0) return null;
  const span = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}×`;
  const frames = ratios.map((r) => r.frame);
  return `In the sweep's ${ratios.length} setting${ratios.length === 1 ? '' : 's'} of today's stack recorded with deflate both on and off, counting only runs that carried every frame (frames ${formatBytes(Math.min(...frames))}–${formatBytes(Math.max(...frames))}; medians over repeats), deflate on cost ${span(ratios.map((r) => r.cpu))} the server CPU per frame and put ${span(ratios.map((r) => r.wire))} the bytes on the wire.`;
}

/** What each choice is called as the subject of its claim. */
const CLAIM_SUBJECT: Record<AdviceOption, string> = {
  defaults: 'the defaults',
  'deflate on': 'deflate on',
  'limit raised': 'the limit raised to fit',
  chunked: 'chunking below the limit',
  'as recorded': 'the recorded settings',
};

/** The defaults' run at the same frame size: the failure every other choice is judged against. */
function defaultsRun(run: AdviceRun, runs: readonly AdviceRun[]): AdviceRun | undefined {
  return runs.find((r) => r.option === 'defaults' && r.frameSize === run.frameSize);
}

/** Whether a run failed under the failure rule. */
function failed(run: AdviceRun): boolean {
  return classifyScenario(run.record.result).failures > 0;
}

/**
 * A choice's claim. Where the defaults failed at this size, every other choice claims to avoid
 * that failure (`the limit raised to fit avoids the failure the defaults have with 1,000,000-character
 * frames at 5/s per client`); otherwise the claim is about this run (`… carried every … frame … in
 * this run`), since a short run's zero cannot speak for every run.
 */
export function adviceClaim(run: AdviceRun, runs: readonly AdviceRun[]): string {
  const frame =
    run.frameSize % 1024 === 0 ? formatBytes(run.frameSize) : `${run.frameSize.toLocaleString('en-US')}-character`;
  const load = `at ${run.record.spec.rate / run.pieces}/s per client`;
  const defaults = defaultsRun(run, runs);
  if (run.option !== 'defaults' && defaults !== undefined && failed(defaults))
    return `${CLAIM_SUBJECT[run.option]} avoids the failure the defaults have with ${frame} frames ${load}`;
  return `${CLAIM_SUBJECT[run.option]} carried every ${frame} frame ${load} without a failure in this run`;
}

/**
 * Judges a choice's claim (src/traffic/no-failure.ts): a failure settles it against; a zero needs its
 * controls, and where the defaults failed at this size it holds only when the two disconnect rates
 * are told apart by their interval.
 */
export function adviceJudgement(run: AdviceRun, runs: readonly AdviceRun[]): Judgement {
  const defaults = defaultsRun(run, runs);
  const baseline =
    run.option !== 'defaults' && defaults !== undefined && failed(defaults)
      ? { name: 'the defaults', records: [defaults.record] }
      : undefined;
  return noFailureJudgement(
    [run.record],
    adviceClaim(run, runs),
    `npm run report -- --only 7 --frame-sizes ${run.frameSize}`,
    baseline,
  );
}

/** What the advice is shown from, named so that a cell cannot swap two of them. */
export interface AdviceInputs {
  /** This chapter's advice runs: each choice at each frame size. */
  runs: AdviceRun[];
  /** The connection-memory records: what each choice costs per held connection. */
  memory: ConnectionMemoryRecord[];
  /** The sweep's records of today's stack, read at run time. */
  sweep: SweepFindings;
  /** engine.io's deflate threshold as read from its source, or null when it was not found. */
  threshold: number | null;
}

/** Shows the advice table (this chapter's runs), the sweep's runs of today's stack when present, and the generated sentences. */
export function showAdvice({ runs, memory, sweep, threshold }: AdviceInputs): void {
  showTable(
    runs.map((run) => adviceCosts(run, memory)),
    {
      caption:
        'Each choice for a frame size S at rate R, with its measured cost (every number read from a run record named in the last column)',
    },
  );
  const fromSweep = sweepAdviceRuns(sweep).sort(
    (a, b) => a.frameSize - b.frameSize || a.record.spec.rate - b.record.spec.rate,
  );
  if (fromSweep.length > 0) {
    const rows = fromSweep.map((run) => adviceCosts(run, memory));
    const caption = `The sweep's runs of today's stack, read at run time from ${sweep.looked.join(', ')}: the same costs, one row per recorded run`;
    showHtml(
      collapsible(
        `${rows.length} runs from the sweep's records (click to open)`,
        htmlTable(rows, { caption: caption }),
      ),
      textTable(rows, { caption: caption }),
    );
  }
  const sweepNote =
    fromSweep.length > 0
      ? `${fromSweep.length} run${fromSweep.length === 1 ? '' : 's'} of today's stack came from the sweep's records (second table); the sentences above are worded from this chapter's runs. ${sweepFinding(fromSweep, memory) ?? 'No (deflate on, off) pair in them carried every frame on both sides.'}`
      : `No sweep record of today's stack was found at run time in ${sweep.looked.join(' or ')}${sweep.notUnderstood > 0 ? ` (${sweep.notUnderstood} sweep record${sweep.notUnderstood === 1 ? '' : 's'} not in a shape this chapter reads)` : ''}: every cost above is from this chapter's runs.`;
  showTable(
    runs.map((run) => judgementRow(adviceJudgement(run, runs))),
    {
      caption:
        "Each choice's claim, judged from its run: a failure settles it against; a zero needs its controls, and where the defaults failed it holds only when its disconnect rate is told apart from theirs by the 95% interval of their ratio",
    },
  );
  const limit = runs.find((r) => r.option === 'defaults')?.record.server.maxHttpBufferSize ?? Number.NaN;
  showText([...adviceFinding(runs, memory, limit), thresholdNote(runs, threshold), sweepNote].join('\n'), {
    title: 'advice, worded from the measurements',
  });
}
