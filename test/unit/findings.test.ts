/**
 * Every function that words a finding, fed small made-up records: a run where 2015 fails, a run
 * where it does not (the opposite sentence), a run that sent nothing and a run that errored
 * (never a zero, never "did not fail"). The sentences are read for what they claim, not whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debugFindings } from '../../src/chapters/02-debug';
import { constructionFinding } from '../../src/chapters/04-deflate-off';
import { poolWatchFindings, type PoolWatchTotals } from '../../src/chapters/06-root-cause/mechanism';
import { proofFindings, type ProofRun } from '../../src/chapters/06-root-cause/proof';
import {
  loadAnswer,
  oneFactorFindings,
  timeToFailure,
  timeToFailureFinding,
  type SeriesPoint,
} from '../../src/chapters/06-root-cause/failure-series';
import { browserFailureTiming, symptomFindings } from '../../src/chapters/01-symptom';
import {
  adviceCosts,
  adviceFinding,
  adviceJudgement,
  sweepFinding,
  whatToSet,
  type AdviceRun,
} from '../../src/chapters/07-today/advice';
import { stackDefaultText, type StackDeflateSource } from '../../src/chapters/07-today/defaults';
import { fragmentedFinding } from '../../src/chapters/07-today/fragmented';
import { memoryFinding, thresholdFinding, type MemoryCell } from '../../src/chapters/07-today/memory';
import { positiveControls } from '../../src/observe/wire';
import { harnessJudgement } from '../../src/chapters/report-findings';
import type { BareWsRecord } from '../../src/bare-ws/runner';
import type { ScenarioRecord } from '../../src/traffic/scenario';
import { bareWsRun, browserRun, failingRun, invalidData, scenario, T0 } from '../support/made-up';

const NOTHING_SENT = () => scenario({ sent: 0, delivered: 0, serverDisconnects: [] });
const ERRORED = () => scenario({ runError: 'load generator was killed (SIGKILL) before reporting', delivered: 10 });

test('positive controls: nothing sent is never "delivered = sent"; no handshake is never "deflate negotiated"', () => {
  const wire = scenario().result.wire;
  const accepted = { t: 0, url: '/', userAgent: '', offer: 'permessage-deflate', answer: 'permessage-deflate' };
  assert.equal(positiveControls(wire, [accepted], 10, 10).deliveredEqualsSent, true);
  assert.equal(positiveControls(wire, [accepted], 0, 0).deliveredEqualsSent, false);
  assert.equal(positiveControls(wire, [], 10, 10).deflateNegotiated, false);
  assert.equal(positiveControls(wire, [{ ...accepted, answer: '' }], 10, 10).deflateNegotiated, false);
});

test('chapter 1: pages that failed, pages that did not (the opposite sentence), and runs that cannot say', () => {
  const failed = symptomFindings(browserRun({ imageDrops: 3 })).join(' ');
  assert.match(failed, /lost their socket 3 times/);
  // Failures that surfaced only after sending stopped: counted, and said to be later.
  const lateOnly = browserRun({ imageDrops: 2 });
  for (const d of [...lateOnly.result.serverDisconnects, ...lateOnly.result.clientDisconnects])
    if (d.reason !== 'transport close' || 'code' in d) d.t += 10_500;
  assert.match(
    symptomFindings(lateOnly).join(' '),
    /did not lose their socket while sending, but lost it 2 times after they stopped/,
  );
  // No failure within the deadline: said plainly, never as a result.
  const clean = symptomFindings(browserRun({})).join(' ');
  assert.match(
    clean,
    /2015 did not fail within 10 s in this run; the tables and the timeline below have no failure in them, although deflate was negotiated/,
  );
  assert.match(clean, /kept its one id throughout/);
  assert.doesNotMatch(clean, /lost their socket \d/);
  const errored = symptomFindings(browserRun({ runError: 'a browser page failed' })).join(' ');
  assert.match(
    errored,
    /and the run could not have shown the failure \(the run did not complete: a browser page failed/,
  );
  assert.doesNotMatch(errored, /kept its one id/);
  const empty = symptomFindings(browserRun({ sent: 0 })).join(' ');
  assert.match(empty, /could not have shown the failure \(the image pages sent nothing\)/);
  assert.doesNotMatch(empty, /did not fail within/);
  // When the browser reproduction first failed: a first failure, a proven none, or a none it cannot vouch for.
  assert.match(browserFailureTiming(browserRun({ imageDrops: 2 })), /The first failure came 1 s after/);
  assert.match(
    browserFailureTiming(browserRun({})),
    /2015 did not fail within 10 s in this run; the tables above have no failure in them/,
  );
  assert.match(
    browserFailureTiming(browserRun({ runError: 'boom' })),
    /the run could not have shown one: the run did not complete: boom/,
  );
  assert.doesNotMatch(browserFailureTiming(browserRun({})), /was fragmented/);
  // A size Chromium sends whole: the sentence says so, with the wire counts.
  const whole = browserRun({});
  whole.result.wire.fragmentedMessages = 0;
  whole.result.wire.continuationFrames = 0;
  assert.match(
    browserFailureTiming(whole),
    new RegExp(
      `None of the ${whole.result.wire.messages.toLocaleString('en-US')} messages the server read was fragmented \\(0 continuation frames\\).*cannot show it\\.$`,
    ),
  );
  // Beside the Node client: an errored Node run has no "no failure".
  const beside = symptomFindings(browserRun({ imageDrops: 1 }), ERRORED()).join(' ');
  assert.match(
    beside,
    /The Node fragmenting client.*had no failure, nor a run that could have shown one \(the run did not complete/,
  );
});

test("chapter 7's fragmented load: 2015 breaks and today holds; 2015 does not break; today errors or sends nothing; zlib's errors", () => {
  const today = (o: Parameters<typeof scenario>[0] = {}) => scenario({ stack: 'today', ...o });
  const holds = fragmentedFinding([failingRun(), today()]);
  assert.match(holds, /On 2015 the load broke the connection/);
  assert.match(holds, /zlib reported no error, and nothing disconnected/);
  const quiet = fragmentedFinding([scenario(), today()]);
  assert.match(quiet, /On 2015 the load did not break anything in this run, so it proves nothing about today/);
  const controlErrored = fragmentedFinding([ERRORED(), today()]);
  assert.match(controlErrored, /On 2015 the run cannot say whether the load breaks the stack \(the run failed/);
  const todayEmpty = fragmentedFinding([failingRun(), today({ sent: 0, delivered: 0, serverDisconnects: [] })]);
  assert.match(todayEmpty, /zero-failure statement is not allowed by this run: nothing was sent/);
  assert.doesNotMatch(todayEmpty, /zlib reported no error/);
  const todayErrored = fragmentedFinding([failingRun(), today({ runError: 'killed' })]);
  assert.match(todayErrored, /not allowed by this run: the run did not complete: killed/);
  const zlib = fragmentedFinding([failingRun(), today({ zlibErrors: 2 })]);
  assert.match(zlib, /not allowed by this run: zlib reported 2 errors \(invalid distance code\)/);
  assert.doesNotMatch(zlib, /zlib reported no error/);
});

/** An advice row from a made-up record. */
function adviceRun(record: ScenarioRecord, option: AdviceRun['option']): AdviceRun {
  return { frameSize: record.spec.frameSize, option: option, pieces: 1, spec: record.spec, source: 'made-up', record };
}

test('chapter 7 advice: the defaults carried every frame, did not, or were not measured; what to set', () => {
  const today = (o: Parameters<typeof scenario>[0] = {}) =>
    scenario({ stack: 'today', deflate: 'off', negotiated: false, ...o });
  const carried = adviceFinding([adviceRun(today(), 'defaults')], [], 1e8).join(' ');
  assert.match(carried, /the defaults carried every frame/);
  assert.match(carried, /1 choice did: defaults\. Set: nothing \(the defaults\)/);
  const failed = adviceFinding(
    [adviceRun(today({ serverDisconnects: [invalidData(2_000)], delivered: 70 }), 'defaults')],
    [],
    1e8,
  ).join(' ');
  assert.match(failed, /the defaults did not \(70 \/ 100 delivered, 6 disconnects a minute\)/);
  assert.match(failed, /No measured choice carried every frame/);
  const empty = adviceFinding([adviceRun(today({ sent: 0, delivered: 0 }), 'defaults')], [], 1e8).join(' ');
  assert.match(empty, /the defaults were not measured \(nothing was sent\)/);
  assert.doesNotMatch(empty, /did not \(/);
  const errored = adviceFinding([adviceRun(today({ runError: 'killed' }), 'defaults')], [], 1e8).join(' ');
  assert.match(errored, /the defaults were not measured \(the run failed: killed\)/);

  const costed = (record: ScenarioRecord, option: AdviceRun['option'], cpuMs: number) => {
    record.result.cpu.userMs = cpuMs;
    record.result.cpu.systemMs = 0;
    const run = adviceRun(record, option);
    return { run: run, cost: adviceCosts(run, []) };
  };
  const set = whatToSet(
    [costed(today(), 'defaults', 200), costed(scenario({ stack: 'today', deflate: 'on' }), 'deflate on', 900)],
    1e8,
  );
  assert.match(set, /nothing \(the defaults\) for the least server CPU \(2 ms a frame\)/);
  assert.match(set, /perMessageDeflate: true for the least bandwidth/);
  assert.match(set, /load average 0\.5–0\.5 on 2 cores/);
});

test("chapter 7 advice's claims: a failure does not hold; a zero with its controls holds against the defaults' failure, or as this run's observation; without them, not settled", () => {
  const today = (o: Parameters<typeof scenario>[0] = {}) =>
    scenario({ stack: 'today', deflate: 'off', negotiated: false, ...o });
  const judge = (run: AdviceRun, runs: AdviceRun[] = [run]) => adviceJudgement(run, runs);
  // The defaults did not fail: each claim is about this run, and gives its bound beside it.
  const clean = judge(adviceRun(today(), 'limit raised'));
  assert.equal(clean.verdict, 'holds');
  assert.equal(clean.mode, 'full');
  assert.match(
    clean.claim,
    /^the limit raised to fit carried every 1 MiB frame at 10\/s per client without a failure in this run$/,
  );
  assert.match(
    judge(adviceRun(today({ frameSize: 999_000 }), 'defaults')).claim,
    /^the defaults carried every 999,000-character frame/,
  );
  // Two clients over the 10 s window: 20 connection-seconds, so at most 3.0 ÷ 20 s ≈ 540 an hour.
  assert.match(
    clean.basis,
    /all 100 messages delivered at the offered load.*at most 540 per connection-hour \(one-sided 95% bound; 0 disconnects over 20 connection-seconds, 1 run\)/,
  );
  assert.equal(clean.toSettle, undefined);
  const deflated = judge(adviceRun(scenario({ stack: 'today', deflate: 'on' }), 'deflate on'));
  assert.match(
    deflated.basis,
    /deflate negotiated and compressed messages on the wire, continuation frames on the wire/,
  );

  const failing = today({ serverDisconnects: [invalidData(2_000)], delivered: 70 });
  failing.quick = true;
  const failed = judge(adviceRun(failing, 'defaults'));
  assert.equal(failed.verdict, 'does not hold');
  assert.equal(failed.mode, 'quick');
  assert.match(
    failed.basis,
    /^1 failure under the failure rule \(1 × server: transport error\), the first 2000 ms into sending; 70 of 100 delivered$/,
  );

  // The defaults failed: a clean choice claims to avoid that failure, and holds only when the two rates are told apart.
  const manyFailures = today({
    serverDisconnects: Array.from({ length: 12 }, (_, i) => invalidData(100 + i * 50, `s${i}`)),
    delivered: 10,
  });
  const defaults = adviceRun(manyFailures, 'defaults');
  const raised = adviceRun(today(), 'limit raised');
  const avoided = judge(raised, [defaults, raised]);
  assert.match(
    avoided.claim,
    /^the limit raised to fit avoids the failure the defaults have with 1 MiB frames at 10\/s per client$/,
  );
  assert.equal(avoided.verdict, 'holds', avoided.basis);
  assert.match(
    avoided.basis,
    /the defaults: .* per connection-hour .*; the defaults ÷ these runs, disconnects per connection-hour: 95%: /,
  );
  const oneFailure = adviceRun(failing, 'defaults');
  const tooShort = judge(raised, [oneFailure, raised]);
  assert.equal(
    tooShort.verdict,
    'not settled',
    'one failure against a zero of like exposure cannot tell the rates apart',
  );
  assert.match(tooShort.toSettle ?? '', /^more connection-time without a failure: npm run report -- --only 7/);

  for (const [record, missing] of [
    [today({ sent: 0, delivered: 0 }), /nothing was sent/],
    [today({ runError: 'killed' }), /the run did not complete: killed/],
    [scenario({ stack: 'today', deflate: 'on', negotiated: false }), /deflate was asked for but not negotiated/],
  ] as const) {
    const open = judge(adviceRun(record, 'deflate on'));
    assert.equal(open.verdict, 'not settled', open.basis);
    assert.match(open.basis, missing);
    assert.match(open.toSettle ?? '', /npm run report -- --only 7 --frame-sizes 1048576/);
  }
});

test("chapter 0's claim: pooled over the runs within the limit, the ones over it left out", () => {
  const today = (frameSize: number, o: Parameters<typeof scenario>[0] = {}) =>
    scenario({ stack: 'today', deflate: 'off', negotiated: false, frameSize: frameSize, ...o });
  const refused = today(1024 * 1024, { serverDisconnects: [invalidData(500)], delivered: 0 });
  const clean = harnessJudgement([today(64 * 1024), today(256 * 1024), refused], 1_000_000);
  assert.equal(clean.verdict, 'holds', clean.basis);
  assert.match(clean.claim, /every frame within the 1,000,000-byte limit/);
  assert.match(clean.basis, /all 200 messages delivered.*0 disconnects over 40 connection-seconds, 2 runs\)$/);
  const failing = harnessJudgement([today(64 * 1024, { serverDisconnects: [invalidData(500)] })], 1_000_000);
  assert.equal(failing.verdict, 'does not hold');
  const empty = harnessJudgement([today(64 * 1024), today(256 * 1024, { sent: 0, delivered: 0 })], 1_000_000);
  assert.equal(empty.verdict, 'not settled');
  assert.match(empty.basis, /262,144-byte run: nothing was sent/);
  assert.match(
    empty.toSettle ?? '',
    /^runs without a failure in which every control holds .*: npm run report -- --only 0$/,
  );
  assert.equal(harnessJudgement([refused], 1_000_000).verdict, 'not settled', 'no run within the limit');
});

test("chapter 7's reading of the sweep: only on/off pairs that carried every frame, with deflate used on the on side", () => {
  const on = adviceRun(scenario({ stack: 'today', deflate: 'on' }), 'as recorded');
  const off = adviceRun(scenario({ stack: 'today', deflate: 'off', negotiated: false }), 'as recorded');
  assert.match(
    sweepFinding([on, off], []) ?? '',
    /In the sweep's 1 setting of today's stack recorded with deflate both on and off/,
  );
  // An "on" run without deflate negotiated lands on the off side: no pair, no sentence.
  const plainOn = adviceRun(scenario({ stack: 'today', deflate: 'on', negotiated: false }), 'as recorded');
  assert.equal(sweepFinding([plainOn, off], []), null);
  const failedOn = adviceRun(scenario({ stack: 'today', serverDisconnects: [invalidData(1_000)] }), 'as recorded');
  assert.equal(sweepFinding([failedOn, off], []), null);
  const emptyOff = adviceRun(scenario({ stack: 'today', deflate: 'off', negotiated: false, sent: 0 }), 'as recorded');
  assert.equal(sweepFinding([on, emptyOff], []), null);
  const erroredOff = adviceRun(
    scenario({ stack: 'today', deflate: 'off', negotiated: false, runError: 'x' }),
    'as recorded',
  );
  assert.equal(sweepFinding([on, erroredOff], []), null);
});

function cell(deflate: 'on' | 'off', idleKiB: number, o: Partial<MemoryCell> = {}): MemoryCell {
  const sample = (kib: number) => ({ rss: kib * 1024, heapUsed: 0, external: 0 });
  return {
    connections: 10,
    deflate: deflate,
    runs: 3,
    idle: sample(idleKiB),
    exchanged: sample(idleKiB * 2),
    exchangedRssRange: [idleKiB * 2 * 1024, idleKiB * 2 * 1024],
    negotiatedAsSet: true,
    compressedMessages: deflate === 'on' ? 10 : 0,
    zlibPerConnection: { idle: deflate === 'on' ? 1 : 0, exchanged: deflate === 'on' ? 2 : 0 },
    ...o,
  };
}

test('chapter 7 memory: more with deflate, no more, and no comparison without deflate negotiated and used', () => {
  assert.match(
    memoryFinding([cell('on', 60), cell('off', 40)]),
    /with deflate on and 80 KiB with it off \(40 KiB more with deflate/,
  );
  assert.match(memoryFinding([cell('on', 40), cell('off', 60)]), /\(no more with deflate/);
  assert.match(
    memoryFinding([cell('on', 60, { negotiatedAsSet: false }), cell('off', 40)]),
    /the handshakes did not match the setting, so no comparison is made/,
  );
  assert.match(
    memoryFinding([cell('on', 60, { compressedMessages: 0 }), cell('off', 40)]),
    /no message was compressed with deflate on, so no comparison is made/,
  );
  assert.equal(memoryFinding([cell('on', 60)]), 'No complete (on, off) pair was measured.');

  const read = {
    where: 'engine.io/build/socket.js:394',
    package: 'engine.io@6',
    text: 'options.compress = options.compress !== false;',
  };
  const more = thresholdFinding([cell('on', 60), cell('off', 40)], ['permessage-deflate'], read);
  assert.equal(more.title, 'why an idle connection already costs more with deflate on');
  assert.match(
    more.text,
    /engine\.io asks for compression on every packet unless the sender says otherwise, engine\.io\/build\/socket\.js:394: `options/,
  );
  const notMore = thresholdFinding([cell('on', 40), cell('off', 60)], ['permessage-deflate'], null);
  assert.doesNotMatch(notMore.title, /costs more/);
  assert.match(notMore.text, /no line of the installed engine\.io was found/);
  const takeover = thresholdFinding(
    [cell('on', 60), cell('off', 40)],
    ['permessage-deflate; server_no_context_takeover'],
    read,
  );
  assert.match(takeover.text, /it was, so small messages went uncompressed/);
});

test("chapter 7's history: each stack's default worded from the lines read, whatever they say", () => {
  const line = (text: string) => ({ where: 'x.js:1', package: 'p', text: text });
  const source = (ws: string | null, engine: string[]): StackDeflateSource => ({
    stack: '2015',
    wsDefault: ws === null ? null : line(ws),
    engine: engine.map(line),
  });
  assert.equal(
    stackDefaultText(source('perMessageDeflate: true,', [])),
    "ws's server default is true (it accepts permessage-deflate when a client offers it); engine.io does not read the option, so ws's default decides.",
  );
  assert.match(
    stackDefaultText(
      source('perMessageDeflate: false,', ['this.perMessageDeflate = false !== opts.perMessageDeflate']),
    ),
    /default is false \(it declines permessage-deflate\); engine\.io reads the option and turns deflate on unless it is false \(1 line\)/,
  );
  assert.match(stackDefaultText(source(null, [])), /^no perMessageDeflate default was found/);
  assert.match(stackDefaultText(undefined), /^Not read/);
});

test('chapter 4: the construction line worded from what it passes and what Server() mentions', () => {
  const plain = constructionFinding(
    87,
    '  this.ws = new WebSocketServer({ noServer: true });',
    'function Server(opts) {}',
    '1.5.4',
  );
  assert.match(
    plain,
    /no perMessageDeflate is passed on that line, and nothing in engine\.io 1\.5\.4's Server\(\) mentions perMessageDeflate/,
  );
  const passed = constructionFinding(
    90,
    'this.ws = new WebSocketServer({ noServer: true, perMessageDeflate: this.perMessageDeflate });',
    'function Server(opts) { this.perMessageDeflate = opts.perMessageDeflate; }',
    '1.6.5',
  );
  assert.match(
    passed,
    /perMessageDeflate is passed on that line, and engine\.io 1\.6\.5's Server\(\) mentions perMessageDeflate/,
  );
});

function point(
  factor: SeriesPoint['factor'],
  value: number,
  record: BareWsRecord,
  base = false,
  around = 1024 * 1024,
): SeriesPoint {
  return { factor: factor, value: value, label: String(value), base: base, around: around, record: record };
}

test('chapter 6 sweep: a rate per 100 messages only from a run that measured; an errored or empty run is not "0/100"', () => {
  const lines = oneFactorFindings([
    point('burst', 1, bareWsRun({ failures: 0 })),
    point('burst', 3, bareWsRun({ failures: 4 }), true),
    point('burst', 6, bareWsRun({ sent: 0, failures: 0 })),
    point('fragment size', 1, bareWsRun({ runError: 'the sender process failed' })),
  ]);
  const burst = lines.find((l) => l.startsWith('By burst')) ?? '';
  // A zero is the failure not shown within the run's window, never a result.
  assert.match(
    burst,
    /1: 0\/100 \(no failure within 3 s, not shown in this run\), 3 \(base\): 2\/100, 6: not measured \(nothing was sent\)/,
  );
  const fragment = lines.find((l) => l.startsWith('By fragment size')) ?? '';
  assert.match(fragment, /1: not measured \(the run failed: the sender process failed\)/);
  assert.doesNotMatch(fragment, /0\/100/);
  assert.match(
    oneFactorFindings([point('burst', 1, bareWsRun({ failures: 0, negotiated: false }))])[2],
    /not measured \(deflate was not negotiated\)/,
  );
  // The load answer declines when a level did not measure.
  const answer = loadAnswer([
    point('server load', 0, bareWsRun({ failures: 1 })),
    point('server load', 0.5, bareWsRun({ runError: 'killed' })),
  ]).join(' ');
  assert.match(answer, /50 %|0\.5/);
  assert.match(answer, /This run cannot say: 1 level did not measure/);
});

test('chapter 6 time to first failure: a run that errored or sent nothing is never "did not fail"', () => {
  const failedAt = (ms: number) => {
    const r = bareWsRun({ failures: 1 });
    r.result.serverErrors[0].t = T0 + ms;
    return r;
  };
  const quiet = bareWsRun({ failures: 0 });
  const all = timeToFailure([failedAt(800), failedAt(1200), failedAt(2000)], 10_000, 1024 * 1024);
  assert.equal(all.medianMs, 1200);
  assert.match(
    timeToFailureFinding(all),
    /Median time to the first invalid compressed data: 1200 ms .* \(3 of 3 failed within 10000 ms\)/,
  );
  const none = timeToFailure([quiet, bareWsRun({ failures: 0 }), failedAt(900)], 10_000, 1024 * 1024);
  assert.equal(none.medianMs, null);
  assert.match(
    timeToFailureFinding(none),
    /^1 of 3 runs failed within 10000 ms, so the median .* is later than 10000 ms/,
  );
  const broken = timeToFailure(
    [failedAt(900), bareWsRun({ runError: 'killed', failures: 0 }), bareWsRun({ sent: 0, failures: 0 })],
    10_000,
    1024 * 1024,
  );
  assert.equal(broken.censored, 0, 'an errored or empty run is not censored ("did not fail")');
  assert.equal(broken.unusable, 2);
  assert.equal(broken.medianMs, 900);
  assert.match(
    timeToFailureFinding(broken),
    /over 1 run \(1 of 1 failed.*2 runs errored, sent nothing or did not negotiate deflate, and count neither way/,
  );
  assert.match(
    timeToFailureFinding(timeToFailure([bareWsRun({ runError: 'killed' })], 10_000, 1024 * 1024)),
    /^No run could measure the time/,
  );
  assert.doesNotMatch(timeToFailureFinding(all), /not fragmented/);
  // A size below one fragment: the finding says so from the wire counts.
  const single = [bareWsRun({ failures: 0 }), bareWsRun({ failures: 0 })].map((r) => {
    r.result.controls.continuationFrames = 0;
    return r;
  });
  assert.match(
    timeToFailureFinding(timeToFailure(single, 2000, 3000)),
    /0 of 2 runs failed within 2000 ms.*not fragmented \(0 continuation frames on the wire in 2 runs\)/,
  );
});

test('chapter 6 sweep around several sizes: the message-size series once, the other series per size', () => {
  const small = 256 * 1024;
  const large = 1024 * 1024;
  const lines = oneFactorFindings([
    point('message size', small, bareWsRun({ failures: 0 }), true, small),
    point('message size', large, bareWsRun({ failures: 2 }), true, large),
    point('burst', 3, bareWsRun({ failures: 0 }), true, small),
    point('burst', 1, bareWsRun({ failures: 0 }), false, small),
    point('burst', 3, bareWsRun({ failures: 2 }), true, large),
    point('burst', 1, bareWsRun({ failures: 0 }), false, large),
  ]);
  assert.equal(lines.filter((l) => l.startsWith('By message size,')).length, 1);
  assert.match(
    lines.find((l) => l.startsWith('By message size')) ?? '',
    /^By message size, failures per 100 messages: 262144: 0\/100 \(no failure within 3 s, not shown in this run\), 1048576: 1\/100\.$/,
  );
  assert.match(
    lines.find((l) => l.startsWith('By burst around 256 KiB')) ?? '',
    /3 \(base\): 0\/100 \(no failure within 3 s, not shown in this run\), 1: 0\/100/,
  );
  assert.match(lines.find((l) => l.startsWith('By burst around 1 MiB')) ?? '', /3 \(base\): 1\/100/);
});

test('chapter 6 proof: the failing run must fail; a zero is claimed only with every control', () => {
  const run = (label: string, record: BareWsRecord, claimsZero: boolean): ProofRun => ({
    label: label,
    record: record,
    expect: 'fragmented',
    claimsZero: claimsZero,
  });
  const [failing, fixed] = proofFindings([
    run('ws 0.8.0', bareWsRun({ failures: 3 }), false),
    run('with the fix', bareWsRun({ failures: 0 }), true),
  ]);
  assert.match(failing, /^ws 0\.8\.0: 3 failures \(3 invalid compressed data\) in 200 messages/);
  assert.match(fixed, /^with the fix: zero failures in 200 messages and 3 s of sending, with deflate negotiated/);
  const [quiet] = proofFindings([run('ws 0.8.0', bareWsRun({ failures: 0 }), false)]);
  assert.match(
    quiet,
    /ws 0\.8\.0 did not fail within 3 s in this run; the failure is not shown in this run, and the runs below are compared with a run that did not fail/,
  );
  const [errored, empty] = proofFindings([
    run('ws 0.8.0', bareWsRun({ runError: 'killed' }), false),
    run('with the fix', bareWsRun({ sent: 0 }), true),
  ]);
  assert.match(errored, /the run cannot show the failure \(the run failed: killed\)/);
  assert.match(empty, /zero failures cannot be claimed: .*delivered 0 ≠ sent 0/);
});

test('chapter 6 mechanism: good releases are spoken of only when some release was judged good', () => {
  const totals: PoolWatchTotals = {
    badReleases: ['0.8.0'],
    goodReleases: ['0.8.1'],
    invalidCompressedData: 4,
    zlibErrors: 4,
    errorsWithDifferingBefore: 4,
    errorsOnDifferingFragment: 3,
    differing: 5,
    differingNotOverwritten: 0,
    goodBackToBack: 30,
    goodOverwritten: 0,
    goodDiffering: 0,
  };
  const lines = poolWatchFindings(totals);
  assert.match(lines[0], /4 of 4 had a fragment with a differing hash .*: every one/);
  assert.match(lines[2], /On the good releases \(0\.8\.1\): 30 messages arrived .* yet 0 fragments were overwritten/);
  assert.match(poolWatchFindings({ ...totals, errorsWithDifferingBefore: 3 })[0], /: not every one/);
  assert.doesNotMatch(poolWatchFindings({ ...totals, zlibErrors: 0, errorsWithDifferingBefore: 0 })[0], /every one/);
  assert.equal(
    poolWatchFindings({ ...totals, goodReleases: [], goodBackToBack: 0 })[2],
    'No release was judged good in these runs, so nothing is said about what a fixed release does.',
  );
});

test('chapter 2: without a transport error line, a deadline that passed, a failure the log did not name, or a run that could not show it', () => {
  const trail = (record: ScenarioRecord) => ({ record: record, lines: [], dropped: 0, copies: [] });
  assert.match(
    debugFindings(trail(scenario())).join(' '),
    /2015 did not fail within 10 s in this run; the trail below has no failure in it\./,
  );
  assert.match(
    debugFindings(trail(NOTHING_SENT())).join(' '),
    /No engine:socket "transport error" line appeared, and the run could not have shown the failure \(nothing was sent\)/,
  );
  assert.match(
    debugFindings(trail(ERRORED())).join(' '),
    /could not have shown the failure \(the run failed: load generator was killed/,
  );
  assert.match(
    debugFindings(trail(scenario({ negotiated: false }))).join(' '),
    /could not have shown the failure \(deflate was not negotiated\)/,
  );
  // A run that failed without the line is not "did not fail".
  assert.match(
    debugFindings(trail(failingRun())).join(' '),
    /The run failed \d+ times? \(.*\), but engine:socket logged no "transport error" line\./,
  );
});
