/**
 * Running until the failure, in words: the times each part sends, the sentence for a deadline that
 * passed, and the existence and zero claims judged from made-up runs on each side (a failure shown
 * with its controls, and none within the deadline: "not shown in this run", never a result).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deadlinePassedSentence,
  existenceJudgement,
  judgementSentence,
  NOT_SHOWN,
  sendingText,
  UNTIL_FAILURE,
  untilFailure,
  untilFailureSentence,
  untilFailureSpec,
} from '../../src/chapters/until-failure';
import { symptomJudgement } from '../../src/chapters/01-symptom';
import { debugJudgement } from '../../src/chapters/02-debug';
import { originsJudgement, type OriginsRun } from '../../src/chapters/03-origins';
import {
  fixJudgement,
  proofUnit,
  zeroClaimJudgement,
  type Proof,
  type ProofRun,
} from '../../src/chapters/06-root-cause/proof';
import { findingSentences } from '../../src/chapters/findings';
import type { LoggedLine } from '../../src/observe/debug-log';
import type { BareWsRecord } from '../../src/bare-ws/runner';
import type { ScenarioRecord } from '../../src/traffic/scenario';
import { bareWsRun, browserRun, failingRun, scenario, T0 } from '../support/made-up';

test('every part has both modes, a quick deadline no longer than the full one, and a spec that stops at the failure', () => {
  for (const [part, modes] of Object.entries(UNTIL_FAILURE)) {
    assert.ok(modes.quick.deadlineMs <= modes.full.deadlineMs, part);
    assert.ok(modes.quick.tailMs >= 0 && modes.full.tailMs >= 0, part);
  }
  assert.deepEqual(untilFailureSpec(untilFailure('symptom pages', true)), {
    duration: 20_000,
    stopOnFirstFailure: true,
    failureTailMs: 4_000,
  });
  assert.equal(
    untilFailureSentence('time to failure', false, 'Each run sends'),
    'Each run sends until the first failure, for at most 10 s (a full run; quick mode: at most 2 s).',
  );
});

test('the sending window in words: until the failure and the tail, to the deadline, or a fixed window', () => {
  const spec = untilFailureSpec({ deadlineMs: 20_000, tailMs: 4_000 });
  assert.equal(sendingText(spec, 5_250, 1_250), '5.25 s (until 4 s after the first failure, at 1.25 s)');
  assert.equal(sendingText(spec, 20_000, null), '20 s (to the deadline, with no failure)');
  assert.equal(sendingText({ duration: 30_000 }, 30_000, 2_000), '30 s');
  assert.equal(sendingText({ ...spec, failureTailMs: 0 }, 180, 180), '0.18 s (until the first failure)');
  assert.equal(
    deadlinePassedSentence('2015', 20_000, 'the trail below has no failure in it'),
    '2015 did not fail within 20 s in this run; the trail below has no failure in it.',
  );
});

test('an existence claim holds on one event with its controls, and is only "not settled" without one', () => {
  const shown = existenceJudgement('2015 fails', { shown: true, basis: '1 close with 1007' }, 'quick', 'rerun');
  assert.equal(shown.verdict, 'holds');
  assert.equal(shown.toSettle, undefined);
  const absent = existenceJudgement(
    '2015 fails',
    { shown: false, basis: '2015 did not fail within 20 s' },
    'quick',
    'rerun',
  );
  assert.equal(absent.verdict, 'not settled');
  assert.equal(absent.basis, `${NOT_SHOWN}: 2015 did not fail within 20 s`);
  assert.match(absent.toSettle ?? '', /rerun/);
  assert.equal(
    judgementSentence(absent),
    '2015 fails: not settled (quick run), from not shown in this run: 2015 did not fail within 20 s. To settle it: a run in which the failure shows with its controls: rerun.',
  );
});

/** A quick browser run on 2015 until its failure: image pages that lost their socket `drops` times, and a chat page. */
function browser(drops: number): ScenarioRecord {
  const record = browserRun({ imageDrops: drops });
  record.spec = { ...record.spec, ...untilFailureSpec({ deadlineMs: 20_000, tailMs: 4_000 }) };
  record.quick = true;
  return record;
}

test('chapter 1: the symptom holds on a lost socket; without one it is "not shown in this run", here and in the report', () => {
  const failed = symptomJudgement(browser(2));
  assert.equal(failed.verdict, 'holds');
  assert.equal(failed.mode, 'quick');
  assert.match(
    failed.basis,
    /1 image page lost their socket 2 times, the first failure at 1 s, with permessage-deflate negotiated/,
  );
  const quiet = symptomJudgement(browser(0));
  assert.equal(quiet.verdict, 'not settled');
  assert.match(quiet.basis, /^not shown in this run: 2015 did not fail within 20 s$/);
  const sentence = findingSentences({
    kind: 'symptom',
    versions: 'socket.io 1.3.7 with ws 0.8.0',
    sendSeconds: 20,
    imagePages: 2,
    imageMessageChars: 650_000,
    imageDisconnects: 0,
    imageLaterDisconnects: 0,
    imageIds: 2,
    deadlineSeconds: 20,
    firstFailureSeconds: null,
    chatSent: 200,
    chatAcked: 200,
    chatDisconnects: 0,
    deflateNegotiated: true,
  }).join(' ');
  assert.match(sentence, /^The 2015 failure was not shown in this run: .* did not lose their socket within 20 s/);
  assert.doesNotMatch(sentence, /kept their socket/);
});

function trail(record: ScenarioRecord, transportErrors: number): Parameters<typeof debugJudgement>[0] {
  const at = (i: number, namespace: string, message: string): LoggedLine => ({
    t: T0 + 1_000 + i,
    namespace: namespace,
    message: message,
    copy: 'debug@1.0.3',
    cut: 0,
  });
  const lines = Array.from({ length: transportErrors }, (_, i) => [
    at(i, 'engine:socket', 'transport error'),
    at(i, 'socket.io:client', 'client close with reason transport error'),
    at(i, 'socket.io:socket', 'closing socket - reason transport error'),
    at(i, 'socket.io:client', `ignoring remove for s${i}`),
  ]).flat();
  return { record: record, lines: lines, dropped: 0, copies: [] };
}

test('chapter 2: the trail holds on a logged transport error; a deadline that passed is "not shown in this run"', () => {
  const shown = debugJudgement(trail(failingRun(), 2));
  assert.equal(shown.verdict, 'holds');
  assert.match(shown.basis, /logged "transport error" 2 times, the server closed \d+ sessions? with that reason/);
  const quiet = debugJudgement(trail(scenario(), 0));
  assert.equal(quiet.verdict, 'not settled');
  assert.match(
    quiet.basis,
    /^not shown in this run: 2015 did not fail within 10 s in this run; the trail below has no failure in it$/,
  );
  assert.deepEqual(
    findingSentences({
      kind: 'debug',
      lines: 825,
      transportErrors: 0,
      namingUnderlying: 0,
      failures: 0,
      deadlineSeconds: 10,
    }),
    [
      'The DEBUG=* "transport error" of the 2015 post was not shown in this run: 2015 did not fail within 10 s (825 lines captured).',
    ],
  );
  assert.match(
    findingSentences({ kind: 'debug', lines: 40, transportErrors: 3, namingUnderlying: 0, failures: 2 })[0],
    /^DEBUG=\* showed what the 2015 post saw: 3 "transport error" lines among 40 captured/,
  );
});

function originsRun(record: ScenarioRecord): OriginsRun {
  return { record: record, onErrorCalls: 0, errs: [], excerpt: [], restore: [] };
}

test('chapter 3: the error underneath holds on 1007 with Z_DATA_ERROR; without a failure it is "not shown in this run"', () => {
  const failing = failingRun();
  failing.result.underlyingErrors = { 'invalid compressed data (1007)': 2 };
  failing.result.zlibErrors = [{ message: 'invalid distance code', code: 'Z_DATA_ERROR', count: 2 }];
  assert.equal(originsJudgement(originsRun(failing)).verdict, 'holds');
  const quiet = originsJudgement(originsRun(scenario()));
  assert.equal(quiet.verdict, 'not settled');
  assert.equal(quiet.basis, 'not shown in this run: 2015 did not fail within 10 s');
  assert.match(
    findingSentences({
      kind: 'origins',
      onErrorCalls: 0,
      invalidCompressedData: 0,
      zlibErrors: [],
      failures: 0,
      deadlineSeconds: 10,
    })[0],
    /^The "invalid compressed data" under "transport error" was not shown in this run: 2015 did not fail within 10 s/,
  );
});

/** A proof run: `failures` over `ms` of sending by 2 clients, sent until the failure when `untilFailure`. */
function proofRun(label: string, o: { failures: number; ms: number; fix?: boolean; untilFailure?: boolean }): ProofRun {
  const record: BareWsRecord = bareWsRun({ failures: o.failures });
  record.result.sendWindow = { start: T0, end: T0 + o.ms };
  if (o.untilFailure) record.spec = { ...record.spec, stopOnFirstFailure: true, failureTailMs: 2_000 };
  if (o.fix) record.result.fix = { applied: true, line: 'reset(true)' };
  // A run with no failure has every control: nothing overwritten or changed.
  if (o.failures === 0)
    record.result.probe = { ...record.result.probe, overwritten: { fragmented: 0, unfragmented: 0 }, differing: 0 };
  return { label: label, record: record, expect: 'fragmented', claimsZero: !label.includes('as installed') };
}

test('the fix, judged from the interval: holds, not settled with its exposure named, does not hold, and without a failure to stop', () => {
  // As installed: 7 failures in 2.3 s (6 after the first, over 4.6 connection-seconds); the fix: 0 over 20.
  const installed = proofRun('ws 0.8.0 as installed', { failures: 7, ms: 2_300, untilFailure: true });
  assert.deepEqual(proofUnit(installed.record, true).events, 6);
  const holds = zeroClaimJudgement(
    'the fix stops it',
    installed,
    proofRun('with the fix', { failures: 0, ms: 10_000, fix: true }),
    'with the fix',
  );
  assert.equal(holds.verdict, 'holds');
  assert.match(
    holds.basis,
    /0 failures in 200 messages, at most [\d,]+ per connection-hour \(one-sided 95% bound; 0 disconnects over 20 connection-seconds, 1 run\)/,
  );
  assert.match(
    holds.basis,
    /6 failures after its first, over 4\.6 connection-seconds; the rate as installed ÷ with the fix: 95%: [\d.]+–∞/,
  );
  // The same zero over a tenth of the time cannot carry the verdict: the exposure that would is named.
  const short = zeroClaimJudgement(
    'the fix stops it',
    installed,
    proofRun('with the fix', { failures: 0, ms: 1_000, fix: true }),
    'with the fix',
  );
  assert.equal(short.verdict, 'not settled');
  assert.match(
    short.toSettle ?? '',
    /connection-seconds of zero failures \([\d.]+ s with 2 clients\) at the rate measured as installed: npm run report -- --only root-cause/,
  );
  const failed = zeroClaimJudgement(
    'the fix stops it',
    installed,
    proofRun('with the fix', { failures: 1, ms: 10_000, fix: true }),
    'with the fix',
  );
  assert.equal(failed.verdict, 'does not hold');
  const nothingToStop = zeroClaimJudgement(
    'the fix stops it',
    proofRun('ws 0.8.0 as installed', { failures: 0, ms: 10_000, untilFailure: true }),
    proofRun('with the fix', { failures: 0, ms: 10_000, fix: true }),
    'with the fix',
  );
  assert.equal(nothingToStop.verdict, 'not settled');
  assert.match(
    nothingToStop.basis,
    /did not fail within 3 s, so there was no failure to stop \(not shown in this run\)/,
  );
  // The report words the fix from its judgement, with the kind of run it came from.
  const proof: Proof = {
    runs: [installed, proofRun('with the fix', { failures: 0, ms: 10_000, fix: true })],
    firstGood: '0.8.1',
    patchMatchesFirstGood: true,
  };
  const fix = fixJudgement(proof);
  assert.ok(fix);
  const [, sentence] = findingSentences({
    kind: 'root-cause',
    installed: '0.8.0',
    releases: 13,
    bad: 4,
    good: 9,
    lastBad: '0.8.0',
    firstGood: '0.8.1',
    asInstalled: null,
    withFix: null,
    unfragmented: null,
    patchMatchesFirstGood: true,
    queuedFragments: null,
    overwrittenFragments: null,
    fix: fix,
  });
  assert.match(
    sentence,
    /^The fix \(the patched line's source is ws 0\.8\.1's\): "With ws 0\.8\.1's one-line change applied to ws 0\.8\.0 at run time, the failure stops" holds \(full run\), from /,
  );
});
