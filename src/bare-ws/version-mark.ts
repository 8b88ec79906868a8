/**
 * Judging bare-ws records: when a "zero failures" claim is allowed (only beside its positive
 * controls), and the bad / good / inconclusive verdict a version gets for the bisection.
 */
import type { BisectMark } from './bisect';
import { INVALID_COMPRESSED_DATA, type BareWsRecord } from './runner';

/** What a run had to put on the wire for its result to mean something. */
export type FragmentExpectation = 'fragmented' | 'unfragmented';

/**
 * Why a run may NOT be reported as "zero failures"; empty when it may. Beyond no failures: deflate
 * negotiated, compressed messages seen, fragments seen (or, for the unfragmented control, none),
 * delivered = sent, the probe saw compressed fragments queued and at least one message arrive
 * while an earlier one still waited for zlib (the race set up), and no fragment overwritten or
 * changed.
 */
export function bareWsZeroBlockers(record: BareWsRecord, expect: FragmentExpectation = 'fragmented'): string[] {
  const { result } = record;
  const blockers: string[] = [];
  if (result.status !== 'completed') blockers.push(`the run did not complete: ${result.runError}`);
  if (result.failures > 0) blockers.push(`${result.failures} failures`);
  if (!result.controls.deflateNegotiated) blockers.push('deflate was not negotiated');
  if (result.controls.compressedMessages === 0) blockers.push('no compressed message was seen on the wire');
  if (expect === 'fragmented' && result.controls.continuationFrames === 0)
    blockers.push('no continuation frame was seen on the wire');
  if (expect === 'unfragmented' && result.controls.fragmentedMessages > 0)
    blockers.push(`${result.controls.fragmentedMessages} messages were fragmented`);
  if (!result.controls.deliveredEqualsSent) blockers.push(`delivered ${result.delivered} ≠ sent ${result.sent}`);
  if (result.probe.queued === 0) blockers.push('the probe saw no compressed fragment queued for inflate');
  if (result.probe.backToBack === 0)
    blockers.push('no message arrived while an earlier one still waited for zlib: the race was never set up');
  const overwritten = result.probe.overwritten.fragmented + result.probe.overwritten.unfragmented;
  if (overwritten > 0)
    blockers.push(`${overwritten} fragments had a new pool slice handed out over them while they waited for zlib`);
  if (result.probe.differing > 0) blockers.push(`${result.probe.differing} fragments changed before zlib read them`);
  return blockers;
}

/** A version's verdict from one run, and the reason in words. */
export interface VersionMark {
  verdict: BisectMark;
  why: string;
}

/**
 * `bad`: at least one `invalid compressed data` with deflate negotiated and fragments on the wire;
 * `good`: zero failures with every positive control holding; anything else is `inconclusive`.
 */
export function versionMark(record: BareWsRecord): VersionMark {
  const { result } = record;
  const n = result.compressedDataErrors;
  if (n > 0 && result.controls.deflateNegotiated && result.controls.continuationFrames > 0) {
    return { verdict: 'bad', why: `${n} × ${INVALID_COMPRESSED_DATA}` };
  }
  const blockers = bareWsZeroBlockers(record, 'fragmented');
  if (blockers.length === 0) return { verdict: 'good', why: 'no failure; controls held' };
  return { verdict: 'inconclusive', why: blockers.join('; ') };
}
