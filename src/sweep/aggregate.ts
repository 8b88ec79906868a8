/**
 * From sweep records to what the chapter shows: per cell, the disconnect rate per connection-hour
 * over its runs (src/traffic/rates.ts), the median and range of each other metric over repeats, and
 * the counts with their denominators; and the deflate on/off twins of each cell, which
 * src/sweep/compare.ts judges.
 */
import { errorLabel, runMetrics, spread, type RunMetrics, type Spread } from '../traffic/metrics';
import { runStanding } from '../traffic/failure-rule';
import { disconnectUnit } from '../traffic/rates';
import { poissonRate, type RateEstimate } from '../core/stats';
import { DEFLATE_MODES, PAYLOAD_KINDS, STACK_NAMES } from '../core/params';
import { cellKey, type SweepCell } from './grid';
import type { SweepRecord } from './engine';

/** Metrics summarised as median and range over repeats. */
export const SPREAD_METRICS = [
  'cpuMsPerMiB',
  'wireBytesPerMessage',
  'compressionRatio',
  'ackP50Ms',
  'ackP99Ms',
  'rssGrowth',
  'heapGrowth',
  'sendRate',
] as const;
/** A metric with a median and range over repeats. */
export type SpreadMetric = (typeof SPREAD_METRICS)[number];

/** Counts summed over a cell's completed runs. */
export const COUNTED = [
  'sent',
  'notSent',
  'delivered',
  'verified',
  'corrupted',
  'acked',
  'disconnects',
  'lateDisconnects',
  'clientDisconnects',
  'reconnects',
  'zlibErrors',
  'sendMs',
] as const;
/** A count summed over repeats. */
export type Counted = (typeof COUNTED)[number];

/** One cell of the grid over its repeats. */
export interface CellAggregate {
  key: string;
  cell: SweepCell;
  /** Runs recorded for the cell, and how many completed (a failed run could not be measured). */
  runs: number;
  completed: number;
  /** Errors of the runs that failed. */
  runErrors: string[];
  spreads: Record<SpreadMetric, Spread | null>;
  totals: Record<Counted, number>;
  /** Completed runs with at least one disconnect (a failure under src/traffic/failure-rule). */
  runsWithDisconnects: number;
  /**
   * The disconnect rate per connection-hour over the completed runs that met their load (a
   * saturated run is kept out of every verdict); null when there is none.
   */
  rate: RateEstimate | null;
  /** Completed runs that did not meet their load, left out of `rate`. */
  saturated: number;
  /** Runs of `rate` without a disconnect whose controls do not prove the zero (src/traffic/failure-rule). */
  unprovenZeros: number;
  /** Whether any run of the cell was made in quick mode (its verdicts are then a quick run's). */
  quick: boolean;
  /** Completed runs allowed to be reported as zero failures (zeroFailureBlockers empty). */
  provenZero: number;
  /** Why the other runs could not be, by reason (numbers stripped so like reasons count together), in runs. */
  blockers: Record<string, number>;
  byReason: Record<string, number>;
  byError: Record<string, number>;
  /** Each completed run's metrics by repeat index, for the on/off comparison. */
  byRepeat: Map<number, RunMetrics>;
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** A blocker with its numbers taken out (`delivered 5 ≠ sent 129` → `delivered ≠ sent`), so like ones count together. */
export function blockerKind(blocker: string): string {
  if (/^\d+ failures$/.test(blocker)) return 'failures';
  if (/^the run did not complete/.test(blocker)) return 'the run did not complete';
  return blocker
    .replace(/\s*\d+(\.\d+)?\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Reading order of cells: stack, payload, frame size, rate, burst, then deflate on before off. */
export function compareCells(a: Omit<SweepCell, 'deflate'> & { deflate?: SweepCell['deflate'] }, b: typeof a): number {
  return (
    STACK_NAMES.indexOf(a.stack) - STACK_NAMES.indexOf(b.stack) ||
    PAYLOAD_KINDS.indexOf(a.payload) - PAYLOAD_KINDS.indexOf(b.payload) ||
    a.frameSize - b.frameSize ||
    a.rate - b.rate ||
    a.burst - b.burst ||
    (a.deflate === undefined || b.deflate === undefined
      ? 0
      : DEFLATE_MODES.indexOf(a.deflate) - DEFLATE_MODES.indexOf(b.deflate))
  );
}

/** Groups records by cell (all but the repeat index) and summarises each, in reading order (compareCells). */
export function aggregateCells(records: readonly SweepRecord[]): CellAggregate[] {
  const groups = new Map<string, SweepRecord[]>();
  for (const record of records) {
    const key = cellKey(record.cell);
    const list = groups.get(key) ?? [];
    list.push(record);
    groups.set(key, list);
  }
  const cells = [...groups.entries()].map(([key, runs]): CellAggregate => {
    const done = runs.filter((r) => r.status === 'completed' && r.scenario !== null);
    const metrics = done.map((r) => {
      const scenario = r.scenario as NonNullable<SweepRecord['scenario']>;
      return { repeat: r.repeat, m: runMetrics(scenario), standing: runStanding(scenario) };
    });
    const measured = metrics.filter(({ standing }) => standing !== 'saturated');
    const spreads = Object.fromEntries(
      SPREAD_METRICS.map((name) => [name, spread(metrics.map(({ m }) => m[name]))]),
    ) as Record<SpreadMetric, Spread | null>;
    const totals = Object.fromEntries(
      COUNTED.map((name) => [name, metrics.reduce((sum, { m }) => sum + (name === 'sendMs' ? m.sendMs : m[name]), 0)]),
    ) as Record<Counted, number>;
    const blockers: Record<string, number> = {};
    const byReason: Record<string, number> = {};
    const byError: Record<string, number> = {};
    for (const { m } of metrics) {
      for (const kind of new Set(m.zeroBlockers.map(blockerKind))) blockers[kind] = (blockers[kind] ?? 0) + 1;
      add(byReason, m.byReason);
      add(byError, m.byError);
    }
    return {
      key: key,
      cell: runs[0].cell,
      runs: runs.length,
      completed: done.length,
      runErrors: runs.filter((r) => r.status === 'failed').map((r) => errorLabel(r.error ?? 'unknown error')),
      spreads: spreads,
      totals: totals,
      runsWithDisconnects: metrics.filter(({ m }) => m.disconnects > 0).length,
      rate: poissonRate(measured.map(({ m }) => disconnectUnit(m))),
      saturated: metrics.length - measured.length,
      unprovenZeros: measured.filter(({ standing }) => standing === 'unproven zero').length,
      quick: runs.some((r) => r.quick),
      provenZero: metrics.filter(({ m }) => m.zeroBlockers.length === 0).length,
      blockers: blockers,
      byReason: byReason,
      byError: byError,
      byRepeat: new Map(metrics.map(({ repeat, m }) => [repeat, m])),
    };
  });
  return cells.sort((a, b) => compareCells(a.cell, b.cell));
}

/** A cell with deflate on and its twin with deflate off (same everything else). */
export interface DeflatePair {
  /** The cell without its deflate setting. */
  cell: Omit<SweepCell, 'deflate'>;
  on: CellAggregate;
  off: CellAggregate;
}

/** Every cell that has both a deflate-on and a deflate-off side, in reading order. */
export function deflatePairs(cells: readonly CellAggregate[]): DeflatePair[] {
  const twins = new Map<string, Partial<Record<'on' | 'off', CellAggregate>>>();
  for (const agg of cells) {
    const key = cellKey({ ...agg.cell, deflate: 'on' });
    twins.set(key, { ...twins.get(key), [agg.cell.deflate]: agg });
  }
  const pairs: DeflatePair[] = [];
  for (const { on, off } of twins.values()) {
    if (!on || !off) continue;
    const { deflate: _omit, ...cell } = on.cell;
    pairs.push({ cell: cell, on: on, off: off });
  }
  return pairs.sort((a, b) => compareCells(a.cell, b.cell));
}
