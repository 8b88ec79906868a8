/**
 * The rows each chart and sentence of chapter 5 is made from: one metric of selected cells, or
 * one metric pooled over the dimensions a chart does not show. A chart and the sentence under it
 * read the same rows, so the sentence can only say what the chart shows.
 */
import { runMetrics, spread, type Spread } from '../../traffic/metrics';
import { runStanding } from '../../traffic/failure-rule';
import type { RateEstimate } from '../../core/stats';
import type { DeflateMode, PayloadKind, StackName } from '../../core/params';
import { compareCells, type CellAggregate, type SpreadMetric } from '../../sweep/aggregate';
import { loadLabel, type SweepCell } from '../../sweep/grid';
import type { SweepRecord } from '../../sweep/engine';
import type { CsvRow } from '../../show/csv';

/** One cell's value of one metric and its disconnect rate, with the counts a sentence needs. */
export interface Row {
  stack: StackName;
  deflate: DeflateMode;
  payload: PayloadKind;
  frameSize: number;
  rate: number;
  burst: number;
  /** The load as a reader names it: `50% of the knee` or `10/s × 3`. */
  load: string;
  /** The metric's median and range over repeats; null without a value, or when no metric was asked for. */
  value: Spread | null;
  /** The cell's disconnect rate per connection-hour (src/sweep/aggregate.ts). */
  disconnectRate: RateEstimate | null;
  runs: number;
  completed: number;
  runsWithDisconnects: number;
  provenZero: number;
  blockers: Record<string, number>;
  /** Runs without a disconnect whose controls do not prove the zero, and runs that did not meet their load. */
  unprovenZeros: number;
  saturated: number;
  quick: boolean;
}

/** The load the headline shows: one payload kind and, at each frame size, one load. */
export interface Selection {
  payload: PayloadKind;
  /** The load shown at each frame size (a label from loadLabel). */
  loadBySize: Record<number, string>;
}

/** The rows of one metric (none: only the disconnect rate) for the cells `where` accepts, in the cells' order. */
export function rowsOf(
  cells: readonly CellAggregate[],
  metric: SpreadMetric | null,
  where: (cell: SweepCell) => boolean,
): Row[] {
  return cells
    .filter((agg) => where(agg.cell))
    .map((agg) => ({
      stack: agg.cell.stack,
      deflate: agg.cell.deflate,
      payload: agg.cell.payload,
      frameSize: agg.cell.frameSize,
      rate: agg.cell.rate,
      burst: agg.cell.burst,
      load: loadLabel(agg.cell),
      value: metric === null ? null : agg.spreads[metric],
      disconnectRate: agg.rate,
      runs: agg.runs,
      completed: agg.completed,
      runsWithDisconnects: agg.runsWithDisconnects,
      provenZero: agg.provenZero,
      blockers: agg.blockers,
      unprovenZeros: agg.unprovenZeros,
      saturated: agg.saturated,
      quick: agg.quick,
    }));
}

/** Whether a cell has the selected payload and, at its frame size, the selected load. */
export function selected(selection: Selection): (cell: SweepCell) => boolean {
  return (cell) => cell.payload === selection.payload && selection.loadBySize[cell.frameSize] === loadLabel(cell);
}

/** How heavy a load is, to break a tie: the knee fraction, or messages a second per client. */
function weight(cell: SweepCell): number {
  return cell.knee ? cell.knee.fraction : cell.rate * cell.burst;
}

/**
 * The headline's payload and loads: data URLs (what the 2015 pages sent) when measured, else the
 * first payload; then at each frame size the load with the most runs (the one the repeats were
 * spent on), a knee fraction before a fixed load, the heavier on a tie, since the question is where
 * failures start under load.
 */
export function headlineSelection(cells: readonly CellAggregate[]): Selection | null {
  if (cells.length === 0) return null;
  const payload = cells.some((c) => c.cell.payload === 'data-url') ? 'data-url' : cells[0].cell.payload;
  type Tally = { runs: number; knee: boolean; weight: number };
  const counts = new Map<number, Map<string, Tally>>();
  for (const { cell, runs } of cells) {
    if (cell.payload !== payload) continue;
    const bySize = counts.get(cell.frameSize) ?? new Map<string, Tally>();
    const label = loadLabel(cell);
    const seen = bySize.get(label) ?? { runs: 0, knee: cell.knee !== undefined, weight: weight(cell) };
    seen.runs += runs;
    bySize.set(label, seen);
    counts.set(cell.frameSize, bySize);
  }
  const loadBySize: Record<number, string> = {};
  for (const [frameSize, bySize] of counts) {
    const best = [...bySize].sort(
      ([, a], [, b]) => b.runs - a.runs || Number(b.knee) - Number(a.knee) || b.weight - a.weight,
    )[0];
    loadBySize[frameSize] = best[0];
  }
  return { payload: payload, loadBySize: loadBySize };
}

/** A metric pooled over every run of the cells that share a payload, frame size and deflate setting. */
export interface PooledRow {
  payload: PayloadKind;
  frameSize: number;
  deflate: DeflateMode;
  value: Spread | null;
  /** Completed runs pooled (value.n of them had a value). */
  runs: number;
  /** Stacks the runs came from. */
  stacks: StackName[];
}

/**
 * Pools a metric over stacks, rates and bursts: for a property of the payload and the client's
 * compressor (bytes on the wire), every run that has a value is a measurement of the same thing.
 */
export function pooledByPayload(cells: readonly CellAggregate[], metric: SpreadMetric): PooledRow[] {
  const groups = new Map<string, { row: Omit<PooledRow, 'value'>; values: Array<number | null> }>();
  for (const agg of cells) {
    const { payload, frameSize, deflate, stack } = agg.cell;
    const key = `${payload}|${frameSize}|${deflate}`;
    const group = groups.get(key) ?? {
      row: { payload: payload, frameSize: frameSize, deflate: deflate, runs: 0, stacks: [] },
      values: [],
    };
    for (const m of agg.byRepeat.values()) group.values.push(m[metric]);
    group.row.runs += agg.completed;
    if (!group.row.stacks.includes(stack)) group.row.stacks.push(stack);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ row, values }) => ({ ...row, value: spread(values) }));
}

/**
 * The runs behind the cells `where` accepts, one row each, as the CSV under the rate chart gives
 * them: a run counts in its cell's rate when it completed and met its load.
 */
export function runRows(records: readonly SweepRecord[], where: (cell: SweepCell) => boolean): CsvRow[] {
  return records
    .filter((r) => where(r.cell))
    .sort((a, b) => compareCells(a.cell, b.cell) || a.repeat - b.repeat)
    .map((r) => {
      const scenario = r.status === 'completed' ? r.scenario : null;
      const m = scenario ? runMetrics(scenario) : null;
      const standing = scenario ? runStanding(scenario) : null;
      return {
        record: r.id,
        started_at: r.startedAt,
        mode: r.quick ? 'quick' : 'full',
        stack: r.cell.stack,
        deflate: r.cell.deflate,
        payload: r.cell.payload,
        frame_bytes: r.cell.frameSize,
        load: loadLabel(r.cell),
        rate_per_client_per_s: r.cell.rate,
        burst: r.cell.burst,
        clients: r.cell.clients,
        duration_ms: r.cell.duration,
        repeat: r.repeat,
        status: r.status,
        counted_in_rate: standing !== null && standing !== 'saturated' ? 'yes' : 'no',
        disconnects: m?.disconnects,
        connection_hours: m?.connectionHours,
        send_ms: m?.sendMs,
        sent: m?.sent,
        delivered: m?.delivered,
        // Whether a run without a failure proves its zero by its own controls (src/traffic/failure-rule); empty for a run that failed.
        zero_controls_held: m === null || m.failures > 0 ? '' : m.zeroBlockers.length === 0 ? 'yes' : 'no',
        error: r.error ?? '',
      };
    });
}
