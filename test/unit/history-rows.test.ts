/**
 * Chapter 9, rows 4 and 5: the sentences worded from made-up runs (describeRsv1, describeContext),
 * the judging beneath them (a run's controls, a release's behaviour over repeats), and the plans.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bisection } from '../../src/bare-ws/bisect';
import type { Rsv1Misuse } from '../../src/clients/crafted-frames';
import { describeContext, contextRows } from '../../src/chapters/09-history/context';
import { closeTimeline, describeRsv1, rsv1Plan, RSV1_QUICK_PAIR } from '../../src/chapters/09-history/rsv1';
import { contextSequence, rsv1Pattern, type ContextMode, type ContextRun } from '../../src/history/context';
import {
  behaviourOf,
  candidatesBetween,
  releaseBehaviour,
  runBlockers,
  type MisuseRun,
  type Rsv1Result,
} from '../../src/history/rsv1';

function misuseRun(version: string, misuse: Rsv1Misuse, over: Partial<MisuseRun> = {}): MisuseRun {
  const negotiated = misuse !== 'no-extension';
  return {
    version: version,
    misuse: misuse,
    deflateAnswer: negotiated ? 'permessage-deflate' : '',
    negotiatedAsCaseSays: true,
    wellFormedDelivered: true,
    closeCode: 1002,
    closeReason: '',
    misuseTaken: false,
    crashed: true,
    crashError: 'RSV1 must be clear',
    ms: 100,
    ...over,
  };
}

const closeBy = (version: string) => (['3.3.3', '6.2.3'].includes(version) ? 1006 : 1002);

function result(majors: string[], over: (run: MisuseRun) => Partial<MisuseRun> = () => ({})): Rsv1Result {
  const misuses: Rsv1Misuse[] = ['no-extension', 'control-frame'];
  const runs = majors.flatMap((v) =>
    misuses.map((m) => {
      const run = misuseRun(v, m, { closeCode: closeBy(v) });
      return { ...run, ...over(run) };
    }),
  );
  return { rootWs: '8.23.0', majors: majors, misuses: misuses, repeats: 1, runs: runs, bisections: [] };
}

test('a run speaks for its release only beside its controls; repeats must agree', () => {
  const good = misuseRun('7.5.0', 'control-frame');
  assert.equal(behaviourOf(good), 'close 1002; server crashed');
  assert.deepEqual(runBlockers(good), []);
  const unnegotiated = misuseRun('7.5.0', 'control-frame', { negotiatedAsCaseSays: false, deflateAnswer: '' });
  assert.match(runBlockers(unnegotiated)[0], /not negotiated where the case needs it on/);
  assert.equal(behaviourOf(misuseRun('7.5.0', 'control-frame', { wellFormedDelivered: false })), undefined);
  assert.equal(
    behaviourOf(misuseRun('7.4.6', 'no-extension', { closeCode: 1006, crashed: false })),
    'cut (1006, no close frame); server kept running',
  );
  assert.equal(
    behaviourOf(misuseRun('1.1.5', 'no-extension', { closeCode: null, misuseTaken: true })),
    'left open, frame taken; server crashed',
  );
  assert.equal(releaseBehaviour([good, good]), 'close 1002; server crashed');
  assert.equal(releaseBehaviour([good, misuseRun('7.5.0', 'control-frame', { closeCode: 1006 })]), undefined);
  assert.equal(releaseBehaviour([]), undefined);
  assert.deepEqual(candidatesBetween('2.3.1', '3.3.3'), [
    '2.3.1',
    '3.0.0',
    '3.1.0',
    '3.2.0',
    '3.3.0',
    '3.3.1',
    '3.3.2',
    '3.3.3',
  ]);
  assert.deepEqual(candidatesBetween('4.1.0', '5.2.4'), ['4.1.0', '5.2.4'], 'no candidates pinned between');
});

test('quick runs the pair once; full runs every major twice and bisects', () => {
  assert.deepEqual(rsv1Plan(true), {
    majors: [...RSV1_QUICK_PAIR],
    misuses: ['no-extension', 'control-frame', 'continuation-frame'],
    repeats: 1,
    bisect: false,
  });
  const full = rsv1Plan(false);
  assert.equal(full.majors[0], '1.1.5');
  assert.equal(full.repeats, 2);
  assert.ok(full.bisect);
});

test('describeRsv1: the crash, the close timeline, the bisection, and the reports set beside them', () => {
  const r = result(['1.1.5', '2.3.1', '3.3.3', '6.2.3', '7.5.10']);
  assert.equal(
    closeTimeline(r, 'no-extension'),
    'close 1002 from ws 1.1.5 to 2.3.1, then cut (1006, no close frame) from ws 3.3.3 to 6.2.3, then close 1002 from ws 7.5.10',
  );
  const bisection: Bisection<string> = {
    probes: ['2.3.1', '3.3.2', '3.3.3'],
    skipped: [],
    lastBad: '3.3.2',
    firstGood: '3.3.3',
    untestedBetween: [],
    untested: [],
    transitions: [{ from: '3.3.2', to: '3.3.3', kind: 'fixed' }],
    shape: 'single fix',
    confirmed: true,
    finding: 'f',
  };
  r.bisections = (['no-extension', 'control-frame'] as const).map((m) => ({
    misuse: m,
    from: '2.3.1',
    to: '3.3.3',
    oldBehaviour: 'close 1002; server crashed',
    newBehaviour: 'cut (1006, no close frame); server crashed',
    candidates: candidatesBetween('2.3.1', '3.3.3'),
    bisection: bisection,
    runs: [],
  }));
  const text = describeRsv1(r);
  assert.match(text, /died of an uncaught exception in every run \(10 of 10, ws 1\.1\.5 to 7\.5\.10, 2 misuses\)/);
  assert.match(text, /For all 2 misuses, the client heard close 1002 from ws 1\.1\.5 to 2\.3\.1, then cut/);
  assert.match(
    text,
    /Between ws 2\.3\.1 and 3\.3\.3 \(8 published releases, .*\), the bisection puts the change at ws 3\.3\.3: ws 3\.3\.2 still gave "close 1002; server crashed"/,
  );
  assert.match(
    text,
    /show the crash from ws 3\.0\.0 .*; it is older than that: ws 1\.1\.5 crashes the same way\. They name no release for the close frame/,
  );
});

test('describeRsv1 words survivors, blocked runs, misuses that differ, and a run that cannot date the crash', () => {
  const r = result(['7.4.6', '7.5.0'], (run) =>
    run.version === '7.5.0' && run.misuse === 'control-frame' ? { crashed: false, closeCode: 1006 } : {},
  );
  r.runs.push(misuseRun('7.5.0', 'no-extension', { wellFormedDelivered: false }));
  const text = describeRsv1(r);
  assert.match(text, /in 3 of 4 runs \(ws 7\.4\.6 to 7\.5\.0\); it kept running in ws 7\.5\.0 \(control-frame\)/);
  assert.match(
    text,
    /For RSV1 on a text frame with no extension negotiated, the client heard close 1002 from ws 7\.4\.6, then nothing conclusive from ws 7\.5\.0\./,
  );
  assert.match(text, /1 of 5 runs could not say/);
  assert.match(text, /this run starts at ws 7\.4\.6, so it cannot say how old the crash is/);
  const none = result(['3.0.0'], () => ({ crashed: false }));
  assert.match(describeRsv1(none), /survivors|kept running in ws 3\.0\.0/);
  assert.match(describeRsv1(none), /no run here crashed/);
  assert.match(describeRsv1(result(['3.0.0'])), /the oldest release that crashed here is ws 3\.0\.0, which agrees/);
});

function contextRun(sender: string, mode: ContextMode, rsv1: boolean[], over: Partial<ContextRun> = {}): ContextRun {
  const sequence = contextSequence();
  return {
    sender: sender,
    receiver: '8.23.0',
    mode: mode,
    threshold: 1024,
    deflateAnswer:
      mode === 'context takeover' ? 'permessage-deflate' : 'permessage-deflate; server_no_context_takeover',
    messages: sequence.map((text, i) => ({
      bytes: Buffer.byteLength(text),
      underThreshold: Buffer.byteLength(text) < 1024,
      rsv1: rsv1[i],
      wireBytes: rsv1[i] ? 30 + i : Buffer.byteLength(text),
      frames: 1,
      decodedEqual: true,
    })),
    closedEarly: null,
    ms: 5,
    ...over,
  };
}

const repeat = (runs: ContextRun[]) => [...runs, ...runs, ...runs];

test('describeContext: the pattern before and after, the small message, decoding, the control', () => {
  assert.equal(
    contextSequence().filter((t) => Buffer.byteLength(t) < 1024).length,
    1,
    'one message under the threshold',
  );
  const runs = repeat([
    contextRun('8.2.2', 'context takeover', [true, false, true, true]),
    contextRun('8.2.2', 'no context takeover', [true, false, true, true]),
    contextRun('8.2.3', 'context takeover', [true, true, true, true]),
    contextRun('8.2.3', 'no context takeover', [true, false, true, true]),
  ]);
  assert.equal(rsv1Pattern(runs[0]), '1 0 1 1');
  const text = describeContext(runs);
  assert.match(
    text,
    /ws 8\.2\.2 sent messages of .* bytes as RSV1 1 0 1 1, and ws 8\.2\.3 as RSV1 1 1 1 1 \(the same in 3 of 3 repeats each\)/,
  );
  assert.match(text, /went out uncompressed in \d+ bytes from ws 8\.2\.2 and compressed in 31 bytes from ws 8\.2\.3/);
  assert.match(text, /decoded all 48 messages equal to what was sent/);
  assert.match(text, /the change is for context takeover only/);
  assert.match(text, /The change is where the public report puts it/);
  assert.equal(contextRows(runs)[0]['decoded = sent'], '12 of 12');
});

test('describeContext: no change, a decoding failure, and runs that cannot say', () => {
  const same = repeat([
    contextRun('8.2.2', 'context takeover', [true, false, true, true]),
    contextRun('8.2.3', 'context takeover', [true, false, true, true]),
  ]);
  assert.match(
    describeContext(same),
    /No change was measured between ws 8\.2\.2 and 8\.2\.3, though the public report puts one there/,
  );
  const broken = contextRun('8.2.3', 'context takeover', [true, true, true, true]);
  broken.messages[2].decodedEqual = false;
  const text = describeContext([
    ...repeat([contextRun('8.2.2', 'context takeover', [true, false, true, true])]),
    broken,
    broken,
    broken,
  ]);
  assert.match(text, /decoded 21 of 24 messages equal/);
  const flaky = [
    contextRun('8.2.2', 'context takeover', [true, false, true, true]),
    contextRun('8.2.2', 'context takeover', [true, true, true, true]),
    contextRun('8.2.3', 'context takeover', [true, true, true, true], { deflateAnswer: '' }),
  ];
  assert.match(
    describeContext(flaky),
    /The runs cannot say: ws 8\.2\.2 \(context takeover\), ws 8\.2\.3 \(context takeover\) gave no single RSV1 pattern/,
  );
  assert.match(contextRows(flaky)[1]['could not say'], /deflate was not negotiated/);
});
