/**
 * The statistics deflate-lab uses: medians and quantiles from simple-statistics, and the 95%
 * intervals every verdict is judged from (exact binomial and Poisson intervals, the Poisson
 * dispersion check, the exact conditional ratio of two rates, and the t interval on paired log
 * ratios), on stdlib's distribution quantiles.
 *
 * simple-statistics ships a CommonJS build under the `require` condition but only ESM type
 * declarations, which TypeScript will not import into a CommonJS module (and import attributes
 * that would allow it break tslab's TypeScript 5.0): the build is required and the two functions
 * used are typed here.
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import gammaQuantile from '@stdlib/stats-base-dists-gamma-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stats = require('simple-statistics') as {
  quantileSorted(sorted: number[], p: number): number;
  median(values: number[]): number;
};

/** The p-quantile of an ascending array (p in 0..1). */
export const quantileSorted = stats.quantileSorted;
/** The median of a non-empty array. */
export const median = stats.median;

/**
 * How many items fall under each key, keys in first-seen order; an item whose key is undefined is
 * not counted.
 */
export function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

// ---- intervals ---------------------------------------------------------------------------------
// The distribution quantiles come from stdlib's maintained packages; the formulas on top of them
// are the textbook ones, written here because no maintained package words them for our units.

/** Every interval the project gives is at this confidence. */
export const CONFIDENCE = 0.95;
/** Below this many independent units (runs, pairs), a rate or ratio is not settled: its spread cannot be checked. */
export const MIN_UNITS = 5;
/**
 * A cost ratio of server CPU needs at least this much CPU on each side, summed over its pairs: a
 * ratio of a few ms against a few ms measures the clock's tick, not the work.
 */
export const MIN_CPU_MS_PER_SIDE = 1000;
/** A one-sided 95% upper bound on a Poisson mean when none was seen: −ln(0.05) ≈ 3.0 events. */
export const ZERO_EVENTS_BOUND = -Math.log(1 - CONFIDENCE);

const ALPHA = 1 - CONFIDENCE;

/** A 95% interval; `one-sided` has no lower end (0) and a 95% upper bound. */
export interface Interval {
  low: number;
  high: number;
  sides: 'two-sided' | 'one-sided';
}

/** Clopper–Pearson's exact two-sided interval for a proportion: `k` of `n`. */
export function clopperPearson(k: number, n: number): Interval {
  if (!(Number.isInteger(k) && Number.isInteger(n) && n > 0 && k >= 0 && k <= n))
    throw new RangeError(`clopperPearson: ${k} of ${n} is not a count of a positive total`);
  return {
    low: k === 0 ? 0 : betaQuantile(ALPHA / 2, k, n - k + 1),
    high: k === n ? 1 : betaQuantile(1 - ALPHA / 2, k + 1, n - k),
    sides: 'two-sided',
  };
}

/**
 * Garwood's exact interval for a Poisson rate: `events` over `exposure` (any unit), per unit of
 * exposure. Zero events give the one-sided 95% bound, ZERO_EVENTS_BOUND ÷ exposure.
 */
export function garwood(events: number, exposure: number): Interval {
  if (!(Number.isInteger(events) && events >= 0 && exposure > 0))
    throw new RangeError(`garwood: ${events} events over ${exposure} is not a count over a positive exposure`);
  if (events === 0) return { low: 0, high: ZERO_EVENTS_BOUND / exposure, sides: 'one-sided' };
  return {
    low: gammaQuantile(ALPHA / 2, events, 1) / exposure,
    high: gammaQuantile(1 - ALPHA / 2, events + 1, 1) / exposure,
    sides: 'two-sided',
  };
}

/** Events and exposure of one independent unit (a run, a session). */
export interface CountUnit {
  events: number;
  exposure: number;
}

/** Whether counts across units vary more than a Poisson process allows: the dispersion test. */
export interface Dispersion {
  /** Σ (x − λt)² / λt over the units, with λ the pooled rate. */
  statistic: number;
  degreesOfFreedom: number;
  /** Chance of a statistic this large under a Poisson process. */
  pValue: number;
  overDispersed: boolean;
}

/** The Poisson dispersion test over units with events; null with fewer than 2 units or no event at all. */
export function dispersion(units: readonly CountUnit[]): Dispersion | null {
  const used = units.filter((u) => u.exposure > 0);
  const events = used.reduce((s, u) => s + u.events, 0);
  const exposure = used.reduce((s, u) => s + u.exposure, 0);
  if (used.length < 2 || events === 0) return null;
  const rate = events / exposure;
  const statistic = used.reduce((s, u) => s + (u.events - rate * u.exposure) ** 2 / (rate * u.exposure), 0);
  const df = used.length - 1;
  const pValue = 1 - chisquareCdf(statistic, df);
  return { statistic: statistic, degreesOfFreedom: df, pValue: pValue, overDispersed: pValue < ALPHA };
}

/** A rate over independent units: the pooled estimate, its interval, and whether it is settled. */
export interface RateEstimate {
  events: number;
  exposure: number;
  units: number;
  /** events ÷ exposure. */
  rate: number;
  /** Garwood's, two-sided; the one-sided bound when no event was seen. */
  interval: Interval;
  dispersion: Dispersion | null;
  /** Why the interval cannot be trusted as a Poisson interval, or null when it can. A zero is always settled. */
  unsettled: string | null;
}

/**
 * The pooled rate of `units`. A zero gives its one-sided bound whatever the number of units; a
 * count needs at least MIN_UNITS units whose counts are not over-dispersed, else it is not settled.
 */
export function poissonRate(units: readonly CountUnit[]): RateEstimate | null {
  const used = units.filter((u) => u.exposure > 0);
  const events = used.reduce((s, u) => s + u.events, 0);
  const exposure = used.reduce((s, u) => s + u.exposure, 0);
  if (used.length === 0) return null;
  const spread = dispersion(used);
  const unsettled =
    events === 0
      ? null
      : used.length < MIN_UNITS
        ? `fewer than ${MIN_UNITS} runs (${used.length}), so the spread across runs cannot be checked`
        : spread?.overDispersed
          ? `the counts vary across runs more than chance allows (dispersion p = ${spread.pValue.toPrecision(2)})`
          : null;
  return {
    events: events,
    exposure: exposure,
    units: used.length,
    rate: events / exposure,
    interval: garwood(events, exposure),
    dispersion: spread,
    unsettled: unsettled,
  };
}

/**
 * The ratio of rate `a` to rate `b`, by the exact conditional method: given both counts, a's share
 * of them is binomial, with a Clopper–Pearson interval mapped onto the ratio. Null when neither saw
 * an event (nothing to compare).
 */
export function rateRatio(a: CountUnit, b: CountUnit): { ratio: number; interval: Interval } | null {
  const total = a.events + b.events;
  if (total === 0 || a.exposure <= 0 || b.exposure <= 0) return null;
  const share = clopperPearson(a.events, total);
  const scale = b.exposure / a.exposure;
  const toRatio = (p: number) => (p >= 1 ? Infinity : (p / (1 - p)) * scale);
  return {
    ratio: b.events === 0 ? Infinity : (a.events / b.events) * scale,
    interval: { low: toRatio(share.low), high: toRatio(share.high), sides: 'two-sided' },
  };
}

/** A ratio over paired units: its geometric mean and the t interval on the log ratios. */
export interface RatioEstimate {
  pairs: number;
  /** exp(mean of the log ratios). */
  ratio: number;
  interval: Interval;
  /** Standard deviation of the log ratios (0 with one pair). */
  logSd: number;
}

/** The t interval on log ratios of paired units; null with fewer than 2 pairs or a ratio that is not positive. */
export function pairedRatio(ratios: readonly number[]): RatioEstimate | null {
  if (ratios.length < 2 || ratios.some((r) => !(r > 0 && Number.isFinite(r)))) return null;
  const logs = ratios.map(Math.log);
  const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (logs.length - 1));
  const half = tQuantile(1 - ALPHA / 2, logs.length - 1) * (sd / Math.sqrt(logs.length));
  return {
    pairs: ratios.length,
    ratio: Math.exp(mean),
    interval: { low: Math.exp(mean - half), high: Math.exp(mean + half), sides: 'two-sided' },
    logSd: sd,
  };
}

/**
 * The pairs a t interval on log ratios needs to fall wholly on one side of `threshold`, at the
 * measured mean and spread; null when the mean sits on the threshold (no number of pairs will do).
 */
export function pairsToSettle(estimate: RatioEstimate, threshold: number): number | null {
  const distance = Math.abs(Math.log(estimate.ratio) - Math.log(threshold));
  if (distance === 0) return null;
  for (let n = Math.max(MIN_UNITS, 2); n <= 1000; n++) {
    if (tQuantile(1 - ALPHA / 2, n - 1) * (estimate.logSd / Math.sqrt(n)) < distance) return n;
  }
  return null;
}

/** The mean of independent repeats (or of paired differences) with its t interval. */
export interface MeanEstimate {
  n: number;
  mean: number;
  /** Two-sided 95% t interval on the mean; null with fewer than 2 values (no spread to judge). */
  interval: Interval | null;
  /** Sample standard deviation (0 with one value). */
  sd: number;
}

/**
 * The mean of `values` and its 95% t interval (Student's t with n − 1 degrees of freedom). For
 * differences between paired runs, pass the differences. Null for an empty list.
 */
export function meanInterval(values: readonly number[]): MeanEstimate | null {
  if (values.length === 0) return null;
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('meanInterval: every value must be finite');
  const n = values.length;
  const mean = values.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { n: n, mean: mean, interval: null, sd: 0 };
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(1 - ALPHA / 2, n - 1) * (sd / Math.sqrt(n));
  return { n: n, mean: mean, interval: { low: mean - half, high: mean + half, sides: 'two-sided' }, sd: sd };
}
