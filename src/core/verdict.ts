/**
 * A claim's verdict: every claim the investigation judges (the post's three, the on/off
 * comparisons, the fix, the advice, a server check's cases) answers **holds**, **does not hold** or
 * **not settled**, judged from a 95% interval against the claim's threshold, never from the point
 * estimate. An existence claim ("2015 fails") is settled by one observed event with its controls;
 * only "does not fail" needs a bound. A "not settled" names what would settle it.
 */
import type { Interval } from './stats';

/** The three answers a claim can get. */
export const CLAIM_VERDICTS = ['holds', 'does not hold', 'not settled'] as const;
export type ClaimVerdict = (typeof CLAIM_VERDICTS)[number];

/**
 * The finer words chapters and the server check use, each mapped onto the three answers. The one
 * table: the copy in docs/verdicts.md is checked against this one by a test.
 */
export const FINER_VERDICTS = {
  holds: 'holds',
  'does not hold': 'does not hold',
  'not settled': 'not settled',
  // A claim made for every payload, contradicted for one.
  'holds only for some payloads': 'does not hold',
  // Repeats disagree: the interval straddles the threshold.
  'mixed across repeats': 'not settled',
  // Nothing measured it (a precondition was missing).
  'not tested': 'not settled',
  // The server check: the server handled the case, or did not.
  pass: 'holds',
  fail: 'does not hold',
} as const satisfies Record<string, ClaimVerdict>;
export type FinerVerdict = keyof typeof FINER_VERDICTS;

/** Where a verdict's data came from: quick mode may leave more claims not settled than a full run. */
export type RunMode = 'quick' | 'full';

/** One judged claim, as a chapter shows it and hands it to the report. */
export interface Judgement {
  claim: string;
  verdict: ClaimVerdict;
  /** The chapter's finer word, when it has one (see FINER_VERDICTS). */
  finer?: FinerVerdict;
  /** The estimate and interval the verdict was judged from, in words. */
  basis: string;
  /** For "not settled": the repeats or exposure that would settle it, and the command that runs them. */
  toSettle?: string;
  mode: RunMode;
}

/** The three answers of a finer word. */
export function claimVerdict(finer: FinerVerdict): ClaimVerdict {
  return FINER_VERDICTS[finer];
}

/**
 * Judges "the value is below `threshold`" from its interval: holds when the whole interval is
 * below, does not hold when none of it is, not settled when it straddles the threshold.
 */
export function judgeBelow(interval: Interval, threshold: number): ClaimVerdict {
  if (interval.high < threshold) return 'holds';
  if (interval.low >= threshold) return 'does not hold';
  return 'not settled';
}

/** Judges "the value is above `threshold`" from its interval (the mirror of judgeBelow). */
export function judgeAbove(interval: Interval, threshold: number): ClaimVerdict {
  if (interval.low > threshold) return 'holds';
  if (interval.high <= threshold) return 'does not hold';
  return 'not settled';
}

/** `95%: 2.18–20.5` for a two-sided interval, `95% one-sided: at most 1.5` for a bound. */
export function intervalText(interval: Interval, digits = 3): string {
  const f = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toLocaleString('en-US') : '∞');
  return interval.sides === 'one-sided'
    ? `95% one-sided: at most ${f(interval.high)}`
    : `95%: ${f(interval.low)}–${f(interval.high)}`;
}

/** `holds (quick run)`: a verdict with the kind of run it came from. */
export function verdictText(judgement: Pick<Judgement, 'verdict' | 'mode'>): string {
  return `${judgement.verdict} (${judgement.mode} run)`;
}

/** A judgement as a table row: the claim, its verdict with the kind of run (and the finer word where it differs), the basis, and what would settle it. */
export function judgementRow(judgement: Judgement): {
  claim: string;
  verdict: string;
  basis: string;
  'would settle it': string;
} {
  const finer = judgement.finer !== undefined && judgement.finer !== judgement.verdict ? `: ${judgement.finer}` : '';
  return {
    claim: judgement.claim,
    verdict: `${verdictText(judgement)}${finer}`,
    basis: judgement.basis,
    'would settle it': judgement.toSettle ?? '',
  };
}
