/**
 * Chapter 9, row 2: zlib concurrency and heap fragmentation, shown from the recorded cells
 * (src/history/zlib.ts measures them; a gated recorder records the plan on a quiet machine) with
 * one live spot check beside them. Every figure is a median over a cell's valid repeats with its
 * range, and every comparison is judged from the ranges: two cells differ only when every repeat
 * of one lies above every repeat of the other.
 */
import { isDeepStrictEqual } from 'node:util';
import { median } from '../../core/stats';
import { formatBytes, formatDuration } from '../../core/units';
import { spread, type Spread } from '../../traffic/metrics';
import {
  ALLOCATORS,
  judgeZlibResult,
  measureZlibCell,
  readConcurrencyOption,
  zlibCellName,
  zlibPlan,
  ZLIB_LIMITS,
  ZLIB_LOAD,
  ZLIB_REPEATS,
  ZLIB_WS_VERSIONS,
  type Allocator,
  type ZlibCell,
  type ZlibCellResult,
  type ZlibLimit,
  type ZlibLoad,
  type ConcurrencyOptionSource,
} from '../../history/zlib';
import type { ChartSpec } from '../../show/charts';
import { showChart, showTable, showText, progress } from '../../show/display';
import { plural, showFinding } from '../show-finding';
import { readRecords } from '../../core/records';
import { recordedDataDir } from '../../core/replay';
import { HISTORY_ZLIB_KIND, type HistoryZlibRecord } from '../../history/recordings';
import { replayable } from '../replayable';
import { step } from './step';

/** One cell of the recorded results: its repeats summarised. */
export interface ZlibGroup {
  ws: string;
  limit: ZlibLimit;
  allocator: Allocator;
  load: ZlibLoad;
  runs: number;
  /** Runs whose controls all held; only these give figures. */
  valid: number;
  /** What failed in the other runs, distinct. */
  problems: string[];
  /** Most deflate jobs in flight at once (median over valid runs). */
  peakInFlight: number;
  /** glibc arena heaps in the server's process after the burst (median over valid runs). */
  arenaHeaps: number;
  peak: Spread;
  afterBurst: Spread;
  afterSettle: Spread;
  node: string;
}

const LIMIT_ORDER: readonly ZlibLimit[] = ['no-option', ...ZLIB_LIMITS];

/** Groups results by cell (release, limit, allocator, load), in plan order, with medians and ranges of the valid runs. */
export function zlibGroups(results: readonly ZlibCellResult[]): ZlibGroup[] {
  const groups: { cell: ZlibCell; runs: ZlibCellResult[] }[] = [];
  for (const result of results) {
    const group = groups.find((g) => isDeepStrictEqual(g.cell, result.cell));
    if (group) group.runs.push(result);
    else groups.push({ cell: result.cell, runs: [result] });
  }
  const rank = (c: ZlibCell) =>
    [c.ws, String(LIMIT_ORDER.indexOf(c.limit)).padStart(2, '0'), ALLOCATORS.indexOf(c.allocator)].join('/');
  return groups
    .sort((a, b) => rank(a.cell).localeCompare(rank(b.cell), 'en', { numeric: true }))
    .flatMap(({ cell, runs }) => {
      const judged = runs.map((run) => ({ run: run, judgement: judgeZlibResult(run) }));
      const valid = judged.filter((j) => j.judgement.valid);
      const figures = valid.map((j) => j.judgement.figures);
      const none: Spread = { median: NaN, min: NaN, max: NaN, n: 0 };
      return [
        {
          ws: cell.ws,
          limit: cell.limit,
          allocator: cell.allocator,
          load: cell.load,
          runs: runs.length,
          valid: valid.length,
          problems: [...new Set(judged.flatMap((j) => j.judgement.problems))],
          peakInFlight: valid.length ? median(valid.map((j) => j.run.controls.limit.peakInFlight)) : NaN,
          arenaHeaps: valid.length ? median(valid.map((j) => j.run.controls.allocator.arenaHeaps)) : NaN,
          peak: spread(figures.map((f) => f.peakRss)) ?? none,
          afterBurst: spread(figures.map((f) => f.afterBurstRss)) ?? none,
          afterSettle: spread(figures.map((f) => f.afterSettleRss)) ?? none,
          node: runs[0].versions.node,
        },
      ];
    });
}

const mib = (bytes: number): number => Math.round(bytes / 104857.6) / 10;
const rangeText = (r: Spread): string => `${mib(r.min)}–${mib(r.max)}`;
const limitText = (limit: ZlibLimit): string => (limit === 'no-option' ? 'none (no option)' : String(limit));

/** One table row per cell, in MiB. */
export function zlibRows(groups: readonly ZlibGroup[]) {
  return groups.map((g) => ({
    ws: g.ws,
    concurrencyLimit: limitText(g.limit),
    allocator: g.allocator,
    'valid runs': `${g.valid} of ${g.runs}`,
    'deflate jobs at once': g.peakInFlight,
    'glibc arena heaps': g.arenaHeaps,
    'peak RSS (MiB)': mib(g.peak.median),
    'peak range': rangeText(g.peak),
    'RSS after burst (MiB)': mib(g.afterBurst.median),
    'RSS after GC + settle (MiB)': mib(g.afterSettle.median),
    'after GC range': rangeText(g.afterSettle),
  }));
}

/** How two cells' repeats compare: every one of `a` above or below every one of `b`, or overlapping. */
export function compareRanges(a: Spread, b: Spread): 'higher' | 'lower' | 'overlap' {
  if (a.min > b.max) return 'higher';
  if (a.max < b.min) return 'lower';
  return 'overlap';
}

function findGroup(groups: readonly ZlibGroup[], ws: string, limit: ZlibLimit, allocator: Allocator) {
  return groups.find((g) => g.ws === ws && g.limit === limit && g.allocator === allocator);
}

/** `X MiB (range a–b MiB)`. */
function figure(r: Spread): string {
  return `${mib(r.median)} MiB (${rangeText(r)})`;
}

/** One comparison, worded from the ranges; "not settled" when either side has fewer than the plan's repeats. */
export function differenceText(what: string, a: ZlibGroup, b: ZlibGroup, key: 'peak' | 'afterSettle'): string {
  const [ra, rb] = [a[key], b[key]];
  if (a.valid < ZLIB_REPEATS || b.valid < ZLIB_REPEATS)
    return `${what}: not settled, fewer than ${ZLIB_REPEATS} valid repeats (${a.valid} and ${b.valid}).`;
  const verdict = compareRanges(ra, rb);
  if (verdict === 'overlap')
    return `${what}: ${figure(ra)} against ${figure(rb)}; the repeats overlap, so these runs show no difference.`;
  const by = formatBytes(Math.abs(ra.median - rb.median));
  return `${what}: ${figure(ra)} against ${figure(rb)}, ${verdict} in every repeat (by ${by} at the medians).`;
}

function limitSentences(groups: readonly ZlibGroup[]): string[] {
  const before = groups.find((g) => g.limit === 'no-option' && g.allocator === 'glibc');
  const after = before && groups.find((g) => g.ws !== before.ws && g.limit === 10 && g.allocator === 'glibc');
  const out: string[] = [];
  if (before && after) {
    out.push(
      `Without a limit (ws ${before.ws}) up to ${before.peakInFlight} deflate jobs ran at once; ws ${after.ws}'s default limit held them to ${after.peakInFlight}.`,
      differenceText(
        `Peak RSS during the burst, ws ${before.ws} against ws ${after.ws} at limit 10 (glibc)`,
        before,
        after,
        'peak',
      ),
      differenceText(`RSS after GC and a settle, the same pair`, before, after, 'afterSettle'),
    );
  }
  const one = groups.find((g) => g.limit === 1 && g.allocator === 'glibc');
  const unlimited = one && findGroup(groups, one.ws, 'unlimited', 'glibc');
  if (one && unlimited)
    out.push(
      differenceText(
        `On ws ${one.ws}, RSS after GC at limit 1 against unlimited (glibc)`,
        one,
        unlimited,
        'afterSettle',
      ),
    );
  return out;
}

function allocatorSentences(groups: readonly ZlibGroup[]): string[] {
  const out: string[] = [];
  const glibcCells = groups.filter((g) => g.allocator === 'glibc' && (g.limit === 'no-option' || g.limit === 1));
  for (const glibc of glibcCells) {
    for (const other of ['glibc-arenas-2', 'jemalloc'] as const) {
      const g = findGroup(groups, glibc.ws, glibc.limit, other);
      if (g)
        out.push(
          differenceText(
            `ws ${glibc.ws} ${glibc.limit === 'no-option' ? 'with no limit option' : `at limit ${glibc.limit}`}, RSS after GC with ${other} against glibc`,
            g,
            glibc,
            'afterSettle',
          ),
        );
    }
  }
  return out;
}

/** The allocators as the server's processes had them: glibc arena heaps, fewest to most, per allocator. */
function allocatorEvidence(groups: readonly ZlibGroup[]): string[] {
  const parts = ALLOCATORS.flatMap((allocator) => {
    const heaps = groups.filter((g) => g.allocator === allocator && g.valid > 0).map((g) => g.arenaHeaps);
    if (heaps.length === 0) return [];
    const [low, high] = [Math.min(...heaps), Math.max(...heaps)];
    return [`${allocator} ${low === high ? low : `${low}–${high}`}`];
  });
  return parts.length
    ? [`glibc arena heaps mapped into the server's process after the burst: ${parts.join(', ')}.`]
    : [];
}

/** The finding, worded from the recorded cells: the limit's effect, then the allocators', then what was left out. */
export function describeZlibHistory(groups: readonly ZlibGroup[]): string[] {
  if (groups.length === 0) return ['No zlib burst has been recorded.'];
  const load = groups[0].load;
  const invalid = groups.filter((g) => g.valid < g.runs);
  return [
    `Each run: a fresh ws server process sent ${load.connections * load.messagesPerConnection} compressed messages of ${formatBytes(load.messageBytes)} at once, ${load.messagesPerConnection} to each of ${load.connections} connections, on Node ${groups[0].node}.`,
    ...limitSentences(groups),
    ...allocatorEvidence(groups),
    ...allocatorSentences(groups),
    ...invalid.map(
      (g) =>
        `${zlibCellName(g)}: ${plural(g.runs - g.valid, 'run')} failed its controls and ${g.runs - g.valid === 1 ? 'is' : 'are'} left out (${g.problems.join('; ')}).`,
    ),
  ];
}

function chartValues(groups: readonly ZlibGroup[]) {
  return groups
    .filter((g) => g.valid > 0)
    .flatMap((g) =>
      (['peak', 'afterSettle'] as const).map((key) => ({
        cell: `ws ${g.ws} · ${g.limit === 'no-option' ? 'no option' : typeof g.limit === 'number' ? `limit ${g.limit}` : g.limit}`,
        allocator: g.allocator,
        measure: key === 'peak' ? 'peak during burst' : 'after GC + settle',
        median: mib(g[key].median),
        min: mib(g[key].min),
        max: mib(g[key].max),
      })),
    );
}

/** The chart: per allocator, each release and limit, peak and after-GC RSS as a median point with its range. */
export function zlibChart(groups: readonly ZlibGroup[]): ChartSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: chartValues(groups) },
    facet: { column: { field: 'allocator', type: 'nominal', sort: [...ALLOCATORS], title: null } },
    spec: {
      width: 200,
      height: 200,
      layer: [
        {
          mark: { type: 'point', filled: true },
          encoding: {
            y: { field: 'median', type: 'quantitative', title: 'server RSS (MiB)' },
          },
        },
        { mark: { type: 'rule' }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
      ],
      encoding: {
        x: { field: 'cell', type: 'nominal', title: null, axis: { labelAngle: -40 } },
        color: { field: 'measure', type: 'nominal', title: null },
        xOffset: { field: 'measure' },
      },
    },
  };
}

/** The command that records the row. */
export const RECORD_ZLIB_COMMAND = 'npm run record-history -- zlib';

/** The recorded zlib row in `dir` (the `--from-data` dir, else the committed data/): each record's result. */
export function readRecordedZlib(dir: string = recordedDataDir()): ZlibCellResult[] {
  return readRecords<HistoryZlibRecord>(HISTORY_ZLIB_KIND, dir).records.map((record) => record.result);
}

/** Shows the recorded cells: a table, a chart of medians with ranges, and the finding. */
export async function showZlibHistory(results: readonly ZlibCellResult[]): Promise<void> {
  if (results.length === 0) {
    showText(`No recording of this row in the data dir: \`${RECORD_ZLIB_COMMAND}\` records one on a quiet machine.`, {
      title: 'recorded cells',
    });
    return;
  }
  const groups = zlibGroups(results);
  showTable(zlibRows(groups), {
    caption:
      'Server RSS around a burst of compressed messages, by ws release × concurrencyLimit × allocator (median and range over repeats)',
  });
  await showChart(zlibChart(groups), {
    caption: 'Server RSS: peak during the burst and after GC, median (point) and range (line) over repeats',
  });
  showFinding(describeZlibHistory(groups));
}

// ---- the live spot check -----------------------------------------------------------------------

/** Quick mode's smaller burst (50 connections × 8 messages): its two runs take about a second each. */
export const QUICK_SPOT_LOAD: ZlibLoad = { ...ZLIB_LOAD, connections: 50, messagesPerConnection: 8, settleMs: 200 };

/** What the spot check measured, and where each release's source reads the option (kept for replay). */
export interface ZlibSpot {
  quick: boolean;
  results: ZlibCellResult[];
  sources: ConcurrencyOptionSource[];
}

/** The spot check's cells: the release without the option and the first with it at its default of 10, glibc, once each. */
export function zlibSpotCells(load: ZlibLoad): ZlibCell[] {
  return zlibPlan(load).filter((c) => c.allocator === 'glibc' && (c.limit === 'no-option' || c.limit === 10));
}

/** Runs the spot check live (quick: QUICK_SPOT_LOAD; full: the recorded plan's load), or replays it. */
export async function runZlibSpotCheck(params: { quick: boolean }): Promise<ZlibSpot> {
  const load = params.quick ? QUICK_SPOT_LOAD : ZLIB_LOAD;
  return replayable(step('zlib-spot', { quick: params.quick, load: load }), async () => {
    const cells = zlibSpotCells(load);
    const bar = progress('zlib burst, live', cells.length);
    const results: ZlibCellResult[] = [];
    try {
      for (const cell of cells) {
        const result = await measureZlibCell(cell);
        results.push(result);
        bar.tick(1, `${zlibCellName(cell)}: ${formatDuration(result.elapsedMs)}`);
      }
    } finally {
      bar.done();
    }
    return { quick: params.quick, results: results, sources: ZLIB_WS_VERSIONS.map(readConcurrencyOption) };
  });
}

function sameCell(group: ZlibGroup, cell: ZlibCell): boolean {
  return (
    group.ws === cell.ws &&
    group.limit === cell.limit &&
    group.allocator === cell.allocator &&
    isDeepStrictEqual(group.load, cell.load)
  );
}

/** Words the spot check: each live run against the recorded range of the same cell, or why it cannot be. */
export function describeZlibSpot(spot: ZlibSpot, recorded: readonly ZlibCellResult[]): string[] {
  const groups = zlibGroups(recorded);
  return spot.results.map((result) => {
    const name = zlibCellName(result.cell);
    const judged = judgeZlibResult(result);
    if (!judged.valid) return `Live, ${name}: the run failed its controls (${judged.problems.join('; ')}).`;
    const { peakRss, afterSettleRss } = judged.figures;
    const live = `Live, ${name}: peak ${mib(peakRss)} MiB, ${mib(afterSettleRss)} MiB after GC`;
    const same = groups.find((g) => sameCell(g, result.cell) && g.valid > 0);
    if (!same)
      return spot.quick
        ? `${live} (quick mode's smaller burst: not comparable with the recorded runs).`
        : `${live}; no recorded run of this cell to compare with.`;
    const inside = (value: number, r: Spread) => (value >= r.min && value <= r.max ? 'inside' : 'outside');
    return `${live}; the recorded ${plural(same.valid, 'repeat')} ranged ${rangeText(same.peak)} and ${rangeText(same.afterSettle)} MiB: the live peak is ${inside(peakRss, same.peak)} its range, the live after-GC figure ${inside(afterSettleRss, same.afterSettle)}.`;
  });
}

/** Which releases have the option, worded from their installed source. */
export function describeZlibSources(sources: readonly ConcurrencyOptionSource[]): string {
  return sources
    .map((s) =>
      s.line === null
        ? `ws ${s.ws} has no concurrencyLimit option: no line of ${s.file} names it.`
        : `ws ${s.ws} reads it, ${s.file}:${s.lineNumber}: \`${s.line}\`.`,
    )
    .join(' ');
}

/** Shows the spot check's runs and its sentences. */
export function showZlibSpotCheck(spot: ZlibSpot, recorded: readonly ZlibCellResult[]): void {
  showText(describeZlibSources(spot.sources), { title: 'where each release reads concurrencyLimit' });
  showTable(zlibRows(zlibGroups(spot.results)), {
    caption: `Live spot check (${spot.quick ? 'quick: a smaller burst' : 'the recorded load'}), one run per cell`,
  });
  showText(describeZlibSpot(spot, recorded).join('\n'), { title: 'live against recorded' });
}
