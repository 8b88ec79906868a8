/**
 * The verdict of a "does not fail" claim over scenario runs (chapter 7's advice, chapter 0's
 * harness): a failure under the failure rule settles it as not holding, since an existence is
 * settled by one event; no failure holds only beside every positive control of every run
 * (zeroFailureBlockers), and then with the one-sided 95% bound on the disconnect rate that the runs'
 * connection-hours allow; runs without their controls leave it not settled, naming what is missing
 * and the command that reruns them.
 */
import { poissonRate } from '../core/stats';
import { claimVerdict, type Judgement } from '../core/verdict';
import { failureReasons, fragmentsExpected, judgeScenario, zeroFailureBlockers } from './failure-rule';
import { runMetrics } from './metrics';
import { disconnectUnit, rateText } from './rates';
import type { ScenarioRecord } from './scenario';

const count = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;

/** The controls the zero stood beside, in words. */
function controlsText(records: readonly ScenarioRecord[]): string {
  const sent = records.reduce((sum, r) => sum + r.result.sent, 0);
  return [
    `all ${count(sent, 'message')} delivered at the offered load`,
    ...(records.every((r) => r.spec.deflate === 'on')
      ? ['deflate negotiated and compressed messages on the wire']
      : []),
    ...(records.some(fragmentsExpected) ? ['continuation frames on the wire'] : []),
  ].join(', ');
}

/** Judges `claim` ("… without a failure") from `records`; `rerun` is the command that measures it again. */
export function noFailureJudgement(records: readonly ScenarioRecord[], claim: string, rerun: string): Judgement {
  const mode = records.some((r) => r.quick) ? 'quick' : 'full';
  const judged = records.map((r) => judgeScenario(r.result));
  const failures = judged.reduce((sum, j) => sum + j.failures, 0);
  const sent = records.reduce((sum, r) => sum + r.result.sent, 0);
  const delivered = records.reduce((sum, r) => sum + r.result.delivered, 0);
  if (failures > 0) {
    const reasons = new Map<string, number>();
    for (const r of records)
      for (const [reason, n] of Object.entries(failureReasons(r.result)))
        reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    const corrupted = judged.reduce((sum, j) => sum + j.corrupted, 0);
    const named = [...reasons].map(([reason, n]) => `${n} × ${reason}`);
    if (corrupted > 0) named.push(`${count(corrupted, 'corrupted delivery')}`);
    const firsts = judged.flatMap((j) => (j.firstFailureMs === null ? [] : [j.firstFailureMs]));
    const first = firsts.length > 0 ? `, the first ${Math.round(Math.min(...firsts))} ms into sending` : '';
    return {
      claim: claim,
      verdict: claimVerdict('does not hold'),
      basis: `${count(failures, 'failure')} under the failure rule (${named.join(', ')})${first}; ${delivered} of ${sent} delivered`,
      mode: mode,
    };
  }
  const multiple = records.length > 1;
  const blockers = records.flatMap((r) =>
    zeroFailureBlockers(r).map((b) => (multiple ? `${r.spec.frameSize.toLocaleString('en-US')}-byte run: ${b}` : b)),
  );
  const rate = poissonRate(records.map((r) => disconnectUnit(runMetrics(r))));
  if (records.length > 0 && blockers.length === 0 && rate !== null) {
    return {
      claim: claim,
      verdict: claimVerdict('holds'),
      basis: `no failure, ${controlsText(records)}; ${rateText(rate)}`,
      mode: mode,
    };
  }
  const missing =
    records.length === 0
      ? 'no run'
      : blockers.length > 0
        ? blockers.join('; ')
        : 'no connection-time of sending was measured';
  return {
    claim: claim,
    verdict: claimVerdict('not settled'),
    basis: `no failure, but the zero cannot be stated: ${missing}`,
    toSettle: `${multiple ? 'runs' : 'a run'} without a failure in which every control holds (not: ${missing}): ${rerun}`,
    mode: mode,
  };
}
