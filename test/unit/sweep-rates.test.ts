/**
 * Chapter 5's on/off verdicts, judged from intervals, on made-up cells: disconnects by the ratio of
 * the two rates (zero, one event, many; settled and not; controls that did not hold), CPU per MiB
 * by the repeat pairs (too few, too little CPU, both sides of 1 and straddling), the spot check's
 * consistency test, the words each is given and the commands that would settle them; the CSV
 * under the rate chart, parsed by another CSV reader, against the chart's own points.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { poissonRate, type RateEstimate } from '../../src/core/stats';
import type { RunMetrics } from '../../src/traffic/metrics';
import { KiB, MiB } from '../../src/core/params';
import { COMMITTED_DATA_DIR } from '../../src/core/paths';
import { readRecords } from '../../src/core/records';
import { aggregateCells, type CellAggregate, type DeflatePair } from '../../src/sweep/aggregate';
import {
  compareCost,
  compareDisconnects,
  exposureToSettle,
  spotConsistency,
  type CostComparison,
  type DisconnectComparison,
} from '../../src/sweep/compare';
import { HOUR_GRID, type SweepCell } from '../../src/sweep/grid';
import { SWEEP_KIND, type SweepRecord } from '../../src/sweep/engine';
import {
  cellName,
  costBasis,
  costToSettle,
  describeVerdicts,
  disconnectBasis,
  disconnectToSettle,
  DISCONNECT_CLAIM,
  rateShort,
  ratioText,
  spotCheckSentence,
  stackCostJudgement,
  stackDisconnectJudgement,
  sweepCommand,
} from '../../src/chapters/05-sweep/verdicts';
import { headlineSelection, rowsOf, runRows, selected } from '../../src/chapters/05-sweep/rows';
import { headlineChart, ratePoints } from '../../src/chapters/05-sweep/charts';
import { renderSvg } from '../../src/show/charts';
import { csvDownloadLink, csvText } from '../../src/show/csv';
import { rateOf, madeUpRow } from '../support/made-up';

const CELL: SweepCell = {
  stack: '2015',
  deflate: 'on',
  payload: 'data-url',
  frameSize: MiB,
  rate: 10,
  burst: 3,
  client: 'fragmenting',
  placement: 'forked',
  clients: HOUR_GRID.clients,
  duration: HOUR_GRID.duration,
  fragmentSize: 100 * KiB,
  seed: 1,
  maxHttpBufferSize: 1 << 27,
};

/** One repeat's metrics as the comparisons read them; a clean run unless told otherwise. */
function metrics(over: Partial<RunMetrics> = {}): RunMetrics {
  return {
    cpuMs: 500,
    cpuMsPerMiB: 50,
    zeroBlockers: [],
    controls: {
      deflateNegotiated: true,
      compressedMessages: 1,
      fragmentedMessages: 1,
      continuationFrames: 1,
      deliveredEqualsSent: true,
    },
    ...over,
  } as RunMetrics;
}

interface Side {
  /** Disconnects per run, each run `seconds` connection-seconds long. */
  counts: number[];
  seconds?: number;
  byRepeat?: RunMetrics[];
  unprovenZeros?: number;
  quick?: boolean;
}

function side(deflate: 'on' | 'off', s: Side): CellAggregate {
  const seconds = s.seconds ?? 20;
  const byRepeat =
    s.byRepeat ??
    s.counts.map(() =>
      metrics(deflate === 'off' ? { controls: { ...metrics().controls, deflateNegotiated: false } } : {}),
    );
  return {
    key: deflate,
    cell: { ...CELL, deflate: deflate },
    runs: s.counts.length,
    completed: s.counts.length,
    runErrors: [],
    spreads: {} as CellAggregate['spreads'],
    totals: {} as CellAggregate['totals'],
    runsWithDisconnects: s.counts.filter((n) => n > 0).length,
    rate: poissonRate(s.counts.map((n) => ({ events: n, exposure: seconds / 3600 }))),
    saturated: 0,
    unprovenZeros: s.unprovenZeros ?? 0,
    quick: s.quick ?? false,
    provenZero: s.counts.filter((n) => n === 0).length,
    blockers: {},
    byReason: {},
    byError: {},
    byRepeat: new Map(byRepeat.map((m, i) => [i, m])),
  };
}

function pair(on: Side, off: Side, cell: Partial<SweepCell> = {}): DeflatePair {
  const { deflate: _omit, ...rest } = { ...CELL, ...cell };
  return { cell: rest, on: side('on', on), off: side('off', off) };
}

const zeros = (n: number) => Array.from({ length: n }, () => 0);

test('disconnects: both zero leave nothing to compare; the rates are bounds and the command that runs more is named', () => {
  const c = compareDisconnects(pair({ counts: zeros(3) }, { counts: zeros(3) }));
  assert.equal(c.verdict, 'not settled');
  assert.equal(c.why, 'no disconnect');
  assert.equal(c.ratio, null);
  assert.equal(
    disconnectBasis(c),
    'deflate on: at most 180 per connection-hour (one-sided 95% bound; 0 disconnects over 60 connection-seconds, 3 runs); ' +
      'deflate off: at most 180 per connection-hour (one-sided 95% bound; 0 disconnects over 60 connection-seconds, 3 runs); ' +
      'no disconnect on either side, so nothing to compare',
  );
  assert.equal(
    disconnectToSettle(c),
    'a disconnect on either side: none in 60 connection-seconds with deflate on and 60 connection-seconds off, and how many more runs would show one is not known ' +
      '(npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 1MiB --rate 10 --burst 3 --repeats 5)',
  );
});

test('disconnects: one event in 3 runs against none is a count that is not settled; 5 runs a side would settle it', () => {
  const c = compareDisconnects(pair({ counts: [1, 0, 0] }, { counts: zeros(3) }));
  assert.equal(c.verdict, 'not settled');
  assert.equal(c.why, 'count');
  assert.equal(c.runsNeeded, 5);
  assert.ok(c.ratio && c.ratio.interval.high === Infinity && c.ratio.interval.low < 1, JSON.stringify(c.ratio));
  assert.match(disconnectBasis(c), /on ÷ off unbounded above \(95%: 0\.0[\d]+–∞\); a side’s count is not settled/);
  assert.equal(
    disconnectToSettle(c),
    'at least 5 runs on each side (now 3 with deflate on, 3 off): npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 1MiB --rate 10 --burst 3 --repeats 5',
  );
});

test('disconnects: many events in 6 runs against none holds; many with deflate off and few on does not hold', () => {
  const holds = compareDisconnects(pair({ counts: [10, 12, 9, 11, 10, 8] }, { counts: zeros(6) }));
  assert.equal(holds.verdict, 'holds');
  assert.equal(holds.why, null);
  assert.ok((holds.ratio?.interval.low ?? 0) > 1);
  assert.equal(disconnectToSettle(holds), undefined);
  const against = compareDisconnects(pair({ counts: [0, 1, 0, 0, 1, 0] }, { counts: [10, 12, 9, 11, 10, 8] }));
  assert.equal(against.verdict, 'does not hold');
  assert.ok((against.ratio?.interval.high ?? 2) < 1);
  assert.match(disconnectBasis(against), /on ÷ off 0\.0333 \(95%: [\d.]+–[\d.]+\)$/);
});

test('disconnects: close rates straddle 1 and name the connection-hours that would settle them; equal rates never settle', () => {
  const c = compareDisconnects(pair({ counts: [4, 5, 4, 5, 4, 5] }, { counts: [3, 3, 4, 3, 3, 3] }));
  assert.equal(c.verdict, 'not settled');
  assert.equal(c.why, 'interval');
  assert.ok(c.exposureFactor !== null && c.exposureFactor > 2 && c.exposureFactor < 100, String(c.exposureFactor));
  assert.match(
    disconnectToSettle(c) ?? '',
    /^about \d+× the connection-hours on each side at the measured rates, about \d+ runs per side: npm run sweep -- .* --repeats \d+$/,
  );
  const same = { events: 10, exposure: 1 };
  assert.equal(exposureToSettle(same, same), null);
  const never = compareDisconnects(pair({ counts: [2, 2, 2, 2, 2, 2] }, { counts: [2, 2, 2, 2, 2, 2] }));
  assert.equal(never.exposureFactor, null);
  assert.match(disconnectToSettle(never) ?? '', /^more than 1,000 times the connection-hours/);
});

test('disconnects: over-dispersed counts are not settled and more of the same runs will not settle them', () => {
  const c = compareDisconnects(pair({ counts: [0, 0, 0, 0, 0, 60] }, { counts: zeros(6) }));
  assert.equal(c.why, 'count');
  assert.equal(c.runsNeeded, null);
  assert.match(c.on?.unsettled ?? '', /vary across runs more than chance allows/);
  assert.match(disconnectToSettle(c) ?? '', /^runs that agree/);
});

test('disconnects: a control that did not hold, or a side without a run, is not tested; quick runs make a quick verdict', () => {
  const plain = metrics({ controls: { ...metrics().controls, deflateNegotiated: false } });
  const noDeflate = compareDisconnects(
    pair({ counts: [5, 5, 5, 5, 5, 5], byRepeat: [plain, ...zeros(5).map(() => metrics())] }, { counts: zeros(6) }),
  );
  assert.equal(noDeflate.why, 'not tested');
  assert.deepEqual(noDeflate.controls, ['deflate was not negotiated in 1 of the deflate-on runs']);
  const unproven = compareDisconnects(pair({ counts: [5, 5, 5, 5, 5, 5] }, { counts: zeros(6), unprovenZeros: 2 }));
  assert.deepEqual(unproven.controls, ['2 of the deflate-off runs do not prove their zero by their controls']);
  assert.match(disconnectToSettle(unproven) ?? '', /^runs of this cell in which the positive controls hold/);
  const empty = pair({ counts: [] }, { counts: zeros(3) });
  assert.equal(compareDisconnects(empty).why, 'no run');
  assert.match(
    disconnectBasis(compareDisconnects(empty)),
    /^deflate on: no run; deflate off: at most 180 .*; a side has no run that met its load$/,
  );
  assert.equal(compareDisconnects(pair({ counts: zeros(3), quick: true }, { counts: zeros(3) })).mode, 'quick');
  assert.equal(compareDisconnects(pair({ counts: zeros(3) }, { counts: zeros(3) })).mode, 'full');
});

/** `n` repeat pairs with these off ÷ on ratios, `cpuMs` of server CPU per run on the "on" side. */
function costPair(ratios: number[], cpuMs = 500): DeflatePair {
  const on = ratios.map(() => metrics({ cpuMs: cpuMs, cpuMsPerMiB: 100 }));
  const off = ratios.map((r) => metrics({ cpuMs: cpuMs * r, cpuMsPerMiB: 100 * r }));
  return pair({ counts: zeros(ratios.length), byRepeat: on }, { counts: zeros(ratios.length), byRepeat: off });
}

test('CPU per MiB: 3 pairs are too few; 6 pairs below 1 hold, above 1 do not hold, around 1 are not settled', () => {
  const few = compareCost(costPair([0.5, 0.55, 0.45]));
  assert.equal(few.verdict, 'not settled');
  assert.equal(few.why, 'pairs');
  assert.equal(few.pairsNeeded, 5);
  assert.match(
    costBasis(few),
    /^off ÷ on 0\.498 \(95%: [\d.]+–[\d.]+\) over 3 repeat pairs; 1\.5 s of server CPU with deflate on, 750 ms off; fewer than 5 pairs \(3\)$/,
  );
  assert.equal(
    costToSettle(few),
    '5 repeat pairs in which both runs deliver every frame at their load (now 3), at the measured spread and CPU per pair: npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 1MiB --rate 10 --burst 3 --repeats 5',
  );
  const holds = compareCost(costPair([0.5, 0.52, 0.48, 0.51, 0.49, 0.5]));
  assert.equal(holds.verdict, 'holds');
  assert.equal(costToSettle(holds), undefined);
  const against = compareCost(costPair([1.5, 1.52, 1.48, 1.51, 1.49, 1.5]));
  assert.equal(against.verdict, 'does not hold');
  const around = compareCost(costPair([0.9, 1.1, 0.95, 1.05, 1.0, 1.02]));
  assert.equal(around.verdict, 'not settled');
  assert.equal(around.why, 'interval');
  assert.match(costBasis(around), /the interval of off ÷ on contains 1$/);
  // A mean exactly on 1: no number of pairs settles it, at the cell and for the stack.
  const level = compareCost(costPair([0.5, 2, 0.5, 2, 1, 1]));
  assert.equal(level.pairsNeeded, null);
  assert.equal(costToSettle(level), 'at the measured mean (off ÷ on about 1), no number of pairs settles it');
  assert.equal(
    stackCostJudgement('today', [level], 'w').toSettle,
    'at the measured means (off ÷ on about 1), no number of pairs settles it',
  );
});

test('CPU per MiB: under 1 s of server CPU a side is not settled and names the pairs that would give it; unequal work is left out', () => {
  const light = compareCost(costPair([0.5, 0.52, 0.48, 0.51, 0.49, 0.5], 100));
  assert.equal(light.why, 'cpu');
  assert.equal(light.pairsNeeded, 20, '50 ms a pair on the cheaper side: 20 pairs for 1 s');
  const failing = metrics({ zeroBlockers: ['2 failures', 'delivered 5 ≠ sent 9'] });
  const mixed = compareCost(
    pair(
      { counts: [2, 0, 0], byRepeat: [failing, metrics(), metrics()] },
      { counts: [0, 0], byRepeat: [metrics(), metrics()] },
    ),
  );
  assert.deepEqual(mixed.left, [
    { repeat: 0, why: 'on: 2 failures; on: delivered 5 ≠ sent 9' },
    { repeat: 2, why: 'no completed deflate-off run' },
  ]);
  assert.equal(mixed.pairs.length, 1);
  assert.match(
    costBasis(mixed),
    /^off ÷ on 1 from 1 repeat pair, no interval; .*; 2 repeats left out \(on: 2 failures; on: delivered 5 ≠ sent 9; …\)/,
  );
  const lonely = compareCost(pair({ counts: [0, 0] }, { counts: [0] }));
  assert.deepEqual(lonely.left, [{ repeat: 1, why: 'no completed deflate-off run' }]);
  const none = compareCost(pair({ counts: [] }, { counts: [] }));
  assert.equal(costBasis(none), 'no repeat pair in which both runs did equal work; fewer than 5 pairs (0)');
});

test('the summary of a claim over the cells counts each verdict and why the rest are not settled, with the kind of run', () => {
  const cells: DisconnectComparison[] = [
    compareDisconnects(pair({ counts: [10, 12, 9, 11, 10, 8] }, { counts: zeros(6) })),
    compareDisconnects(pair({ counts: zeros(3) }, { counts: zeros(3) })),
    compareDisconnects(pair({ counts: [1, 0, 0], quick: true }, { counts: zeros(3) })),
  ];
  assert.equal(
    describeVerdicts(DISCONNECT_CLAIM, cells),
    'Deflate on disconnects more often than deflate off: holds in 1 of 3 on/off cells, does not hold in 0, not settled in 2 ' +
      '(1 with no disconnect on either side; 1 whose counts are not settled: under 5 runs, or over-dispersed); judged from the 95% interval against 1, from quick and full runs.',
  );
  assert.match(describeVerdicts('x', []), /^No cell was measured with deflate both on and off/);
});

test('per stack: deflate on disconnects more at some size holds from one settled cell; all zero is not settled, with what would settle it', () => {
  const at = (frameSize: number, on: number[], off: number[]) =>
    compareDisconnects(pair({ counts: on }, { counts: off }, { frameSize: frameSize }));
  const where = "data-url frames at the main chart's loads";
  const holds = stackDisconnectJudgement(
    '2015',
    [at(KiB, zeros(6), zeros(6)), at(MiB, [10, 12, 9, 11, 10, 8], zeros(6))],
    where,
  );
  assert.equal(holds.verdict, 'holds');
  assert.equal(
    holds.claim,
    "On 2015, deflate on disconnects more often than deflate off at some frame size (data-url frames at the main chart's loads)",
  );
  assert.match(
    holds.basis,
    /^at 1 MiB: on 1,800 per connection-hour \(95%: [\d,]+–[\d,]+\), off at most 90 per connection-hour \(one-sided 95%\), on ÷ off unbounded above \(95%: [\d.]+–∞\)$/,
  );
  assert.equal(holds.toSettle, undefined);
  assert.equal(holds.mode, 'full');
  const open = stackDisconnectJudgement(
    '2015',
    [at(KiB, zeros(3), zeros(3)), at(256 * KiB, [30, 40, 38], zeros(3))],
    where,
  );
  assert.equal(open.verdict, 'not settled');
  assert.match(
    open.basis,
    /^at 256 KiB: on 6,500 per connection-hour \(95%: [\d,]+–[\d,]+, not settled\), off at most 180 per connection-hour \(one-sided 95%\), on ÷ off unbounded above \(95%: [\d.]+–∞\), not settled: a side’s count is not settled, so neither is the comparison; no disconnect on either side at 1 KiB: at most 180 per connection-hour in each cell \(one-sided 95%\)$/,
  );
  assert.match(
    open.toSettle ?? '',
    /^at least 5 runs on each side \(now 3 with deflate on, 3 off\): npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 256KiB --rate 10 --burst 3 --repeats 5$/,
  );
  const quiet = stackDisconnectJudgement('today', [at(KiB, zeros(3), zeros(3)), at(MiB, zeros(3), zeros(3))], where);
  assert.equal(quiet.verdict, 'not settled');
  assert.equal(
    quiet.basis,
    'no disconnect on either side at 1 KiB and 1 MiB: at most 180 per connection-hour in each cell (one-sided 95%)',
  );
  assert.match(
    quiet.toSettle ?? '',
    /^a disconnect with deflate on or off at some size: .* --frame-sizes 1KiB,1MiB --rate 10 --burst 3 --repeats 5\)$/,
  );
  const against = stackDisconnectJudgement('x', [at(MiB, [0, 1, 0, 0, 1, 0], [10, 12, 9, 11, 10, 8])], where);
  assert.equal(against.verdict, 'does not hold');
});

test('per stack: deflate on costs more CPU at every size holds when every size holds, does not hold when one does not', () => {
  const at = (frameSize: number, ratios: number[]) => {
    const p = costPair(ratios);
    return compareCost({ ...p, cell: { ...p.cell, frameSize: frameSize } });
  };
  const where = 'w';
  const low = [0.5, 0.52, 0.48, 0.51, 0.49, 0.5];
  assert.equal(stackCostJudgement('today', [at(KiB, low), at(MiB, low)], where).verdict, 'holds');
  const against = stackCostJudgement('today', [at(KiB, low), at(MiB, [1.5, 1.52, 1.48, 1.51, 1.49, 1.5])], where);
  assert.equal(against.verdict, 'does not hold');
  assert.match(against.basis, /^at 1 MiB: off ÷ on 1\.5/);
  const few: CostComparison[] = [at(KiB, [0.5, 0.55, 0.45]), at(MiB, [0.6, 0.62, 0.58])];
  const open = stackCostJudgement('today', few, where);
  assert.equal(open.verdict, 'not settled');
  assert.equal(
    open.basis,
    'off ÷ on 0.498–0.6 by size (geometric means over 3 repeat pairs per size); not settled at 2 of 2 sizes: fewer than 5 repeat pairs that did equal work',
  );
  assert.equal(
    open.toSettle,
    '5 repeat pairs per size that did equal work, at the measured spread and CPU per pair: npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 1KiB,1MiB --rate 10 --burst 3 --repeats 5',
  );
});

test('the spot check: consistent when the interval of live ÷ recorded contains 1, otherwise not, with the numbers', () => {
  const rate = (events: number, seconds: number, runs = 1): RateEstimate =>
    poissonRate(
      Array.from({ length: runs }, (_, i) => ({ events: i === 0 ? events : 0, exposure: seconds / runs / 3600 })),
    ) as RateEstimate;
  // 4 disconnects live in 20 connection-seconds, where the recorded cell had 0 in 3 runs of 20.
  const higher = spotConsistency(rate(4, 20), rate(0, 60, 3));
  assert.equal(higher.consistent, false);
  assert.ok((higher.ratio?.interval.low ?? 0) > 1);
  assert.equal(
    spotCheckSentence(rate(4, 20), rate(0, 60, 3)),
    'Not consistent with the recorded cell: the interval of live ÷ recorded (95%: 1.98–∞) lies wholly above 1, so the live rate is higher than the recorded runs allow. ' +
      'Live and recorded rest on 1 run and 3 runs, so the spread across runs is not checked: the test takes each count as Poisson.',
  );
  assert.match(
    spotCheckSentence(rate(2, 19), rate(0, 60, 3)),
    /^Consistent with the recorded cell: the interval of live ÷ recorded \(95%: 0\.\d+–∞\) contains 1\./,
  );
  assert.match(
    spotCheckSentence(rate(0, 20), rate(30, 60, 3)),
    /lies wholly below 1, so the live rate is lower than the recorded runs allow/,
  );
  assert.equal(
    spotCheckSentence(rate(0, 20), rate(0, 60, 3)),
    'Consistent with the recorded cell: no disconnect live or recorded (live at most 540 per connection-hour (one-sided 95%), recorded at most 180 per connection-hour (one-sided 95%)).',
  );
  assert.deepEqual(spotConsistency({ events: 0, exposure: 1 }, { events: 0, exposure: 1 }), {
    ratio: null,
    consistent: true,
  });
});

test('the words of a rate, a ratio, a cell and the sweep command', () => {
  const rate = (counts: number[]) => poissonRate(counts.map((n) => ({ events: n, exposure: 20 / 3600 })));
  assert.equal(rateShort(rate([0, 0, 0])), 'at most 180 per connection-hour (one-sided 95%)');
  assert.match(rateShort(rate([1])), /^180 per connection-hour \(95%: 4\.56–1,000, not settled\)$/);
  assert.match(rateShort(rate([4, 5, 3, 4, 4])), /^720 per connection-hour \(95%: [\d,]+–[\d,]+\)$/);
  assert.equal(rateShort(null), 'no run');
  assert.equal(
    ratioText({ ratio: 2.5, interval: { low: 1.2, high: 5, sides: 'two-sided' } }, 'on ÷ off'),
    'on ÷ off 2.5 (95%: 1.2–5)',
  );
  const knee = { fraction: 0.5, basis: { stack: '2015+ws0.8.1', deflate: 'off', MiBps: 40, kind: 'knee' } } as const;
  const { deflate: _omit, ...cell } = { ...CELL, knee: knee };
  assert.equal(cellName(cell), '2015, data-url 1 MiB at 50% of the knee');
  assert.equal(
    sweepCommand([cell], 5),
    'npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 1MiB --repeats 5',
  );
  assert.equal(
    sweepCommand(
      [
        { ...cell, knee: undefined, frameSize: 3000, clients: 2, duration: 1500 },
        { ...cell, knee: undefined, frameSize: 256 * KiB, clients: 2, duration: 1500 },
      ],
      8,
    ),
    'npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 3000,256KiB --rate 10 --burst 3 --clients 2 --duration 1.5s --repeats 8',
  );
});

test('CSV: fields with commas, quotes and line breaks are quoted; a link carries it as a data URI, escaped for the attribute', async () => {
  const rows = [
    { a: 'plain', b: 1.5, c: null },
    { a: 'with, comma', b: 'say "hi"', c: 'two\nlines' },
  ];
  assert.equal(csvText(rows), 'a,b,c\r\nplain,1.5,\r\n"with, comma","say ""hi""","two\nlines"\r\n');
  const { read } = await import('vega');
  assert.deepEqual(read(csvText(rows), { type: 'csv' }), [
    { a: 'plain', b: '1.5', c: '' },
    { a: 'with, comma', b: 'say "hi"', c: 'two\nlines' },
  ]);
  const link = csvDownloadLink('runs "x".csv', rows, 'Download <runs>');
  assert.match(
    link,
    /^<a class="dl-download" download="runs &quot;x&quot;\.csv" href="data:text\/csv;charset=utf-8,[^"<>]+">Download &lt;runs&gt;<\/a>$/,
  );
  const href = /href="([^"]+)"/.exec(link)?.[1] ?? '';
  assert.equal(
    decodeURIComponent(href.replace(/&#39;/g, "'").replace(/^data:text\/csv;charset=utf-8,/, '')),
    csvText(rows),
  );
});

test("the CSV under the rate chart, parsed, holds the chart's runs: per cell its counted runs sum to the chart's disconnects and connection-hours", async () => {
  const records = readRecords<SweepRecord>(SWEEP_KIND, path.resolve(COMMITTED_DATA_DIR)).records;
  const cells = aggregateCells(records);
  const sel = headlineSelection(cells);
  assert.ok(sel, 'the committed sweep has a main chart');
  const points = ratePoints(rowsOf(cells, null, selected(sel)));
  const link = csvDownloadLink('runs.csv', runRows(records, selected(sel)), 'download');
  const text = decodeURIComponent(
    (/href="data:text\/csv;charset=utf-8,([^"]+)"/.exec(link)?.[1] ?? '').replace(/&#39;/g, "'"),
  );
  const { read } = await import('vega');
  const parsed = read(text, { type: 'csv' }) as Array<Record<string, string>>;
  assert.equal(parsed.length, records.filter((r) => selected(sel)(r.cell)).length);
  const byCell = new Map<string, { disconnects: number; hours: number; runs: number }>();
  for (const row of parsed) {
    if (row.counted_in_rate !== 'yes') continue;
    const key = `${row.stack}|${row.deflate}|${row.frame_bytes}`;
    const sum = byCell.get(key) ?? { disconnects: 0, hours: 0, runs: 0 };
    sum.disconnects += Number(row.disconnects);
    sum.hours += Number(row.connection_hours);
    sum.runs += 1;
    byCell.set(key, sum);
  }
  assert.equal(byCell.size, points.length);
  for (const p of points) {
    const sum = byCell.get(`${p.facet}|${p.deflate}|${p.bytes}`);
    assert.ok(sum, `${p.facet} ${p.deflate} ${p.frame} in the CSV`);
    assert.equal(sum.disconnects, p.disconnects);
    assert.equal(sum.runs, p.runs);
    assert.ok(
      Math.abs(sum.hours - Number(p.connectionHours)) <= 0.005 * sum.hours,
      `${sum.hours} vs ${p.connectionHours}`,
    );
  }
});

test('the rate chart: a zero drawn at its one-sided bound and marked as a bound, a count not settled marked so, both in the legend', async () => {
  const rows = [
    madeUpRow({ frameSize: MiB, disconnectRate: rateOf([30, 40, 38]) }),
    madeUpRow({ deflate: 'off', frameSize: MiB, disconnectRate: rateOf([0, 0, 0]) }),
    madeUpRow({ frameSize: KiB, disconnectRate: rateOf([4, 5, 3, 4, 4]) }),
  ];
  const points = ratePoints(rows);
  assert.deepEqual(
    points.map((p) => [p.deflate, p.frame, p.kind, p.y, p.sides, p.label]),
    [
      ['on', '1 MiB', 'rate, not settled', 6480, 'two-sided', '6,500'],
      ['off', '1 MiB', 'none: 95% upper bound', 180, 'one-sided', '≤ 180'],
      ['on', '1 KiB', 'rate', 720, 'two-sided', '720'],
    ],
  );
  const svg = await renderSvg(headlineChart(rows));
  for (const label of [
    'rate, not settled',
    'none: 95% upper bound',
    'not settled',
    'disconnects per connection-hour (log)',
  ])
    assert.ok(svg.includes(label), `legend or axis names "${label}"`);
});
