/**
 * The sweep engine: expands a grid into runs, skips runs already recorded under their resume key
 * (unless fresh), runs the rest one at a time in a worker with a hard limit each, records every
 * run (a failed one with its error) atomically under `<data dir>/sweep/`, shows progress, and
 * writes one session record saying what this invocation did.
 */
import { progress } from '../show/display';
import { watchMachineLoad } from '../core/machine-load';
import { runMeta } from '../core/meta';
import { newRecordId, readRecords, recordEnvelope, writeRecord, type RecordBase } from '../core/records';
import { dataDir } from '../core/paths';
import { hardLimitMs, type ScenarioRecord } from '../traffic/scenario';
import { formatBytes } from '../core/units';
import type { KneeResult } from '../capacity/measure';
import {
  expandGrid,
  loadLabel,
  runsToDo,
  type PlannedRun,
  type ResumeOptions,
  type SweepCell,
  type SweepGrid,
} from './grid';
import { IsolatedScenarios } from './isolate';
import { spread, type Spread } from '../traffic/metrics';

/** The record kind (and folder) of sweep runs. */
export const SWEEP_KIND = 'sweep';
/** The record kind (and folder) of sweep invocations. */
export const SESSION_KIND = 'sweep-session';
/** Beyond the scenario's own limit: the worker's start, the server's start and close. */
export const WORKER_SLACK_MS = 20_000;
/**
 * A run's usual wall time beyond its send window (worker, server, connect, drain, teardown), for
 * the estimate printed before a sweep: the committed sweep made 186 runs of 5 s in 18.1 min on a
 * quiet 2-core machine, 0.8 s each beyond the window.
 */
const RUN_OVERHEAD_MS = 1_000;

/** One run of a sweep, as written to `<data dir>/sweep/<id>.json`. */
export interface SweepRecord extends RecordBase {
  kind: typeof SWEEP_KIND;
  key: string;
  /** The name of the grid that asked for this run. */
  grid: string;
  cell: SweepCell;
  repeat: number;
  versions: Record<string, string>;
  /** `failed`: the run could not be measured (its error says why); not that the stack failed. */
  status: 'completed' | 'failed';
  error?: string;
  /** Wall time of the whole run, set-up and teardown included. */
  wallMs: number;
  /** The scenario's record, when the worker returned one (a failed run may still have one). */
  scenario: ScenarioRecord | null;
}

/** One invocation of a sweep, as written to `<data dir>/sweep-session/<id>.json`. */
export interface SweepSession extends RecordBase {
  kind: typeof SESSION_KIND;
  grid: SweepGrid;
  planned: number;
  skipped: number;
  ran: number;
  failed: number;
  /** Whether every planned run was made or found (false when interrupted). */
  complete: boolean;
  wallMs: number;
  /**
   * The 1-minute load averages this invocation's runs keep (RunMeta.loadAverage): the recording
   * gate's reading before the sweep began, in a gated sweep; each run's end, in older sessions.
   */
  loadAverage: Spread | null;
  cpuModel: string;
  cores: number;
  /** The capacity records whose knees set the loads of knee-fraction runs (absent in sessions made before knees). */
  kneeRecords?: string[];
}

/** How to run a sweep. */
export interface SweepOptions extends ResumeOptions {
  /** Data dir whose `sweep/` folder holds the records; false keeps them in memory only. */
  dir?: string | false;
  quick?: boolean;
  /** The progress line's label. */
  label?: string;
  /** Ends the sweep after the current run is killed; runs recorded so far stay. */
  signal?: AbortSignal;
  /** Each run's hard limit; default: the scenario's own limit plus WORKER_SLACK_MS. */
  limitMs?: (cell: SweepCell) => number;
  /** The knees that set the loads of the grid's knee fractions (src/sweep/knees.ts), and their records' ids. */
  knees?: { knees: readonly KneeResult[]; recordIds: string[] };
}

/** What a sweep returns: the records of every planned run (found or made) and the session. */
export interface SweepResult {
  records: SweepRecord[];
  session: SweepSession;
}

/** A run's default hard limit: the scenario's own (connect, send, drain, slack) plus the worker's start and teardown. */
export function runLimitMs(cell: SweepCell): number {
  return hardLimitMs(cell.duration) + WORKER_SLACK_MS;
}

/** `2015 on data-url 1 MiB 10/s ×3 #2`: a run named for a progress line. */
export function runLabel(cell: SweepCell, repeat?: number): string {
  const rep = repeat === undefined ? '' : ` #${repeat + 1}`;
  const load = cell.knee ? `${loadLabel(cell)} (${cell.rate}/s ×${cell.burst})` : `${cell.rate}/s ×${cell.burst}`;
  return `${cell.stack} ${cell.deflate} ${cell.payload} ${formatBytes(cell.frameSize)} ${load}${rep}`;
}

/** A usual wall time for one run with a send window of `durationMs`. */
export function estimateRunMs(durationMs: number): number {
  return durationMs + RUN_OVERHEAD_MS;
}

/** A usual wall time for `runs`. */
export function estimateSweepMs(runs: readonly PlannedRun[]): number {
  return runs.reduce((sum, run) => sum + estimateRunMs(run.cell.duration), 0);
}

function recordId(run: PlannedRun): string {
  const c = run.cell;
  return `${c.stack}-${c.deflate}-${c.payload}-${c.frameSize}B-r${c.rate}-b${c.burst}-rep${run.repeat}-${run.key}`.replace(
    /[^A-Za-z0-9._+-]/g,
    '_',
  );
}

/** Records already in the folder, by resume key (a later record of the same key wins). */
export function recordedByKey(dir: string): Map<string, SweepRecord> {
  const byKey = new Map<string, SweepRecord>();
  for (const record of readRecords<SweepRecord>(SWEEP_KIND, dir).records) {
    const seen = byKey.get(record.key);
    if (!seen || seen.endedAt < record.endedAt) byKey.set(record.key, record);
  }
  return byKey;
}

/** A sweep's plan: every run of the grid, those to make now, and those already recorded. */
export interface SweepPlan {
  planned: PlannedRun[];
  todo: PlannedRun[];
  skipped: PlannedRun[];
  recorded: Map<string, SweepRecord>;
}

/** Plans a sweep against the records in `dir` (none when false), without running anything. */
export function planSweep(
  grid: SweepGrid,
  dir: string | false,
  opts: ResumeOptions = {},
  knees: readonly KneeResult[] = [],
): SweepPlan {
  const planned = expandGrid(grid, undefined, knees);
  const recorded = dir === false ? new Map<string, SweepRecord>() : recordedByKey(dir);
  const status = new Map([...recorded].map(([key, record]) => [key, record.status]));
  return { planned: planned, recorded: recorded, ...runsToDo(planned, status, opts) };
}

async function measure(
  run: PlannedRun,
  runner: IsolatedScenarios,
  grid: SweepGrid,
  quick: boolean,
  limitMs: number,
  onNote: (note: string) => void,
): Promise<SweepRecord> {
  const startedAt = new Date().toISOString();
  const machineLoad = watchMachineLoad();
  const t0 = performance.now();
  let scenario: ScenarioRecord | null = null;
  let error: string | undefined;
  try {
    scenario = await runner.run(run.cell, {
      limitMs: limitMs,
      quick: quick,
      onProgress: (p) =>
        onNote(`${runLabel(run.cell, run.repeat)}: ${p.sent} sent, ${p.delivered} delivered, ${p.failures} failures`),
    });
    if (scenario.result.status !== 'completed') error = scenario.result.runError ?? 'the scenario did not complete';
  } catch (e) {
    error = (e as Error).message;
  }
  return {
    ...recordEnvelope({
      kind: SWEEP_KIND,
      id: recordId(run),
      startedAt: startedAt,
      quick: quick,
      machineLoad: machineLoad,
    }),
    key: run.key,
    grid: grid.name,
    cell: run.cell,
    repeat: run.repeat,
    versions: run.versions,
    status: error === undefined ? 'completed' : 'failed',
    error: error,
    wallMs: Math.round(performance.now() - t0),
    scenario: scenario,
  };
}

/**
 * Runs a grid. Every run is bounded (the scenario's hard limit plus worker slack); a failed run is
 * recorded as failed and the sweep goes on. Progress: runs done/total, elapsed, ETA, on one line
 * (updated in place in a notebook).
 */
export async function runSweep(grid: SweepGrid, options: SweepOptions = {}): Promise<SweepResult> {
  const dir = options.dir === undefined ? dataDir() : options.dir;
  const quick = options.quick ?? false;
  const { planned, recorded, todo, skipped } = planSweep(grid, dir, options, options.knees?.knees);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const label = options.label ?? `sweep ${grid.name}`;
  const bar = progress(
    skipped.length > 0 ? `${label} (${skipped.length} already recorded, skipped)` : label,
    todo.length,
  );
  const runner = new IsolatedScenarios();
  const made = new Map<string, SweepRecord>();
  const onAbort = () => runner.kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let failed = 0;
  try {
    for (const run of todo) {
      if (options.signal?.aborted) break;
      const limit = options.limitMs?.(run.cell) ?? runLimitMs(run.cell);
      const record = await measure(run, runner, grid, quick, limit, (note) => bar.set(note));
      if (options.signal?.aborted) break;
      if (dir !== false) await writeRecord(record, dir);
      made.set(run.key, record);
      if (record.status === 'failed') failed++;
      bar.tick(
        1,
        `${runLabel(run.cell, run.repeat)}: ${record.status === 'failed' ? `failed (${record.error})` : 'done'}`,
      );
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await runner.close();
    bar.done(`${made.size} runs made, ${failed} failed${options.signal?.aborted ? ', interrupted' : ''}`);
  }
  const meta = runMeta();
  const session: SweepSession = {
    ...recordEnvelope({
      kind: SESSION_KIND,
      id: newRecordId(`${grid.name.replace(/[^A-Za-z0-9]+/g, '_')}-`),
      startedAt: startedAt,
      quick: quick,
      meta: meta,
    }),
    grid: grid,
    planned: planned.length,
    skipped: skipped.length,
    ran: made.size,
    failed: failed,
    complete: made.size + skipped.length === planned.length,
    wallMs: Math.round(performance.now() - started),
    loadAverage: spread([...made.values()].map((r) => r.meta.loadAverage)),
    cpuModel: meta.cpuModel,
    cores: meta.cores,
    kneeRecords: options.knees?.recordIds ?? [],
  };
  if (dir !== false && made.size > 0) await writeRecord(session, dir);
  const records = planned
    .map((run) => made.get(run.key) ?? recorded.get(run.key))
    .filter((r): r is SweepRecord => r !== undefined);
  return { records: records, session: session };
}
