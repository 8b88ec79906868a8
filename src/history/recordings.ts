/**
 * The recordings `npm run record-history` makes for chapter 9: rows 1 and 2 are recorded datasets,
 * made on a quiet machine and committed, one record per cell per repeat. Each recording says what
 * flags it takes, turns them into a fixed plan (checked before anything starts), and lists its runs
 * in recording order; the recorder (src/history/recorder.ts) skips runs already recorded, runs the
 * rest and writes each record atomically. A recording is one entry of HISTORY_RECORDINGS.
 */
import type { RecordBase } from '../core/records';
import { formatBytes, formatDuration } from '../core/units';
import { measureMemoryCell, memoryRecordProblems, type HistoryMemoryRecord } from './memory';
import {
  cellLabel,
  cellName,
  checkMemoryPlan,
  HISTORY_MEMORY_KIND,
  MEMORY_PLAN,
  memoryRunKey,
  parseCells,
  type MemoryPlan,
} from './memory-plan';
import { InputError } from '../core/errors';
import { newRecordId, recordEnvelope } from '../core/records';
import {
  judgeZlibResult,
  measureZlibCell,
  ZLIB_LOAD,
  ZLIB_REPEATS,
  zlibCellName,
  zlibPlan,
  zlibSchedule,
  type ZlibCellResult,
} from './zlib';

/** What every recorded run carries besides its envelope: which planned run it is. */
export interface RecordedRun extends RecordBase {
  /** The cell and every fixed parameter of the plan: records with the same key are repeats of one cell. */
  runKey: string;
  /** 0-based. */
  repeat: number;
}

/** One run of a plan: a cell's repeat, measured when the recorder calls it. */
export interface PlannedRun {
  label: string;
  runKey: string;
  repeat: number;
  /** About how long it takes, ms: the recorder's estimate of the whole plan sums these. */
  estimateMs: number;
  measure(progress: (note: string) => void): Promise<RecordedRun>;
}

/** A flag a recording takes: `--name VALUE`. */
export interface RecordingFlag {
  name: string;
  /** One line of usage: what it takes and its default. */
  help: string;
}

/** One recording of chapter 9, e.g. `memory` (row 1) or `zlib` (row 2). */
export interface HistoryRecording {
  /** The command's first argument. */
  name: string;
  /** The record kind, and so the folder under the data dir. */
  kind: string;
  /** One line: what it measures. */
  summary: string;
  flags: readonly RecordingFlag[];
  /**
   * The plan from the flags given (absent: the recorded default), as lines to print, and its runs
   * in recording order (repeat-major, so a drift in the machine spreads over every cell). Throws an
   * InputError naming the flag on bad input.
   */
  plan(flags: Readonly<Record<string, string | undefined>>): { lines: string[]; runs: PlannedRun[] };
  /**
   * check-data's judge of one record of this kind: every stored figure recomputed from its raw
   * samples, every control of the run; one line per problem, none when it holds.
   */
  judge(record: RecordedRun): string[];
  /** The cell a record measured, as check-data counts its repeats (`2.3.0-default`). */
  cellOf(record: RecordedRun): string;
}

/** A whole number from a flag, or the default; a one-line InputError otherwise. */
export function wholeFlag(flags: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new InputError(`--${name} ${raw}: give a whole number, e.g. --${name} ${fallback}`);
  return Number(raw);
}

/** Time per memory run, from small runs on the 2-core machine: start, warm-up and samples, then per connection. */
const MEMORY_RUN_FIXED_MS = 2_000;
const MEMORY_MS_PER_CONNECTION = 3;

function memoryPlanFrom(flags: Readonly<Record<string, string | undefined>>): MemoryPlan {
  const counts = flags.counts?.split(',').map((c) => (/^\d+$/.test(c) ? Number(c) : NaN)) ?? MEMORY_PLAN.counts;
  if (counts.some(Number.isNaN))
    throw new InputError(`counts: ${flags.counts}: give two or more ascending whole numbers, e.g. 1000,5000`);
  return checkMemoryPlan({
    counts: counts,
    repeats: wholeFlag(flags, 'repeats', MEMORY_PLAN.repeats),
    messageBytes: MEMORY_PLAN.messageBytes,
    seed: MEMORY_PLAN.seed,
    cells: flags.cells === undefined ? [...MEMORY_PLAN.cells] : parseCells(flags.cells),
  });
}

/** Row 1: memory per connection with deflate on, in the four cells around socket.io 2.4.0's default change. */
export const MEMORY_RECORDING: HistoryRecording = {
  name: 'memory',
  kind: HISTORY_MEMORY_KIND,
  summary: "a socket.io 2.x server's RSS and heap per connection, deflate on and off, around 2.4.0's default change",
  flags: [
    { name: 'counts', help: `connection counts, ascending (default ${MEMORY_PLAN.counts.join(',')})` },
    { name: 'repeats', help: `repeats of each cell (default ${MEMORY_PLAN.repeats})` },
    { name: 'cells', help: 'all, or some of 2.3.0-default,2.3.0-off,2.4.0-default,2.4.0-forced (default all)' },
  ],
  plan(flags) {
    const plan = memoryPlanFrom(flags);
    const most = plan.counts[plan.counts.length - 1];
    const runs: PlannedRun[] = [];
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      for (const cell of plan.cells) {
        runs.push({
          label: `${cellLabel(cell)}, repeat ${repeat + 1}`,
          runKey: memoryRunKey(cell, plan),
          repeat: repeat,
          estimateMs: MEMORY_RUN_FIXED_MS + (most + 1) * MEMORY_MS_PER_CONNECTION,
          measure: (progress): Promise<HistoryMemoryRecord> =>
            measureMemoryCell(cell, repeat, plan, { onStep: (n) => progress(`${n} connections sampled`) }),
        });
      }
    }
    return {
      lines: [
        `cells: ${plan.cells.map(cellLabel).join('; ')}`,
        `each: a fresh server process, ${plan.counts.join(' then ')} connections, one ${formatBytes(plan.messageBytes)} JSON message each (seed ${plan.seed}), ${plan.repeats} repeat${plan.repeats === 1 ? '' : 's'}`,
        `about ${formatDuration(runs.reduce((s, r) => s + r.estimateMs, 0))} for all ${runs.length} runs`,
      ],
      runs: runs,
    };
  },
  judge: (record) => memoryRecordProblems(record as HistoryMemoryRecord),
  cellOf: (record) => cellName((record as HistoryMemoryRecord).cell),
};

/** Row 2's record: one zlib cell's result, as its measuring function returned it. */
export interface HistoryZlibRecord extends RecordedRun {
  kind: typeof HISTORY_ZLIB_KIND;
  result: ZlibCellResult;
}

export const HISTORY_ZLIB_KIND = 'history-zlib';

/** Time per zlib cell, from one pass of the plan on the 2-core machine (3.8–8.0 s a cell). */
const ZLIB_RUN_MS = 6_000;

/** Row 2: a ws 3.1.0 / 3.2.0 server's memory after a compressed burst, by concurrencyLimit and allocator. */
export const ZLIB_RECORDING: HistoryRecording = {
  name: 'zlib',
  kind: HISTORY_ZLIB_KIND,
  summary: "a ws server's RSS after a burst of compressed messages, by release, concurrencyLimit and allocator",
  flags: [{ name: 'repeats', help: `repeats of each cell (default ${ZLIB_REPEATS})` }],
  plan(flags) {
    const repeats = wholeFlag(flags, 'repeats', ZLIB_REPEATS);
    if (repeats < 1 || repeats > 20)
      throw new InputError(`--repeats ${repeats}: give 1 to 20, e.g. --repeats ${ZLIB_REPEATS}`);
    const cells = zlibPlan();
    // zlibSchedule lists every cell once per repeat, in order: the repeat is the index's round.
    const runs = zlibSchedule(cells, repeats).map((cell, index): PlannedRun => {
      // Record ids allow [A-Za-z0-9._+-] only: the cell's name has spaces and commas.
      const slug = `ws${cell.ws}_limit-${cell.limit}_${cell.allocator}`;
      const runKey = `${slug}_c${cell.load.connections}_m${cell.load.messagesPerConnection}x${cell.load.messageBytes}_s${cell.load.seed}_w${cell.load.settleMs}`;
      const repeat = Math.floor(index / cells.length);
      return {
        label: `${zlibCellName(cell)}, repeat ${repeat + 1}`,
        runKey: runKey,
        repeat: repeat,
        estimateMs: ZLIB_RUN_MS,
        measure: async (): Promise<HistoryZlibRecord> => {
          const startedAt = new Date().toISOString();
          const result = await measureZlibCell(cell);
          return {
            ...recordEnvelope({
              kind: HISTORY_ZLIB_KIND,
              id: newRecordId(`${slug}-r${repeat}-`),
              startedAt: startedAt,
              quick: false,
            }),
            runKey: runKey,
            repeat: repeat,
            result: result,
          };
        },
      };
    });
    const load = ZLIB_LOAD;
    return {
      lines: [
        `cells: ${cells.map(zlibCellName).join('; ')}`,
        `each: a fresh server process, ${load.connections} connections × ${load.messagesPerConnection} messages of ${formatBytes(load.messageBytes)} compressed JSON (seed ${load.seed}), settle ${formatDuration(load.settleMs)}, ${repeats} repeat${repeats === 1 ? '' : 's'}`,
        `about ${formatDuration(runs.length * ZLIB_RUN_MS)} for all ${runs.length} runs`,
      ],
      runs: runs,
    };
  },
  judge: (record) => judgeZlibResult((record as HistoryZlibRecord).result).problems,
  cellOf: (record) => zlibCellName((record as HistoryZlibRecord).result.cell),
};

/** Every recording, by its command name; check-data judges every kind listed here. */
export const HISTORY_RECORDINGS: readonly HistoryRecording[] = [MEMORY_RECORDING, ZLIB_RECORDING];
