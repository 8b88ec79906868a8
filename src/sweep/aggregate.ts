/**
 * From sweep records to what the chapter shows: per cell, the median and range of each metric
 * over repeats and the counts with their denominators; per deflate on/off pair, the direction of
 * the difference in each repeat and whether every repeat agrees (the stable-conclusion rule).
 */
import { errorLabel, runMetrics, spread, type RunMetrics, type Spread } from '../run/metrics';
import { DEFLATE_MODES, PAYLOAD_KINDS, STACK_NAMES } from '../core/params';
import { cellKey, type SweepCell } from './grid';
import type { SweepRecord } from './run';

/** Metrics summarised as median and range over repeats. */
export const SPREAD_METRICS = [
  'disconnectsPerMin',
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
  /** Completed runs with at least one disconnect (a failure under src/failure-rule). */
  runsWithDisconnects: number;
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
    const metrics = done.map((r) => ({
      repeat: r.repeat,
      m: runMetrics(r.scenario as NonNullable<SweepRecord['scenario']>),
    }));
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
      provenZero: metrics.filter(({ m }) => m.zeroBlockers.length === 0).length,
      blockers: blockers,
      byReason: byReason,
      byError: byError,
      byRepeat: new Map(metrics.map(({ repeat, m }) => [repeat, m])),
    };
  });
  return cells.sort((a, b) => compareCells(a.cell, b.cell));
}

/** Which way a deflate on/off difference went in one repeat. */
export type Direction = 'on higher' | 'off higher' | 'equal';

/** One on/off pair of cells (same everything else) compared on one metric. */
export interface DeflateComparison {
  /** The cell without its deflate setting. */
  cell: Omit<SweepCell, 'deflate'>;
  metric: SpreadMetric;
  on: Spread | null;
  off: Spread | null;
  /**
   * Repeats measured on both sides (matched by repeat index: the pair ran back to back). `unproven`:
   * the sides whose value is a zero its run's controls do not prove (src/failure-rule);
   * `onNegotiated`: whether the "on" run negotiated deflate at all.
   */
  repeats: Array<{
    repeat: number;
    on: number;
    off: number;
    direction: Direction;
    unproven: Array<'on' | 'off'>;
    onNegotiated: boolean;
  }>;
  /**
   * The direction every paired repeat agrees on; null when they disagree, none is paired, or a
   * repeat rests on an unproven zero or an "on" run without deflate (such a comparison is neither).
   */
  stable: Direction | null;
}

/** Whether a repeat can carry an on/off verdict: both zeros proven, deflate negotiated on the "on" side. */
export function repeatUsable(r: DeflateComparison['repeats'][number]): boolean {
  return r.unproven.length === 0 && r.onNegotiated;
}

/** The direction of on − off. */
export function direction(on: number, off: number): Direction {
  return on > off ? 'on higher' : on < off ? 'off higher' : 'equal';
}

/** Compares each cell with deflate on to its twin with deflate off, repeat by repeat. */
export function compareDeflate(cells: readonly CellAggregate[], metric: SpreadMetric): DeflateComparison[] {
  const twins = new Map<string, Partial<Record<'on' | 'off', CellAggregate>>>();
  for (const agg of cells) {
    const { deflate, ...rest } = agg.cell;
    const key = cellKey({ ...rest, deflate: 'on' });
    twins.set(key, { ...twins.get(key), [deflate]: agg });
  }
  const out: DeflateComparison[] = [];
  for (const { on, off } of twins.values()) {
    if (!on || !off) continue;
    const repeats: DeflateComparison['repeats'] = [];
    for (const [repeat, mOn] of [...on.byRepeat.entries()].sort(([a], [b]) => a - b)) {
      const a = mOn[metric];
      const b = off.byRepeat.get(repeat)?.[metric];
      const mOff = off.byRepeat.get(repeat);
      if (typeof a === 'number' && typeof b === 'number' && mOff !== undefined) {
        const unproven = (
          [
            ['on', a, mOn],
            ['off', b, mOff],
          ] as const
        )
          .filter(([, value, m]) => value === 0 && m.zeroBlockers.length > 0)
          .map(([side]) => side);
        repeats.push({
          repeat: repeat,
          on: a,
          off: b,
          direction: direction(a, b),
          unproven: unproven,
          onNegotiated: mOn.controls.deflateNegotiated,
        });
      }
    }
    const directions = new Set(repeats.map((r) => r.direction));
    const usable = repeats.length > 0 && repeats.every(repeatUsable);
    const { deflate: _omit, ...cell } = on.cell;
    out.push({
      cell: cell,
      metric: metric,
      on: on.spreads[metric],
      off: off.spreads[metric],
      repeats: repeats,
      stable: usable && directions.size === 1 ? repeats[0].direction : null,
    });
  }
  return out.sort((a, b) => compareCells(a.cell, b.cell));
}
