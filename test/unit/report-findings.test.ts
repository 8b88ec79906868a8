/**
 * The report's opening findings, worded from made-up chapter results: each result and its
 * opposite (2015 does not fail, deflate costs nothing, the fix does not hold) must give opposite
 * sentences; a failed chapter and a chapter kept from an earlier run say so, with their run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  findingSentences,
  findingsHtml,
  FindingsFileError,
  readFindingsFile,
  reportFindings,
  type ChapterFindings,
  type DeflateOffFindings,
  type FindingsSource,
  type RootCauseFindings,
  type SweepFindings,
  type SweepRateCell,
  type SymptomFindings,
  type TodayFindings,
} from '../../src/chapters/findings';
import { poissonRate } from '../../src/core/stats';
import { sweepRateCell } from '../../src/chapters/report-findings';

const SYMPTOM: SymptomFindings = {
  kind: 'symptom',
  versions: 'socket.io 1.3.7 with ws 0.8.0',
  sendSeconds: 8,
  imagePages: 2,
  imageMessageChars: 650_000,
  imageDisconnects: 5,
  imageLaterDisconnects: 0,
  imageIds: 7,
  deadlineSeconds: 20,
  firstFailureSeconds: 1.2,
  chatSent: 40,
  chatAcked: 40,
  chatDisconnects: 0,
  deflateNegotiated: true,
};

/** Chapter 4's claims as a full run judged them (made up). */
const DEFLATE_OFF: DeflateOffFindings = {
  kind: 'deflate-off',
  frameSize: 1024 * 1024,
  repeats: 6,
  on: { sent: 200, delivered: 150, failures: 6, deflateNegotiated: true },
  off: { sent: 200, delivered: 200, failures: 0, deflateNegotiated: false },
  judgements: [
    {
      claim: 'with deflate off, the disconnects stop, 1 MiB frames',
      verdict: 'holds',
      basis:
        'deflate off at most 1.5 per connection-hour (one-sided 95% bound; 0 disconnects over 2 connection-hours, 7 runs)',
      mode: 'full',
    },
    {
      claim: "with deflate off, the server's CPU is less than half, (a) deflate's own cost at equal work, 1 MiB frames",
      verdict: 'does not hold',
      basis: 'server CPU per MiB delivered, off ÷ on 0.62 (95%: 0.58–0.66) over 6 pairs',
      mode: 'full',
    },
    {
      claim: 'with deflate off, more bytes cross the wire, 1 MiB frames',
      verdict: 'does not hold',
      finer: 'holds only for some payloads',
      basis:
        'off ÷ on bytes per delivered frame: json 4.04 (95%: 3.9–4.2) over 6 pairs, more; png 1 (95%: 1–1) over 6 pairs, not more',
      mode: 'full',
    },
  ],
};

/** A main-chart cell of the sweep: `counts` disconnects in runs of 20 connection-seconds each. */
function rateCell(frameSize: number, counts: number[]): SweepRateCell {
  const rate = poissonRate(counts.map((n) => ({ events: n, exposure: 20 / 3600 })));
  if (rate === null) throw new Error('no run');
  return sweepRateCell(frameSize, rate);
}

const SWEEP: SweepFindings = {
  kind: 'sweep',
  source: 'recorded',
  recordedUntil: '2026-11-28T10:00:00.000Z',
  selection: 'data-url frames, 4 clients, 50% of the knee from 64 KiB to 1 MiB',
  groups: [
    {
      stack: '2015',
      deflate: 'on',
      runs: 9,
      cells: [rateCell(65536, [0, 0, 0]), rateCell(262144, [30, 40, 38]), rateCell(1048576, [1, 0, 0])],
    },
    { stack: '2015', deflate: 'off', runs: 9, cells: [65536, 262144, 1048576].map((s) => rateCell(s, [0, 0, 0])) },
    { stack: 'today', deflate: 'on', runs: 9, cells: [65536, 262144, 1048576].map((s) => rateCell(s, [0, 0, 0])) },
  ],
};

const ROOT_CAUSE: RootCauseFindings = {
  kind: 'root-cause',
  installed: '0.8.0',
  releases: 30,
  bad: 10,
  good: 18,
  lastBad: '0.8.0',
  firstGood: '0.8.1',
  asInstalled: { sent: 100, delivered: 60, failures: 4, deflateNegotiated: true },
  withFix: { sent: 100, delivered: 100, failures: 0, deflateNegotiated: true },
  unfragmented: { sent: 100, delivered: 100, failures: 0, deflateNegotiated: true },
  patchMatchesFirstGood: true,
  queuedFragments: 900,
  overwrittenFragments: 12,
  fix: {
    claim: "With ws 0.8.1's one-line change applied to ws 0.8.0 at run time, the failure stops",
    verdict: 'holds',
    basis:
      'with the fix: 0 failures in 100 messages, at most 540 per connection-hour (one-sided 95% bound; 0 disconnects over 20 connection-seconds, 1 run); the rate as installed ÷ with the fix: 95%: 1.6–∞',
    mode: 'full',
  },
};

const TODAY: TodayFindings = {
  kind: 'today',
  versions: 'socket.io 4.8.4 with ws 8.18.3',
  deflateByDefault: 'off',
  limit: 1_000_000,
  largestDelivered: 999_000,
  smallestFailed: 1_000_000,
  failedReason: 'transport close',
  advice: [
    { frameSize: 2 * 1024 * 1024, option: 'defaults', sent: 10, delivered: 0, failures: 3, deflateNegotiated: false },
    {
      frameSize: 2 * 1024 * 1024,
      option: 'limit raised',
      sent: 10,
      delivered: 10,
      failures: 0,
      deflateNegotiated: false,
    },
    { frameSize: 2 * 1024 * 1024, option: 'chunked', sent: 80, delivered: 80, failures: 0, deflateNegotiated: false },
  ],
};

const ALL: ChapterFindings[] = [
  {
    kind: 'harness',
    versions: 'socket.io 4.8.4 with ws 8.18.3',
    limit: 1_000_000,
    runs: [
      { frameSize: 65536, sent: 10, delivered: 10, failures: 0, deflateNegotiated: false },
      { frameSize: 1048576, sent: 4, delivered: 0, failures: 8, deflateNegotiated: false },
    ],
  },
  SYMPTOM,
  { kind: 'debug', lines: 4000, transportErrors: 3, namingUnderlying: 0, failures: 3 },
  {
    kind: 'origins',
    onErrorCalls: 4,
    invalidCompressedData: 4,
    zlibErrors: [{ message: 'invalid distance too far back (Z_DATA_ERROR)', count: 4 }],
  },
  DEFLATE_OFF,
  SWEEP,
  ROOT_CAUSE,
  TODAY,
];

const source = (
  number: number,
  findings: ChapterFindings | null,
  over: Partial<FindingsSource> = {},
): FindingsSource => ({
  number: number,
  slug: findings?.kind ?? `chapter-${number}`,
  title: `Title ${number}`,
  status: 'ok',
  ranAt: '2026-11-29T11:00:00.000Z',
  kept: false,
  findings: findings,
  failure: null,
  ...over,
});

test('a whole run gives 6 to 10 sentences, in chapter order, each with its chapter', () => {
  const found = reportFindings(ALL.map((f, i) => source(i, f)).reverse());
  assert.ok(found.length >= 6 && found.length <= 10, `${found.length} sentences`);
  assert.deepEqual(
    [...new Set(found.map((f) => f.number))],
    ALL.map((_, i) => i),
  );
  for (const f of found) assert.match(f.text, /[.)]$/, f.text);
});

test('the harness: clean within the limit, refused over it, and its opposite', () => {
  const harness = ALL[0] as Extract<ChapterFindings, { kind: 'harness' }>;
  assert.equal(
    findingSentences(harness)[0],
    'The harness works: on socket.io 4.8.4 with ws 8.18.3, 64 KiB frames had 10 sent, all 10 delivered, and no failure; 1 MiB frames, over the 1,000,000-byte maxHttpBufferSize, were refused as designed (4 sent, none delivered).',
  );
  const broken = { ...harness, runs: [{ ...harness.runs[0], delivered: 7, failures: 3 }] };
  assert.match(
    findingSentences(broken)[0],
    /^The harness did not run clean on .*: 64 KiB frames had 3 failures, 7 of 10 delivered/,
  );
  // A zero whose judged claim is not settled (a run short of its load, say) is not "works".
  const unsettled = {
    ...harness,
    judgements: [{ claim: 'c', verdict: 'not settled' as const, basis: 'b', mode: 'quick' as const }],
  };
  assert.match(findingSentences(unsettled)[0], /^The harness did not run clean on /);
});

test('2015 failing and 2015 not failing give opposite sentences, worded from the numbers', () => {
  const [fails] = findingSentences(SYMPTOM);
  assert.match(fails, /^What broke in 2015: on socket\.io 1\.3\.7 with ws 0\.8\.0, 2 Chromium pages/);
  assert.match(
    fails,
    /lost their socket 5 times in 8 s of sending, the first failure at 1\.2 s, and came back under 7 socket ids/,
  );
  // Failures seen only after sending stopped count too.
  assert.match(
    findingSentences({ ...SYMPTOM, imageDisconnects: 0, imageLaterDisconnects: 2 })[0],
    /lost their socket 2 times in 8 s of sending/,
  );
  assert.match(fails, /chat page on the same server kept its socket \(all 40 lines acknowledged\)/);
  // No failure within the deadline: not shown in this run, never a result.
  const [holds] = findingSentences({ ...SYMPTOM, imageDisconnects: 0, imageIds: 2, firstFailureSeconds: null });
  assert.match(holds, /^The 2015 failure was not shown in this run/);
  assert.match(holds, /did not lose their socket within 20 s/);
  assert.doesNotMatch(holds, /lost their socket|kept their socket/);
  // Older findings (a fixed window) name the window.
  const { deadlineSeconds: _d, firstFailureSeconds: _f, imageLaterDisconnects: _l, ...older } = SYMPTOM;
  assert.match(findingSentences({ ...older, imageDisconnects: 0 })[0], /did not lose their socket within 8 s/);
  const [chatFails] = findingSentences({ ...SYMPTOM, chatDisconnects: 2, chatAcked: 30 });
  assert.match(chatFails, /chat page on the same server lost its socket 2 times \(30 of 40 acknowledged\)/);
});

test('the DEBUG trail: transport errors without their cause, and the opposites', () => {
  const debug = ALL[2] as Extract<ChapterFindings, { kind: 'debug' }>;
  assert.match(
    findingSentences(debug)[0],
    /3 "transport error" lines among 4,000 captured, and not one naming the error underneath/,
  );
  assert.match(findingSentences({ ...debug, namingUnderlying: 2 })[0], /and 2 lines naming the error underneath/);
  // Without the line: not shown in this run, with why, never "showed no transport error".
  assert.equal(
    findingSentences({ ...debug, transportErrors: 0, failures: 0, deadlineSeconds: 10 })[0],
    'The DEBUG=* "transport error" of the 2015 post was not shown in this run: 2015 did not fail within 10 s (4,000 lines captured).',
  );
  assert.match(
    findingSentences({ ...debug, transportErrors: 0 })[0],
    /not shown in this run: the run failed 3 times, but none of the 4,000 captured lines is one/,
  );
  for (const f of [
    { ...debug, transportErrors: 0 },
    { ...debug, transportErrors: 0, failures: 0 },
  ])
    assert.doesNotMatch(findingSentences(f)[0], /showed no/);
});

test("deflate off's claims are worded from their judgements: verdict, finer word, run and basis, and what would settle one", () => {
  const [fix, others] = findingSentences(DEFLATE_OFF);
  assert.equal(
    fix,
    'With deflate off, the disconnects stop, 1 MiB frames: holds (full run), from deflate off at most 1.5 per connection-hour (one-sided 95% bound; 0 disconnects over 2 connection-hours, 7 runs).',
  );
  assert.match(
    others,
    /^With deflate off, the server's CPU is less than half, \(a\) deflate's own cost at equal work, 1 MiB frames: does not hold \(full run\), from server CPU per MiB delivered, off ÷ on 0\.62 \(95%: 0\.58–0\.66\) over 6 pairs\. /,
  );
  assert.match(
    others,
    /more bytes cross the wire, 1 MiB frames: does not hold \(full run\), holds only for some payloads, from/,
  );
  const [quick] = DEFLATE_OFF.judgements ?? [];
  const unsettled = findingSentences({
    ...DEFLATE_OFF,
    judgements: [
      {
        ...quick,
        verdict: 'not settled',
        mode: 'quick',
        basis: 'deflate on ÷ off interval (95%: 0.6–∞)',
        toSettle: 'npm run report -- --only 4 --repeats 5',
      },
    ],
  });
  assert.deepEqual(unsettled, [
    'With deflate off, the disconnects stop, 1 MiB frames: not settled (quick run), from deflate on ÷ off interval (95%: 0.6–∞). To settle it: npm run report -- --only 4 --repeats 5.',
  ]);
  const refuted = findingSentences({ ...DEFLATE_OFF, judgements: [{ ...quick, verdict: 'does not hold' }] })[0];
  assert.match(refuted, /the disconnects stop, 1 MiB frames: does not hold \(full run\)/);
});

test('an older chapter 4 findings file, without judgements, reads and gives its counts with no verdict', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-findings-'));
  const file = path.join(dir, '04-deflate-off.findings.json');
  const { judgements: _judged, ...counts } = DEFLATE_OFF;
  // As written before the claims were judged: point estimates beside the counts.
  fs.writeFileSync(
    file,
    JSON.stringify({
      ...counts,
      repeats: 2,
      cpuMsPerMiBOn: 300,
      cpuMsPerMiBOff: 100,
      cpuVersions: 'x',
      wirePayload: 'data-url',
      wireRatioOn: 0.75,
      wireRatioOff: 1,
    }),
  );
  const old = readFindingsFile(file) as ChapterFindings;
  const [sentence, ...more] = findingSentences(old);
  assert.equal(
    sentence,
    'With 1 MiB frames, deflate on had 6 failures over 2 repeats and deflate off 0 failures (all 200 delivered); that run judged no claim from an interval, so no verdict is given here: run chapter 4 again for one.',
  );
  assert.deepEqual(more, []);
  assert.doesNotMatch(sentence, /holds|3\.00/);
});

test('the sweep: rates per connection-hour with their intervals, not settled where so, zeros as one-sided bounds, no run counts', () => {
  assert.deepEqual(findingSentences(SWEEP), [
    'Disconnects per connection-hour of sending across frame sizes (recorded up to 2026-11-28; data-url frames, 4 clients, 50% of the knee from 64 KiB to 1 MiB): ' +
      '2015 deflate on: 6,500 per connection-hour (95%: 5,320–7,820; 3 runs, not settled) at 256 KiB, 60 per connection-hour (95%: 1.52–334; 3 runs, not settled) at 1 MiB, ' +
      'at most 180 per connection-hour (one-sided 95%) at 64 KiB; ' +
      '2015 deflate off and today deflate on: no disconnect, at most 180 per connection-hour in each cell (one-sided 95%).',
  ]);
  // Five runs whose counts agree: settled, so no caveat; one zero cell alone: its bound, not "in each cell".
  const settled: SweepFindings = {
    ...SWEEP,
    source: 'live',
    selection: undefined,
    groups: [
      { stack: '2015', deflate: 'on', runs: 6, cells: [rateCell(1048576, [4, 5, 3, 4, 4])] },
      { stack: '2015', deflate: 'off', runs: 1, cells: [rateCell(1048576, [0])] },
    ],
  };
  assert.deepEqual(findingSentences(settled), [
    'Disconnects per connection-hour of sending across frame sizes (measured live in this run): ' +
      '2015 deflate on: 720 per connection-hour (95%: 440–1,110; 5 runs) at 1 MiB; 2015 deflate off: no disconnect, at most 540 per connection-hour (one-sided 95%).',
  ]);
  for (const sentence of [...findingSentences(SWEEP), ...findingSentences(settled)]) {
    assert.doesNotMatch(sentence, /proven zero|runs with disconnects/);
  }
  assert.deepEqual(findingSentences({ ...SWEEP, groups: [{ stack: '2015', deflate: 'on', runs: 0, cells: [] }] }), [
    'The sweep across frame sizes (recorded up to 2026-11-28) had no completed run.',
  ]);
});

test('an older sweep findings file, with run counts and no rates, is still read and says what it holds', () => {
  const older = {
    kind: 'sweep',
    source: 'recorded',
    recordedUntil: '2026-11-28T10:00:00.000Z',
    groups: [
      { stack: '2015', deflate: 'on', runs: 12, runsWithDisconnects: 9, smallestFailingFrame: 262144 },
      { stack: '2015', deflate: 'off', runs: 12, runsWithDisconnects: 0, smallestFailingFrame: null },
    ],
  };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-older-')), 'findings.json');
  fs.writeFileSync(file, JSON.stringify(older));
  const read = readFindingsFile(file);
  assert.ok(read);
  assert.deepEqual(findingSentences(read), [
    'Across frame sizes (recorded up to 2026-11-28; a findings file from before rates, with run counts only): 2015 deflate on: 9 of 12 runs with disconnects, from 256 KiB up; 2015 deflate off: 0 of 12 runs with disconnects.',
  ]);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

test('the fix is claimed only beside its controls: zero failures with everything delivered and deflate as set', () => {
  const [why, fix] = findingSentences(ROOT_CAUSE);
  assert.match(
    why,
    /buffer pool handed out new slices over 12 compressed fragments still queued for zlib \(of 900 queued\)/,
  );
  assert.match(why, /between ws 0\.8\.0 and 0\.8\.1/);
  // The fix is worded from its judgement: the verdict, the kind of run, and the interval it rests on.
  assert.match(
    fix,
    /^The fix \(the patched line's source is ws 0\.8\.1's\): "With ws 0\.8\.1's one-line change applied to ws 0\.8\.0 at run time, the failure stops" holds \(full run\), from with the fix: 0 failures .*95%: 1\.6–∞\.$/,
  );
  const unsettled = findingSentences({
    ...ROOT_CAUSE,
    fix: { ...ROOT_CAUSE.fix!, verdict: 'not settled', mode: 'quick', toSettle: '78 connection-seconds' },
  })[1];
  assert.match(unsettled, /the failure stops" not settled \(quick run\)/);
  const noFix = findingSentences({
    ...ROOT_CAUSE,
    fix: { ...ROOT_CAUSE.fix!, verdict: 'does not hold', basis: '2 failures' },
  })[1];
  assert.match(noFix, /the failure stops" does not hold \(full run\), from 2 failures\./);
  // Older findings, without a judgement: counts, and no verdict.
  const { fix: _fix, ...older } = ROOT_CAUSE;
  const olderFix = findingSentences(older)[1];
  assert.match(
    olderFix,
    /had 0 failures \(all 100 delivered\), 4 as installed; this older run was not judged from intervals\./,
  );
  assert.doesNotMatch(olderFix, /holds|proved/);
  const open = findingSentences({ ...ROOT_CAUSE, firstGood: null, overwrittenFragments: 0 })[0];
  assert.match(open, /^Why is open in this run: on ws 0\.8\.0 the probe saw no pool slice handed out/);
});

test("today's cliff and what to set, and their opposites", () => {
  const [today] = findingSentences(TODAY);
  assert.match(today, /negotiates no deflate by default/);
  assert.match(
    today,
    /1,000,000-byte maxHttpBufferSize is today's cliff: frames up to 999,000 characters arrived, but from 1,000,000/,
  );
  assert.match(
    today,
    /What to set: for 2 MiB frames, limit raised or chunked delivered every frame; defaults did not\./,
  );
  const odd = findingSentences({ ...TODAY, advice: TODAY.advice.map((a) => ({ ...a, frameSize: 999_000 })) })[0];
  assert.match(odd, /for 999,000-character frames/);
  const [noCliff] = findingSentences({
    ...TODAY,
    smallestFailed: null,
    failedReason: null,
    largestDelivered: 1_000_000,
  });
  assert.match(noCliff, /every frame up to 1,000,000 characters arrived under its 1,000,000-byte maxHttpBufferSize/);
  const [nothing] = findingSentences({ ...TODAY, advice: TODAY.advice.map((a) => ({ ...a, delivered: 0 })) });
  assert.match(nothing, /None of the options tried \(defaults, limit raised, chunked\) delivered every 2 MiB frame/);
  // With judged verdicts, an option that is not settled is neither "delivered" nor "did not".
  const judged = (verdicts: Array<'holds' | 'does not hold' | 'not settled'>) =>
    findingSentences({ ...TODAY, advice: TODAY.advice.map((a, i) => ({ ...a, verdict: verdicts[i] })) })[0];
  assert.match(
    judged(['does not hold', 'holds', 'not settled']),
    /for 2 MiB frames, limit raised delivered every frame; defaults did not; for chunked this run cannot say \(not settled\)\./,
  );
  assert.match(
    judged(['does not hold', 'not settled', 'not settled']),
    /None of the options tried \(defaults\) delivered every 2 MiB frame; for limit raised and chunked this run cannot say/,
  );
  assert.match(
    judged(['not settled', 'not settled', 'not settled']),
    /No option tried settled whether it delivers every 2 MiB frame; for defaults, limit raised and chunked this run cannot say/,
  );
});

test('a failed chapter and a kept chapter say so, with the run they come from', () => {
  const found = reportFindings([
    source(1, null, { status: 'error', failure: 'cell 4: TypeError: x is undefined' }),
    source(4, DEFLATE_OFF, { kept: true, ranAt: '2026-11-28T09:30:00.000Z' }),
    source(5, null),
  ]);
  assert.equal(found.length, 3, 'the failure, and the kept chapter two sentences; a chapter without numbers adds none');
  assert.equal(
    found[0].text,
    'Chapter 1 (Title 1) failed in the run of 2026-11-29 11:00 UTC (error: cell 4: TypeError: x is undefined), so this report has no finding from it.',
  );
  assert.match(
    found[1].text,
    /^From the earlier run of 2026-11-28 09:30 UTC \(this run did not repeat chapter 4\): With deflate off, the disconnects stop/,
  );
  assert.doesNotMatch(found[2].text, /earlier run/);
  const partial = reportFindings([source(2, SYMPTOM, { status: 'open-handles' })]);
  assert.match(partial[0].text, /failed in the run of .* \(open-handles\), so its numbers below may be incomplete/);
  assert.match(partial[1].text, /^What broke in 2015/);
});

test('findings HTML escapes the text and links each sentence to its chapter', () => {
  const html = findingsHtml([{ number: 3, slug: 'origins', text: 'a <b>bold</b> & claim' }], (f) => `#ch-${f.slug}`);
  assert.equal(
    html,
    '<ol class="dl-findings"><li>a &lt;b&gt;bold&lt;/b&gt; &amp; claim <a class="dl-evidence" href="#ch-origins">(chapter 3)</a></li></ol>',
  );
});

test('findings files: none is null, a foreign or broken file is an error naming it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-findings-'));
  try {
    assert.equal(readFindingsFile(path.join(dir, 'none.json')), null);
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify(SYMPTOM));
    assert.deepEqual(readFindingsFile(good), SYMPTOM);
    const foreign = path.join(dir, 'foreign.json');
    fs.writeFileSync(foreign, '{"kind":"weather"}');
    assert.throws(
      () => readFindingsFile(foreign),
      (e: Error) => e instanceof FindingsFileError && e.message.includes(foreign),
    );
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{');
    assert.throws(() => readFindingsFile(broken), FindingsFileError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
