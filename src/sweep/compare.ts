/**
 * Deflate on against off in one cell of the sweep, judged from intervals (src/core/verdict.ts):
 * disconnects by the exact conditional ratio of the two rates per connection-hour, and the
 * server's CPU per MiB by the t interval on the log ratios of the repeat pairs (the two runs of a
 * pair ran back to back). Each comparison is holds, does not hold or not settled, and says what
 * would settle it; the chapter words it (src/chapters/05-sweep/describe.ts).
 */
import {
  MIN_UNITS,
  MIN_CPU_MS_PER_SIDE,
  pairedRatio,
  pairsToSettle,
  rateRatio,
  type CountUnit,
  type Interval,
  type RateEstimate,
  type RatioEstimate,
} from '../core/stats';
import { judgeAbove, judgeBelow, type ClaimVerdict, type RunMode } from '../core/verdict';
import type { CellAggregate, DeflatePair } from './aggregate';
import type { SweepCell } from './grid';

/** The largest multiple of the exposure a "not settled" will name; beyond it, it says no practical amount would do. */
const MAX_EXPOSURE_FACTOR = 1000;

/** Why a comparison is not settled. */
export type UnsettledWhy =
  /** A side has no run that met its load. */
  | 'no run'
  /** A control did not hold: deflate not negotiated on the "on" side, or a zero its runs do not prove. */
  | 'not tested'
  /** Neither side disconnected: there is nothing to compare. */
  | 'no disconnect'
  /** A side's count is not settled: fewer than MIN_UNITS runs, or over-dispersed. */
  | 'count'
  /** Fewer than MIN_UNITS usable pairs. */
  | 'pairs'
  /** Less than MIN_CPU_MS_PER_SIDE of server CPU on a side. */
  | 'cpu'
  /** The interval straddles the threshold. */
  | 'interval';

/** "Deflate on disconnects more often than deflate off" in one cell: the ratio on ÷ off judged against 1. */
export interface DisconnectComparison {
  cell: Omit<SweepCell, 'deflate'>;
  on: RateEstimate | null;
  off: RateEstimate | null;
  /** on ÷ off with its interval; null when neither side disconnected or a side has no run. */
  ratio: { ratio: number; interval: Interval } | null;
  verdict: ClaimVerdict;
  why: UnsettledWhy | null;
  /** For `not tested`: the controls that did not hold. */
  controls: string[];
  /** For `count`: the runs each side needs (at least MIN_UNITS); null when more runs of the same kind will not do (over-dispersed). */
  runsNeeded: number | null;
  /** For `interval`: how many times the connection-hours of each side would settle it at the measured rates; null beyond MAX_EXPOSURE_FACTOR. */
  exposureFactor: number | null;
  mode: RunMode;
}

/** One on/off pair of runs (the same repeat index, run back to back) in the cost comparison. */
export interface CostPair {
  repeat: number;
  /** Server CPU per MiB delivered, off ÷ on. */
  ratio: number;
  cpuMsOn: number;
  cpuMsOff: number;
}

/** "Deflate on costs the server more CPU per MiB delivered than off" in one cell: off ÷ on judged against 1. */
export interface CostComparison {
  cell: Omit<SweepCell, 'deflate'>;
  /** The pairs where both runs did equal work (every frame delivered, no failure, load met, controls held). */
  pairs: CostPair[];
  /** Repeats left out, and why. */
  left: Array<{ repeat: number; why: string }>;
  /** The t interval on the log ratios; null with fewer than 2 pairs. */
  estimate: RatioEstimate | null;
  cpuMsOn: number;
  cpuMsOff: number;
  verdict: ClaimVerdict;
  why: UnsettledWhy | null;
  /** The usable pairs that would settle it at the measured spread and CPU per pair; null when none would (the mean sits on 1). */
  pairsNeeded: number | null;
  mode: RunMode;
}

const modeOf = (pair: DeflatePair): RunMode => (pair.on.quick || pair.off.quick ? 'quick' : 'full');

/** What stops the sides of a disconnect comparison from counting: deflate not used on the "on" side, unproven zeros. */
function controlsOf(pair: DeflatePair): string[] {
  const out: string[] = [];
  const notNegotiated = [...pair.on.byRepeat.values()].filter((m) => !m.controls.deflateNegotiated).length;
  if (notNegotiated > 0) out.push(`deflate was not negotiated in ${notNegotiated} of the deflate-on runs`);
  for (const [side, agg] of [
    ['on', pair.on],
    ['off', pair.off],
  ] as const) {
    if (agg.rate?.events === 0 && agg.unprovenZeros > 0)
      out.push(`${agg.unprovenZeros} of the deflate-${side} runs do not prove their zero by their controls`);
  }
  return out;
}

/**
 * The smallest multiple of both sides' exposure (counts scaled with it, at the measured rates)
 * whose ratio interval lies wholly on one side of 1; null beyond MAX_EXPOSURE_FACTOR.
 */
export function exposureToSettle(a: CountUnit, b: CountUnit): number | null {
  for (let factor = 2; factor <= MAX_EXPOSURE_FACTOR; factor = Math.ceil(factor * 1.25)) {
    const scaled = (u: CountUnit) => ({ events: Math.round(u.events * factor), exposure: u.exposure * factor });
    const ratio = rateRatio(scaled(a), scaled(b));
    if (ratio && judgeAbove(ratio.interval, 1) !== 'not settled') return factor;
  }
  return null;
}

/** The runs each side of a count needs to be settled; null when over-dispersion, not the number of runs, stops it. */
function runsNeededFor(sides: ReadonlyArray<RateEstimate | null>): number | null {
  const unsettled = sides.filter((s): s is RateEstimate => s !== null && s.unsettled !== null);
  if (unsettled.some((s) => s.units >= MIN_UNITS)) return null;
  return MIN_UNITS;
}

/** Judges "deflate on disconnects more often than deflate off" in one cell, from the ratio of the two rates. */
export function compareDisconnects(pair: DeflatePair): DisconnectComparison {
  const { rate: on } = pair.on;
  const { rate: off } = pair.off;
  const base = {
    cell: pair.cell,
    on: on,
    off: off,
    ratio: on && off ? rateRatio(on, off) : null,
    controls: [] as string[],
    runsNeeded: null,
    exposureFactor: null,
    mode: modeOf(pair),
  };
  const notSettled = (why: UnsettledWhy, more: Partial<DisconnectComparison> = {}): DisconnectComparison => ({
    ...base,
    verdict: 'not settled',
    why: why,
    ...more,
  });
  if (on === null || off === null) return notSettled('no run');
  const controls = controlsOf(pair);
  if (controls.length > 0) return notSettled('not tested', { controls: controls });
  if (base.ratio === null) return notSettled('no disconnect');
  if (on.unsettled !== null || off.unsettled !== null)
    return notSettled('count', { runsNeeded: runsNeededFor([on, off]) });
  const verdict = judgeAbove(base.ratio.interval, 1);
  if (verdict === 'not settled') return notSettled('interval', { exposureFactor: exposureToSettle(on, off) });
  return { ...base, verdict: verdict, why: null };
}

/** The repeat pairs of a cell where both runs did equal work, and the repeats left out with why. */
function costPairs(on: CellAggregate, off: CellAggregate): Pick<CostComparison, 'pairs' | 'left'> {
  const pairs: CostPair[] = [];
  const left: CostComparison['left'] = [];
  const repeats = [...new Set([...on.byRepeat.keys(), ...off.byRepeat.keys()])].sort((a, b) => a - b);
  for (const repeat of repeats) {
    const mOn = on.byRepeat.get(repeat);
    const mOff = off.byRepeat.get(repeat);
    if (!mOn || !mOff) {
      left.push({ repeat: repeat, why: `no completed deflate-${mOn ? 'off' : 'on'} run` });
      continue;
    }
    const blocked = [...mOn.zeroBlockers.map((b) => `on: ${b}`), ...mOff.zeroBlockers.map((b) => `off: ${b}`)];
    if (blocked.length > 0 || !(mOn.cpuMsPerMiB && mOff.cpuMsPerMiB)) {
      left.push({ repeat: repeat, why: blocked.join('; ') || 'no CPU figure on a side' });
      continue;
    }
    pairs.push({ repeat: repeat, ratio: mOff.cpuMsPerMiB / mOn.cpuMsPerMiB, cpuMsOn: mOn.cpuMs, cpuMsOff: mOff.cpuMs });
  }
  return { pairs: pairs, left: left };
}

/**
 * Judges "deflate on costs the server more CPU per MiB delivered than off" in one cell: the t
 * interval on the log of off ÷ on over the repeat pairs, wholly below 1. A verdict needs at least
 * MIN_UNITS pairs and MIN_CPU_MS_PER_SIDE of CPU on each side; anything less is not settled.
 */
export function compareCost(pair: DeflatePair): CostComparison {
  const { pairs, left } = costPairs(pair.on, pair.off);
  const estimate = pairedRatio(pairs.map((p) => p.ratio));
  const cpuMsOn = pairs.reduce((s, p) => s + p.cpuMsOn, 0);
  const cpuMsOff = pairs.reduce((s, p) => s + p.cpuMsOff, 0);
  const perPair = pairs.length > 0 ? Math.min(cpuMsOn, cpuMsOff) / pairs.length : 0;
  const forCpu = perPair > 0 ? Math.ceil(MIN_CPU_MS_PER_SIDE / perPair) : MIN_UNITS;
  const forSpread = estimate ? pairsToSettle(estimate, 1) : MIN_UNITS;
  const base = {
    cell: pair.cell,
    pairs: pairs,
    left: left,
    estimate: estimate,
    cpuMsOn: cpuMsOn,
    cpuMsOff: cpuMsOff,
    pairsNeeded: forSpread === null ? null : Math.max(MIN_UNITS, forCpu, forSpread),
    mode: modeOf(pair),
  };
  if (pairs.length < MIN_UNITS || estimate === null) return { ...base, verdict: 'not settled', why: 'pairs' };
  if (Math.min(cpuMsOn, cpuMsOff) < MIN_CPU_MS_PER_SIDE) return { ...base, verdict: 'not settled', why: 'cpu' };
  const verdict = judgeBelow(estimate.interval, 1);
  return { ...base, verdict: verdict, why: verdict === 'not settled' ? 'interval' : null };
}

/** Whether a live count agrees with its recorded cell: the ratio live ÷ recorded, consistent when its interval contains 1. */
export interface SpotConsistency {
  /** live ÷ recorded with its interval; null when neither saw a disconnect (then consistent). */
  ratio: { ratio: number; interval: Interval } | null;
  consistent: boolean;
}

/** The spot check's test: the exact conditional ratio of the live rate to the recorded one, given both exposures. */
export function spotConsistency(live: CountUnit, recorded: CountUnit): SpotConsistency {
  const ratio = rateRatio(live, recorded);
  return { ratio: ratio, consistent: ratio === null || (ratio.interval.low <= 1 && ratio.interval.high >= 1) };
}
