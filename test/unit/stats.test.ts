/**
 * The intervals every verdict is judged from, against published values (Garwood 1936 and the
 * tables in Ulm 1990 for Poisson; Clopper–Pearson 1934 for proportions; Student's t), the verdict
 * rules on made-up data on each side of a threshold and straddling it, and the disconnect rate's
 * exposure on a made-up run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clopperPearson,
  dispersion,
  garwood,
  MIN_UNITS,
  pairedRatio,
  pairsToSettle,
  poissonRate,
  rateRatio,
  ZERO_EVENTS_BOUND,
} from '../../src/core/stats';
import { claimVerdict, FINER_VERDICTS, intervalText, judgeAbove, judgeBelow } from '../../src/core/verdict';
import { exposureText, rateText, sendingExposureMs } from '../../src/traffic/rates';

const close = (actual: number, expected: number, digits: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -digits, `${what}: ${actual} ≠ ${expected}`);

test('Garwood: 0 events give the one-sided bound 3.0 ÷ exposure; 1 event and 4 over 0.5 units match the tables', () => {
  const zero = garwood(0, 1);
  assert.equal(zero.sides, 'one-sided');
  assert.equal(zero.low, 0);
  close(zero.high, 2.9957, 4, 'zero events, one-sided 95%');
  close(ZERO_EVENTS_BOUND, 2.9957, 4, 'the bound');
  close(garwood(0, 2).high, 1.4979, 4, '0 over 2 connection-hours');
  const one = garwood(1, 1);
  assert.equal(one.sides, 'two-sided');
  close(one.low, 0.0253, 4, '1 event, lower');
  close(one.high, 5.5716, 4, '1 event, upper');
  const four = garwood(4, 0.5);
  close(four.low, 2.18, 2, '4 over 0.5, lower');
  close(four.high, 20.48, 2, '4 over 0.5, upper');
  assert.equal(intervalText(four), '95%: 2.18–20.5');
  assert.throws(() => garwood(-1, 1), RangeError);
  assert.throws(() => garwood(1, 0), RangeError);
});

test('Clopper–Pearson: 0 of 10 and 1 of 10 match the published intervals', () => {
  const none = clopperPearson(0, 10);
  assert.equal(none.low, 0);
  close(none.high, 0.3085, 4, '0 of 10, upper');
  const one = clopperPearson(1, 10);
  close(one.low, 0.0025, 4, '1 of 10, lower');
  close(one.high, 0.445, 3, '1 of 10, upper');
  assert.equal(clopperPearson(10, 10).high, 1);
  assert.throws(() => clopperPearson(3, 2), RangeError);
});

test('a rate over runs: settled with 5 runs of like counts, not settled with fewer or when over-dispersed, a zero always bounded', () => {
  const even = poissonRate(Array.from({ length: 5 }, () => ({ events: 2, exposure: 0.1 })));
  assert.ok(even);
  assert.equal(even.unsettled, null);
  close(even.rate, 20, 6, 'pooled rate');
  assert.ok(even.dispersion && !even.dispersion.overDispersed);
  const few = poissonRate([
    { events: 2, exposure: 0.25 },
    { events: 2, exposure: 0.25 },
  ]);
  assert.match(few?.unsettled ?? '', new RegExp(`fewer than ${MIN_UNITS} runs`));
  const lumpy = poissonRate([
    { events: 40, exposure: 0.1 },
    ...Array.from({ length: 5 }, () => ({ events: 0, exposure: 0.1 })),
  ]);
  assert.ok(lumpy?.dispersion?.overDispersed, 'one run with every disconnect is over-dispersed');
  assert.match(lumpy?.unsettled ?? '', /vary across runs more than chance allows/);
  const zero = poissonRate([{ events: 0, exposure: 2 }]);
  assert.equal(zero?.unsettled, null, 'a zero needs no spread');
  assert.equal(
    zero && rateText(zero),
    'at most 1.5 per connection-hour (one-sided 95% bound; 0 disconnects over 2 connection-hours, 1 run)',
  );
  assert.equal(
    rateText({ ...(poissonRate([{ events: 4, exposure: 0.5 }]) as NonNullable<typeof zero>), unsettled: null }),
    '8 per connection-hour (95%: 2.18–20.5; 4 disconnects over 30 connection-minutes, 1 run)',
  );
  assert.equal(poissonRate([]), null);
  assert.equal(dispersion([{ events: 3, exposure: 1 }]), null, 'one run has no spread to check');
});

test('two rates compared by the exact conditional method: apart, straddling, and with nothing to compare', () => {
  const apart = rateRatio({ events: 30, exposure: 1 }, { events: 0, exposure: 1 });
  assert.ok(apart && apart.interval.low > 1 && apart.ratio === Infinity);
  const straddle = rateRatio({ events: 1, exposure: 1 }, { events: 1, exposure: 1 });
  assert.ok(straddle && straddle.interval.low < 1 && straddle.interval.high > 1);
  close(straddle?.ratio ?? 0, 1, 6, 'equal rates');
  // 4 in 3 s against 0 in 15 s: exposure matters, not the counts alone.
  const spot = rateRatio({ events: 4, exposure: 3 }, { events: 0, exposure: 15 });
  assert.ok(spot && spot.interval.low > 1, 'four in a short spot check is more than none in five times as long');
  assert.equal(rateRatio({ events: 0, exposure: 1 }, { events: 0, exposure: 1 }), null);
});

test('a ratio of paired runs: the t interval on log ratios; too few pairs give nothing; pairs needed to settle', () => {
  assert.equal(pairedRatio([0.4]), null, 'one pair has no interval');
  assert.equal(pairedRatio([0.4, -1]), null);
  const tight = pairedRatio([0.3, 0.32, 0.31, 0.29, 0.3]);
  assert.ok(tight);
  assert.equal(judgeBelow(tight.interval, 0.5), 'holds');
  const wide = pairedRatio([0.2, 0.7, 0.66]);
  assert.ok(wide);
  assert.equal(judgeBelow(wide.interval, 0.5), 'not settled');
  const needed = pairsToSettle(wide, 0.5);
  assert.ok(needed !== null && needed > 3, `more pairs than the three made: ${needed}`);
  // Student's t with 4 degrees of freedom: 2.776 (for two values 1 and e: mean 0.5, sd 0.707).
  const two = pairedRatio([1, Math.E]);
  assert.ok(two);
  close(Math.log(two.interval.high) - 0.5, (12.706 * Math.SQRT1_2) / Math.SQRT2, 2, 't with 1 degree of freedom');
});

test('verdicts from intervals: clearly below, clearly above, straddling; the finer words map onto three', () => {
  assert.equal(judgeBelow({ low: 0.2, high: 0.4, sides: 'two-sided' }, 0.5), 'holds');
  assert.equal(judgeBelow({ low: 0.6, high: 0.7, sides: 'two-sided' }, 0.5), 'does not hold');
  assert.equal(judgeBelow({ low: 0.4, high: 0.6, sides: 'two-sided' }, 0.5), 'not settled');
  assert.equal(judgeBelow({ low: 0, high: 0.4, sides: 'one-sided' }, 0.5), 'holds');
  assert.equal(judgeAbove({ low: 1.2, high: 1.4, sides: 'two-sided' }, 1.01), 'holds');
  assert.equal(judgeAbove({ low: 0.9, high: 1.0, sides: 'two-sided' }, 1.01), 'does not hold');
  assert.equal(judgeAbove({ low: 1.0, high: 1.1, sides: 'two-sided' }, 1.01), 'not settled');
  assert.equal(claimVerdict('pass'), 'holds');
  assert.equal(claimVerdict('not tested'), 'not settled');
  assert.equal(claimVerdict('holds only for some payloads'), 'does not hold');
  assert.deepEqual(new Set(Object.values(FINER_VERDICTS)), new Set(['holds', 'does not hold', 'not settled']));
});

test("exposure: each client's connected time in the send window, the gap from a failure to its reconnect left out", () => {
  const t0 = 1_000_000;
  const result = {
    sendWindow: { start: t0, end: t0 + 10_000 },
    clientConnects: [
      { t: t0 - 500, client: 'c0', sid: 'a' },
      { t: t0 - 500, client: 'c1', sid: 'b' },
      // c1 failed at 4 s and came back at 6 s.
      { t: t0 + 6_000, client: 'c1', sid: 'c' },
    ],
    serverDisconnects: [
      { t: t0 + 4_000, sid: 'b', reason: 'transport error', error: 'invalid compressed data (1007)' },
      { t: t0 + 10_100, sid: 'a', reason: 'transport close' },
      { t: t0 + 10_100, sid: 'c', reason: 'transport close' },
    ],
    clientDisconnects: [{ t: t0 + 4_010, client: 'c1', reason: 'transport close' }],
  };
  assert.equal(sendingExposureMs(result), 10_000 + 4_000 + 4_000);
  assert.equal(exposureText(2), '2 connection-hours');
  assert.equal(exposureText(0.5), '30 connection-minutes');
  assert.equal(exposureText(5 / 3600), '5 connection-seconds');
  assert.equal(exposureText(1 / 3600), '1 connection-second');
});
