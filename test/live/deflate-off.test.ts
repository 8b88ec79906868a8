/**
 * Chapter 4's verdicts, worded from numbers, checked on the committed long-run record (real runs)
 * and on copies of it with one figure changed; and the handshake probe against live 2015 servers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  bytesRatio,
  bytesVerdict,
  deflateCostVerdict,
  disconnectVerdict,
  equalWorkLeftOut,
  equalWorkLoad,
  EQUAL_WORK_STACK,
  failedWithControls,
  failureCost,
  failureCostVerdict,
  judgePairs,
  longRunSentences,
  pairedText,
  runFailures,
  type LoadPair,
  type WirePair,
} from '../../src/chapters/04-deflate-off/claims';
import { probeHandshakes } from '../../src/chapters/04-deflate-off/handshakes';
import { claimJudgements, claimSizesSentence, recordedLongRuns } from '../../src/chapters/04-deflate-off';
import { DATA_DIR_ENV } from '../../src/core/paths';
import { classifyScenario, saturationOf } from '../../src/traffic/failure-rule';
import { formatDuration } from '../../src/core/units';
import type { ScenarioRecord } from '../../src/traffic/scenario';
import type { KneeResult } from '../../src/capacity/measure';
import { KiB, MiB, resolveParams } from '../../src/core/params';
import { assertNoHandlesLeft } from '../support/handles';
import { failingRun, madeUpKnee, offeredFor, scenario } from '../support/made-up';

process.env[DATA_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-deflate-off-'));

// The newest long run recorded (records sort by time).
const { runs } = recordedLongRuns();
const long = runs[runs.length - 1];

function withCpu(record: ScenarioRecord, totalMs: number): ScenarioRecord {
  const copy = structuredClone(record);
  copy.result.cpu = { userMs: totalMs, systemMs: 0, includesClients: false };
  return copy;
}

test("the committed long run covers the post's hour of deflate off at its offered load, beside its failing control at the same load", () => {
  assert.ok(long, 'no long run in data/long-run: record one with npm run long-run');
  assert.ok(long.run.result.loadMs >= 3_600_000, `tested ${formatDuration(long.run.result.loadMs)}`);
  assert.equal(long.run.spec.deflate, 'off');
  assert.equal(long.run.spec.placement, 'forked');
  assert.deepEqual(saturationOf(long.run), [], 'the hour met its offered load');
  assert.equal(runFailures(long.run.result), 0);
  assert.deepEqual(long.blockers, []);
  assert.equal(long.control.spec.deflate, 'on');
  assert.ok(runFailures(long.control.result) > 0, 'the deflate-on control failed');
  for (const key of ['stack', 'client', 'payload', 'frameSize', 'fragmentSize', 'rate', 'burst', 'clients'] as const)
    assert.equal(long.control.spec[key], long.run.spec[key], `control and run differ in ${key}`);
});

const FULL = { frameSize: MiB, mode: 'full' } as const;
const QUICK = { frameSize: MiB, mode: 'quick' } as const;

/** `n` load pairs: a failing deflate-on run (2 disconnects over 6 connection-seconds) beside `off`. */
function loadPairs(n: number, off: () => ScenarioRecord = () => scenario({ deflate: 'off' })): LoadPair[] {
  return Array.from({ length: n }, (_, i) => ({ repeat: i + 1, on: failingRun(), off: off() }));
}

test("the recorded hour in words: its bound from the record's own exposure, beside the control's time to first failure and no rate", () => {
  const [hour, control] = longRunSentences(long);
  assert.match(
    hour,
    /^The recorded long run: 0 disconnects over 2 connection-hours of sending with deflate off, so at most 1\.5 per connection-hour, one-sided 95%, its zero proven by its controls/,
  );
  const first = classifyScenario(long.control.result).firstFailureMs as number;
  assert.ok(first > 0, 'the control failed');
  assert.match(
    control,
    new RegExp(`failed first after ${formatDuration(first)} \\(\\d+ failures? counted before it stopped\\)`),
  );
  assert.match(control, /stops at its first failure, so it has no rate/);
  // A long run with a disconnect words its rate, and one disconnect-run is not enough to settle it.
  const failed = { ...structuredClone(long), run: failingRun({ deflate: 'off' }) };
  assert.match(
    longRunSentences(failed)[0],
    /deflate off: 1\.2e\+3 per connection-hour|deflate off: 1,200 per connection-hour/,
  );
  assert.match(longRunSentences(failed)[0], /not settled: fewer than 5 runs/);
  const quiet = { ...structuredClone(long), control: scenario() };
  assert.match(longRunSentences(quiet)[1], /control at the same load had no failure within 10 s/);
});

test('disconnects: hold from rates clearly apart, are not settled when the on ÷ off interval reaches 1, and do not hold on one plain deflate-off failure', () => {
  const held = disconnectVerdict(loadPairs(5), [], FULL);
  assert.equal(held.judgement.verdict, 'holds', held.sentences.join(' '));
  assert.equal(held.judgement.mode, 'full');
  assert.match(
    held.judgement.basis,
    /^deflate off at most 1\.1e\+2 per connection-hour|^deflate off at most 110 per connection-hour/,
  );
  assert.match(
    held.judgement.basis,
    /deflate on 1,200 per connection-hour \(95%: [\d,.]+–[\d,.]+; 10 disconnects over 30 connection-seconds, 5 runs\)/,
  );
  assert.match(held.judgement.basis, /on ÷ off at least 7\.\d+× \(95%; deflate off had none\)/);
  assert.equal(held.judgement.toSettle, undefined);
  assert.match(held.sentences.join(' '), /Verdict: holds \(full run\), from deflate off/);

  // One pair: 2 disconnects in 6 s against none in 20 s is not yet a difference.
  const straddles = disconnectVerdict(loadPairs(1), [], QUICK);
  assert.equal(straddles.judgement.verdict, 'not settled');
  assert.equal(straddles.judgement.mode, 'quick');
  assert.match(straddles.sentences.join(' '), /The on ÷ off interval \(95%: 0\.6\d+–∞\) reaches down to 1/);
  assert.match(
    straddles.judgement.toSettle ?? '',
    /^about 3\d connection-seconds of deflate-off sending without a disconnect/,
  );
  assert.match(straddles.sentences.join(' '), /Verdict: not settled \(quick run\)/);
  // The recorded hour settles it: 0 disconnects over 2 connection-hours.
  const withHour = disconnectVerdict(loadPairs(1), [long], QUICK);
  assert.equal(withHour.judgement.verdict, 'holds', withHour.sentences.join(' '));
  assert.match(
    withHour.judgement.basis,
    /^deflate off at most 1\.5 per connection-hour \(one-sided 95% bound; 0 disconnects over 2 connection-hours, 2 runs\)/,
  );
  assert.match(withHour.sentences.join(' '), /The deflate-on rate's own interval is not settled \(fewer than 5 runs/);

  const plainFailure = disconnectVerdict(
    loadPairs(5, () => failingRun({ deflate: 'off' })),
    [long],
    FULL,
  );
  assert.equal(plainFailure.judgement.verdict, 'does not hold');
  assert.match(plainFailure.sentences.join(' '), /5 deflate-off runs failed with deflate not negotiated/);
});

test('disconnects: not settled without a deflate-on failure, with deflate still on, or with an unproven zero', () => {
  const quietOn = disconnectVerdict([{ repeat: 1, on: scenario(), off: scenario({ deflate: 'off' }) }], [], FULL);
  assert.equal(quietOn.judgement.verdict, 'not settled');
  assert.equal(quietOn.judgement.finer, 'not tested');
  assert.match(
    quietOn.sentences.join(' '),
    /No deflate-on run failed with deflate negotiated and fragments on the wire, so nothing was shown to stop\. Verdict: not settled \(full run\), not tested, from/,
  );
  const stillOn = disconnectVerdict(
    loadPairs(5, () => failingRun({ deflate: 'off', negotiated: true })),
    [],
    FULL,
  );
  assert.equal(stillOn.judgement.verdict, 'not settled');
  assert.match(stillOn.sentences.join(' '), /deflate still negotiated: the fix did not take/);
  const unproven = disconnectVerdict(
    loadPairs(5, () => scenario({ deflate: 'off', delivered: 90 })),
    [],
    FULL,
  );
  assert.equal(unproven.judgement.verdict, 'not settled');
  assert.match(unproven.sentences.join(' '), /Deflate off's zero is not proven: delivered 90 ≠ sent 100 \(5 runs\)\. /);
  // A deflate-on failure counts only beside its controls: deflate negotiated and used.
  assert.equal(failedWithControls(failingRun()), true);
  assert.equal(failedWithControls(failingRun({ negotiated: false })), false);
  assert.equal(failedWithControls(scenario()), false);
});

test('a paired ratio: holds and does not hold from an interval wholly on one side, not settled when it straddles or with too few pairs or too little CPU', () => {
  const plenty = { on: [2000, 2000, 2000, 2000, 2000], off: [800, 800, 800, 800, 800] };
  const below = judgePairs([0.3, 0.32, 0.29, 0.31, 0.3], 0.5, 'below', { cpu: plenty });
  assert.equal(below.verdict, 'holds');
  assert.deepEqual(below.unsettled, []);
  assert.equal(below.pairsNeeded, null);
  assert.match(pairedText(below), /^0\.304 \(95%: 0\.29\d*–0\.31\d*\) over 5 pairs$/);
  assert.equal(judgePairs([0.7, 0.72, 0.69, 0.71, 0.7], 0.5, 'below', { cpu: plenty }).verdict, 'does not hold');
  const straddles = judgePairs([0.3, 0.7, 0.45, 0.55, 0.5], 0.5, 'below', { cpu: plenty });
  assert.equal(straddles.verdict, 'not settled');
  assert.match(straddles.unsettled.join('; '), /straddles 0\.5/);
  // Too few pairs is not settled however far the ratios sit from the threshold.
  const few = judgePairs([0.2, 0.21], 0.5, 'below', { cpu: plenty });
  assert.equal(few.verdict, 'not settled');
  assert.deepEqual(few.unsettled, ['2 pairs, fewer than 5']);
  assert.equal(few.pairsNeeded, 5);
  const one = judgePairs([0.2], 0.5, 'below', { cpu: plenty });
  assert.equal(one.estimate, null);
  assert.equal(pairedText(one), '0.2 from 1 pair (no interval)');
  assert.equal(one.pairsNeeded, 5);
  // Half a second of CPU a side: 5 pairs would reach 1 s only at 200 ms a pair, so 10 are needed.
  const idle = judgePairs([0.3, 0.32, 0.29, 0.31, 0.3], 0.5, 'below', {
    cpu: { on: [100, 100, 100, 100, 100], off: plenty.off },
  });
  assert.equal(idle.verdict, 'not settled');
  assert.match(idle.unsettled.join('; '), /500 ms of server CPU with deflate on, under 1 s/);
  assert.equal(idle.pairsNeeded, 10);
  // Above, for the bytes: the mirror image.
  assert.equal(judgePairs([1.3, 1.31, 1.29, 1.3, 1.32], 1.01, 'above').verdict, 'holds');
  assert.equal(judgePairs([1.001, 1.002, 1.0, 1.001, 1.003], 1.01, 'above').verdict, 'does not hold');
});

/** An on/off pair whose sides spent `on` and `off` ms of server CPU. */
function cpuPair(on: ScenarioRecord, off: ScenarioRecord, onMs: number, offMs: number, repeat = 1): LoadPair {
  return { repeat: repeat, on: withCpu(on, onMs), off: withCpu(off, offMs) };
}

test('cpu (b), the failure on 2015: server CPU off ÷ on from 5 pairs against one half, beside what the failures cost', () => {
  const pairs = (offs: number[]) =>
    offs.map((off, i) => cpuPair(failingRun(), scenario({ deflate: 'off' }), 1000, off, i + 1));
  const held = failureCostVerdict(pairs([400, 410, 390, 405, 395]), FULL);
  assert.equal(held.judgement.verdict, 'holds', held.sentences.join(' '));
  assert.match(
    held.judgement.basis,
    /^server CPU over the same send window, off ÷ on 0\.4 \(95%: 0\.3\d+–0\.4\d+\) over 5 pairs, server CPU 5 s on and 2 s off$/,
  );
  assert.equal(failureCostVerdict(pairs([900, 950, 880, 920, 910]), FULL).judgement.verdict, 'does not hold');
  const straddles = failureCostVerdict(pairs([350, 550, 400, 500, 380]), FULL);
  assert.equal(straddles.judgement.verdict, 'not settled');
  assert.match(
    straddles.judgement.toSettle ?? '',
    /^\d+ pairs that count, at the measured spread, in a full run: npm run report -- --only 4 --frame-sizes 1MiB --repeats \d+$/,
  );
  // One pair, as a quick run makes: not settled, and the command that would settle it.
  const quick = failureCostVerdict(pairs([400]), QUICK);
  assert.equal(quick.judgement.verdict, 'not settled');
  assert.equal(quick.judgement.mode, 'quick');
  assert.equal(
    quick.judgement.toSettle,
    'at least 5 pairs that count (fewer than 2 show no spread to go by), in a full run: npm run report -- --only 4 --frame-sizes 1MiB --repeats 5',
  );
  assert.match(
    quick.sentences.join(' '),
    /Verdict: not settled \(quick run\), from .*0\.4 from 1 pair \(no interval\).*not settled: 1 pair, fewer than 5/,
  );
  const cost = failureCost(failingRun());
  assert.match(
    held.sentences[1],
    new RegExp(`^The deflate-on runs paid for their failures: ${cost.failures * 5} failures, 0 inflates zlib rejected`),
  );
  const inProcess = pairs([400]);
  inProcess[0].on.result.cpu.includesClients = true;
  assert.equal(failureCostVerdict(inProcess, FULL).judgement.finer, 'not tested');
  // The "on" side must have negotiated deflate; an errored pair is left out.
  const plainOn = cpuPair(failingRun({ negotiated: false }), scenario({ deflate: 'off' }), 1000, 400);
  assert.equal(failureCostVerdict([plainOn], FULL).judgement.finer, 'not tested');
  assert.match(failureCostVerdict([plainOn], FULL).judgement.basis, /deflate was not negotiated on the "on" run/);
  // A pair left out now will be left out as often again: the command asks for that many more.
  const oneOut = failureCostVerdict([...pairs([400, 410, 390, 405]), plainOn], FULL);
  assert.equal(oneOut.judgement.verdict, 'not settled');
  assert.match(
    oneOut.sentences.join(' '),
    /1 of 5 pairs is left out: deflate was not negotiated on the "on" run \(1\)\./,
  );
  assert.match(
    oneOut.judgement.toSettle ?? '',
    /^5 pairs that count, at the measured spread \(4 of 5 counted here, so about 7 repeats\), in a full run: .* --repeats 7$/,
  );
  const erroredOn = pairs([400])[0];
  erroredOn.on.result.status = 'failed';
  assert.equal(failureCostVerdict([erroredOn, ...pairs([400])], FULL).paired?.ratios.length, 1);
});

test("cpu (a), deflate's own cost: per MiB at equal work, from pairs where neither side failed, and 1 s of CPU a side", () => {
  const stack = '2015+ws0.8.1';
  const pair = (on: number, off: number, i = 1) =>
    cpuPair(scenario({ stack: stack }), scenario({ stack: stack, deflate: 'off' }), on, off, i);
  const pairs = (offs: number[]) => offs.map((off, i) => pair(1000, off, i + 1));
  assert.deepEqual(equalWorkLeftOut(pair(1000, 400)), []);
  const held = deflateCostVerdict(pairs([400, 410, 390, 405, 395]), FULL);
  assert.equal(held.judgement.verdict, 'holds', held.sentences.join(' '));
  assert.match(held.sentences[0], /per pair: 0\.4, 0\.41, 0\.39, 0\.405, 0\.395/);
  assert.equal(deflateCostVerdict(pairs([700, 690, 710, 720, 705]), FULL).judgement.verdict, 'does not hold');
  assert.equal(deflateCostVerdict(pairs([300, 700, 450, 600, 500]), FULL).judgement.verdict, 'not settled');
  // 0.2 s a pair on the off side: 5 pairs are 1 s of CPU there only just; 100 ms a pair is not enough.
  const light = deflateCostVerdict(
    [1, 2, 3, 4, 5].map((i) => pair(300, 100 + i, i)),
    FULL,
  );
  assert.equal(light.judgement.verdict, 'not settled');
  assert.match(light.judgement.basis, /515 ms of server CPU with deflate off, under 1 s/);
  assert.match(light.judgement.toSettle ?? '', /^10 pairs that count, at the measured spread/);
  // A failing side is not equal work: alone it leaves the claim untested, beside good pairs it is left out.
  const failing = cpuPair(failingRun({ stack: stack }), scenario({ stack: stack, deflate: 'off' }), 1000, 400, 6);
  assert.deepEqual(equalWorkLeftOut(failing), ['a side failed']);
  assert.equal(deflateCostVerdict([failing], FULL).judgement.finer, 'not tested');
  const mixed = deflateCostVerdict([...pairs([400, 410, 390, 405, 395]), failing], FULL);
  assert.equal(mixed.paired?.ratios.length, 5);
  assert.match(mixed.sentences.join(' '), /1 of 6 pairs is left out: a side failed \(1\)\./);
  // A side that did not meet its load compares nothing.
  const short = pair(1000, 400);
  short.off.result.offered = offeredFor(short.off, { ticksMissed: 3 });
  assert.equal(deflateCostVerdict([short], FULL).judgement.finer, 'not tested');
});

/** The equal-work stack's knees at 256 KiB and 4 MiB: 40 MiB/s with deflate on, 60 off. */
const KNEES: KneeResult[] = [256 * KiB, 4 * MiB].flatMap((frameSize) =>
  (['on', 'off'] as const).map((deflate) =>
    madeUpKnee(EQUAL_WORK_STACK, deflate, frameSize, deflate === 'on' ? 40 : 60),
  ),
);

test("equal work at each size: half the slower setting's knee there, else the nearest recorded size's, labelled; else the reproducer's load", () => {
  const exact = equalWorkLoad(KNEES, 256 * KiB);
  assert.equal(exact.nearest, false);
  assert.equal(exact.frameSize, 256 * KiB);
  assert.ok(Math.abs(exact.MiBps - 20) < 1, `${exact.MiBps} MiB/s`);
  assert.match(exact.origin, /with deflate on, the slower setting \(40\.0 MiB\/s at 256 KiB, recorded/);
  // 1.5 MiB is nearer 4 MiB than 256 KiB on a log scale (×2.7 against ×6).
  const between = equalWorkLoad(KNEES, 1536 * KiB);
  assert.equal(between.nearest, true);
  assert.equal(between.frameSize, 1536 * KiB);
  assert.match(
    between.origin,
    /nearest recorded size.*40\.0 MiB\/s at 4 MiB\); no usable knee at 1\.5 MiB \(no knee of 2015\+ws0\.8\.1 with deflate on at 1\.5 MiB is recorded\)/,
  );
  assert.ok(Math.abs(between.MiBps - 20) < 2, `${between.MiBps} MiB/s`);
  const small = equalWorkLoad(KNEES, 3000);
  assert.match(small.origin, /at 256 KiB\); no usable knee at 2\.93 KiB/);
  const none = equalWorkLoad([], MiB);
  assert.equal(none.nearest, false);
  assert.match(none.origin, /^the reproducer's load, since no knee is recorded/);
});

/** A bytes pair of one payload kind and seed: `on` and `off` bytes per delivered frame. */
function wirePair(payload: WirePair['payload'], on: number, off: number, seed = 1): WirePair {
  const side = (deflate: 'on' | 'off', perFrame: number) => {
    const record = scenario({ deflate: deflate, sent: 10 });
    record.spec.seed = seed;
    record.spec.payload = payload;
    record.result.wire.bytesIn = perFrame * record.result.delivered;
    return record;
  };
  return { payload: payload, on: side('on', on), off: side('off', off) };
}

const wirePairs = (payload: WirePair['payload'], ratios: number[]) =>
  ratios.map((ratio, i) => wirePair(payload, 1000, 1000 * ratio, i + 1));

test('bytes: more for every payload kind holds; not more for one does not hold (holds only for some payloads); straddling or too few pairs is not settled', () => {
  const json = wirePairs('json', [4.0, 4.2, 3.9, 4.1, 4.0]);
  const dataUrl = wirePairs('data-url', [1.33, 1.34, 1.32, 1.35, 1.33]);
  const png = wirePairs('png', [1.001, 1.002, 1.0, 1.003, 1.001]);
  assert.equal(bytesRatio(json[0]), 4);
  const more = bytesVerdict([...json, ...dataUrl], FULL);
  assert.equal(more.judgement.verdict, 'holds', more.sentences.join(' '));
  assert.match(
    more.judgement.basis,
    /^off ÷ on bytes per delivered frame: json 4\.04 \(95%: 3\.9\d*–4\.1\d*\) over 5 pairs, more; data-url 1\.33/,
  );
  const some = bytesVerdict([...json, ...png], FULL);
  assert.equal(some.judgement.verdict, 'does not hold');
  assert.equal(some.judgement.finer, 'holds only for some payloads');
  assert.match(some.judgement.basis, /png 1 \(95%: 1–1\) over 5 pairs, not more/);
  const none = bytesVerdict(png, FULL);
  assert.equal(none.judgement.verdict, 'does not hold');
  assert.equal(none.judgement.finer, undefined);
  const straddles = bytesVerdict(wirePairs('png', [1.0, 1.03, 1.005, 1.025, 1.02]), FULL);
  assert.equal(straddles.judgement.verdict, 'not settled');
  assert.match(
    straddles.judgement.toSettle ?? '',
    /^png: 21 pairs that count, at the measured spread, more than one report runs \(--repeats goes up to 20: npm run report -- --only 4 --frame-sizes 1MiB --repeats 20\)$/,
  );
  // One pair a kind, as a quick run makes: not settled, however large the ratio.
  const quick = bytesVerdict([wirePair('json', 1000, 4000), wirePair('png', 1000, 1001)], QUICK);
  assert.equal(quick.judgement.verdict, 'not settled');
  assert.equal(quick.judgement.mode, 'quick');
  assert.match(quick.sentences.join(' '), /json 4 from 1 pair \(no interval\) \(not settled: 1 pair, fewer than 5\)/);
  assert.match(
    quick.judgement.toSettle ?? '',
    /^json: at least 5 pairs that count \(fewer than 2 show no spread to go by\), in a full run: npm run report -- --only 4 --frame-sizes 1MiB --repeats 5$/,
  );
});

test('bytes: a pair that cannot be compared is left out, and without one the claim is not tested', () => {
  const empty = wirePair('png', 1000, 1000);
  empty.on.result.delivered = 0;
  assert.equal(bytesRatio(empty), null);
  // Without deflate negotiated on the "on" run, both sides ran uncompressed: no ratio.
  const plainOn = wirePair('json', 1000, 4000);
  plainOn.on.result.controls.deflateNegotiated = false;
  assert.equal(bytesRatio(plainOn), null);
  const untested = bytesVerdict([plainOn], FULL);
  assert.equal(untested.judgement.verdict, 'not settled');
  assert.equal(untested.judgement.finer, 'not tested');
  assert.match(untested.sentences.join(' '), /json: 1 pair not comparable/);
  // A run that errored is never part of a verdict.
  const errored = wirePair('json', 1000, 4000);
  errored.off.result.status = 'failed';
  assert.equal(bytesRatio(errored), null);
});

test('the chapter says how many pairs each comparison runs and how long, and that fewer than 5 leave a ratio not settled', () => {
  const full = claimSizesSentence(resolveParams({ frameSizes: '1MiB', repeats: 5, duration: '5s' }));
  assert.match(
    full,
    /Each comparison is 5 on\/off pairs run back to back \(5 s each for the load and equal-work pairs; 1 s per bytes run, a new seed per pair\); a ratio needs 5 pairs for a verdict/,
  );
  const quick = claimSizesSentence(resolveParams({ frameSizes: '1MiB', repeats: 1, duration: '1s', quick: true }));
  assert.match(quick, /Each comparison is 1 on\/off pair run back to back \(1 s each .*; 500 ms per bytes run/);
});

/** Made-up answers at 1 MiB: claim 1 holding, the CPU claim's parts not settled and not holding, claim 3 holding. */
test('the judgements handed to the report: every claim at every size, claim 1 first', () => {
  const at = (frameSize: number) => ({ frameSize: frameSize, mode: 'full' as const });
  const answers = [MiB, 4 * MiB].map((frameSize) => ({
    disconnects: { frameSize: frameSize, answer: disconnectVerdict(loadPairs(5), [], at(frameSize)) },
    cpu: {
      frameSize: frameSize,
      answer: {
        own: deflateCostVerdict([], at(frameSize)),
        failure: failureCostVerdict(loadPairs(5), at(frameSize)),
      },
    },
    bytes: { frameSize: frameSize, answer: bytesVerdict(wirePairs('json', [4, 4.1, 3.9, 4, 4.05]), at(frameSize)) },
  }));
  const judged = claimJudgements({
    disconnects: answers.map((a) => a.disconnects),
    cpu: answers.map((a) => a.cpu),
    bytes: answers.map((a) => a.bytes),
  });
  assert.deepEqual(
    judged.map((j) => `${j.claim.replace(/^with deflate off, /, '')}: ${j.verdict}`),
    [MiB, 4 * MiB].flatMap((size) => {
      const frames = `${size === MiB ? '1 MiB' : '4 MiB'} frames`;
      return [
        `the disconnects stop, ${frames}: holds`,
        `the server's CPU is less than half, (a) deflate's own cost at equal work, ${frames}: not settled`,
        `the server's CPU is less than half, (b) the failure's cost on 2015, ${frames}: does not hold`,
        `more bytes cross the wire, ${frames}: holds`,
      ];
    }),
  );
  assert.ok(judged.every((j) => j.mode === 'full'));
});

test('handshake probe: the Node clients offer deflate; the 2015 server accepts by default and not with deflate off; nothing left open', async () => {
  const on = await probeHandshakes('2015', 'default', ['fragmenting', 'socket.io'], true);
  const off = await probeHandshakes('2015', 'off', ['fragmenting', 'socket.io'], true);
  assert.deepEqual(
    on.map((row) => row.negotiated),
    [true, true],
  );
  assert.deepEqual(
    off.map((row) => [row.negotiated, row.answer]),
    [
      [false, ''],
      [false, ''],
    ],
  );
  assert.ok([...on, ...off].every((row) => row.offer.startsWith('permessage-deflate')));
  await assertNoHandlesLeft();
});
