/** Time to the first `invalid compressed data` on 2015: the failing scenario, run until it fails, five times. */
import { FAILURE_DEADLINE_MS, FAILING_SCENARIO } from '../traffic/presets';
import { cannotSayNoFailure, classifyScenario } from '../traffic/failure-rule';
import { runScenario } from '../traffic/scenario';
import { median } from '../core/stats';

export const FIRST_FAILURE_RUNS = 5;
const ERROR = 'invalid compressed data (1007)';

export interface FirstFailureResult {
  runs: Array<{
    seed: number;
    firstFailureMs: number | null;
    error: boolean;
    /** Why the run can say nothing either way (it errored, sent nothing, deflate not negotiated); null when it can. */
    unmeasured: string | null;
    loadAverage: number;
  }>;
  /** Median over the runs that failed within the deadline; null when none did. */
  medianMs: number | null;
  failedWithinDeadline: number;
  /** Runs that could say whether they failed: never an errored run or one that sent nothing. */
  measured: number;
  deadlineMs: number;
}

/** Runs the failing scenario on 2015 with deflate on, each run stopping at its first failure. */
export async function benchFirstFailure(runs = FIRST_FAILURE_RUNS): Promise<FirstFailureResult> {
  const results: FirstFailureResult['runs'] = [];
  for (let i = 0; i < runs; i++) {
    const record = await runScenario(
      {
        ...FAILING_SCENARIO,
        stack: '2015',
        deflate: 'on',
        seed: FAILING_SCENARIO.seed + i,
        duration: FAILURE_DEADLINE_MS,
        stopOnFirstFailure: true,
      },
      { record: false },
    );
    const firstFailureMs = classifyScenario(record.result).firstFailureMs;
    results.push({
      seed: record.spec.seed,
      firstFailureMs: firstFailureMs,
      error: (record.result.underlyingErrors[ERROR] ?? 0) > 0,
      unmeasured: firstFailureMs === null ? cannotSayNoFailure(record.result) : null,
      loadAverage: record.meta.loadAverage,
    });
  }
  const failed = results.filter((r) => r.firstFailureMs !== null && r.error).map((r) => r.firstFailureMs as number);
  return {
    runs: results,
    medianMs: failed.length ? median(failed) : null,
    failedWithinDeadline: failed.length,
    measured: results.filter((r) => r.unmeasured === null).length,
    deadlineMs: FAILURE_DEADLINE_MS,
  };
}
