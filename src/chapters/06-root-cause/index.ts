/**
 * Chapter 6, the root cause the post never found: a minimal reproducer without socket.io (time to
 * failure, and what moves the failure rate, server load included), a bisection over every ws
 * release installed side by side with the diff it points at, the mechanism in the Receiver's
 * buffer pools shown by hashing each fragment when queued and when zlib reads it, and the proof:
 * the one-line fix applied at run time, and fragmentation shown necessary. Each part has its own
 * file in this folder.
 */
import { ParamError, resolveParams, type Params, type RawParams } from '../../core/params';
import { FAILING_SCENARIO } from '../../traffic/presets';
import { formatBytes } from '../../core/units';
import { largestSize, POST_RELEASE } from './shared-scenario';
import { showFinding } from '../show-finding';
import { untilFailureSentence } from '../until-failure';

export {
  runTimeToFailure,
  showTimeToFailure,
  runOneFactorSeries,
  showOneFactorSeries,
  showOneFactorChart,
  showOneFactorFindings,
  showLoadAnswer,
} from './failure-series';
export { runBisection, showBisection, bisectedDiff, showReleaseDiff } from './bisection';
export { showPoolSource, showPoolWatchTable, showPoolWatchFindings, showFirstErrorStory } from './mechanism';
export { runProof, showProof } from './proof';

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

/** What this chapter does with the sizes it was given, in a sentence. */
export function rootCauseSizesSentence(params: Params): string {
  const sizes = [...params.frameSizes].sort((a, b) => a - b);
  const unfragmented = sizes.filter((size) => size <= FAILING_SCENARIO.fragmentSize);
  return [
    `Message ${sizes.length === 1 ? 'size' : 'sizes'}: ${sizes.map(formatBytes).join(', ')}. The time to failure and the one-factor series run at each size; ` +
      `the bisection over ws releases and the causal proof run at the largest, ${formatBytes(largestSize(params))}, where messages are the likeliest to be fragmented.`,
    unfragmented.length > 0
      ? `${unfragmented.map(formatBytes).join(' and ')} ${unfragmented.length === 1 ? 'fits' : 'fit'} in one ${formatBytes(FAILING_SCENARIO.fragmentSize)} fragment, so ${unfragmented.length === 1 ? 'its messages are' : 'their messages are'} sent whole, not through ws ${POST_RELEASE}'s fragmented buffer pool: the runs at ${unfragmented.length === 1 ? 'that size' : 'those sizes'} show it with their wire counts.`
      : '',
  ]
    .filter((s) => s !== '')
    .join(' ');
}

/** Says which parts of the chapter run at which of the given sizes. */
export function showRootCauseSizes(params: Params): void {
  showFinding(rootCauseSizesSentence(params));
}

/** How long each part's runs send, in this mode and the other. */
export function rootCausePlanSentences(params: Params): string[] {
  return [
    untilFailureSentence('time to failure', params.quick, 'Each time-to-failure run sends'),
    untilFailureSentence('one-factor series', params.quick, 'Each run of the one-factor series sends'),
    untilFailureSentence(
      'proof',
      params.quick,
      'Each run of the causal proof sends (so a run that does not fail sends to the deadline, the exposure its zero is bounded by)',
    ),
  ];
}

/** Shows how long each part's runs send. */
export function showRootCausePlan(params: Params): void {
  showFinding(rootCausePlanSentences(params));
}
