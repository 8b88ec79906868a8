/**
 * The sentences under chapter 5's charts, worded from the rows the charts show: where and how
 * often disconnects came, as rates per connection-hour with their intervals (a zero as its
 * one-sided bound and whether its run's controls held), how CPU and bytes on the wire moved with
 * deflate, how consistent the repeats were. Nothing here is a finding typed in advance; every
 * number and every "none" comes from the rows, with what it rests on.
 */
import { formatNumber } from '../../show/fragments';
import type { Spread } from '../../traffic/metrics';
import type { DeflateMode, StackName } from '../../core/params';
import type { RateEstimate } from '../../core/stats';
import { rateNumber, rateText } from '../../traffic/rates';
import { formatBytes } from '../../core/units';
import type { KneePoint } from './charts';
import type { KneeSearchEnd } from '../../capacity/knee';
import type { PooledRow, Row } from './rows';

const plural = (n: number, one: string, many = `${one}s`): string => `${formatNumber(n)} ${n === 1 ? one : many}`;

/** `3.2` or `3.2–41`: a range of numbers, one number when both ends agree. */
export function rangeText(min: number, max: number): string {
  return formatNumber(min) === formatNumber(max) ? formatNumber(min) : `${formatNumber(min)}–${formatNumber(max)}`;
}

/** Names a set of frame sizes against all sizes measured: `256 KiB and above`, `every size`, or a list. */
export function sizesText(sizes: readonly number[], all: readonly number[]): string {
  const chosen = [...new Set(sizes)].sort((a, b) => a - b);
  const every = [...new Set(all)].sort((a, b) => a - b);
  if (chosen.length === 0) return 'no size';
  if (chosen.length === every.length && every.length > 1)
    return `every size (${formatBytes(every[0])} to ${formatBytes(every[every.length - 1])})`;
  const top = every.slice(every.length - chosen.length);
  if (chosen.length > 1 && top.every((s, i) => s === chosen[i])) return `${formatBytes(chosen[0])} and above`;
  const bottom = every.slice(0, chosen.length);
  if (chosen.length > 1 && bottom.every((s, i) => s === chosen[i]))
    return `${formatBytes(chosen[chosen.length - 1])} and below`;
  const names = chosen.map(formatBytes);
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function blockersText(blockers: Record<string, number>): string {
  const top = Object.entries(blockers).sort((a, b) => b[1] - a[1]);
  return top.map(([kind, n]) => `${kind} (${plural(n, 'run')})`).join('; ');
}

function sum(rows: readonly Row[], field: 'runs' | 'completed' | 'provenZero' | 'saturated'): number {
  return rows.reduce((total, row) => total + row[field], 0);
}

function mergedBlockers(rows: readonly Row[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) for (const [kind, n] of Object.entries(row.blockers)) out[kind] = (out[kind] ?? 0) + n;
  return out;
}

/**
 * What a "none" rests on besides its bound: whether the positive controls held in its runs
 * (deflate negotiated where asked for, fragments on the wire, every frame delivered, the load met).
 */
function controlsText(rows: readonly Row[]): string {
  const completed = sum(rows, 'completed');
  const held = sum(rows, 'provenZero');
  const why = blockersText(mergedBlockers(rows));
  if (held === completed)
    return completed === 1
      ? 'every positive control held in the run'
      : completed === 2
        ? 'every positive control held in both runs'
        : `every positive control held in all ${formatNumber(completed)} runs`;
  if (held === 0) return `the positive controls did not hold: ${why}`;
  return `the positive controls held in ${formatNumber(held)} of ${plural(completed, 'run')}; not in the others: ${why}`;
}

/** Zeros as their one-sided bounds: `at most 180 per connection-hour in each cell (one-sided 95%)`. */
export function boundsText(zeros: readonly RateEstimate[]): string {
  if (zeros.length === 0) return '';
  const highs = zeros.map((z) => z.interval.high);
  if (zeros.length === 1) return `at most ${rateNumber(highs[0])} per connection-hour (one-sided 95%)`;
  const lowest = rateNumber(Math.min(...highs));
  const highest = rateNumber(Math.max(...highs));
  return lowest === highest
    ? `at most ${lowest} per connection-hour in each cell (one-sided 95%)`
    : `at most ${lowest} to ${highest} per connection-hour by cell (one-sided 95%)`;
}

const ratesOf = (rows: readonly Row[]): RateEstimate[] =>
  rows.flatMap((r) => (r.disconnectRate === null ? [] : [r.disconnectRate]));
const eventsOf = (row: Row): number => row.disconnectRate?.events ?? 0;

function failedRuns(rows: readonly Row[]): string {
  const failed = sum(rows, 'runs') - sum(rows, 'completed');
  return failed > 0
    ? ` ${plural(failed, 'run')} could not be measured and ${failed === 1 ? 'is' : 'are'} left out.`
    : '';
}

/** The runs a rate leaves out: those that could not be measured, and those that did not meet their load. */
function leftOut(rows: readonly Row[]): string {
  const saturated = sum(rows, 'saturated');
  const one = saturated === 1;
  return (
    failedRuns(rows) +
    (saturated > 0
      ? ` ${plural(saturated, 'run')} did not meet ${one ? 'its' : 'their'} load and ${one ? 'is' : 'are'} left out of the rates.`
      : '')
  );
}

/** One stack × deflate group of the headline, as a clause: each size's rate, then the sizes without a disconnect and their bound. */
function headlineClause(rows: readonly Row[], allSizes: readonly number[]): string {
  const hit = rows.filter((r) => eventsOf(r) > 0);
  const quiet = rows.filter((r) => r.disconnectRate?.events === 0);
  const none = (lead: string) =>
    `${lead} at ${sizesText(
      quiet.map((r) => r.frameSize),
      allSizes,
    )}: ${boundsText(ratesOf(quiet))}; ${controlsText(quiet)}`;
  if (hit.length === 0) return none('no disconnect');
  const parts = hit.map((r) => `at ${formatBytes(r.frameSize)}, ${rateText(r.disconnectRate as RateEstimate)}`);
  if (quiet.length > 0) parts.push(none('none'));
  return parts.join('; ');
}

function byStackAndDeflate(
  rows: readonly Row[],
): Array<{ stack: StackName; groups: Array<{ deflate: DeflateMode; rows: Row[] }> }> {
  const stacks = [...new Set(rows.map((r) => r.stack))];
  return stacks.map((stack) => ({
    stack: stack,
    groups: (['on', 'off'] as const)
      .map((deflate) => ({
        deflate: deflate,
        rows: rows.filter((r) => r.stack === stack && r.deflate === deflate).sort((a, b) => a.frameSize - b.frameSize),
      }))
      .filter((g) => g.rows.length > 0),
  }));
}

function listText(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Under the headline: one sentence per stack × deflate setting that had disconnects (each size's
 * rate with its interval and what it rests on), then one for all those that had none, with their
 * bounds and whether the positive controls held.
 */
export function describeHeadline(rows: readonly Row[]): string {
  if (rows.length === 0) return 'No run measured disconnects for this chart.';
  const allSizes = rows.map((r) => r.frameSize);
  const groups = byStackAndDeflate(rows).flatMap(({ stack, groups: g }) => g.map((x) => ({ stack: stack, ...x })));
  const hit = groups.filter((g) => g.rows.some((r) => eventsOf(r) > 0));
  const quiet = groups.filter((g) => !hit.includes(g) && g.rows.some((r) => r.disconnectRate !== null));
  const sentences = hit.map((g) => `On ${g.stack} with deflate ${g.deflate}: ${headlineClause(g.rows, allSizes)}.`);
  if (quiet.length > 0) {
    const where = (['on', 'off'] as const)
      .map((d) => ({ d: d, stacks: quiet.filter((g) => g.deflate === d).map((g) => g.stack) }))
      .filter((x) => x.stacks.length > 0)
      .map((x) => `on ${listText(x.stacks)} with deflate ${x.d}`);
    const quietRows = quiet.flatMap((g) => g.rows).filter((r) => r.disconnectRate !== null);
    const sizes = sizesText(
      quietRows.map((r) => r.frameSize),
      allSizes,
    );
    sentences.push(
      `No disconnect ${where.join(', and ')}: ${boundsText(ratesOf(quietRows))}, over ${plural(sum(quietRows, 'completed'), 'run')} at ${sizes} (${controlsText(quietRows)}).`,
    );
  }
  return sentences.join(' ') + leftOut(rows);
}

/** Under the CPU chart: per stack, at how many sizes deflate on cost more CPU per MiB than off, and by what factor. */
export function describeCpu(rows: readonly Row[]): string {
  const sentences: string[] = [];
  for (const { stack, groups } of byStackAndDeflate(rows)) {
    const on = groups.find((g) => g.deflate === 'on')?.rows ?? [];
    const off = groups.find((g) => g.deflate === 'off')?.rows ?? [];
    const pairs = on
      .map((r) => ({
        size: r.frameSize,
        on: r.value?.median,
        off: off.find((o) => o.frameSize === r.frameSize)?.value?.median,
      }))
      .filter(
        (p): p is { size: number; on: number; off: number } =>
          typeof p.on === 'number' && typeof p.off === 'number' && p.off > 0,
      );
    if (pairs.length === 0) {
      sentences.push(
        `On ${stack}, no frame size has a CPU figure for both deflate on and off (nothing delivered on one side).`,
      );
      continue;
    }
    const ratios = pairs.map((p) => p.on / p.off);
    const higher = pairs.filter((p) => p.on > p.off).length;
    sentences.push(
      `On ${stack}, the median over repeats of server CPU per MiB delivered was higher with deflate on than off at ${formatNumber(higher)} of ${plural(pairs.length, 'frame size')} ` +
        `(on/off ${rangeText(Math.min(...ratios), Math.max(...ratios))}×); whether deflate on costs more is judged from the repeat pairs further down.`,
    );
  }
  return sentences.length > 0
    ? sentences.join(' ') + failedRuns(rows)
    : 'No run delivered anything, so there is no CPU per MiB to show.';
}

/**
 * Under the bytes-on-the-wire chart: with deflate on, the share of its size each payload kind kept
 * on the wire, compared at the largest frame size every kind has an exact figure for (so the kinds
 * meet on equal terms), then the range over all sizes. This answers "does deflate help JSON more
 * than a picture?" from the numbers, whichever way they go.
 */
export function describeWire(ratios: readonly PooledRow[]): string {
  const on = ratios.filter((r) => r.deflate === 'on' && r.value !== null);
  if (on.length === 0)
    return 'No run with deflate on delivered every message it sent, so no exact bytes-per-message figure exists for deflate on.';
  const kinds = [...new Set(on.map((r) => r.payload))];
  const sizesOf = (payload: string) => new Set(on.filter((r) => r.payload === payload).map((r) => r.frameSize));
  const common = [...sizesOf(kinds[0])].filter((size) => kinds.every((k) => sizesOf(k).has(size)));
  const ratioAt = (payload: string, size: number) =>
    (on.find((r) => r.payload === payload && r.frameSize === size)?.value as Spread).median;
  const sentences: string[] = [];
  if (common.length > 0) {
    const size = Math.max(...common);
    const ranked = [...kinds].sort((a, b) => ratioAt(b, size) - ratioAt(a, size));
    const each = ranked.map(
      (k) => `${k} ${formatNumber(ratioAt(k, size))}× (${Math.round(100 / ratioAt(k, size))}% of its size on the wire)`,
    );
    sentences.push(
      `At ${formatBytes(size)}, the largest frame size with an exact figure for every payload kind, deflate on shrank ${each.join(', ')} (median payload bytes per wire byte).`,
    );
    if (ranked.length > 1)
      sentences.push(`There, deflate helped ${ranked[0]} the most and ${ranked[ranked.length - 1]} the least.`);
  }
  const ranges = kinds.map((k) => {
    const mine = on.filter((r) => r.payload === k);
    const medians = mine.map((r) => (r.value as Spread).median);
    const runs = mine.reduce((n, r) => n + (r.value as Spread).n, 0);
    return `${k} ${rangeText(Math.min(...medians), Math.max(...medians))}× (${plural(runs, 'run')} over ${plural(mine.length, 'frame size')})`;
  });
  sentences.push(`Over all sizes measured: ${ranges.join('; ')}.`);
  const missing = ratios.filter((r) => r.deflate === 'on' && r.value === null);
  if (missing.length > 0) {
    sentences.push(
      `No exact figure at ${missing.map((r) => `${r.payload} ${formatBytes(r.frameSize)}`).join(', ')}: no run there delivered every message it sent.`,
    );
  }
  return sentences.join(' ');
}

/** Under the ack-latency chart: per stack, p99 with deflate on and off at the smallest and largest frame size measured. */
export function describeAck(rows: readonly Row[]): string {
  const sentences: string[] = [];
  for (const { stack, groups } of byStackAndDeflate(rows)) {
    const clauses = groups.map((g) => {
      const withValue = g.rows.filter((r) => r.value !== null);
      if (withValue.length === 0) return `with deflate ${g.deflate}, no ack came back at any size`;
      const first = withValue[0];
      const last = withValue[withValue.length - 1];
      const noAck = g.rows.filter((r) => r.value === null && r.completed > 0).map((r) => formatBytes(r.frameSize));
      const span =
        first === last
          ? `${formatNumber((first.value as Spread).median)} ms at ${formatBytes(first.frameSize)}`
          : `${formatNumber((first.value as Spread).median)} ms at ${formatBytes(first.frameSize)} and ${formatNumber((last.value as Spread).median)} ms at ${formatBytes(last.frameSize)}`;
      return `with deflate ${g.deflate}, ${span}${noAck.length > 0 ? ` (no ack at all at ${noAck.join(', ')})` : ''}`;
    });
    sentences.push(`On ${stack}, p99 ack round trip (median over repeats) ${clauses.join('; ')}.`);
  }
  return sentences.length > 0 ? sentences.join(' ') : 'No run has ack times to show.';
}

/** Under the heat map: how many frame size × rate × burst cells had disconnects, the highest rate, the smallest frame with any, and the others' bounds. */
export function describeHeatmap(rows: readonly Row[]): string {
  const measured = rows.filter((r) => r.disconnectRate !== null);
  if (measured.length === 0) return 'No run of this stack and deflate setting was measured.';
  const { stack, deflate } = measured[0];
  const hit = measured.filter((r) => eventsOf(r) > 0);
  const quiet = measured.filter((r) => eventsOf(r) === 0);
  const combinations = `${plural(measured.length, 'combination')} of frame size, rate and burst`;
  if (hit.length === 0) {
    return `On ${stack} with deflate ${deflate}, none of ${combinations} had a disconnect: ${boundsText(ratesOf(quiet))} (${controlsText(quiet)}).${leftOut(rows)}`;
  }
  const rateOf = (r: Row) => (r.disconnectRate as RateEstimate).rate;
  const worst = [...hit].sort((a, b) => rateOf(b) - rateOf(a))[0];
  const smallest = [...hit].sort((a, b) => a.frameSize - b.frameSize || a.rate * a.burst - b.rate * b.burst)[0];
  const at = (r: Row) => `${formatBytes(r.frameSize)} at ${formatNumber(r.rate)}/s ×${r.burst}`;
  return (
    `On ${stack} with deflate ${deflate}, ${formatNumber(hit.length)} of ${combinations} had disconnects. ` +
    `The highest rate: ${rateText(worst.disconnectRate as RateEstimate)}, with ${at(worst)}; the smallest frame with any: ${at(smallest)}.` +
    (quiet.length > 0 ? ` The others had none: ${boundsText(ratesOf(quiet))}.` : '') +
    leftOut(rows)
  );
}

/**
 * Under the knee chart: whether deflate off or on keeps up with more (pairs where both sides have a
 * measured knee, with the range of off ÷ on), then per stack and size the two figures (the median
 * of the searches, with their range), bounds marked as bounds; and the searches that found no
 * figure. Knees are offered payload MiB/s.
 */
export function describeKnees(points: readonly KneePoint[], gaps: readonly string[]): string {
  if (points.length === 0 && gaps.length === 0) return 'No knee was measured.';
  const fig = (p: KneePoint | undefined) => {
    if (p === undefined) return 'no figure';
    const range = p.min !== p.max ? ` (${rangeText(p.min, p.max)})` : '';
    return `${p.kind === 'at least' ? 'at least ' : ''}${formatNumber(p.MiBps)}${range}`;
  };
  const ratios: number[] = [];
  const perStack: string[] = [];
  for (const stack of [...new Set(points.map((p) => p.stack))]) {
    const mine = points.filter((p) => p.stack === stack);
    const sizes = [...new Set(mine.map((p) => p.frameSize))].sort((a, b) => a - b);
    const clauses = sizes.map((size) => {
      const on = mine.find((p) => p.frameSize === size && p.deflate === 'on');
      const off = mine.find((p) => p.frameSize === size && p.deflate === 'off');
      const both = `off ${fig(off)}, on ${fig(on)}`;
      if (on?.kind !== 'knee' || off?.kind !== 'knee') return `${formatBytes(size)}: ${both}`;
      ratios.push(off.MiBps / on.MiBps);
      return `${formatBytes(size)}: ${both} (× ${formatNumber(off.MiBps / on.MiBps)})`;
    });
    perStack.push(`${stack}: ${clauses.join('; ')}`);
  }
  const higherOff = ratios.filter((r) => r > 1).length;
  const lead =
    ratios.length === 0
      ? 'No size has a measured knee on both sides, so no ratio is given: only bounds were found.'
      : `Deflate off keeps up with more than deflate on in ${formatNumber(higherOff)} of ${plural(ratios.length, 'stack × size pair')} measured on both sides ` +
        `(knee off ÷ on ${rangeText(Math.min(...ratios), Math.max(...ratios))}).`;
  const searches = [...new Set(points.map((p) => p.searches))];
  const basis =
    searches.length === 1
      ? `the median of ${plural(searches[0], 'search', 'searches')} each, their range in brackets`
      : 'the median of each knee’s searches, their range in brackets';
  const sentences = [lead, `Knees in payload MiB/s offered (${basis}), ${perStack.join('. ')}.`];
  if (gaps.length > 0) sentences.push(`No figure for ${gaps.join('; ')}.`);
  return sentences.join(' ');
}

/** A knee's CPU at its knee steps (medians over the searches that found a knee), from /proc. */
export interface KneeCpu {
  stack: string;
  deflate: DeflateMode;
  frameSize: number;
  kneeMiBps: number;
  /** Cores the server used while the knee step sent. */
  cores: number;
  /** Server CPU per MiB read: all threads, the main thread, the others (zlib's pool, V8's helpers). */
  msPerMiB: number;
  mainMsPerMiB: number;
  otherMsPerMiB: number;
  /** Searches whose knee the CPU cross-check flagged, and the searches with a knee. */
  flagged: number;
  searches: number;
}

/** How far apart the knee ratio and the CPU-cost ratio of a pair may be for the knee to count as following the CPU: a factor of 1.25. */
export const CPU_FOLLOWS_FACTOR = 1.25;

/**
 * Why the knees fall where they do, from the CPU measured at the knee steps: the cores the server
 * used, each setting's CPU per MiB split between the main thread and the others (where zlib
 * inflates), and per stack × size pair whether knee off ÷ on follows CPU per MiB on ÷ off (within
 * CPU_FOLLOWS_FACTOR): where it does, each knee is where its CPU per MiB fills what the server has.
 */
export function describeKneeCpu(cpus: readonly KneeCpu[]): string {
  if (cpus.length === 0) return 'No knee step kept its CPU, so why the knees fall where they do is not measured here.';
  const range = (xs: number[]) => rangeText(Math.min(...xs), Math.max(...xs));
  const side = (deflate: DeflateMode) => {
    const mine = cpus.filter((c) => c.deflate === deflate);
    if (mine.length === 0) return null;
    return (
      `deflate ${deflate} ${range(mine.map((c) => c.msPerMiB))} ms of server CPU per MiB ` +
      `(${range(mine.map((c) => c.mainMsPerMiB))} on the main thread, ${range(mine.map((c) => c.otherMsPerMiB))} on the others)`
    );
  };
  const sides = [side('on'), side('off')].filter((s): s is string => s !== null);
  const sentences = [
    `At their knees the server used ${range(cpus.map((c) => c.cores))} cores while sending; ${sides.join(', and ')}. ` +
      "The other threads are zlib's pool, where inflate runs, and V8's helpers; with deflate off they hold only the helpers.",
  ];
  const follows: string[] = [];
  const departs: string[] = [];
  for (const on of cpus.filter((c) => c.deflate === 'on')) {
    const off = cpus.find((c) => c.deflate === 'off' && c.stack === on.stack && c.frameSize === on.frameSize);
    if (!off) continue;
    const kneeRatio = off.kneeMiBps / on.kneeMiBps;
    const costRatio = on.msPerMiB / off.msPerMiB;
    const name = `${on.stack} at ${formatBytes(on.frameSize)} (knee off ÷ on ${formatNumber(kneeRatio)}, CPU per MiB on ÷ off ${formatNumber(costRatio)})`;
    const apart = Math.max(kneeRatio / costRatio, costRatio / kneeRatio);
    (apart <= CPU_FOLLOWS_FACTOR ? follows : departs).push(name);
  }
  const pairs = follows.length + departs.length;
  if (pairs > 0) {
    sentences.push(
      follows.length === pairs
        ? `${pairs === 1 ? 'In the one pair' : `In all ${plural(pairs, 'pair')}`}, the knee ratio is within a factor of ${CPU_FOLLOWS_FACTOR} of the CPU ratio: each setting's knee is where its CPU per MiB fills the server's core, so the setting that costs more per MiB keeps up with less.`
        : follows.length === 0
          ? `In no pair is the knee ratio within a factor of ${CPU_FOLLOWS_FACTOR} of the CPU ratio, so CPU per MiB alone does not set these knees: ${departs.join('; ')}.`
          : `In ${formatNumber(follows.length)} of ${plural(pairs, 'pair')} the knee ratio is within a factor of ${CPU_FOLLOWS_FACTOR} of the CPU ratio (the knee is where CPU per MiB fills the core); in the others it is not, so something besides CPU per MiB sets them: ${departs.join('; ')}.`,
    );
  }
  const flagged = cpus.reduce((n, c) => n + c.flagged, 0);
  const searched = cpus.reduce((n, c) => n + c.searches, 0);
  sentences.push(
    flagged === 0
      ? `No knee needs more CPU than its server used or had (${plural(searched, 'search', 'searches')} checked).`
      : `${plural(flagged, 'knee')} of ${formatNumber(searched)} ${flagged === 1 ? 'needs' : 'need'} more CPU than ${flagged === 1 ? 'its' : 'their'} server used or had: ${cpus
          .filter((c) => c.flagged > 0)
          .map((c) => `${c.stack} deflate ${c.deflate} at ${formatBytes(c.frameSize)}`)
          .join(', ')}.`,
  );
  return sentences.join(' ');
}

/** One offered load of a stack's sweep runs: the load, its disconnect rate and what it rests on. */
export interface LoadRate {
  frameSize: number;
  /** `50% of the knee` or `10/s × 3`. */
  load: string;
  offeredMiBps: number;
  rate: RateEstimate | null;
  completed: number;
  saturated: number;
}

/** How a stack's searches at one size ended, in a clause: knees with their range, failures first with the rates they failed at, or other ends counted. */
function searchesClause(size: number, ends: readonly KneeSearchEnd[]): string {
  const knees = ends.flatMap((e) => (e.kind === 'knee' ? [e.kneeMiBps] : []));
  const fails = ends.flatMap((e) => (e.kind === 'fails-first' ? [e.failedAtMiBps] : []));
  const parts: string[] = [];
  if (knees.length > 0)
    parts.push(`a knee in ${formatNumber(knees.length)} (${rangeText(Math.min(...knees), Math.max(...knees))} MiB/s)`);
  if (fails.length > 0)
    parts.push(
      `failed before falling behind in ${formatNumber(fails.length)} (at ${rangeText(Math.min(...fails), Math.max(...fails))} MiB/s offered)`,
    );
  const other = ends.length - knees.length - fails.length;
  if (other > 0) parts.push(`another end in ${formatNumber(other)}`);
  return `at ${formatBytes(size)}, ${parts.join(', ')} of ${plural(ends.length, 'search', 'searches')}`;
}

/**
 * 2015 under load: how its knee searches ended with deflate on and off, and with deflate on its
 * disconnect rate at each offered load of the sweep where it had disconnects (the table beside it
 * gives every load), with the interval, where the runs met their load.
 */
export function describe2015UnderLoad(
  searches: ReadonlyArray<{ deflate: DeflateMode; frameSize: number; ends: readonly KneeSearchEnd[] }>,
  rates: readonly LoadRate[],
): string {
  const sentences: string[] = [];
  for (const deflate of ['on', 'off'] as const) {
    const mine = searches.filter((s) => s.deflate === deflate).sort((a, b) => a.frameSize - b.frameSize);
    if (mine.length > 0)
      sentences.push(
        `2015 with deflate ${deflate}: ${mine.map((s) => searchesClause(s.frameSize, s.ends)).join('; ')}.`,
      );
  }
  if (sentences.length === 0) sentences.push('2015 was not searched for a knee in these records.');
  const judged = rates.filter((r): r is LoadRate & { rate: RateEstimate } => r.rate !== null);
  const hit = judged
    .filter((r) => r.rate.events > 0)
    .sort((a, b) => a.frameSize - b.frameSize || a.offeredMiBps - b.offeredMiBps);
  if (judged.length > 0)
    sentences.push(
      hit.length === 0
        ? `Its deflate-on sweep runs had no disconnect at any of the ${plural(judged.length, 'offered load')} (each zero's bound is in the table).`
        : `Its deflate-on sweep runs disconnected at ${formatNumber(hit.length)} of ${plural(judged.length, 'offered load')}: ${hit
            .map(
              (r) =>
                `${formatBytes(r.frameSize)} at ${r.load} (${formatNumber(r.offeredMiBps)} MiB/s offered), ${rateText(r.rate)}`,
            )
            .join('; ')}; none at the others (each zero's bound is in the table).`,
    );
  const unjudged = rates.filter((r) => r.rate === null);
  if (unjudged.length > 0)
    sentences.push(
      `No rate at ${unjudged.map((r) => `${formatBytes(r.frameSize)} at ${r.load}`).join(', ')}: no run there met its load.`,
    );
  return sentences.join(' ');
}
