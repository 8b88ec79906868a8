/**
 * The verdict of a "does not fail" claim over scenario runs (chapter 7's advice, chapter 0's
 * harness): a failure under the failure rule settles it as not holding, since an existence is
 * settled by one event; runs without every positive control (zeroFailureBlockers) leave it not
 * settled, naming what is missing and the command that reruns them. A zero with its controls is
 * never judged from the zero itself: a short run cannot tell "never fails" from "fails once a
 * minute". Against a baseline that failed under the same load, it holds when the exact conditional
 * ratio of the two disconnect rates (baseline ÷ these runs) lies wholly above 1; without a failing
 * baseline the claim can only be about the runs themselves ("in this run"), and the one-sided bound
 * on the rate is shown beside it.
 */
import { poissonRate, rateRatio } from '../core/stats';
import { claimVerdict, intervalText, type Judgement } from '../core/verdict';
import { failureReasons, fragmentsExpected, classifyScenario, zeroFailureBlockers } from './failure-rule';
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

/** What a zero is judged against: runs under the same load that failed (the baseline), or nothing (a claim about these runs). */
export interface Baseline {
  /** How the claim names it: `the defaults`. */
  name: string;
  records: readonly ScenarioRecord[];
}

/** Judges `claim` from `records`; `rerun` is the command that measures it again. */
export function noFailureJudgement(
  records: readonly ScenarioRecord[],
  claim: string,
  rerun: string,
  baseline?: Baseline,
): Judgement {
  const mode = records.some((r) => r.quick) ? 'quick' : 'full';
  const judged = records.map((r) => classifyScenario(r.result));
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
  const units = records.map((r) => disconnectUnit(runMetrics(r)));
  const rate = poissonRate(units);
  if (records.length > 0 && blockers.length === 0 && rate !== null) {
    const zero = `no failure, ${controlsText(records)}; ${rateText(rate)}`;
    if (baseline === undefined) return { claim: claim, verdict: claimVerdict('holds'), basis: zero, mode: mode };
    return againstBaseline(claim, zero, rate, baseline, rerun, mode);
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

/** A zero with its controls against a baseline's disconnect rate under the same load. */
function againstBaseline(
  claim: string,
  zero: string,
  rate: NonNullable<ReturnType<typeof poissonRate>>,
  baseline: Baseline,
  rerun: string,
  mode: Judgement['mode'],
): Judgement {
  const base = poissonRate(baseline.records.map((r) => disconnectUnit(runMetrics(r))));
  const basis = `${zero}; ${baseline.name}: ${base === null ? 'no connection-time measured' : rateText(base)}`;
  const ratio = base === null ? null : rateRatio(base, rate);
  if (ratio === null)
    return {
      claim: claim,
      verdict: claimVerdict('not settled'),
      basis: basis,
      toSettle: `a load at which ${baseline.name} fail, so that there is a failure to avoid: ${rerun}`,
      mode: mode,
    };
  const against = `${baseline.name} ÷ these runs, disconnects per connection-hour: ${intervalText(ratio.interval)}`;
  if (ratio.interval.low > 1)
    return { claim: claim, verdict: claimVerdict('holds'), basis: `${basis}; ${against}`, mode: mode };
  return {
    claim: claim,
    verdict: claimVerdict('not settled'),
    basis: `${basis}; ${against}, which does not lie wholly above 1`,
    toSettle: `more connection-time without a failure: ${rerun}`,
    mode: mode,
  };
}
