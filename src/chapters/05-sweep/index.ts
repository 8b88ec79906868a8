/**
 * Chapter 5, the sweep: the disconnect rate per connection-hour, CPU, bytes on the wire and ack
 * latency with deflate on and off across frame sizes, and each on/off comparison judged from its
 * interval. By default it renders the committed dataset (`data/sweep/`, or the
 * `--from-data` dir) with one small live spot check; frame sizes given in the parameters cell
 * (or on the report's command line) are measured live instead, with the sweep engine.
 */
import path from 'node:path';
import { showChart, showHtml, showTable, textTable } from '../../show/display';
import { collapsible, escapeText, formatNumber, htmlTable } from '../../show/fragments';
import { busyThreshold, othersCores } from '../../core/machine-load';
import { runMetrics, spread, type Spread } from '../../traffic/metrics';
import { median, MIN_UNITS, poissonRate } from '../../core/stats';
import { verdictText, type Judgement } from '../../core/verdict';
import { disconnectUnit, rateText } from '../../traffic/rates';
import { csvDownloadLink } from '../../show/csv';
import { resolveParams, type Params, type RawParams } from '../../core/params';
import { COMMITTED_DATA_DIR, PROJECT_ROOT } from '../../core/paths';
import { readRecords, type SkippedFile } from '../../core/records';
import { fromDataDir, recordedDataDir, replaySteps } from '../../core/replay';
import { replayable } from '../replayable';
import { aggregateCells, deflatePairs, type CellAggregate, type SpreadMetric } from '../../sweep/aggregate';
import {
  compareCost,
  compareDisconnects,
  spotConsistency,
  type CostComparison,
  type DisconnectComparison,
} from '../../sweep/compare';
import {
  cellGrid,
  expandGrid,
  fractionLabel,
  FULL_GRID,
  loadLabel,
  paramsGrid,
  type SweepCell,
  type SweepGrid,
} from '../../sweep/grid';
import { runSweep, SESSION_KIND, SWEEP_KIND, type SweepRecord, type SweepSession } from '../../sweep/engine';
import { formatBytes, formatDuration } from '../../core/units';
import {
  CAPACITY_KIND,
  kneeCpuCheck,
  kneeSpread,
  searchesOf,
  type KneeCpuCheck,
  type CapacityRecord,
  type KneeResult,
} from '../../capacity/measure';
import { describeKnee } from '../../capacity/knee';
import { medianRangeText } from '../../capacity/summary';
import { kneeFigure } from '../../sweep/knees';
import { MiB } from '../../core/params';
import { ackChart, cpuChart, headlineChart, heatmapChart, kneeChart, wireChart, type KneePoint } from './charts';
import {
  describeAck,
  describeCpu,
  describeHeadline,
  describeHeatmap,
  describe2015UnderLoad,
  describeKneeCpu,
  describeKnees,
  describeWire,
  type KneeCpu,
  type LoadRate,
  rangeText,
} from './describe';
import { headlineSelection, pooledByPayload, rowsOf, runRows, selected, type Row, type Selection } from './rows';
import {
  COST_CLAIM,
  costBasis,
  costToSettle,
  DISCONNECT_CLAIM,
  describeVerdicts,
  disconnectToSettle,
  disconnectWhy,
  rateShort,
  ratioText,
  spotCheckSentence,
  stackCostJudgement,
  stackDisconnectJudgement,
} from './verdicts';
import { InputError } from '../../core/errors';

/** Where the committed knees are, as a reader of the report names it. */
const COMMITTED_CAPACITY = `${path.relative(PROJECT_ROOT, COMMITTED_DATA_DIR)}/${CAPACITY_KIND}`;

/** The cell the spot check measures again: 2015, deflate on, 1 MiB data URLs, at the headline's load. */
const SPOT_CHECK = { stack: '2015', deflate: 'on', payload: 'data-url', frameSize: 1024 * 1024 } as const;

const step = replaySteps('sweep');

/** What the parameters cell declares (frameSizes empty: show the recorded sweep). */
export interface SweepChapterInput {
  frameSizes: string;
  rate: number;
  burst: number;
  clients: number;
  duration: string;
  stacks: string;
  deflate: string;
  payload: string;
  repeats: number;
  quick: boolean;
}

/** Where the chapter's numbers come from, and why. */
export type SweepSource =
  | { mode: 'recorded'; dir: string; why: string; spotCheck: boolean; quick: boolean }
  | { mode: 'live'; grid: SweepGrid; params: Params; why: string; quick: boolean };

/**
 * Decides the source: frame sizes in the parameters mean "measure these now" (under `--from-data`,
 * replay the live sweep recorded with the same parameters); none means the recorded sweep, from
 * the `--from-data` dir or else the committed data/. The parameters are checked with the model in every
 * case, so a typo is an error.
 */
export function sweepSource(input: SweepChapterInput): SweepSource {
  const { frameSizes, ...rest } = input;
  const raw: RawParams = { ...rest };
  const sizesGiven = frameSizes.trim() !== '';
  if (sizesGiven) raw.frameSizes = frameSizes;
  const params = resolveParams(raw);
  const replay = fromDataDir();
  if (sizesGiven) {
    const grid = paramsGrid(params, 'live', 'measured now, with the parameters above');
    return {
      mode: 'live',
      grid: grid,
      params: params,
      why:
        replay === undefined
          ? `frame sizes ${frameSizes} were given, so they are measured now`
          : `frame sizes ${frameSizes} were given: the live sweep recorded with these parameters in ${replay} is re-rendered, as --from-data asked`,
      quick: params.quick,
    };
  }
  const dir = recordedDataDir();
  return {
    mode: 'recorded',
    dir: dir,
    why:
      replay === undefined
        ? `no frame sizes were given, so the committed sweep in ${dir} is shown`
        : `re-rendered from the records in ${replay}, as --from-data asked`,
    spotCheck: !params.quick,
    quick: params.quick,
  };
}

/** Everything the chapter shows, from records read or runs made. */
export interface SweepData {
  source: SweepSource;
  records: SweepRecord[];
  sessions: SweepSession[];
  cells: CellAggregate[];
  /**
   * The knees shown: those the recorded sweep's knee fractions were taken from; for a live sweep,
   * which runs at fixed loads, the newest recorded ones, for reference.
   */
  knees: KneeResult[];
  /** Cores of the machine the knees were measured on (what an unpinned server had). */
  kneeCores: number;
  /** Files in the data dir that were not valid records. */
  skipped: SkippedFile[];
}

/** Thrown when the data dir holds no sweep; the message says how to make one. */
export class NoSweepDataError extends InputError {}

/** One knee per stack, setting and size: the newest record's, when sessions named several. */
function newestKnees(records: readonly CapacityRecord[]): KneeResult[] {
  const byTarget = new Map<string, KneeResult>();
  for (const record of [...records].sort((a, b) => b.endedAt.localeCompare(a.endedAt))) {
    for (const knee of record.knees) {
      const target = `${knee.stack}|${knee.deflate}|${knee.frameSize}`;
      if (!byTarget.has(target)) byTarget.set(target, knee);
    }
  }
  return [...byTarget.values()];
}

/** Reads the recorded sweep, or measures the live grid (one progress line); returns the aggregated data. */
export async function sweepData(source: SweepSource): Promise<SweepData> {
  if (source.mode === 'live') {
    const live = source;
    // Recorded without the aggregates (they hold Maps): they are rebuilt from the runs either way.
    const measured = await replayable(step('live-sweep', live.params), async () => {
      const outcome = await runSweep(live.grid, { dir: false, quick: live.quick, label: 'live sweep' });
      const capacity = readRecords<CapacityRecord>(CAPACITY_KIND, COMMITTED_DATA_DIR);
      const newest = capacity.records.filter((r) => !r.quick).sort((a, b) => b.endedAt.localeCompare(a.endedAt));
      return {
        records: outcome.records,
        session: outcome.session,
        knees: newest.length > 0 ? newest[0].knees : [],
        kneeCores: newest.length > 0 ? newest[0].meta.cores : 0,
        skipped: capacity.skipped,
      };
    });
    return {
      source: live,
      records: measured.records,
      sessions: [measured.session],
      cells: aggregateCells(measured.records),
      knees: measured.knees,
      kneeCores: measured.kneeCores,
      skipped: measured.skipped,
    };
  }
  const runs = readRecords<SweepRecord>(SWEEP_KIND, source.dir);
  const sessions = readRecords<SweepSession>(SESSION_KIND, source.dir);
  if (runs.records.length === 0) {
    throw new NoSweepDataError(
      `no sweep records in ${source.dir}/${SWEEP_KIND}: run npm run sweep first, or set frameSizes in the parameters cell to measure live`,
    );
  }
  // The knees are those the sessions name: the loads of their knee-fraction runs were set from them.
  const named = new Set(sessions.records.flatMap((session) => session.kneeRecords ?? []));
  const capacity = readRecords<CapacityRecord>(CAPACITY_KIND, source.dir);
  const kneeRecords = capacity.records.filter((r) => named.has(r.id));
  return {
    source: source,
    records: runs.records,
    sessions: sessions.records,
    cells: aggregateCells(runs.records),
    knees: newestKnees(kneeRecords),
    kneeCores: Math.max(0, ...kneeRecords.map((r) => r.meta.cores)),
    skipped: [...runs.skipped, ...sessions.skipped, ...capacity.skipped],
  };
}

function paragraph(text: string): void {
  showHtml(`<p>${escapeText(text)}</p>`, text);
}

/** States where this chapter's numbers come from. */
export function showSource(source: SweepSource): void {
  paragraph(
    source.mode === 'live'
      ? `Live: ${source.why}. ${source.grid.blocks[0].repeats === 1 ? 'One run' : `${source.grid.blocks[0].repeats} repeats`} of ${formatDuration(source.grid.duration)} per cell.`
      : `Recorded: ${source.why}.${source.spotCheck ? ' One cell is measured again live at the end (the spot check).' : ''}`,
  );
}

function spanText(values: readonly string[]): string {
  const sorted = [...values].sort();
  return sorted.length === 0
    ? ''
    : sorted[0] === sorted[sorted.length - 1]
      ? sorted[0]
      : `${sorted[0]} to ${sorted[sorted.length - 1]}`;
}

function distinct(values: readonly string[]): string {
  return [...new Set(values)].join('; ');
}

/** How much other processes used the machine while the runs ran, and whether that stayed under half the cores. */
function loadVerdict(records: readonly SweepRecord[]): string {
  const others = records.map((r) => (r.machineLoad ? othersCores(r.machineLoad) : null));
  const measured = others.filter((x): x is number => x !== null);
  if (measured.length === 0) return 'the CPU other processes used was not recorded in these runs';
  const busy = records.filter((r, i) => (others[i] ?? 0) > busyThreshold(r.meta.cores)).length;
  const s = spread(measured) as Spread;
  return (
    `other processes used median ${formatNumber(s.median)}, at most ${formatNumber(s.max)} cores while a run ran` +
    (busy === 0
      ? `: under half the cores in every run measured (${measured.length} of ${records.length}), a quiet machine`
      : `: over half the cores in ${busy} of ${records.length} runs, a busy machine`)
  );
}

function spreadText(s: Spread | null): string {
  return s === null ? '' : `median ${formatNumber(s.median)}, ${rangeText(s.min, s.max)}`;
}

/** The dataset's label: when, which commit, which machine, how loaded, which grid, how long it took; then the grid's blocks. */
export function showDataset(data: SweepData): void {
  const { records, sessions } = data;
  const completed = records.filter((r) => r.status === 'completed').length;
  const rows: Array<{ what: string; value: string }> = [
    {
      what: 'runs',
      value: `${records.length} (${completed} completed, ${records.length - completed} failed to measure)`,
    },
    { what: 'dates', value: spanText(records.map((r) => r.startedAt.replace(/\.\d+Z$/, 'Z'))) },
    {
      what: 'commit',
      value: distinct(
        records.map(
          (r) => `${r.meta.commit.slice(0, 12)}${r.meta.dirty ? ' (with uncommitted changes in the checkout)' : ''}`,
        ),
      ),
    },
    { what: 'CPU', value: distinct(records.map((r) => `${r.meta.cpuModel} × ${r.meta.cores}`)) },
    { what: 'Node', value: distinct(records.map((r) => r.meta.node)) },
    {
      what: '1-min load average',
      value: `${spreadText(spread(records.map((r) => r.meta.loadAverage)))} on ${distinct(records.map((r) => String(r.meta.cores)))} cores, ${
        records.every((r) => r.meta.loadAverageRead === 'before-recording')
          ? 'read by the recording gate before the sweep began'
          : "read at each run's end, the sweep's own runs included"
      }; ${loadVerdict(records)}`,
    },
    { what: 'grids', value: distinct(records.map((r) => r.grid)) },
    {
      what: 'sweep invocations',
      value:
        sessions
          .map(
            (s) =>
              `${s.grid.name}: ${s.ran} runs made, ${s.skipped} found, ${s.failed} failed, in ${formatDuration(s.wallMs)}${s.complete ? '' : ' (interrupted)'}`,
          )
          .join('; ') || 'none recorded',
    },
  ];
  if (data.skipped.length > 0)
    rows.push({ what: 'files skipped', value: data.skipped.map((s) => `${s.file}: ${s.reason}`).join('; ') });
  showTable(rows, {
    caption: data.source.mode === 'live' ? 'This live sweep' : `The recorded sweep (${data.source.dir})`,
  });
  const grids = new Map<string, SweepGrid>(sessions.map((s) => [s.grid.name, s.grid]));
  for (const grid of grids.values()) {
    paragraph(
      `Grid "${grid.name}": ${grid.description}. Every run: ${grid.clients} ${grid.client} clients in a separate process (${grid.placement}), so the server's CPU is measured alone; ` +
        `${formatDuration(grid.duration)} of sending; WebSocket fragments of ${formatBytes(grid.fragmentSize)}; maxHttpBufferSize ${formatBytes(grid.maxHttpBufferSize)} on every stack; seed ${grid.seed}.`,
    );
    showTable(
      grid.blocks.map((b) => ({
        block: b.purpose,
        stacks: b.stacks.join(', '),
        deflate: b.deflate.join(', '),
        payloads: b.payloads.join(', '),
        'frame sizes': b.frameSizes.map(formatBytes).join(', '),
        load: b.kneeFractions?.length
          ? b.kneeFractions.map(fractionLabel).join(', ')
          : `${b.rates.join(', ')}/s × burst ${b.bursts.join(', ')}`,
        repeats: b.repeats,
      })),
      { caption: `Blocks of grid "${grid.name}" (a cell in two blocks runs once, with the larger repeat count)` },
    );
  }
  const ran = sessions.reduce((n, s) => n + s.ran, 0);
  const wallMs = sessions.reduce((n, s) => n + s.wallMs, 0);
  if (ran > 0) {
    const perRun = wallMs / ran;
    const full = expandGrid(FULL_GRID).length;
    paragraph(
      `Measured pace: ${ran} runs in ${formatDuration(wallMs)}, ${formatDuration(perRun)} of wall time per run with set-up and teardown. ` +
        `At that pace the full grid (${full} runs of ${formatDuration(FULL_GRID.duration)}, so each would take longer still) would need at least ${formatDuration(full * perRun)}.`,
    );
  }
}

/** `data-url frames, 4 clients, at 50% of the knee from 64 KiB to 4 MiB and 10/s × 3 each at 1 KiB and 8 KiB`. */
function selectionText(s: Selection, data: SweepData): string {
  const clients = [...new Set(data.cells.filter((c) => selected(s)(c.cell)).map((c) => c.cell.clients))].join(' or ');
  const sizesByLoad = new Map<string, number[]>();
  for (const [size, load] of Object.entries(s.loadBySize))
    sizesByLoad.set(load, [...(sizesByLoad.get(load) ?? []), Number(size)]);
  const loads = [...sizesByLoad].map(([load, sizes]) => {
    const sorted = sizes.sort((a, b) => a - b);
    const where =
      sorted.length === 1
        ? `at ${formatBytes(sorted[0])}`
        : `from ${formatBytes(sorted[0])} to ${formatBytes(sorted[sorted.length - 1])}`;
    return `${load}${load.includes('knee') ? '' : ' per client'} ${where}`;
  });
  return `${s.payload} frames, ${clients} clients, ${loads.join(' and ')}`;
}

/** A cell's load for a table: `50% of the knee (2.5/s × 1)` or `10/s × 3`. */
function loadCell(cell: Omit<SweepCell, 'deflate'>): string {
  return cell.knee ? `${loadLabel(cell)} (${formatNumber(cell.rate)}/s × ${cell.burst})` : loadLabel(cell);
}

async function chartWithSentence(
  spec: Parameters<typeof showChart>[0],
  caption: string,
  sentence: string,
): Promise<void> {
  await showChart(spec, { caption: caption });
  paragraph(sentence);
}

function headline(data: SweepData): Selection | null {
  return headlineSelection(data.cells);
}

/** A knee as a point of the chart, or why it has none (a search that failed first, or found no figure). */
function kneePoint(knee: KneeResult): KneePoint | string {
  const where = `${knee.stack} with deflate ${knee.deflate} at ${formatBytes(knee.frameSize)}`;
  if (knee.outcome.kind === 'fails-first') return `${where}: ${describeKnee(knee.outcome)}`;
  const figure = kneeFigure(knee);
  if (typeof figure === 'string') return `${where}: ${figure}`;
  const repeats = kneeSpread(knee);
  return {
    stack: knee.stack,
    deflate: knee.deflate,
    frameSize: knee.frameSize,
    ...figure,
    min: repeats.payload?.min ?? figure.MiBps,
    max: repeats.payload?.max ?? figure.MiBps,
    wireMiBps: repeats.wire?.median ?? null,
    searches: repeats.searches,
  };
}

/**
 * A knee's CPU at its knee steps, medians over its searches that found a knee; null when its
 * median search found no knee (a bound says nothing of where the CPU ran out) or none kept its CPU.
 */
function kneeCpu(knee: KneeResult, machineCores: number): KneeCpu | null {
  if (knee.outcome.kind !== 'knee') return null;
  const checks = searchesOf(knee).flatMap((search) => kneeCpuCheck(search, knee.pinning, machineCores) ?? []);
  if (checks.length === 0) return null;
  const medianOf = (figure: (check: KneeCpuCheck) => number) => median(checks.map(figure));
  return {
    stack: knee.stack,
    deflate: knee.deflate,
    frameSize: knee.frameSize,
    kneeMiBps: medianOf((c) => c.kneeMiBps),
    cores: medianOf((c) => c.usedCores),
    msPerMiB: medianOf((c) => c.msPerMiB),
    mainMsPerMiB: medianOf((c) => c.msPerMiB * (1 - c.otherThreadsShare)),
    otherMsPerMiB: medianOf((c) => c.msPerMiB * c.otherThreadsShare),
    flagged: checks.filter((c) => c.flag !== null).length,
    searches: checks.length,
  };
}

/** One table row per knee: its figures over the searches, in payload and wire MiB/s, and its CPU at the knee. */
function kneeTableRows(knees: readonly KneeResult[], machineCores: number) {
  return knees.map((knee) => {
    const repeats = kneeSpread(knee);
    const cpu = kneeCpu(knee, machineCores);
    return {
      stack: knee.stack,
      deflate: knee.deflate,
      'frame size': formatBytes(knee.frameSize),
      'knee, payload MiB/s': medianRangeText(repeats.payload),
      'knee, wire MiB/s': medianRangeText(repeats.wire),
      'searches with a knee': `${repeats.withKnee} of ${repeats.searches}`,
      'cores at the knee': cpu ? formatNumber(cpu.cores) : 'n/a',
      'CPU ms per MiB (main + others)': cpu
        ? `${formatNumber(cpu.msPerMiB)} (${formatNumber(cpu.mainMsPerMiB)} + ${formatNumber(cpu.otherMsPerMiB)})`
        : 'n/a',
      'CPU check': cpu === null ? 'n/a' : cpu.flagged === 0 ? 'ok' : `flagged in ${cpu.flagged} of ${cpu.searches}`,
      'how the median search ended': describeKnee(knee.outcome),
    };
  });
}

/** 2015 with deflate on, each sweep cell as an offered load with its disconnect rate. */
function loadRates2015(data: SweepData): LoadRate[] {
  return data.cells
    .filter((c) => c.cell.stack === '2015' && c.cell.deflate === 'on' && c.cell.payload === 'data-url')
    .map((c) => ({
      frameSize: c.cell.frameSize,
      load: loadLabel(c.cell),
      offeredMiBps: (c.cell.rate * c.cell.burst * c.cell.clients * c.cell.frameSize) / MiB,
      rate: c.rate,
      completed: c.completed,
      saturated: c.saturated,
    }));
}

/**
 * The knees, deflate on against off, as a chart, a table and findings: the capacity the sweep's
 * loads were set from, why each setting's knee falls where it does (the CPU at the knee steps), and
 * 2015 under load. A sweep at fixed loads (a live one, or one recorded before knees) says so.
 */
export async function showKnees(data: SweepData): Promise<void> {
  const live = data.source.mode === 'live';
  if (data.knees.length === 0) {
    return paragraph(
      live
        ? `No knees: a live sweep runs at the fixed load of the parameters cell, each run's counted load says whether it was met, and no knee is recorded in ${COMMITTED_CAPACITY} to show beside it.`
        : "No knees: these runs were recorded at fixed loads, before the sweep set its loads from knees; each run's counted load says whether it was met.",
    );
  }
  if (live)
    paragraph(
      `The knees below were recorded by the committed sweep (${COMMITTED_CAPACITY}), not measured now: this live sweep runs at the fixed load of the parameters cell, and each run's counted load says whether it was met.`,
    );
  const points: KneePoint[] = [];
  const gaps: string[] = [];
  for (const knee of data.knees) {
    const point = kneePoint(knee);
    if (typeof point === 'string') gaps.push(point);
    else points.push(point);
  }
  const pinned = data.knees.every((k) => k.pinning.pinned);
  await chartWithSentence(
    kneeChart(points),
    `Knees: the highest payload MiB/s each server is offered and still meets by time (every frame acked within the send window and a drain of two early round trips, the round trip not growing), deflate on and off; ` +
      `a point is the median of a knee's searches and its bar their range (a triangle is a lower bound: the search met its highest rate, or the generator fell short first); ` +
      `${pinned ? 'server and load generator pinned to a core each' : 'not pinned to cores'}`,
    describeKnees(points, gaps),
  );
  showTable(kneeTableRows(data.knees, data.kneeCores));
  const cpus = data.knees.map((k) => kneeCpu(k, data.kneeCores)).filter((c): c is KneeCpu => c !== null);
  paragraph(describeKneeCpu(cpus));
  const searches2015 = data.knees
    .filter((k) => k.stack === '2015')
    .map((k) => ({
      deflate: k.deflate,
      frameSize: k.frameSize,
      ends: searchesOf(k).map((s) => s.outcome),
    }));
  const rates = loadRates2015(data);
  if (rates.length > 0)
    showTable(
      rates.map((r) => ({
        'frame size': formatBytes(r.frameSize),
        load: r.load,
        'offered MiB/s': formatNumber(r.offeredMiBps),
        runs: r.completed,
        'left out (load not met)': r.saturated,
        'disconnects per connection-hour': r.rate === null ? 'n/a (no run met its load)' : rateText(r.rate),
      })),
    );
  paragraph(describe2015UnderLoad(searches2015, rates));
}

/** The main chart's rows (its payload and, at each size, its load), and that selection in words; null when nothing was measured. */
export function headlineRows(data: SweepData): { rows: Row[]; selection: string } | null {
  const sel = headline(data);
  return sel ? { rows: rowsOf(data.cells, null, selected(sel)), selection: selectionText(sel, data) } : null;
}

/** Chart 1 and its sentence: the disconnect rate per connection-hour vs frame size, on beside off, per stack; and its runs as CSV. */
export async function showHeadline(data: SweepData): Promise<void> {
  const sel = headline(data);
  if (!sel) return paragraph('No cell was measured.');
  const rows = rowsOf(data.cells, null, selected(sel));
  await chartWithSentence(
    headlineChart(rows),
    `Disconnects per connection-hour of sending vs frame size, deflate on beside off (point: the rate over a cell's runs; bar: its 95% interval; a diamond on a dashed bar: not settled, under ${MIN_UNITS} runs or counts more spread than chance; a downward triangle: no disconnect, drawn at its one-sided 95% upper bound), ${selectionText(sel, data)}`,
    describeHeadline(rows),
  );
  const runs = runRows(data.records, selected(sel));
  showHtml(
    `<p>${csvDownloadLink('deflate-lab-sweep-rate-runs.csv', runs, `Download the ${runs.length} runs behind this chart (CSV)`)}: one row per run, with its disconnects and connection-hours; a cell's rate is the sum of its counted runs' disconnects over the sum of their connection-hours.</p>`,
    `(${runs.length} runs behind this chart: downloadable as CSV from the HTML page)`,
  );
}

/** Chart 2 and its sentence: server CPU per MiB delivered. */
export async function showCpu(data: SweepData): Promise<void> {
  const sel = headline(data);
  if (!sel) return paragraph('No cell was measured.');
  const rows = rowsOf(data.cells, 'cpuMsPerMiB', selected(sel));
  await chartWithSentence(
    cpuChart(rows),
    `Server CPU (user + system) per MiB delivered vs frame size, clients in another process, ${selectionText(sel, data)}`,
    describeCpu(rows),
  );
}

/** Chart 3 and its sentence: bytes on the wire per message by payload kind, and the compression ratios behind the sentence. */
export async function showWire(data: SweepData): Promise<void> {
  const bytes = pooledByPayload(data.cells, 'wireBytesPerMessage');
  const ratios = pooledByPayload(data.cells, 'compressionRatio');
  await chartWithSentence(
    wireChart(bytes),
    'Client → server payload bytes on the wire per message vs frame size, by payload kind (median over every run that delivered all it sent, any stack and load)',
    describeWire(ratios),
  );
}

/** Chart 4 and its sentence: p99 ack round trip. */
export async function showAck(data: SweepData): Promise<void> {
  const sel = headline(data);
  if (!sel) return paragraph('No cell was measured.');
  const rows = rowsOf(data.cells, 'ackP99Ms', selected(sel));
  await chartWithSentence(
    ackChart(rows),
    `p99 ack round trip (emit to ack, acked messages only) vs frame size, ${selectionText(sel, data)}`,
    describeAck(rows),
  );
}

/** Chart 5 and its sentence: the failure-rate heat map over frame size × rate × burst for 2015 with deflate on. */
export async function showHeatmap(data: SweepData): Promise<void> {
  const sel = headline(data);
  const stack = data.cells.some((c) => c.cell.stack === '2015') ? '2015' : data.cells[0]?.cell.stack;
  if (!sel || stack === undefined) return paragraph('No cell was measured.');
  const rows = rowsOf(
    data.cells,
    null,
    // Knee fractions are not a rate × burst: the heat map shows the fixed loads.
    (c) => c.stack === stack && c.deflate === 'on' && c.payload === sel.payload && c.knee === undefined,
  );
  await chartWithSentence(
    heatmapChart(rows),
    `Disconnects per connection-hour on ${stack} with deflate on, ${sel.payload} frames, by frame size × rate × burst (a count's rate, n.s. when not settled; ≤ a zero's one-sided 95% bound; with the runs behind it)`,
    describeHeatmap(rows),
  );
}

/** Every deflate on/off pair of the sweep, judged on both claims. */
export interface SweepComparisons {
  disconnects: DisconnectComparison[];
  cost: CostComparison[];
}

/** Judges every on/off pair of cells on disconnects (the ratio of the two rates) and on CPU per MiB (the repeat pairs). */
export function sweepComparisons(data: SweepData): SweepComparisons {
  const pairs = deflatePairs(data.cells);
  return { disconnects: pairs.map(compareDisconnects), cost: pairs.map(compareCost) };
}

function pairColumns(cell: DisconnectComparison['cell']) {
  return { stack: cell.stack, payload: cell.payload, frame: formatBytes(cell.frameSize), load: loadCell(cell) };
}

function disconnectRows(comparisons: readonly DisconnectComparison[]) {
  return comparisons.map((c) => ({
    ...pairColumns(c.cell),
    'deflate on': rateShort(c.on),
    'deflate off': rateShort(c.off),
    'on ÷ off': c.ratio ? ratioText(c.ratio, '') : '',
    verdict: verdictText(c),
    why: disconnectWhy(c),
    'to settle it': disconnectToSettle(c) ?? '',
  }));
}

function costRows(comparisons: readonly CostComparison[]) {
  return comparisons.map((c) => ({
    ...pairColumns(c.cell),
    verdict: verdictText(c),
    'judged from': costBasis(c),
    'to settle it': costToSettle(c) ?? '',
  }));
}

/** A claim's table: the main chart's cells shown, every cell collapsed under them. */
function claimTables<C extends { cell: DisconnectComparison['cell'] }, R extends object>(
  comparisons: readonly C[],
  rowsFor: (c: readonly C[]) => R[],
  sel: Selection | null,
  caption: string,
): void {
  const shown = comparisons.filter((c) => sel !== null && selected(sel)({ ...c.cell, deflate: 'on' }));
  if (shown.length > 0) showTable(rowsFor(shown), { caption: `${caption}: the main chart's cells` });
  const all = rowsFor(comparisons);
  showHtml(collapsible(`${caption}: every cell (${all.length})`, htmlTable(all)), textTable(all, { caption: caption }));
}

/**
 * The on/off comparisons: per claim, how the cells stand (a sentence), then each cell's verdict
 * with the numbers it was judged from and what would settle it.
 */
export function showComparisons(data: SweepData, comparisons: SweepComparisons): void {
  const sel = headline(data);
  const claims = sweepJudgements(data, comparisons).map((j) => ({
    claim: j.claim,
    verdict: verdictText(j),
    'judged from': j.basis,
    'to settle it': j.toSettle ?? '',
  }));
  if (claims.length > 0)
    showTable(claims, {
      caption: "The chapter's claims per stack over the main chart's cells, as the report lists them",
    });
  paragraph(describeVerdicts(DISCONNECT_CLAIM, comparisons.disconnects));
  claimTables(comparisons.disconnects, disconnectRows, sel, `Deflate on vs off, disconnects per connection-hour`);
  paragraph(describeVerdicts(COST_CLAIM, comparisons.cost));
  claimTables(
    comparisons.cost,
    costRows,
    sel,
    'Deflate on vs off, server CPU per MiB delivered (off ÷ on over repeat pairs that ran back to back)',
  );
}

/**
 * The chapter's claims per stack over the main chart's cells, as the report lists them: whether
 * deflate on disconnects more often than off at some size, and costs more CPU per MiB at every size.
 */
export function sweepJudgements(data: SweepData, comparisons: SweepComparisons): Judgement[] {
  const sel = headline(data);
  if (!sel) return [];
  const inChart = <C extends { cell: DisconnectComparison['cell'] }>(c: C) =>
    selected(sel)({ ...c.cell, deflate: 'on' });
  const where = `${sel.payload} frames at the main chart's loads`;
  const stacks = [...new Set(comparisons.disconnects.filter(inChart).map((c) => c.cell.stack))];
  return stacks.flatMap((stack) => [
    stackDisconnectJudgement(
      stack,
      comparisons.disconnects.filter((c) => inChart(c) && c.cell.stack === stack),
      where,
    ),
    stackCostJudgement(
      stack,
      comparisons.cost.filter((c) => inChart(c) && c.cell.stack === stack),
      where,
    ),
  ]);
}

/** Every cell with its counts and denominators (the numbers behind the charts), collapsed. */
export function showCells(data: SweepData): void {
  const text = (s: Spread | null) => (s === null ? '' : `${formatNumber(s.median)} [${rangeText(s.min, s.max)}]`);
  const rows = data.cells.map((c) => ({
    stack: c.cell.stack,
    deflate: c.cell.deflate,
    payload: c.cell.payload,
    frame: formatBytes(c.cell.frameSize),
    load: loadCell(c.cell),
    runs: `${c.completed}/${c.runs}`,
    'disconnects per connection-hour': c.rate ? rateShort(c.rate) : '',
    'disconnects / connection-hours': c.rate ? `${c.rate.events} / ${formatNumber(c.rate.exposure)}` : '',
    'runs with a disconnect': `${c.runsWithDisconnects}/${c.completed}`,
    'left out (load not met)': c.saturated,
    'send time': formatDuration(c.totals.sendMs),
    'by reason': Object.entries(c.byReason)
      .map(([r, n]) => `${r} ×${n}`)
      .join('; '),
    'by error': Object.entries(c.byError)
      .map(([e, n]) => `${e} ×${n}`)
      .join('; '),
    'client-seen disconnects': c.totals.clientDisconnects,
    reconnects: c.totals.reconnects,
    'delivered/sent': `${c.totals.delivered}/${c.totals.sent}`,
    verified: c.totals.verified,
    corrupted: c.totals.corrupted,
    'sent/s per client': text(c.spreads.sendRate),
    'CPU ms/MiB': text(c.spreads.cpuMsPerMiB),
    'wire B/msg': text(c.spreads.wireBytesPerMessage),
    'compression ×': text(c.spreads.compressionRatio),
    'ack p50 ms': text(c.spreads.ackP50Ms),
    'ack p99 ms': text(c.spreads.ackP99Ms),
    'RSS growth': c.spreads.rssGrowth ? formatBytes(c.spreads.rssGrowth.median) : '',
    'heap growth': c.spreads.heapGrowth ? formatBytes(c.spreads.heapGrowth.median) : '',
    'controls held': `${c.provenZero}/${c.completed}`,
    'controls did not hold because': Object.entries(c.blockers)
      .map(([b, n]) => `${b} ×${n}`)
      .join('; '),
    'runs that failed to measure': c.runErrors.join('; '),
  }));
  const caption =
    'Every cell: the disconnect rate over its runs, counts summed over repeats, other values median [range] over repeats';
  showHtml(collapsible(`${caption} (${rows.length} cells)`, htmlTable(rows)), textTable(rows, { caption: caption }));
}

/** The spot check: one recorded cell measured again, or why it was not. */
export type SpotCheck =
  { measured: false; why: string } | { measured: true; recorded: CellAggregate; live: SweepRecord };

/**
 * Measures one recorded cell again now: a check that the dataset still describes this machine and
 * these packages. Skipped in quick mode, for a live sweep, and when the dataset has no such cell.
 */
export async function runSpotCheck(data: SweepData): Promise<SpotCheck> {
  const { source } = data;
  if (source.mode === 'live')
    return { measured: false, why: 'No spot check: everything above was measured live in this run.' };
  if (!source.spotCheck) return { measured: false, why: 'No spot check in quick mode.' };
  const sel = headline(data);
  const candidates = data.cells.filter(
    (c) =>
      c.cell.stack === SPOT_CHECK.stack &&
      c.cell.deflate === SPOT_CHECK.deflate &&
      c.cell.payload === SPOT_CHECK.payload &&
      c.cell.frameSize === SPOT_CHECK.frameSize,
  );
  const recorded = candidates.find((c) => sel !== null && selected(sel)(c.cell)) ?? candidates[0];
  if (!recorded)
    return {
      measured: false,
      why: `No spot check: the dataset has no ${SPOT_CHECK.stack} deflate-${SPOT_CHECK.deflate} ${formatBytes(SPOT_CHECK.frameSize)} ${SPOT_CHECK.payload} cell to check against.`,
    };
  const live = await replayable(step('spot-check', { quick: source.quick, cell: recorded.cell }), async () => {
    const grid = cellGrid(recorded.cell, 1, 'spot check', 'one recorded cell measured again');
    return (await runSweep(grid, { dir: false, label: 'spot check' })).records[0];
  });
  return { measured: true, recorded: recorded, live: live };
}

/** The spot check beside its recorded cell: the disconnect rates compared by their ratio, the other metrics against the recorded range. */
export function showSpotCheck(check: SpotCheck): void {
  if (!check.measured) return paragraph(check.why);
  const { recorded, live } = check;
  const c = recorded.cell;
  if (live.status !== 'completed' || !live.scenario)
    return paragraph(`The spot check could not be measured: ${live.error ?? 'no record'}.`);
  const m = runMetrics(live.scenario);
  const liveRate = poissonRate([disconnectUnit(m)]);
  const consistency = liveRate && recorded.rate ? spotConsistency(liveRate, recorded.rate) : null;
  const metrics: Array<{ name: string; key: SpreadMetric; value: number | null }> = [
    { name: 'server CPU ms per MiB delivered', key: 'cpuMsPerMiB', value: m.cpuMsPerMiB },
    { name: 'p99 ack round trip, ms', key: 'ackP99Ms', value: m.ackP99Ms },
    { name: 'sent per second per client', key: 'sendRate', value: m.sendRate },
  ];
  const rows = [
    {
      metric: 'disconnects per connection-hour',
      recorded: rateShort(recorded.rate),
      'live now': rateShort(liveRate),
      'agrees with the recorded cell':
        consistency === null ? '' : consistency.consistent ? 'consistent' : 'not consistent',
    },
    ...metrics.map((x) => {
      const s = recorded.spreads[x.key];
      const inside = s !== null && x.value !== null && x.value >= s.min && x.value <= s.max;
      return {
        metric: x.name,
        recorded: s === null ? 'no value' : `median ${formatNumber(s.median)} [${rangeText(s.min, s.max)}] (n=${s.n})`,
        'live now': x.value === null ? 'no value' : formatNumber(x.value),
        'agrees with the recorded cell':
          s === null || x.value === null ? '' : inside ? 'inside the range' : 'outside the range',
      };
    }),
  ];
  showTable(rows, {
    caption: `Spot check: ${c.stack}, deflate ${c.deflate}, ${formatBytes(c.frameSize)} ${c.payload}, ${loadCell(c)}, ${c.clients} clients, ${formatDuration(c.duration)} (load average now ${live.meta.loadAverage})`,
  });
  const errors = Object.entries(m.byError)
    .map(([e, n]) => `${e} ×${n}`)
    .join(', ');
  paragraph(
    `Live now${errors ? ` (${errors})` : ''}: ${liveRate ? rateText(liveRate) : 'no connection-time to count over'}. ` +
      `The recorded runs of this cell: ${recorded.rate ? rateText(recorded.rate) : 'no run to count'}. ` +
      (liveRate && recorded.rate ? spotCheckSentence(liveRate, recorded.rate) : ''),
  );
}
