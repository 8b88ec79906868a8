/**
 * The rows each chart and sentence of chapter 5 is made from: one metric of selected cells, or
 * one metric pooled over the dimensions a chart does not show. A chart and the sentence under it
 * read the same rows, so the sentence can only say what the chart shows.
 */
import { spread, type Spread } from '../../metrics';
import type { DeflateMode, PayloadKind, StackName } from '../../params';
import type { CellAggregate, SpreadMetric } from '../../sweep/aggregate';
import type { SweepCell } from '../../sweep/grid';

/** One cell's value of one metric, with the counts a sentence needs. */
export interface Row {
  stack: StackName;
  deflate: DeflateMode;
  payload: PayloadKind;
  frameSize: number;
  rate: number;
  burst: number;
  value: Spread | null;
  runs: number;
  completed: number;
  runsWithDisconnects: number;
  provenZero: number;
  blockers: Record<string, number>;
}

/** The load the headline shows: one payload kind and one rate × burst. */
export interface Selection {
  payload: PayloadKind;
  rate: number;
  burst: number;
}

/** The rows of one metric for the cells `where` accepts, in the cells' order. */
export function rowsOf(
  cells: readonly CellAggregate[],
  metric: SpreadMetric,
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
      value: agg.spreads[metric],
      runs: agg.runs,
      completed: agg.completed,
      runsWithDisconnects: agg.runsWithDisconnects,
      provenZero: agg.provenZero,
      blockers: agg.blockers,
    }));
}

/** Whether a cell has the selected payload and load. */
export function selected(selection: Selection): (cell: SweepCell) => boolean {
  return (cell) => cell.payload === selection.payload && cell.rate === selection.rate && cell.burst === selection.burst;
}

/**
 * The headline's payload and load: data URLs (what the 2015 pages sent) when measured, else the
 * first payload; then the rate × burst measured on the most stack × deflate × size cells, the
 * heavier on a tie, since the question is where failures start under load.
 */
export function headlineSelection(cells: readonly CellAggregate[]): Selection | null {
  if (cells.length === 0) return null;
  const payload = cells.some((c) => c.cell.payload === 'data-url') ? 'data-url' : cells[0].cell.payload;
  const counts = new Map<string, { rate: number; burst: number; n: number }>();
  for (const { cell } of cells) {
    if (cell.payload !== payload) continue;
    const key = `${cell.rate}/${cell.burst}`;
    const seen = counts.get(key) ?? { rate: cell.rate, burst: cell.burst, n: 0 };
    seen.n++;
    counts.set(key, seen);
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n || b.rate * b.burst - a.rate * a.burst)[0];
  return { payload: payload, rate: best.rate, burst: best.burst };
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
