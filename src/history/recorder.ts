/**
 * Runs a chapter-9 recording's plan into a data dir: the runs already recorded there (same run key
 * and repeat) are skipped unless `fresh`, each other run is measured and written at once
 * (atomically, so a crash loses the run in progress only), with a progress line per run. A run
 * that throws is reported and not written; the others go on.
 */
import { readRecords, writeRecord } from '../core/records';
import { formatDuration } from '../core/units';
import type { HistoryRecording, PlannedRun, RecordedRun } from './recordings';

/** What a recording did. */
export interface RecorderOutcome {
  planned: number;
  skipped: number;
  recorded: number;
  failed: Array<{ label: string; error: string }>;
  wallMs: number;
}

/** The runs of `runs` not yet recorded in `dir` (all when `fresh`). */
export function runsToMake(
  recording: HistoryRecording,
  runs: readonly PlannedRun[],
  dir: string,
  fresh: boolean,
): PlannedRun[] {
  if (fresh) return [...runs];
  const done = new Set(readRecords<RecordedRun>(recording.kind, dir).records.map((r) => `${r.runKey}#${r.repeat}`));
  return runs.filter((run) => !done.has(`${run.runKey}#${run.repeat}`));
}

/** Measures and writes each run in turn; `stop` aborted ends it after the run in progress. */
export async function recordRuns(
  runs: readonly PlannedRun[],
  dir: string,
  say: (line: string) => void,
  stop: AbortSignal,
): Promise<Omit<RecorderOutcome, 'planned' | 'skipped'>> {
  const started = performance.now();
  const failed: RecorderOutcome['failed'] = [];
  let recorded = 0;
  for (const [i, run] of runs.entries()) {
    if (stop.aborted) break;
    const runStarted = performance.now();
    const prefix = `run ${i + 1}/${runs.length}, ${run.label}`;
    say(`${prefix}: started`);
    try {
      const record = await run.measure((note) => say(`${prefix}: ${note}`));
      await writeRecord(record, dir);
      recorded++;
      const left = runs.slice(i + 1).reduce((s, r) => s + r.estimateMs, 0);
      say(
        `${prefix}: recorded in ${formatDuration(performance.now() - runStarted)}; elapsed ${formatDuration(performance.now() - started)}, about ${formatDuration(left)} left`,
      );
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      failed.push({ label: run.label, error: message });
      say(`${prefix}: FAILED, not recorded: ${message}`);
    }
  }
  return { recorded: recorded, failed: failed, wallMs: performance.now() - started };
}
