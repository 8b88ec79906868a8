/**
 * Chapter 6, the root cause the post never found: a minimal reproducer without socket.io (time to
 * failure, and what moves the failure rate, server load included), a bisection over every ws
 * release installed side by side with the diff it points at, the mechanism in the Receiver's
 * buffer pools shown by hashing each fragment when queued and when zlib reads it, and the proof:
 * the one-line fix applied at run time, and fragmentation shown necessary. Each part lives in
 * ./root-cause/.
 */
import { ParamError, resolveParams, type Params, type RawParams } from '../params';

export {
  runTimeToFailure,
  showTimeToFailure,
  runSweep,
  showSweep,
  showSweepChart,
  showSweepFindings,
  showLoadAnswer,
} from './root-cause/reproducer';
export { runBisection, showBisection, bisectedDiff, showReleaseDiff } from './root-cause/bisection';
export { showPoolSource, showProbeTable, showProbeFindings, showFirstErrorStory } from './root-cause/mechanism';
export { runProof, showProof } from './root-cause/proof';

/** Checks the notebook's parameters; the time-to-failure median needs at least three runs. */
export function rootCauseParams(raw: RawParams): Params {
  const params = resolveParams(raw);
  if (params.repeats < 3)
    throw new ParamError(
      'repeats',
      `${params.repeats} runs cannot give a median time to failure worth showing: use 3 or more (the chapter's default is 5)`,
    );
  return params;
}
