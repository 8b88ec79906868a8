/**
 * The long run behind the post's "no disconnect in one hour": the 2015 stack with the post's fix
 * (deflate off) under the load that breaks it with deflate on, for the post's hour. The control
 * runs first; when it does not fail, the load proves nothing and the hour is not started.
 * One record per run under `<data dir>/long-run/`, holding the control run (same load, deflate on,
 * until its first failure), the long run itself, and a timeline sampled while it ran.
 */
import { newRecordId, readRecords, recordEnvelope, writeRecord, type RecordBase } from '../core/records';
import { watchMachineLoad } from '../core/machine-load';
import { FAILING_SCENARIO } from './presets';
import { zeroFailureBlockers } from './failure-rule';
import { runScenario, type ScenarioRecord, type ScenarioSpec } from './scenario';
import { NamedError } from '../core/errors';

/** The folder (record kind) long runs are written to. */
export const LONG_RUN_KIND = 'long-run';

/**
 * The load, fixed before the first long run and kept: the failing scenario of chapters 3–4 (the load that
 * breaks the 2015 stack with deflate on within seconds) on the 2015 stack, with the clients forked
 * so that the server's CPU and memory are its own.
 */
export const LONG_RUN_LOAD: Omit<ScenarioSpec, 'deflate' | 'duration' | 'stopOnFirstFailure'> = {
  ...FAILING_SCENARIO,
  stack: '2015',
  placement: 'forked',
};

/** The long run's send window: the post's hour. */
export const LONG_RUN_DURATION_MS = 60 * 60_000;
/** The control's send window at most; it stops at its first failure. */
export const CONTROL_DURATION_MS = 30_000;
/** How often the timeline is sampled. */
export const TIMELINE_EVERY_MS = 15_000;

/** One timeline sample, taken while the long run sends. */
export interface TimelineSample {
  elapsedMs: number;
  sent: number;
  delivered: number;
  failures: number;
  /** The server process's resident memory. */
  rss: number;
}

/** One long run's record, as written to `<data dir>/long-run/`. */
export interface LongRunRecord extends RecordBase {
  kind: typeof LONG_RUN_KIND;
  /** The same load with deflate on, stopped at its first failure: shows the load breaks the unfixed server. */
  control: ScenarioRecord;
  /** The post's fix (deflate off) under that load for the whole duration. */
  run: ScenarioRecord;
  timeline: TimelineSample[];
  /** Why "no failure" may not be claimed from `run` (empty when it may), computed when recorded. */
  blockers: string[];
}

export interface LongRunOptions {
  /** The send window; defaults to LONG_RUN_DURATION_MS. */
  duration?: number;
  /** The control's longest send window; defaults to CONTROL_DURATION_MS. */
  controlDuration?: number;
  /** Where to write (a data dir; the record goes into its `long-run/`); defaults to the data dir. */
  dataDir?: string;
  /** Called with a one-line status about every TIMELINE_EVERY_MS. */
  onStatus?: (line: string) => void;
}

/** The control did not fail: an hour without failures at this load would prove nothing. */
export class ControlDidNotFailError extends NamedError {
  constructor(readonly control: ScenarioRecord) {
    super(
      `the control (deflate on, same load) did not fail within ${Math.round(control.spec.duration / 1000)} s ` +
        `(${control.result.sent} sent, ${control.result.delivered} delivered): at this load the hour would prove nothing, so it was not started`,
    );
  }
}

/**
 * Runs the control then, if the control failed, the long run; writes one record and returns it
 * with its file. Throws ControlDidNotFailError, writing nothing, when the control did not fail.
 */
export async function runLongRun(options: LongRunOptions = {}): Promise<{ record: LongRunRecord; file: string }> {
  const duration = options.duration ?? LONG_RUN_DURATION_MS;
  const startedAt = new Date().toISOString();
  const machineLoad = watchMachineLoad();
  const say = options.onStatus ?? (() => {});
  const controlDuration = options.controlDuration ?? CONTROL_DURATION_MS;
  say(`control: deflate on, up to ${controlDuration / 1000} s, stopping at the first failure`);
  const control = await runScenario(
    { ...LONG_RUN_LOAD, deflate: 'on', duration: controlDuration, stopOnFirstFailure: true },
    { record: false },
  );
  say(`control: ${control.result.failures} failures, first at ${control.result.firstFailureMs ?? '-'} ms`);
  if (control.result.failures === 0) throw new ControlDidNotFailError(control);

  const timeline: TimelineSample[] = [];
  let nextSample = 0;
  const run = await runScenario(
    { ...LONG_RUN_LOAD, deflate: 'off', duration: duration },
    {
      record: false,
      onProgress: (p) => {
        if (p.elapsedMs < nextSample) return;
        nextSample += TIMELINE_EVERY_MS;
        const sample = {
          elapsedMs: p.elapsedMs,
          sent: p.sent,
          delivered: p.delivered,
          failures: p.failures,
          rss: process.memoryUsage().rss,
        };
        timeline.push(sample);
        say(`${Math.round(p.elapsedMs / 1000)} s: ${p.sent} sent, ${p.delivered} delivered, ${p.failures} failures`);
      },
    },
  );
  const record: LongRunRecord = {
    ...recordEnvelope({
      kind: LONG_RUN_KIND,
      id: newRecordId('2015-deflate-off-'),
      startedAt: startedAt,
      // A shorter send window than the standard one (a test, a trial) is marked as such.
      quick: duration < LONG_RUN_DURATION_MS,
      machineLoad: machineLoad,
    }),
    control: control,
    run: run,
    timeline: timeline,
    blockers: zeroFailureBlockers(run),
  };
  const file = await writeRecord(record, options.dataDir);
  return { record: record, file: file };
}

/** The recorded long runs in a data dir, oldest first, and files that could not be read. */
export function readLongRuns(dataDir?: string): ReturnType<typeof readRecords<LongRunRecord>> {
  return readRecords<LongRunRecord>(LONG_RUN_KIND, dataDir);
}
