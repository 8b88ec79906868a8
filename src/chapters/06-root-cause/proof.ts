/**
 * Chapter 6, part 4: the causal proof. The base scenario on the post's release with ws 0.8.1's
 * endPacket line applied at run time (no file edited), beside the same scenario on the release as
 * installed and on the first good release (both from the bisection), and the post's release with
 * every message sent as a single frame: is fragmentation necessary?
 */
import { progress, showTable } from '../../show/display';
import { BOUNDS, type Params } from '../../core/params';
import { cannotSayNoFailure } from '../../run/failure-rule';
import { endPacketSource, fixedSource } from '../../bare-ws/fix';
import { runBareWs, type BareWsRecord } from '../../bare-ws/run';
import { bareWsZeroBlockers, type FragmentExpectation } from '../../bare-ws/verdict';
import { wsRelease } from '../../bare-ws/versions';
import { plural, showFinding } from '../finding';
import { baseSpec, POST_RELEASE, step, withSenders } from './base';
import type { ReleaseBisection } from './bisection';
import { replayable } from '../../report/replay';

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

/** Runs the fix and the unfragmented control; takes the as-installed and first-good runs from the bisection. */
export async function runProof(params: Params, bisection: ReleaseBisection): Promise<Proof> {
  return replayable(step('proof', params), () => measureProof(params, bisection));
}

async function measureProof(params: Params, bisection: ReleaseBisection): Promise<Proof> {
  const asInstalled = bisection.runs.find((r) => r.version === POST_RELEASE);
  if (!asInstalled)
    throw new Error(
      `the bisection did not run ws ${POST_RELEASE}: run the bisection cell first, with ${POST_RELEASE} installed`,
    );
  const firstGood = bisection.runs.find((r) => r.version === bisection.bisection.firstGood);
  const bar = progress(`ws ${POST_RELEASE}: the runtime fix, then unfragmented`, 2);
  let fixed: BareWsRecord;
  let unfragmented: BareWsRecord;
  try {
    [fixed, unfragmented] = await withSenders(async (senders) => {
      const withFix = await runBareWs(
        { ...baseSpec(params), fix: 'runtime' },
        { quick: params.quick, senders: senders, record: false },
      );
      bar.tick(1, `with the fix: ${withFix.result.failures} failures`);
      const oneFrame = await runBareWs(
        { ...baseSpec(params), fragmentSize: UNFRAGMENTED_FRAGMENT_SIZE },
        { quick: params.quick, senders: senders, record: false },
      );
      bar.tick(1, `unfragmented: ${oneFrame.result.failures} failures`);
      return [withFix, oneFrame];
    });
  } finally {
    bar.done();
  }
  const runs: ProofRun[] = [
    {
      label: `ws ${POST_RELEASE} as installed (bisection run)`,
      record: asInstalled.record,
      expect: 'fragmented',
      claimsZero: false,
    },
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
    runs: runs,
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
      caption: `The same scenario (${runs[0]?.record.spec.duration ?? 0} ms of sending) on each; "zero claim" checks every positive control`,
    },
  );
  showFinding([
    proof.patchMatchesFirstGood === null
      ? 'The bisection named no first good release to compare the patched method with.'
      : `The patched endPacket's source is ${proof.patchMatchesFirstGood ? 'identical to' : 'NOT the same as'} ws ${proof.firstGood}'s.`,
    ...proofFindings(runs),
  ]);
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
        return `${label}: no failure in ${plural(result.sent, 'message')} this time, so the runs below are compared with a run that did not fail.`;
      return `${label}: ${counts}, ${plural(result.probe.differing, 'differing hash', 'differing hashes')}.`;
    }
    if (blockers.length > 0) return `${label}: ${counts}; zero failures cannot be claimed: ${blockers.join('; ')}.`;
    const wire =
      expect === 'fragmented'
        ? `${plural(result.controls.continuationFrames, 'continuation frame')} on the wire`
        : `${plural(result.controls.compressedMessages, 'compressed message')}, none fragmented`;
    const fix = result.fix.applied ? ` The line that ran instead of the original: "${result.fix.line}"` : '';
    return (
      `${label}: zero failures in ${plural(result.sent, 'message')}, with deflate negotiated, ${wire}, delivered = sent, ` +
      `${plural(result.probe.backToBack, 'message')} arriving while an earlier one still waited for zlib, and no differing hash.${fix}`
    );
  });
}
