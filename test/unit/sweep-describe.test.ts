/**
 * Chapter 5's generated sentences and the rows they read, on hand-made inputs: the wording follows
 * the numbers (sizes, rates with their intervals, denominators), a "none" is a one-sided bound and
 * says whether its runs' positive controls held, and a count that is not settled says so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeAck,
  describeCpu,
  describeHeadline,
  describeHeatmap,
  describe2015UnderLoad,
  describeKneeCpu,
  describeKnees,
  describeWire,
  type KneeCpu,
  boundsText,
  rangeText,
  sizesText,
} from '../../src/chapters/05-sweep/describe';
import type { KneePoint } from '../../src/chapters/05-sweep/charts';
import { headlineSelection, pooledByPayload, type PooledRow } from '../../src/chapters/05-sweep/rows';
import type { Spread } from '../../src/traffic/metrics';
import { KiB, MiB } from '../../src/core/params';
import type { CellAggregate } from '../../src/sweep/aggregate';
import type { SweepCell } from '../../src/sweep/grid';
import { rateOf, madeUpRow } from '../support/made-up';

const SIZES = [1 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
const sp = (median: number, min = median, max = median, n = 3): Spread => ({
  median: median,
  min: min,
  max: max,
  n: n,
});

test('sizes are named against all sizes measured: a top range, every size, or a list', () => {
  assert.equal(sizesText([256 * KiB, 1 * MiB, 4 * MiB], SIZES), '256 KiB and above');
  assert.equal(sizesText(SIZES, SIZES), 'every size (1 KiB to 4 MiB)');
  assert.equal(sizesText([1 * KiB, 64 * KiB], SIZES), '64 KiB and below');
  assert.equal(sizesText([64 * KiB, 4 * MiB], SIZES), '64 KiB and 4 MiB');
  assert.equal(sizesText([1 * MiB], SIZES), '1 MiB');
  assert.equal(rangeText(3.21, 41), '3.21–41');
  assert.equal(rangeText(2, 2), '2');
});

test('zeros as bounds: one, several alike, several apart', () => {
  assert.equal(boundsText([rateOf([0, 0, 0])]), 'at most 180 per connection-hour (one-sided 95%)');
  assert.equal(
    boundsText([rateOf([0, 0, 0]), rateOf([0, 0, 0])]),
    'at most 180 per connection-hour in each cell (one-sided 95%)',
  );
  assert.equal(
    boundsText([rateOf([0, 0, 0]), rateOf([0])]),
    'at most 180 to 540 per connection-hour by cell (one-sided 95%)',
  );
  assert.equal(boundsText([]), '');
});

test('the headline: each size with disconnects as its rate and interval, not settled under 5 runs; the zeros as bounds with their controls', () => {
  const rows = [
    ...SIZES.map((size, i) =>
      madeUpRow({
        frameSize: size,
        disconnectRate: i >= 2 ? rateOf([10 * i, 12 * i, 8 * i]) : rateOf([0, 0, 0]),
        runsWithDisconnects: i >= 2 ? 3 : 0,
        provenZero: 0,
        blockers: i >= 2 ? { failures: 3 } : { 'no continuation frame was seen on the wire': 3 },
      }),
    ),
    ...SIZES.map((size) => madeUpRow({ deflate: 'off', frameSize: size })),
  ];
  const text = describeHeadline(rows);
  assert.equal(
    text,
    'On 2015 with deflate on: at 256 KiB, 3,600 per connection-hour (95%: 2,750–4,630; 60 disconnects over 60 connection-seconds, 3 runs), not settled: fewer than 5 runs (3), so the spread across runs cannot be checked; ' +
      'at 1 MiB, 5,400 per connection-hour (95%: 4,340–6,640; 90 disconnects over 60 connection-seconds, 3 runs), not settled: fewer than 5 runs (3), so the spread across runs cannot be checked; ' +
      'at 4 MiB, 7,200 per connection-hour (95%: 5,970–8,610; 120 disconnects over 60 connection-seconds, 3 runs), not settled: fewer than 5 runs (3), so the spread across runs cannot be checked; ' +
      'none at 64 KiB and below: at most 180 per connection-hour in each cell (one-sided 95%); the positive controls did not hold: no continuation frame was seen on the wire (6 runs). ' +
      'No disconnect on 2015 with deflate off: at most 180 per connection-hour in each cell (one-sided 95%), over 15 runs at every size (1 KiB to 4 MiB) (every positive control held in all 15 runs).',
  );
  // Five runs whose counts agree: the rate is settled, and the sentence gives it without a caveat.
  const settled = describeHeadline([madeUpRow({ frameSize: MiB, disconnectRate: rateOf([4, 5, 3, 4, 4]) })]);
  assert.match(
    settled,
    /^On 2015 with deflate on: at 1 MiB, 720 per connection-hour \(95%: [\d,]+–[\d,]+; 20 disconnects over 100 connection-seconds, 5 runs\)\.$/,
  );
  // One disconnect in one run: a rate with its interval, not settled.
  assert.match(
    describeHeadline([madeUpRow({ frameSize: MiB, disconnectRate: rateOf([1]) })]),
    /at 1 MiB, 180 per connection-hour \(95%: 4\.56–1,000; 1 disconnect over 20 connection-seconds, 1 run\), not settled/,
  );
});

test('the headline gathers every stack × deflate setting without a disconnect into one sentence', () => {
  const rows = [
    madeUpRow({
      stack: '2016-fixed',
      frameSize: KiB,
      provenZero: 0,
      blockers: { 'no continuation frame was seen on the wire': 3 },
    }),
    madeUpRow({ stack: '2016-fixed', frameSize: MiB, provenZero: 1, blockers: { 'delivered ≠ sent': 2 } }),
    madeUpRow({ stack: '2016-fixed', deflate: 'off', frameSize: MiB }),
    madeUpRow({ stack: 'today', frameSize: MiB }),
    madeUpRow({ stack: 'today', deflate: 'off', frameSize: MiB }),
  ];
  assert.equal(
    describeHeadline(rows),
    'No disconnect on 2016-fixed and today with deflate on, and on 2016-fixed and today with deflate off: at most 180 per connection-hour in each cell (one-sided 95%), over 15 runs at every size (1 KiB to 1 MiB) ' +
      '(the positive controls held in 10 of 15 runs; not in the others: no continuation frame was seen on the wire (3 runs); delivered ≠ sent (2 runs)).',
  );
});

test('the headline names runs that could not be measured, and runs left out for not meeting their load', () => {
  const rows = [
    madeUpRow({
      stack: 'today',
      deflate: 'on',
      frameSize: KiB,
      runs: 4,
      completed: 3,
      disconnectRate: rateOf([0, 0]),
      provenZero: 2,
      saturated: 1,
      blockers: { 'saturated: the generator missed 3 ticks': 1 },
    }),
  ];
  assert.equal(
    describeHeadline(rows),
    'No disconnect on today with deflate on: at most 270 per connection-hour (one-sided 95%), over 3 runs at 1 KiB (the positive controls held in 2 of 3 runs; not in the others: saturated: the generator missed 3 ticks (1 run)). ' +
      '1 run could not be measured and is left out. 1 run did not meet its load and is left out of the rates.',
  );
});

test('CPU: at how many sizes deflate on cost more, and the on/off factor', () => {
  const rows = [
    madeUpRow({ frameSize: KiB, value: sp(30) }),
    madeUpRow({ frameSize: KiB, deflate: 'off', value: sp(20) }),
    madeUpRow({ frameSize: MiB, value: sp(90) }),
    madeUpRow({ frameSize: MiB, deflate: 'off', value: sp(30) }),
    madeUpRow({ frameSize: 4 * MiB, value: null }),
    madeUpRow({ frameSize: 4 * MiB, deflate: 'off', value: sp(25) }),
  ];
  assert.equal(
    describeCpu(rows),
    'On 2015, the median over repeats of server CPU per MiB delivered was higher with deflate on than off at 2 of 2 frame sizes (on/off 1.5–3×); whether deflate on costs more is judged from the repeat pairs further down.',
  );
});

test('bytes on the wire: payloads ordered by how much deflate shrank them, with gaps named', () => {
  const pooled = (payload: PooledRow['payload'], frameSize: number, ratio: number | null): PooledRow => ({
    payload: payload,
    frameSize: frameSize,
    deflate: 'on',
    value: ratio === null ? null : sp(ratio, ratio, ratio, 2),
    runs: 2,
    stacks: ['today'],
  });
  const text = describeWire([
    pooled('json', KiB, 4),
    pooled('json', MiB, 8),
    pooled('png', KiB, 1),
    pooled('png', MiB, 1),
    pooled('data-url', MiB, 1.33),
    pooled('data-url', 4 * MiB, null),
    { ...pooled('json', KiB, 0.81), deflate: 'off' },
  ]);
  assert.equal(
    text,
    'At 1 MiB, the largest frame size with an exact figure for every payload kind, deflate on shrank json 8× (13% of its size on the wire), ' +
      'data-url 1.33× (75% of its size on the wire), png 1× (100% of its size on the wire) (median payload bytes per wire byte). ' +
      'There, deflate helped json the most and png the least. ' +
      'Over all sizes measured: json 4–8× (4 runs over 2 frame sizes); png 1× (4 runs over 2 frame sizes); data-url 1.33× (2 runs over 1 frame size). ' +
      'No exact figure at data-url 4 MiB: no run there delivered every message it sent.',
  );
  assert.match(
    describeWire([{ ...pooled('json', KiB, 0.81), deflate: 'off' }]),
    /^No run with deflate on delivered every message/,
  );
});

test('ack latency: smallest and largest size per deflate setting, and sizes with no ack', () => {
  const rows = [
    madeUpRow({ frameSize: KiB, value: sp(12) }),
    madeUpRow({ frameSize: MiB, value: null }),
    madeUpRow({ frameSize: KiB, deflate: 'off', value: sp(10) }),
    madeUpRow({ frameSize: MiB, deflate: 'off', value: sp(3889) }),
  ];
  assert.equal(
    describeAck(rows),
    'On 2015, p99 ack round trip (median over repeats) with deflate on, 12 ms at 1 KiB (no ack at all at 1 MiB); with deflate off, 10 ms at 1 KiB and 3,889 ms at 1 MiB.',
  );
});

test('heat map: combinations with disconnects, the highest rate, the smallest frame with any, the others as bounds', () => {
  const rows = [
    madeUpRow({
      frameSize: 64 * KiB,
      rate: 2,
      burst: 1,
      runs: 1,
      completed: 1,
      provenZero: 1,
      disconnectRate: rateOf([0]),
    }),
    madeUpRow({ frameSize: 1 * MiB, rate: 2, burst: 1, runs: 1, completed: 1, disconnectRate: rateOf([2]) }),
    madeUpRow({ frameSize: 1 * MiB, rate: 10, burst: 3, disconnectRate: rateOf([20, 40, 30]) }),
    madeUpRow({ frameSize: 64 * KiB, rate: 10, burst: 3 }),
  ];
  assert.equal(
    describeHeatmap(rows),
    'On 2015 with deflate on, 2 of 4 combinations of frame size, rate and burst had disconnects. ' +
      'The highest rate: 5,400 per connection-hour (95%: 4,340–6,640; 90 disconnects over 60 connection-seconds, 3 runs), not settled: fewer than 5 runs (3), so the spread across runs cannot be checked, with 1 MiB at 10/s ×3; ' +
      'the smallest frame with any: 1 MiB at 2/s ×1. The others had none: at most 180 to 540 per connection-hour by cell (one-sided 95%).',
  );
  assert.equal(
    describeHeatmap(rows.filter((r) => r.frameSize === 64 * KiB)),
    'On 2015 with deflate on, none of 2 combinations of frame size, rate and burst had a disconnect: at most 180 to 540 per connection-hour by cell (one-sided 95%) (every positive control held in all 4 runs).',
  );
});

function agg(cell: Partial<SweepCell>, ratios: number[] = []): CellAggregate {
  const full = {
    stack: '2015',
    deflate: 'on',
    payload: 'data-url',
    frameSize: KiB,
    rate: 10,
    burst: 3,
    ...cell,
  } as SweepCell;
  return {
    key: JSON.stringify(full),
    cell: full,
    runs: ratios.length,
    completed: ratios.length,
    runErrors: [],
    spreads: {} as CellAggregate['spreads'],
    totals: {} as CellAggregate['totals'],
    runsWithDisconnects: 0,
    rate: null,
    saturated: 0,
    unprovenZeros: 0,
    quick: false,
    provenZero: 0,
    blockers: {},
    byReason: {},
    byError: {},
    byRepeat: new Map(
      ratios.map((r, i) => [
        i,
        { compressionRatio: r } as CellAggregate['byRepeat'] extends Map<number, infer M> ? M : never,
      ]),
    ),
  };
}

test('the headline load: data URLs; at each size the load with the most runs, a knee fraction first, the heavier on a tie', () => {
  const half = { fraction: 0.5, basis: { stack: '2015+ws0.8.1', deflate: 'on', MiBps: 40, kind: 'knee' } } as const;
  const near = { ...half, fraction: 0.9 };
  assert.deepEqual(
    headlineSelection([
      agg({ rate: 2, burst: 1 }, [1]),
      agg({ rate: 10, burst: 3 }, [1, 1]),
      agg({ rate: 10, burst: 3, deflate: 'off' }, [1, 1]),
      agg({ payload: 'json', rate: 2, burst: 1 }, [1, 1, 1, 1, 1]),
      // At 1 MiB: three repeats at half the knee outweigh one run at 90% and one at a fixed load.
      agg({ frameSize: MiB, rate: 2.5, burst: 1, knee: half }, [1, 1, 1]),
      agg({ frameSize: MiB, rate: 4.5, burst: 1, knee: near }, [1]),
      agg({ frameSize: MiB, rate: 10, burst: 3 }, [1]),
      // At 4 MiB a tie: the knee fraction before the fixed load, then the heavier fraction.
      agg({ frameSize: 4 * MiB, rate: 10, burst: 3 }, [1]),
      agg({ frameSize: 4 * MiB, rate: 0.6, burst: 1, knee: half }, [1]),
      agg({ frameSize: 4 * MiB, rate: 1.1, burst: 1, knee: near }, [1]),
    ]),
    { payload: 'data-url', loadBySize: { [KiB]: '10/s × 3', [MiB]: '50% of the knee', [4 * MiB]: '90% of the knee' } },
  );
  assert.deepEqual(headlineSelection([agg({ rate: 2, burst: 1 }, [1]), agg({ rate: 10, burst: 1 }, [1])]), {
    payload: 'data-url',
    loadBySize: { [KiB]: '10/s × 1' },
  });
  assert.deepEqual(headlineSelection([agg({ payload: 'json', rate: 2, burst: 1 })]), {
    payload: 'json',
    loadBySize: { [KiB]: '2/s × 1' },
  });
  assert.equal(headlineSelection([]), null);
});

test('pooling by payload: every run of every stack and load of a payload × size × deflate counts once', () => {
  const pooled = pooledByPayload(
    [
      agg({ stack: '2015' }, [1.3, 1.4]),
      agg({ stack: 'today', rate: 2 }, [1.2]),
      agg({ stack: 'today', payload: 'json' }, [4]),
    ],
    'compressionRatio',
  );
  assert.equal(pooled.length, 2);
  assert.deepEqual(pooled[0], {
    payload: 'data-url',
    frameSize: KiB,
    deflate: 'on',
    runs: 3,
    stacks: ['2015', 'today'],
    value: { median: 1.3, min: 1.2, max: 1.4, n: 3 },
  });
  assert.equal(pooled[1].payload, 'json');
});

test('the knees: which setting keeps up with more, from measured pairs only, medians with their range; bounds named as bounds', () => {
  const point = (
    stack: string,
    deflate: 'on' | 'off',
    frameSize: number,
    MiBps: number,
    kind: KneePoint['kind'] = 'knee',
    min = MiBps,
    max = MiBps,
  ): KneePoint => ({
    stack: stack,
    deflate: deflate,
    frameSize: frameSize,
    MiBps: MiBps,
    kind: kind,
    min: min,
    max: max,
    wireMiBps: null,
    searches: 3,
  });
  const points = [
    point('today', 'on', 64 * KiB, 40, 'knee', 38, 44),
    point('today', 'off', 64 * KiB, 80),
    point('today', 'on', MiB, 100, 'at least'),
    point('today', 'off', MiB, 120),
    point('2015+ws0.8.1', 'on', MiB, 50),
    point('2015+ws0.8.1', 'off', MiB, 25),
  ];
  const text = describeKnees(points, [
    '2015 with deflate on at 1 MiB: no knee: fails first (failed at 8.0 MiB/s offered, the lowest tried: 2 failures)',
  ]);
  assert.match(
    text,
    /^Deflate off keeps up with more than deflate on in 1 of 2 stack × size pairs measured on both sides \(knee off ÷ on 0\.5–2\)\./,
  );
  assert.match(text, /Knees in payload MiB\/s offered \(the median of 3 searches each, their range in brackets\)/);
  assert.match(text, /today: 64 KiB: off 80, on 40 \(38–44\) \(× 2\); 1 MiB: off 120, on at least 100\./);
  assert.match(text, /2015\+ws0\.8\.1: 1 MiB: off 25, on 50 \(× 0\.5\)/);
  assert.match(
    text,
    /No figure for 2015 with deflate on at 1 MiB: no knee: fails first \(failed at 8\.0 MiB\/s offered/,
  );
  assert.match(
    describeKnees([point('today', 'on', MiB, 100, 'at least'), point('today', 'off', MiB, 120)], []),
    /^No size has a measured knee on both sides, so no ratio is given: only bounds were found\./,
  );
  assert.equal(describeKnees([], []), 'No knee was measured.');
});

test('why the knees fall where they do: the CPU at the knee steps, and whether each knee ratio follows the CPU ratio', () => {
  const cpu = (
    deflate: 'on' | 'off',
    frameSize: number,
    kneeMiBps: number,
    msPerMiB: number,
    flagged = 0,
  ): KneeCpu => ({
    stack: 'today',
    deflate: deflate,
    frameSize: frameSize,
    kneeMiBps: kneeMiBps,
    cores: 0.97,
    msPerMiB: msPerMiB,
    mainMsPerMiB: deflate === 'on' ? msPerMiB / 2 : msPerMiB * 0.9,
    otherMsPerMiB: deflate === 'on' ? msPerMiB / 2 : msPerMiB * 0.1,
    flagged: flagged,
    searches: 3,
  });
  // Off ÷ on = 2 in both knee and cost: the knee follows the CPU.
  const follows = describeKneeCpu([cpu('on', MiB, 50, 20), cpu('off', MiB, 100, 10)]);
  assert.match(
    follows,
    /^At their knees the server used 0\.97 cores while sending; deflate on 20 ms of server CPU per MiB \(10 on the main thread, 10 on the others\), and deflate off 10 ms/,
  );
  assert.match(follows, /In the one pair, the knee ratio is within a factor of 1\.25 of the CPU ratio/);
  assert.match(follows, /No knee needs more CPU than its server used or had \(6 searches checked\)\.$/);
  // Knees equal while deflate on costs twice as much: something else sets them.
  const departs = describeKneeCpu([cpu('on', MiB, 100, 20, 1), cpu('off', MiB, 100, 10)]);
  assert.match(
    departs,
    /In no pair is the knee ratio within a factor of 1\.25 of the CPU ratio, so CPU per MiB alone does not set these knees: today at 1 MiB \(knee off ÷ on 1, CPU per MiB on ÷ off 2\)\./,
  );
  assert.match(departs, /1 knee of 6 needs more CPU than its server used or had: today deflate on at 1 MiB\.$/);
  assert.match(describeKneeCpu([]), /^No knee step kept its CPU/);
});

test('2015 under load: how its searches ended, and its deflate-on disconnect rate at each offered load', () => {
  const fails = (at: number) => ({
    kind: 'fails-first' as const,
    failedAtMiBps: at,
    metMiBps: at - 1,
    reasons: ['2 failures'],
  });
  const knee = (at: number) => ({ kind: 'knee' as const, kneeMiBps: at, metMiBps: at, unmetMiBps: at * 1.05 });
  const text = describe2015UnderLoad(
    [
      { deflate: 'on', frameSize: MiB, ends: [fails(29.3), fails(23.6), knee(30)] },
      { deflate: 'off', frameSize: MiB, ends: [knee(72.9), knee(79.5), knee(90.5)] },
    ],
    [
      {
        frameSize: MiB,
        load: '50% of the knee',
        offeredMiBps: 30,
        rate: rateOf([2, 0, 1, 0, 3]),
        completed: 5,
        saturated: 0,
      },
      { frameSize: MiB, load: '25% of the knee', offeredMiBps: 15, rate: rateOf([0]), completed: 1, saturated: 0 },
      { frameSize: MiB, load: '90% of the knee', offeredMiBps: 54, rate: null, completed: 1, saturated: 1 },
    ],
  );
  assert.match(
    text,
    /^2015 with deflate on: at 1 MiB, a knee in 1 \(30 MiB\/s\), failed before falling behind in 2 \(at 23\.6–29\.3 MiB\/s offered\) of 3 searches\. 2015 with deflate off: at 1 MiB, a knee in 3 \(72\.9–90\.5 MiB\/s\) of 3 searches\./,
  );
  assert.match(
    text,
    /Its deflate-on sweep runs disconnected at 1 of 2 offered loads: 1 MiB at 50% of the knee \(30 MiB\/s offered\), [\d,.]+ per connection-hour \(95%: [^)]+\); none at the others/,
  );
  assert.match(text, /No rate at 1 MiB at 90% of the knee: no run there met its load\.$/);
});
