/**
 * The source search timed against GNU grep on the same roots (`grep -rnI -F` for a literal,
 * `grep -rnIP` for a regex), after one warm-up run of each. Measures and returns numbers; what
 * counts as fast enough is the caller's call.
 */
import { search } from '../search';
import { listFiles } from '../search/files';
import { runGrep } from '../search/grep';

/** Runs timed per pattern and tool when not given; the median is reported. */
export const SEARCH_BENCH_RUNS = 5;

/** One pattern's timings: medians in ms, and ours divided by grep's. */
export interface SearchTiming {
  kind: 'literal' | 'regex';
  pattern: string;
  oursMs: number;
  grepMs: number;
  /** oursMs / grepMs. */
  ratio: number;
  /** Every run's time, in run order, so the spread can be shown. */
  oursRunsMs: number[];
  grepRunsMs: number[];
  hits: number;
  grepHits: number;
  grepCommand: string;
}

/** The bench's result for one set of roots. */
export interface SearchBenchResult {
  roots: string[];
  /** Files under the roots (before the binary test), as both tools see them. */
  files: number;
  runs: number;
  timings: SearchTiming[];
}

/** Times search() and grep on the roots for a literal and/or a regex. */
export function benchSearch(options: { root: string | readonly string[]; literal?: string; regex?: string; runs?: number }): SearchBenchResult {
  const roots = typeof options.root === 'string' ? [options.root] : [...options.root];
  const runs = options.runs ?? SEARCH_BENCH_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`benchSearch: runs must be a whole number >= 1, got ${runs}`);
  const queries: Array<{ literal: string } | { regex: string }> = [];
  if (options.literal !== undefined) queries.push({ literal: options.literal });
  if (options.regex !== undefined) queries.push({ regex: options.regex });
  if (queries.length === 0) throw new Error('benchSearch: give a literal, a regex, or both');
  const timings = queries.map((query): SearchTiming => {
    let hits = search({ roots, ...query }).length; // warm-up: page cache, JIT, grep's binary
    let grep = runGrep(query, roots);
    const oursRunsMs: number[] = [];
    const grepRunsMs: number[] = [];
    // Alternate the two so that a burst of load from elsewhere on the machine hits both alike.
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      hits = search({ roots, ...query }).length;
      oursRunsMs.push(performance.now() - start);
      start = performance.now();
      grep = runGrep(query, roots);
      grepRunsMs.push(performance.now() - start);
    }
    const oursMs = median(oursRunsMs);
    const grepMs = median(grepRunsMs);
    return {
      kind: 'literal' in query ? 'literal' : 'regex',
      pattern: 'literal' in query ? query.literal : query.regex,
      oursMs,
      grepMs,
      ratio: oursMs / grepMs,
      oursRunsMs,
      grepRunsMs,
      hits,
      grepHits: grep.pairs.length,
      grepCommand: grep.command,
    };
  });
  return { roots, files: listFiles(roots).length, runs, timings };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
