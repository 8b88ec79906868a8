/**
 * Chapter 5's on/off verdicts in words: for each cell, whether deflate on disconnects more often
 * than off (the ratio of the two rates) and whether it costs the server more CPU per MiB (the
 * repeat pairs), each holds, does not hold or not settled with the numbers it was judged from and,
 * when not settled, what would settle it and the command that runs it; and the same claims per
 * stack over the main chart's cells, as the report lists them.
 */
import { formatNumber } from '../../show/fragments';
import { HOUR_GRID, loadLabel, type SweepCell } from '../../sweep/grid';
import {
  spotConsistency,
  type CostComparison,
  type DisconnectComparison,
  type UnsettledWhy,
} from '../../sweep/compare';
import { MIN_CPU_MS_PER_SIDE, MIN_UNITS, type Interval, type RateEstimate } from '../../core/stats';
import { intervalText, type ClaimVerdict, type Judgement, type RunMode } from '../../core/verdict';
import { exposureText, rateNumber, rateText } from '../../traffic/rates';
import { KiB, MiB } from '../../core/params';
import { formatBytes, formatDuration } from '../../core/units';
import { boundsText, rangeText } from './describe';

/** The two on/off claims chapter 5 judges in each cell. */
export const DISCONNECT_CLAIM = 'deflate on disconnects more often than deflate off';
export const COST_CLAIM = 'deflate on costs the server more CPU per MiB delivered than deflate off';

type PairCell = Omit<SweepCell, 'deflate'>;

const plural = (n: number, one: string, many = `${one}s`): string => `${formatNumber(n)} ${n === 1 ? one : many}`;

function listText(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A frame size as the sweep's command line takes it: `256KiB`, `1MiB`, `3000`. */
function sizeFlag(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB}MiB`;
  if (bytes % KiB === 0) return `${bytes / KiB}KiB`;
  return String(bytes);
}

const distinct = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * The command that records `repeats` repeats of these cells (the repeats already recorded are
 * skipped): `npm run sweep -- --stacks 2015 --payload data-url --frame-sizes 256KiB --repeats 5`.
 * A fixed load is given as rate and burst; clients and duration only where they differ from the
 * hour grid's.
 */
export function sweepCommand(cells: readonly PairCell[], repeats: number): string {
  const flags = [
    `--stacks ${distinct(cells.map((c) => c.stack)).join(',')}`,
    `--payload ${distinct(cells.map((c) => c.payload)).join(',')}`,
    `--frame-sizes ${distinct([...cells].sort((a, b) => a.frameSize - b.frameSize).map((c) => sizeFlag(c.frameSize))).join(',')}`,
  ];
  if (cells.every((c) => c.knee === undefined)) {
    flags.push(`--rate ${distinct(cells.map((c) => c.rate)).join(',')}`);
    flags.push(`--burst ${distinct(cells.map((c) => c.burst)).join(',')}`);
  }
  const clients = distinct(cells.map((c) => c.clients));
  if (clients.length === 1 && clients[0] !== HOUR_GRID.clients) flags.push(`--clients ${clients[0]}`);
  const durations = distinct(cells.map((c) => c.duration));
  if (durations.length === 1 && durations[0] !== HOUR_GRID.duration) flags.push(`--duration ${durations[0] / 1000}s`);
  return `npm run sweep -- ${flags.join(' ')} --repeats ${repeats}`;
}

/** `2015, data-url 256 KiB at 50% of the knee`: the cell a verdict is about. */
export function cellName(cell: PairCell): string {
  return `${cell.stack}, ${cell.payload} ${formatBytes(cell.frameSize)} at ${loadLabel(cell)}`;
}

/** `9,500 per connection-hour (95%: 7,780–11,500)`, `at most 180 per connection-hour (one-sided 95%)`. */
export function rateShort(rate: RateEstimate | null): string {
  if (rate === null) return 'no run';
  if (rate.events === 0) return `at most ${rateNumber(rate.interval.high)} per connection-hour (one-sided 95%)`;
  return `${rateNumber(rate.rate)} per connection-hour (${intervalText(rate.interval)}${rate.unsettled === null ? '' : ', not settled'})`;
}

/** `on ÷ off 2.1 (95%: 1.3–3.4)`; with no disconnect on the lower side, `unbounded above`. */
export function ratioText(ratio: { ratio: number; interval: Interval }, label: string): string {
  const point = Number.isFinite(ratio.ratio) ? formatNumber(ratio.ratio) : 'unbounded above';
  return `${label ? `${label} ` : ''}${point} (${intervalText(ratio.interval)})`;
}

/** Why a comparison is not settled, in the words a summary counts it by. */
const WHY_TEXT: Record<UnsettledWhy, string> = {
  'no run': 'with a side that has no run that met its load',
  'not tested': 'whose positive controls did not hold',
  'no disconnect': 'with no disconnect on either side',
  count: `whose counts are not settled: under ${MIN_UNITS} runs, or over-dispersed`,
  pairs: `with fewer than ${MIN_UNITS} repeat pairs that did equal work`,
  cpu: `with under ${formatDuration(MIN_CPU_MS_PER_SIDE)} of server CPU on a side`,
  interval: 'whose interval contains 1',
};

/** Why a disconnect comparison is not settled, in words; empty when it is settled. */
export function disconnectWhy(c: DisconnectComparison): string {
  switch (c.why) {
    case null:
      return '';
    case 'no run':
      return 'a side has no run that met its load';
    case 'not tested':
      return c.controls.join('; ');
    case 'no disconnect':
      return 'no disconnect on either side, so nothing to compare';
    case 'count':
      return 'a side’s count is not settled, so neither is the comparison';
    default:
      return 'the interval of on ÷ off contains 1';
  }
}

/** What a disconnect comparison was judged from: both rates, their ratio, and why it is not settled. */
export function disconnectBasis(c: DisconnectComparison): string {
  const parts = [
    `deflate on: ${c.on ? rateText(c.on) : 'no run'}`,
    `deflate off: ${c.off ? rateText(c.off) : 'no run'}`,
  ];
  if (c.ratio) parts.push(ratioText(c.ratio, 'on ÷ off'));
  if (c.why) parts.push(disconnectWhy(c));
  return parts.join('; ');
}

/** What would settle a disconnect comparison that is not settled, and the command that runs it. */
export function disconnectToSettle(c: DisconnectComparison): string | undefined {
  const units = Math.max(c.on?.units ?? 0, c.off?.units ?? 0);
  switch (c.why) {
    case null:
      return undefined;
    case 'no run':
    case 'not tested':
      return `runs of this cell in which the positive controls hold: ${sweepCommand([c.cell], Math.max(MIN_UNITS, units))}`;
    case 'no disconnect':
      return `a disconnect on either side: none in ${exposureText(c.on?.exposure ?? 0)} with deflate on and ${exposureText(c.off?.exposure ?? 0)} off, and how many more runs would show one is not known (${sweepCommand([c.cell], Math.max(MIN_UNITS, units))})`;
    case 'count':
      return c.runsNeeded === null
        ? 'runs that agree: the counts vary across runs more than chance allows, so more of the same runs will not give a Poisson interval; what differs between them would have to be found'
        : `at least ${c.runsNeeded} runs on each side (now ${c.on?.units ?? 0} with deflate on, ${c.off?.units ?? 0} off): ${sweepCommand([c.cell], c.runsNeeded)}`;
    default:
      return c.exposureFactor === null
        ? 'more than 1,000 times the connection-hours at the measured rates: no practical run settles it'
        : `about ${c.exposureFactor}× the connection-hours on each side at the measured rates, about ${Math.ceil(c.exposureFactor * units)} runs per side: ${sweepCommand([c.cell], Math.ceil(c.exposureFactor * units))}`;
  }
}

/** What a cost comparison was judged from: the pairs' ratio and interval, the CPU on each side, repeats left out. */
export function costBasis(c: CostComparison): string {
  const ratio = c.estimate
    ? `off ÷ on ${formatNumber(c.estimate.ratio)} (${intervalText(c.estimate.interval)}) over ${plural(c.pairs.length, 'repeat pair')}`
    : c.pairs.length === 1
      ? `off ÷ on ${formatNumber(c.pairs[0].ratio)} from 1 repeat pair, no interval`
      : 'no repeat pair in which both runs did equal work';
  const parts = [ratio];
  if (c.pairs.length > 0)
    parts.push(`${formatDuration(c.cpuMsOn)} of server CPU with deflate on, ${formatDuration(c.cpuMsOff)} off`);
  if (c.left.length > 0)
    parts.push(`${plural(c.left.length, 'repeat')} left out (${c.left[0].why}${c.left.length > 1 ? '; …' : ''})`);
  if (c.why === 'pairs') parts.push(`fewer than ${MIN_UNITS} pairs (${c.pairs.length})`);
  if (c.why === 'cpu') parts.push(`less than ${formatDuration(MIN_CPU_MS_PER_SIDE)} of server CPU on a side`);
  if (c.why === 'interval') parts.push('the interval of off ÷ on contains 1');
  return parts.join('; ');
}

/** What would settle a cost comparison that is not settled, and the command that runs it. */
export function costToSettle(c: CostComparison): string | undefined {
  if (c.why === null) return undefined;
  if (c.pairsNeeded === null) return 'at the measured mean (off ÷ on about 1), no number of pairs settles it';
  return `${c.pairsNeeded} repeat pairs in which both runs deliver every frame at their load (now ${c.pairs.length}), at the measured spread and CPU per pair: ${sweepCommand([c.cell], c.pairsNeeded)}`;
}

/**
 * How the cells stand on one claim: `Deflate on disconnects more often than deflate off: holds in
 * 1 of 42 cells, does not hold in 0, not settled in 41 (36 with no disconnect on either side; …)`.
 */
export function describeVerdicts(
  claim: string,
  comparisons: ReadonlyArray<{ verdict: ClaimVerdict; why: UnsettledWhy | null; mode: RunMode }>,
): string {
  if (comparisons.length === 0)
    return `No cell was measured with deflate both on and off, so "${claim}" was not judged.`;
  const count = (v: ClaimVerdict) => comparisons.filter((c) => c.verdict === v).length;
  const why = (Object.keys(WHY_TEXT) as UnsettledWhy[])
    .map((w) => ({ n: comparisons.filter((c) => c.verdict === 'not settled' && c.why === w).length, w: w }))
    .filter(({ n }) => n > 0)
    .map(({ n, w }) => `${formatNumber(n)} ${WHY_TEXT[w]}`);
  const modes = distinct(comparisons.map((c) => c.mode));
  const from = modes.length === 1 ? `${modes[0]} runs` : 'quick and full runs';
  return (
    `${claim.charAt(0).toUpperCase()}${claim.slice(1)}: holds in ${formatNumber(count('holds'))} of ${plural(comparisons.length, 'on/off cell')}, ` +
    `does not hold in ${formatNumber(count('does not hold'))}, not settled in ${formatNumber(count('not settled'))}` +
    `${why.length > 0 ? ` (${why.join('; ')})` : ''}; judged from the 95% interval against 1, from ${from}.`
  );
}

const modeOf = (comparisons: ReadonlyArray<{ mode: RunMode }>): RunMode =>
  comparisons.some((c) => c.mode === 'quick') ? 'quick' : 'full';

/**
 * "On <stack>, deflate on disconnects more often than deflate off at some frame size" over the
 * main chart's cells of one stack: holds when it holds at a size (one settled cell shows it),
 * does not hold when it does not hold at any, else not settled with the cells that leave it so.
 */
export function stackDisconnectJudgement(
  stack: string,
  comparisons: readonly DisconnectComparison[],
  where: string,
): Judgement {
  const claim = `On ${stack}, ${DISCONNECT_CLAIM} at some frame size (${where})`;
  const at = (c: DisconnectComparison) => `at ${formatBytes(c.cell.frameSize)}`;
  const each = (c: DisconnectComparison) =>
    `${at(c)}: on ${rateShort(c.on)}, off ${rateShort(c.off)}${c.ratio ? `, ${ratioText(c.ratio, 'on ÷ off')}` : ''}`;
  const holds = comparisons.filter((c) => c.verdict === 'holds');
  const mode = modeOf(comparisons);
  if (holds.length > 0) return { claim: claim, verdict: 'holds', basis: holds.map(each).join('; '), mode: mode };
  if (comparisons.length > 0 && comparisons.every((c) => c.verdict === 'does not hold'))
    return { claim: claim, verdict: 'does not hold', basis: comparisons.map(each).join('; '), mode: mode };
  const compared = comparisons.filter((c) => c.ratio !== null);
  const quiet = comparisons.filter((c) => c.why === 'no disconnect');
  const other = comparisons.filter((c) => !compared.includes(c) && !quiet.includes(c));
  const parts = compared.map((c) => `${each(c)}, ${c.verdict}${c.why ? `: ${disconnectWhy(c)}` : ''}`);
  if (quiet.length > 0) {
    const rates = quiet.flatMap((c) => [c.on, c.off]).filter((r): r is RateEstimate => r !== null);
    parts.push(
      `no disconnect on either side at ${listText(quiet.map((c) => formatBytes(c.cell.frameSize)))}: ${boundsText(rates)}`,
    );
  }
  for (const c of other) parts.push(`${at(c)}: ${disconnectWhy(c)}`);
  const decisive = compared.find((c) => c.verdict === 'not settled') ?? other[0];
  const toSettle = decisive
    ? disconnectToSettle(decisive)
    : quiet.length > 0
      ? `a disconnect with deflate on or off at some size: none was seen, and how many more runs would show one is not known (${sweepCommand(
          quiet.map((c) => c.cell),
          MIN_UNITS,
        )})`
      : 'a cell measured with deflate both on and off';
  return {
    claim: claim,
    verdict: 'not settled',
    basis: parts.join('; ') || 'no cell measured with deflate both on and off',
    ...(toSettle === undefined ? {} : { toSettle: toSettle }),
    mode: mode,
  };
}

/**
 * "On <stack>, deflate on costs the server more CPU per MiB delivered than deflate off at every
 * frame size" over the main chart's cells of one stack: holds when it holds at every size, does
 * not hold when it does not hold at one, else not settled.
 */
export function stackCostJudgement(stack: string, comparisons: readonly CostComparison[], where: string): Judgement {
  const claim = `On ${stack}, ${COST_CLAIM} at every frame size (${where})`;
  const mode = modeOf(comparisons);
  const at = (c: CostComparison) => `at ${formatBytes(c.cell.frameSize)}: ${costBasis(c)}`;
  const against = comparisons.filter((c) => c.verdict === 'does not hold');
  if (against.length > 0)
    return { claim: claim, verdict: 'does not hold', basis: against.map(at).join('. '), mode: mode };
  if (comparisons.length > 0 && comparisons.every((c) => c.verdict === 'holds'))
    return { claim: claim, verdict: 'holds', basis: comparisons.map(at).join('. '), mode: mode };
  const ratios = comparisons.flatMap((c) =>
    c.estimate ? [c.estimate.ratio] : c.pairs.length === 1 ? [c.pairs[0].ratio] : [],
  );
  const pairs = comparisons.map((c) => c.pairs.length);
  const unsettled = comparisons.filter((c) => c.verdict === 'not settled');
  const why = distinct(unsettled.map((c) => c.why as UnsettledWhy)).map((w) =>
    WHY_TEXT[w].replace(/^(with|whose) /, ''),
  );
  const basis =
    (ratios.length > 0
      ? `off ÷ on ${rangeText(Math.min(...ratios), Math.max(...ratios))} by size (geometric means over ${rangeText(Math.min(...pairs), Math.max(...pairs))} repeat pairs per size); `
      : 'no size has a repeat pair in which both runs did equal work; ') +
    `not settled at ${formatNumber(unsettled.length)} of ${plural(comparisons.length, 'size')}: ${why.join('; ')}`;
  const needed = unsettled.map((c) => c.pairsNeeded).filter((n): n is number => n !== null);
  const toSettle =
    needed.length > 0
      ? `${Math.max(...needed)} repeat pairs per size that did equal work, at the measured spread and CPU per pair: ${sweepCommand(
          unsettled.map((c) => c.cell),
          Math.max(...needed),
        )}`
      : 'at the measured means (off ÷ on about 1), no number of pairs settles it';
  return { claim: claim, verdict: 'not settled', basis: basis, toSettle: toSettle, mode: mode };
}

/**
 * The spot check's verdict: whether the live count is consistent with its recorded cell, from the
 * interval of live ÷ recorded, with the numbers; and, when a side rests on fewer than MIN_UNITS
 * runs, that the spread across runs was not checked.
 */
export function spotCheckSentence(live: RateEstimate, recorded: RateEstimate): string {
  const { ratio, consistent } = spotConsistency(live, recorded);
  const few = [live, recorded].some((r) => r.events > 0 && r.units < MIN_UNITS)
    ? ` Live and recorded rest on ${plural(live.units, 'run')} and ${plural(recorded.units, 'run')}, so the spread across runs is not checked: the test takes each count as Poisson.`
    : '';
  if (ratio === null)
    return `Consistent with the recorded cell: no disconnect live or recorded (live ${rateShort(live)}, recorded ${rateShort(recorded)}).${few}`;
  const compared = `the interval of live ÷ recorded (${intervalText(ratio.interval)})`;
  if (consistent) return `Consistent with the recorded cell: ${compared} contains 1.${few}`;
  const higher = ratio.interval.low > 1;
  return `Not consistent with the recorded cell: ${compared} lies wholly ${higher ? 'above' : 'below'} 1, so the live rate is ${higher ? 'higher' : 'lower'} than the recorded runs allow.${few}`;
}
