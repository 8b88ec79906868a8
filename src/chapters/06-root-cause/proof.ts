/**
 * Chapter 6, part 4: the causal proof. The base scenario on the post's release with ws 0.8.1's
 * endPacket line applied at run time (no file edited), beside the same scenario on the release as
 * installed and on the first good release (both from the bisection), and the post's release with
 * every message sent as a single frame: is fragmentation necessary?
 */
import { progress, showTable } from '../../show/display';
import { BOUNDS, type Params } from '../../core/params';
import { cannotSayNoFailure } from '../../traffic/failure-rule';
import { endPacketSource, fixedSource } from '../../bare-ws/fix';
import { INVALID_COMPRESSED_DATA, runBareWs, type BareWsRecord, type BareWsSpec } from '../../bare-ws/runner';
import { bareWsZeroBlockers, type FragmentExpectation } from '../../bare-ws/version-mark';
import { wsRelease } from '../../bare-ws/versions';
import { plural, showFinding } from '../show-finding';
import { baseSpec, POST_RELEASE, step, withSenders } from './shared-scenario';
import type { ReleaseBisection } from './bisection';
import { replayable } from '../replayable';
import {
  deadlinePassedSentence,
  judgementSentence,
  NOT_SHOWN,
  secondsText,
  sendingText,
  untilFailure,
  untilFailureSpec,
} from '../until-failure';
import { poissonRate, rateRatio, type CountUnit } from '../../core/stats';
import { intervalText, judgeAbove, type ClaimVerdict, type FinerVerdict, type Judgement } from '../../core/verdict';
import { disconnectUnit, exposureText, HOUR_MS, rateText } from '../../traffic/rates';

/** A fragment size no message here reaches, so every message crosses the wire as one frame. */
export const UNFRAGMENTED_FRAGMENT_SIZE = BOUNDS.fragmentSize.max;

/** One run of the proof, with what a zero claim for it must show. */
export interface ProofRun {
  label: string;
  record: BareWsRecord;
  expect: FragmentExpectation;
  /** Whether the run is expected to fail (the release as installed); the others claim zero. */
  claimsZero: boolean;
}

/** The proof's runs, and the check that the patched method is the first good release's. */
export interface Proof {
  runs: ProofRun[];
  /** The release the bisection named first good, if any. */
  firstGood: string | null;
  /** Whether the patched endPacket's source is exactly that release's; null without a first good release. */
  patchMatchesFirstGood: boolean | null;
}

/**
 * Runs the post's release as installed, with the fix, and unfragmented, each until its first
 * failure and the proof's tail, at most its deadline; takes the first good release's run from the
 * bisection.
 */
export async function runProof(params: Params, bisection: ReleaseBisection): Promise<Proof> {
  return replayable(step('proof', { ...params, untilFailure: untilFailure('proof', params.quick) }), () =>
    measureProof(params, bisection),
  );
}

/** The proof's runs' base: the base scenario, until the first failure and the proof's tail, at most its deadline. */
export function proofSpec(params: Params): BareWsSpec {
  return { ...baseSpec(params), ...untilFailureSpec(untilFailure('proof', params.quick)) };
}

async function measureProof(params: Params, bisection: ReleaseBisection): Promise<Proof> {
  const firstGood = bisection.runs.find((r) => r.version === bisection.bisection.firstGood);
  const base = proofSpec(params);
  const bar = progress(`ws ${POST_RELEASE}: as installed, with the runtime fix, then unfragmented`, 3);
  let runs: BareWsRecord[];
  try {
    runs = await withSenders(async (senders) => {
      const measured: BareWsRecord[] = [];
      for (const [label, spec] of [
        ['as installed', base],
        ['with the fix', { ...base, fix: 'runtime' }],
        ['unfragmented', { ...base, fragmentSize: UNFRAGMENTED_FRAGMENT_SIZE }],
      ] as const) {
        const record = await runBareWs(spec, { quick: params.quick, senders: senders, record: false });
        measured.push(record);
        bar.tick(1, `${label}: ${plural(record.result.failures, 'failure')}`);
      }
      return measured;
    });
  } finally {
    bar.done();
  }
  const [asInstalled, fixed, unfragmented] = runs;
  const proofRuns: ProofRun[] = [
    { label: `ws ${POST_RELEASE} as installed`, record: asInstalled, expect: 'fragmented', claimsZero: false },
    { label: `ws ${POST_RELEASE} + reset(true) at run time`, record: fixed, expect: 'fragmented', claimsZero: true },
    ...(firstGood
      ? [
          {
            label: `ws ${firstGood.version} as installed (bisection run)`,
            record: firstGood.record,
            expect: 'fragmented' as const,
            claimsZero: true,
          },
        ]
      : []),
    {
      label: `ws ${POST_RELEASE}, every message one frame`,
      record: unfragmented,
      expect: 'unfragmented',
      claimsZero: true,
    },
  ];
  const patched = fixedSource(endPacketSource(wsRelease(POST_RELEASE)));
  return {
    runs: proofRuns,
    firstGood: firstGood?.version ?? null,
    patchMatchesFirstGood: firstGood ? patched === endPacketSource(wsRelease(firstGood.version)) : null,
  };
}

/** The runs side by side: failures, the wire's controls, the probe, and whether a zero claim is allowed. */
export function showProof(proof: Proof): void {
  const { runs } = proof;
  showTable(
    runs.map(({ label, record, expect, claimsZero }) => {
      const { result } = record;
      const blockers = bareWsZeroBlockers(record, expect);
      return {
        run: label,
        failures: result.failures,
        'invalid compressed data': result.compressedDataErrors,
        'sent for': sendingText(record.spec, result.sendWindow.end - result.sendWindow.start, result.firstFailureMs),
        'sent / delivered': `${result.sent} / ${result.delivered}`,
        'deflate negotiated': result.controls.deflateNegotiated,
        'compressed messages': result.controls.compressedMessages,
        'fragmented messages': result.controls.fragmentedMessages,
        'continuation frames': result.controls.continuationFrames,
        'back to back': result.probe.backToBack,
        'pool reset(false) / reset(true)': `${result.probe.resets.fragmented.keep} / ${result.probe.resets.fragmented.fresh}`,
        overwritten: result.probe.overwritten.fragmented + result.probe.overwritten.unfragmented,
        'differing hashes': result.probe.differing,
        'zero claim': !claimsZero
          ? '(the failing run: none made)'
          : blockers.length === 0
            ? 'allowed'
            : `not allowed: ${blockers.join('; ')}`,
      };
    }),
    {
      caption: `The same scenario on each, sent ${proofWindowText(runs[0]?.record.spec)}; the first good release's run is the bisection's; "zero claim" checks every positive control`,
    },
  );
  showFinding([
    proof.patchMatchesFirstGood === null
      ? 'The bisection named no first good release to compare the patched method with.'
      : `The patched endPacket's source is ${proof.patchMatchesFirstGood ? 'identical to' : 'NOT the same as'} ws ${proof.firstGood}'s.`,
    ...proofFindings(runs),
  ]);
  showFinding(proofJudgements(proof).map(judgementSentence));
}

/** `until the first failure and 1 s after it, at most 1 s`, or `for 500 ms` (records made before runs went until the failure). */
function proofWindowText(spec: BareWsSpec | undefined): string {
  if (!spec) return '';
  if (!spec.stopOnFirstFailure) return `for ${spec.duration} ms each`;
  return `until its first failure and ${secondsText(spec.failureTailMs ?? 0)} after it, at most ${secondsText(spec.duration)}: a run that does not fail sends to that deadline`;
}

/** The proof in words, from the runs. */
export function proofFindings(runs: readonly ProofRun[]): string[] {
  return runs.map(({ label, record, expect, claimsZero }) => {
    const { result } = record;
    const blockers = bareWsZeroBlockers(record, expect);
    const counts = `${plural(result.failures, 'failure')} (${result.compressedDataErrors} invalid compressed data) in ${plural(result.sent, 'message')}`;
    if (!claimsZero) {
      // The failing run is the positive control: an errored or empty run, or one that did not fail, shows nothing.
      const cannotSay = result.failures > 0 ? null : cannotSayNoFailure(result);
      if (cannotSay !== null) return `${label}: the run cannot show the failure (${cannotSay}).`;
      if (result.failures === 0)
        return `${label}: ${deadlinePassedSentence(`ws ${record.spec.ws}`, record.spec.duration, `the failure is ${NOT_SHOWN}, and the runs below are compared with a run that did not fail`)}`;
      return `${label}: ${counts} in ${sendingText(record.spec, result.sendWindow.end - result.sendWindow.start, result.firstFailureMs)} of sending, ${plural(result.probe.differing, 'differing hash', 'differing hashes')}.`;
    }
    if (blockers.length > 0) return `${label}: ${counts}; zero failures cannot be claimed: ${blockers.join('; ')}.`;
    const wire =
      expect === 'fragmented'
        ? `${plural(result.controls.continuationFrames, 'continuation frame')} on the wire`
        : `${plural(result.controls.compressedMessages, 'compressed message')}, none fragmented`;
    const fix = result.fix.applied ? ` The line that ran instead of the original: "${result.fix.line}"` : '';
    return (
      `${label}: zero failures in ${plural(result.sent, 'message')} and ${sendingText(record.spec, result.sendWindow.end - result.sendWindow.start, null)} of sending, with deflate negotiated, ${wire}, delivered = sent, ` +
      `${plural(result.probe.backToBack, 'message')} arriving while an earlier one still waited for zlib, and no differing hash.${fix}`
    );
  });
}

// ---- the claims, judged from intervals -----------------------------------------------------------

/**
 * A run's failures as a unit of the failure rate: events over connection-hours, counted as clients
 * × the send window. That counts the gap between a failure and its reconnect as exposure too, which
 * can only lower a failing run's rate, against the claims below. The run as installed sent until
 * its first failure and the tail: it was kept going because of that failure, so that one is left
 * out (`afterFirst`) and the stop rule cannot inflate its rate.
 */
export function proofUnit(record: BareWsRecord, afterFirst: boolean): CountUnit {
  const { result, spec } = record;
  const hours = (spec.clients * Math.max(0, result.sendWindow.end - result.sendWindow.start)) / HOUR_MS;
  const stopped = afterFirst && spec.stopOnFirstFailure === true;
  return disconnectUnit({
    disconnects: stopped ? Math.max(0, result.failures - 1) : result.failures,
    connectionHours: hours,
  });
}

const RERUN = `npm run report -- --only root-cause (a full run sends up to ${secondsText(untilFailure('proof', false).deadlineMs)})`;

/**
 * "Run `candidate` does not fail where the release as installed does", judged from the interval:
 * a failure in `candidate` is an observed event and the claim does not hold; a zero with every
 * positive control holds when the exact conditional ratio of the two rates (as installed ÷
 * candidate) is above 1 over its whole 95% interval, and is not settled otherwise (the exposure
 * that would settle it named); a zero without its controls, or beside a run as installed that did
 * not fail, is not settled.
 */
export function zeroClaimJudgement(claim: string, asInstalled: ProofRun, candidate: ProofRun, name: string): Judgement {
  const mode = candidate.record.quick ? 'quick' : 'full';
  const { result } = candidate.record;
  const judged = (verdict: ClaimVerdict, basis: string, toSettle?: string, finer?: FinerVerdict): Judgement => ({
    claim: claim,
    verdict: verdict,
    ...(finer === undefined ? {} : { finer: finer }),
    basis: basis,
    ...(toSettle === undefined ? {} : { toSettle: toSettle }),
    mode: mode,
  });
  if (result.failures > 0)
    return judged(
      'does not hold',
      `${candidate.label}: ${plural(result.failures, 'failure')} (${result.compressedDataErrors} ${INVALID_COMPRESSED_DATA}) in ${plural(result.sent, 'message')}`,
    );
  const blockers = bareWsZeroBlockers(candidate.record, candidate.expect);
  if (blockers.length > 0)
    return judged(
      'not settled',
      `${candidate.label}: zero failures, but not beside its controls (${blockers.join('; ')})`,
      RERUN,
      'not tested',
    );
  const control = asInstalled.record.result;
  const cannotSay = control.failures > 0 ? null : cannotSayNoFailure(control);
  if (control.failures === 0)
    return judged(
      'not settled',
      `${asInstalled.label} did not fail ${cannotSay === null ? `within ${secondsText(asInstalled.record.spec.duration)}` : `(${cannotSay})`}, so there was no failure to stop (${NOT_SHOWN})`,
      RERUN,
      'not tested',
    );
  const before = proofUnit(asInstalled.record, true);
  const after = proofUnit(candidate.record, false);
  const bound = poissonRate([after]);
  const zero = `${candidate.label}: 0 failures in ${plural(result.sent, 'message')}, ${bound ? rateText(bound) : 'no exposure'}, every positive control holding`;
  const installed = `${asInstalled.label}: ${plural(before.events, 'failure')} after its first, over ${exposureText(before.exposure)}`;
  const ratio = rateRatio(before, after);
  if (ratio === null)
    return judged(
      'not settled',
      `${zero}; ${installed}, so there is no rate as installed to compare with`,
      `a run as installed that fails again after its first failure: ${RERUN}`,
    );
  const verdict = judgeAbove(ratio.interval, 1);
  const basis = `${zero}; ${installed}; the rate as installed ÷ ${name}: ${intervalText(ratio.interval)}`;
  if (verdict !== 'not settled') return judged(verdict, basis);
  // The ratio's lower end grows in proportion to the candidate's exposure (its count stays 0).
  const needed = ratio.interval.low > 0 ? after.exposure / ratio.interval.low : Infinity;
  const clients = candidate.record.spec.clients;
  return judged(
    'not settled',
    basis,
    Number.isFinite(needed)
      ? `${exposureText(needed)} of zero failures (${secondsText((needed * HOUR_MS) / clients)} with ${plural(clients, 'client')}) at the rate measured as installed: ${RERUN}`
      : `more failures as installed: ${RERUN}`,
  );
}

/** The fix's claim: with the first good release's one line applied at run time, the failure stops; null without those runs. */
export function fixJudgement(proof: Proof): Judgement | null {
  const asInstalled = proof.runs.find((run) => !run.claimsZero);
  const fixed = proof.runs.find((run) => run.record.result.fix.applied);
  if (!asInstalled || !fixed) return null;
  return zeroClaimJudgement(
    `With ws ${proof.firstGood ?? '0.8.1'}'s one-line change applied to ws ${POST_RELEASE} at run time, the failure stops`,
    asInstalled,
    fixed,
    'with the fix',
  );
}

/** Fragmentation's claim: the release as installed, every message one frame, does not fail; null without those runs. */
export function unfragmentedJudgement(proof: Proof): Judgement | null {
  const asInstalled = proof.runs.find((run) => !run.claimsZero);
  const unfragmented = proof.runs.find((run) => run.expect === 'unfragmented');
  if (!asInstalled || !unfragmented) return null;
  return zeroClaimJudgement(
    `Fragmentation is necessary: ws ${POST_RELEASE} with every message sent as one frame does not fail`,
    asInstalled,
    unfragmented,
    'unfragmented',
  );
}

/** The proof's claims, the fix first. */
export function proofJudgements(proof: Proof): Judgement[] {
  return [fixJudgement(proof), unfragmentedJudgement(proof)].filter((j): j is Judgement => j !== null);
}
