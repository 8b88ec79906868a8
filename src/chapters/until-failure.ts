/**
 * How long the chapters that need the 2015 failure send: until the first failure and a tail after
 * it, never past a deadline. A fixed window can end before 2015 fails, and then a page reads as
 * if nothing failed; a deadline that passes is said in so many words instead ("not shown in this
 * run"), never as a result. This is the one place these times live; each chapter shows its own.
 */
import { FAILURE_DEADLINE_MS } from '../traffic/presets';
import { verdictText, type Judgement, type RunMode } from '../core/verdict';

/** One part's times, ms: the run sends until its first failure and `tailMs` more, and at most `deadlineMs` in all. */
export interface UntilFailure {
  deadlineMs: number;
  tailMs: number;
}

/** The parts of the report that send until the failure. */
export type UntilFailurePart =
  'symptom pages' | 'symptom Node client' | 'debug' | 'origins' | 'time to failure' | 'one-factor series' | 'proof';

/**
 * Fixed before any run, from what is known of the failure: chapter 1's Chromium pages first failed
 * 0.2–8 s after sending started, and the Node clients with a backlog (the reproducer's burst) at
 * 30–200 ms. The tails:
 * - symptom pages: outlasts a page's own view of the failure (a page sees the close about 2 s
 *   after the server does, behind its send backlog) and a dozen more of the chat page's lines and
 *   acks, so the chat page is seen keeping its socket after the image pages lost theirs;
 * - symptom Node client and debug: the lines after `transport error`, and the reconnect (500 ms)
 *   under a new id;
 * - origins: onError's err and zlib's error come at the failure itself;
 * - time to failure: nothing after the failure is read;
 * - one-factor series: the deadline is the series' own window, so a run that fails ends sooner;
 * - proof: the run as installed goes on failing through the tail, the failures its rate is
 *   measured by; the runs that should not fail send to the deadline, the exposure their zeros are
 *   bounded by.
 */
export const UNTIL_FAILURE = {
  'symptom pages': { quick: { deadlineMs: 20_000, tailMs: 4_000 }, full: { deadlineMs: 60_000, tailMs: 15_000 } },
  'symptom Node client': { quick: { deadlineMs: 10_000, tailMs: 1_000 }, full: { deadlineMs: 30_000, tailMs: 5_000 } },
  debug: { quick: { deadlineMs: 10_000, tailMs: 1_000 }, full: { deadlineMs: 60_000, tailMs: 5_000 } },
  origins: { quick: { deadlineMs: 10_000, tailMs: 500 }, full: { deadlineMs: 30_000, tailMs: 2_000 } },
  'time to failure': { quick: { deadlineMs: 2_000, tailMs: 0 }, full: { deadlineMs: FAILURE_DEADLINE_MS, tailMs: 0 } },
  'one-factor series': { quick: { deadlineMs: 500, tailMs: 250 }, full: { deadlineMs: 2_000, tailMs: 1_000 } },
  proof: { quick: { deadlineMs: 1_000, tailMs: 1_000 }, full: { deadlineMs: FAILURE_DEADLINE_MS, tailMs: 2_000 } },
} as const satisfies Record<UntilFailurePart, Record<RunMode, UntilFailure>>;

/** How one mode names itself. */
export function runMode(quick: boolean): RunMode {
  return quick ? 'quick' : 'full';
}

/** A part's times in quick or full mode. */
export function untilFailure(part: UntilFailurePart, quick: boolean): UntilFailure {
  return UNTIL_FAILURE[part][runMode(quick)];
}

/** The spec fields that make a scenario or bare-ws run send until its first failure and the tail, at most the deadline. */
export function untilFailureSpec(plan: UntilFailure): {
  duration: number;
  stopOnFirstFailure: true;
  failureTailMs: number;
} {
  return { duration: plan.deadlineMs, stopOnFirstFailure: true, failureTailMs: plan.tailMs };
}

/** `20 s`, `0.5 s`, `1.25 s`. */
export function secondsText(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3)).toLocaleString('en-US')} s`;
}

function planText(plan: UntilFailure): string {
  return plan.tailMs > 0
    ? `until the first failure and ${secondsText(plan.tailMs)} after it, for at most ${secondsText(plan.deadlineMs)}`
    : `until the first failure, for at most ${secondsText(plan.deadlineMs)}`;
}

/**
 * The sentence a chapter shows before it sends: what `what` does in this mode, and the other
 * mode's times beside it. `Chromium pages send until the first failure and 4 s after it, for at
 * most 20 s (quick mode; a full run: 15 s after it, at most 60 s).`
 */
export function untilFailureSentence(part: UntilFailurePart, quick: boolean, what: string): string {
  const other = untilFailure(part, !quick);
  const otherText =
    other.tailMs > 0
      ? `${secondsText(other.tailMs)} after it, at most ${secondsText(other.deadlineMs)}`
      : `at most ${secondsText(other.deadlineMs)}`;
  return `${what} ${planText(untilFailure(part, quick))} (${quick ? 'quick mode; a full run' : 'a full run; quick mode'}: ${otherText}).`;
}

/** The words a finding uses for a failure that did not come before the deadline. */
export const NOT_SHOWN = 'not shown in this run';

/**
 * The plain sentence for a deadline that passed with no failure: `2015 did not fail within 20 s in
 * this run; the trail below has no failure in it.` (`consequence` is the second half).
 */
export function deadlinePassedSentence(subject: string, deadlineMs: number, consequence: string): string {
  return `${subject} did not fail within ${secondsText(deadlineMs)} in this run; ${consequence}.`;
}

/** What an existence claim rests on: whether its event was seen with its controls, and in words either way. */
export interface ExistenceEvidence {
  /** The event was observed, with the controls that make it mean what the claim says. */
  shown: boolean;
  /** The event and its controls when shown; why it is not shown otherwise (deadline passed, a control missing). */
  basis: string;
}

/**
 * Judges an existence claim ("2015 fails", "the server closes with 1007"): one observed event with
 * its controls settles it as holding. Without one it is not settled, "not shown in this run", and
 * never "does not hold": an absence within a deadline is not a bound.
 */
export function existenceJudgement(
  claim: string,
  evidence: ExistenceEvidence,
  mode: RunMode,
  rerun: string,
): Judgement {
  if (evidence.shown) return { claim: claim, verdict: 'holds', basis: evidence.basis, mode: mode };
  return {
    claim: claim,
    verdict: 'not settled',
    basis: `${NOT_SHOWN}: ${evidence.basis}`,
    toSettle: `a run in which the failure shows with its controls: ${rerun}`,
    mode: mode,
  };
}

/** What sendingText reads of a run's spec (scenario or bare-ws). */
export interface UntilFailureSpec {
  duration: number;
  stopOnFirstFailure?: boolean;
  failureTailMs?: number;
}

/**
 * How long a run sent and why it stopped: `5.2 s (until 4 s after the first failure, at 1.2 s)`,
 * `20 s (to the deadline, with no failure)`, or just `30 s` for a fixed window (records made before
 * runs went until the failure).
 */
export function sendingText(spec: UntilFailureSpec, sentMs: number, firstFailureMs: number | null): string {
  const sent = secondsText(sentMs);
  if (!spec.stopOnFirstFailure) return sent;
  if (firstFailureMs === null) return `${sent} (to the deadline, with no failure)`;
  const tail = spec.failureTailMs ?? 0;
  return tail > 0
    ? `${sent} (until ${secondsText(tail)} after the first failure, at ${secondsText(firstFailureMs)})`
    : `${sent} (until the first failure)`;
}

/** A judged claim as one or two sentences: `Claim: holds (quick run), from …. To settle it: ….` */
export function judgementSentence(judgement: Judgement): string {
  const settle = judgement.toSettle === undefined ? '' : ` To settle it: ${judgement.toSettle}.`;
  return `${judgement.claim}: ${verdictText(judgement)}, from ${judgement.basis}.${settle}`;
}
