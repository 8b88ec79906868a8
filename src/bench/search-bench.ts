/**
 * The source search timed against GNU grep on the same roots (`grep -rnI -F` for a literal,
 * `grep -rnIP` for a regex), after one warm-up run of each. Measures and returns numbers; what
 * counts as fast enough is the caller's call.
 */
import fs from 'node:fs';
import { search } from '../search';
import { listFiles } from '../search/files';
import { runGrep } from '../search/grep';
import { median } from '../core/stats';

/** Runs timed per pattern and tool when not given; the median is reported. */
export const SEARCH_BENCH_RUNS = 5;

/** One pattern's timings: medians in ms, and ours divided by grep's. */
export interface SearchTiming {
  kind: 'literal' | 'regex';
  pattern: string;
  /** Wall-clock medians: what a reader waits. */
  oursMs: number;
  grepMs: number;
  /** oursMs / grepMs. */
  ratio: number;
  /**
   * CPU time (user + system) medians: steadier than wall time when other work shares the cores.
   * grep's is read from /proc/self/stat (children's times, in 10 ms ticks); NaN where there is no /proc.
   */
  oursCpuMs: number;
  grepCpuMs: number;
  cpuRatio: number;
  /** Every run's wall time, in run order, so the spread can be shown. */
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
export function benchSearch(options: {
  root: string | readonly string[];
  literal?: string;
  regex?: string;
  runs?: number;
}): SearchBenchResult {
  const roots = typeof options.root === 'string' ? [options.root] : [...options.root];
  const runs = options.runs ?? SEARCH_BENCH_RUNS;
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`benchSearch: runs must be a whole number >= 1, got ${runs}`);
  const queries: Array<{ literal: string } | { regex: string }> = [];
  if (options.literal !== undefined) queries.push({ literal: options.literal });
  if (options.regex !== undefined) queries.push({ regex: options.regex });
  if (queries.length === 0) throw new Error('benchSearch: give a literal, a regex, or both');
  const timings = queries.map((query): SearchTiming => {
    let hits = search({ roots, ...query }).length; // warm-up: page cache, JIT, grep's binary
    let grep = runGrep(query, roots);
    const oursRunsMs: number[] = [];
    const grepRunsMs: number[] = [];
    const oursCpuRunsMs: number[] = [];
    const grepCpuRunsMs: number[] = [];
    // Alternate the two so that a burst of load from elsewhere on the machine hits both alike.
    for (let run = 0; run < runs; run++) {
      let cpu = process.cpuUsage();
      let start = performance.now();
      hits = search({ roots, ...query }).length;
      oursRunsMs.push(performance.now() - start);
      cpu = process.cpuUsage(cpu);
      oursCpuRunsMs.push((cpu.user + cpu.system) / 1000);
      const childCpu = childrenCpuMs();
      start = performance.now();
      grep = runGrep(query, roots);
      grepRunsMs.push(performance.now() - start);
      grepCpuRunsMs.push(childrenCpuMs() - childCpu);
    }
    const oursMs = median(oursRunsMs);
    const grepMs = median(grepRunsMs);
    const oursCpuMs = median(oursCpuRunsMs);
    const grepCpuMs = median(grepCpuRunsMs);
    return {
      kind: 'literal' in query ? 'literal' : 'regex',
      pattern: 'literal' in query ? query.literal : query.regex,
      oursMs,
      grepMs,
      ratio: oursMs / grepMs,
      oursCpuMs,
      grepCpuMs,
      cpuRatio: oursCpuMs / grepCpuMs,
      oursRunsMs,
      grepRunsMs,
      hits,
      grepHits: grep.pairs.length,
      grepCommand: grep.command,
    };
  });
  return { roots, files: listFiles(roots).length, runs, timings };
}

// Linux reports times in /proc in USER_HZ ticks, which is 100 per second on every architecture.
const PROC_TICKS_PER_SECOND = 100;

// CPU time (user + system) of this process's children that have been waited for, in ms.
function childrenCpuMs(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses; cutime and cstime
    // are fields 16 and 17 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / PROC_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
