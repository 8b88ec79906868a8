/**
 * The memory row's records summarised: per cell, the mean per-connection slope over its repeats
 * with its t interval, and the three comparisons the finding is worded from, each over paired
 * repeats (the cells of one repeat ran back to back): what deflate cost on socket.io 2.3.0 (its
 * default minus off), what it cost on 2.4.0 (forced on minus its default), and what the default
 * change saved (2.3.0's default minus 2.4.0's). Only records whose figures and controls hold count.
 */
import { meanInterval, type MeanEstimate } from '../core/stats';
import { memoryRecordProblems, type HistoryMemoryRecord } from './memory';
import { cellLabel, cellName, MEMORY_CELLS, type MemoryCell } from './memory-plan';

/** One cell over its repeats. */
export interface MemoryCellSummary {
  cell: MemoryCell;
  label: string;
  repeats: number;
  counts: number[];
  messageBytes: number;
  versions: Record<string, string>;
  /** Whether the server accepted permessage-deflate (every record's every handshake agrees: controls held). */
  deflate: boolean;
  /** Bytes per connection. */
  rss: MeanEstimate;
  heapUsed: MeanEstimate;
}

/** A difference of two cells over the repeats both have, bytes per connection. */
export interface MemoryComparison {
  /** `a` minus `b`. */
  a: MemoryCell;
  b: MemoryCell;
  rss: MeanEstimate;
  heapUsed: MeanEstimate;
}

/** The summary the chapter shows and words. */
export interface MemorySummary {
  cells: MemoryCellSummary[];
  /** 2.3.0 default − 2.3.0 off; 2.4.0 forced − 2.4.0 default; 2.3.0 default − 2.4.0 default (null where a cell is missing). */
  deflateCostOld: MemoryComparison | null;
  deflateCostNew: MemoryComparison | null;
  defaultChangeSaved: MemoryComparison | null;
  /** Records left out because a figure or control did not hold, or because they ran other counts. */
  excluded: number;
}

const cellOf = (name: string): MemoryCell => MEMORY_CELLS.find((c) => cellName(c) === name) as MemoryCell;

/** The counts most records ran (the recorded plan's), as a key. */
function commonCounts(records: readonly HistoryMemoryRecord[]): string | undefined {
  const tally = new Map<string, number>();
  for (const r of records) tally.set(r.counts.join(','), (tally.get(r.counts.join(',')) ?? 0) + 1);
  return [...tally].sort((x, y) => y[1] - x[1])[0]?.[0];
}

/** The latest trusted record of each (cell, repeat) that ran `counts`. */
function byCellAndRepeat(
  records: readonly HistoryMemoryRecord[],
  counts: string,
): Map<string, Map<number, HistoryMemoryRecord>> {
  const out = new Map<string, Map<number, HistoryMemoryRecord>>();
  for (const r of [...records].sort((x, y) => x.startedAt.localeCompare(y.startedAt))) {
    if (r.counts.join(',') !== counts) continue;
    const repeats = out.get(cellName(r.cell)) ?? new Map<number, HistoryMemoryRecord>();
    repeats.set(r.repeat, r);
    out.set(cellName(r.cell), repeats);
  }
  return out;
}

function compare(
  grouped: Map<string, Map<number, HistoryMemoryRecord>>,
  a: string,
  b: string,
): MemoryComparison | null {
  const left = grouped.get(a);
  const right = grouped.get(b);
  if (!left || !right) return null;
  const pairs = [...left].flatMap(([repeat, r]) =>
    right.has(repeat) ? [[r, right.get(repeat) as HistoryMemoryRecord]] : [],
  );
  const rss = meanInterval(pairs.map(([x, y]) => x.perConnection.rss - y.perConnection.rss));
  const heapUsed = meanInterval(pairs.map(([x, y]) => x.perConnection.heapUsed - y.perConnection.heapUsed));
  return rss && heapUsed ? { a: cellOf(a), b: cellOf(b), rss: rss, heapUsed: heapUsed } : null;
}

/** Summarises the records that hold (memoryRecordProblems empty) and ran the counts most of them ran. */
export function summarizeMemory(records: readonly HistoryMemoryRecord[]): MemorySummary {
  const trusted = records.filter((r) => memoryRecordProblems(r).length === 0);
  const counts = commonCounts(trusted);
  const grouped = counts === undefined ? new Map() : byCellAndRepeat(trusted, counts);
  const cells: MemoryCellSummary[] = [];
  let used = 0;
  for (const cell of MEMORY_CELLS) {
    const runs = [...(grouped.get(cellName(cell))?.values() ?? [])];
    if (runs.length === 0) continue;
    used += runs.length;
    const last = runs[runs.length - 1];
    cells.push({
      cell: cell,
      label: cellLabel(cell),
      repeats: runs.length,
      counts: last.counts,
      messageBytes: last.messageBytes,
      versions: last.versions,
      deflate: last.steps[0].clients.deflateAnswers > 0,
      rss: meanInterval(runs.map((r) => r.perConnection.rss)) as MeanEstimate,
      heapUsed: meanInterval(runs.map((r) => r.perConnection.heapUsed)) as MeanEstimate,
    });
  }
  return {
    cells: cells,
    deflateCostOld: compare(grouped, '2.3.0-default', '2.3.0-off'),
    deflateCostNew: compare(grouped, '2.4.0-forced', '2.4.0-default'),
    defaultChangeSaved: compare(grouped, '2.3.0-default', '2.4.0-default'),
    excluded: records.length - used,
  };
}
