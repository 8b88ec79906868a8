/**
 * The sentences under chapter 5's charts, worded from the rows the charts show: which frame sizes
 * had disconnects, how CPU and bytes on the wire moved with deflate, how consistent the repeats
 * were. Nothing here is a finding typed in advance; every number and every "none" comes from the
 * rows, with its denominator. A "none" is called proven only for runs whose positive controls held.
 */
import { formatNumber } from '../../show/fragments';
import type { Spread } from '../../run/metrics';
import type { DeflateMode, StackName } from '../../core/params';
import { repeatUsable, type DeflateComparison, type Direction } from '../../sweep/aggregate';
import { formatBytes } from '../../core/units';
import type { KneePoint } from './charts';
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

function sum(rows: readonly Row[], field: 'runs' | 'completed' | 'runsWithDisconnects' | 'provenZero'): number {
  return rows.reduce((total, row) => total + row[field], 0);
}

function mergedBlockers(rows: readonly Row[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) for (const [kind, n] of Object.entries(row.blockers)) out[kind] = (out[kind] ?? 0) + n;
  return out;
}

/** What "none" means for some runs: how many of them prove a zero, and what stops the rest. */
function zeroProof(rows: readonly Row[]): string {
  const completed = sum(rows, 'completed');
  const proven = sum(rows, 'provenZero');
  const why = blockersText(mergedBlockers(rows));
  if (proven === completed)
    return `${completed === 1 ? 'the run' : `all ${formatNumber(completed)} runs`} with every positive control holding`;
  if (proven === 0) return `not a proven zero: ${why}`;
  return `${formatNumber(proven)} of ${plural(completed, 'run')} prove the zero; the others do not: ${why}`;
}

function failedRuns(rows: readonly Row[]): string {
  const failed = sum(rows, 'runs') - sum(rows, 'completed');
  return failed > 0
    ? ` ${plural(failed, 'run')} could not be measured and ${failed === 1 ? 'is' : 'are'} left out.`
    : '';
}

/** One stack × deflate group of the headline, as a clause. */
function headlineClause(rows: readonly Row[], allSizes: readonly number[]): string {
  const hit = rows.filter((r) => r.runsWithDisconnects > 0);
  const quiet = rows.filter((r) => r.runsWithDisconnects === 0 && r.completed > 0);
  if (hit.length === 0) {
    return `no disconnect in ${plural(sum(quiet, 'completed'), 'run')} at ${sizesText(
      quiet.map((r) => r.frameSize),
      allSizes,
    )} (${zeroProof(quiet)})`;
  }
  const medians = hit.map((r) => r.value?.median ?? 0);
  const highest = Math.max(...hit.map((r) => r.value?.max ?? 0));
  const parts = [
    `disconnects at ${sizesText(
      hit.map((r) => r.frameSize),
      allSizes,
    )} in ${formatNumber(sum(hit, 'runsWithDisconnects'))} of ${plural(sum(hit, 'completed'), 'run')} there: ` +
      `${rangeText(Math.min(...medians), Math.max(...medians))} per minute as medians over repeats, up to ${formatNumber(highest)} in a single run`,
  ];
  if (quiet.length > 0)
    parts.push(
      `none at ${sizesText(
        quiet.map((r) => r.frameSize),
        allSizes,
      )} (${plural(sum(quiet, 'completed'), 'run')}; ${zeroProof(quiet)})`,
    );
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
 * Under the headline: one sentence per stack × deflate setting that had disconnects (where, how
 * often, with denominators), then one for all those that had none, with what proves the zero.
 */
export function describeHeadline(rows: readonly Row[]): string {
  if (rows.length === 0) return 'No run measured disconnects for this chart.';
  const allSizes = rows.map((r) => r.frameSize);
  const groups = byStackAndDeflate(rows).flatMap(({ stack, groups: g }) => g.map((x) => ({ stack: stack, ...x })));
  const measured = (g: { rows: Row[] }) => g.rows.some((r) => r.completed > 0);
  const hit = groups.filter((g) => g.rows.some((r) => r.runsWithDisconnects > 0));
  const quiet = groups.filter((g) => !hit.includes(g) && measured(g));
  const sentences = hit.map((g) => `On ${g.stack} with deflate ${g.deflate}: ${headlineClause(g.rows, allSizes)}.`);
  if (quiet.length > 0) {
    const where = (['on', 'off'] as const)
      .map((d) => ({ d: d, stacks: quiet.filter((g) => g.deflate === d).map((g) => g.stack) }))
      .filter((x) => x.stacks.length > 0)
      .map((x) => `on ${listText(x.stacks)} with deflate ${x.d}`);
    const quietRows = quiet.flatMap((g) => g.rows).filter((r) => r.completed > 0);
    sentences.push(
      `No disconnect ${where.join(', and ')}: ${plural(sum(quietRows, 'completed'), 'run')} at ${sizesText(
        quietRows.map((r) => r.frameSize),
        allSizes,
      )} (${zeroProof(quietRows)}).`,
    );
  }
  return sentences.join(' ') + failedRuns(rows);
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
      `On ${stack}, deflate on cost more server CPU per MiB delivered than off at ${formatNumber(higher)} of ${plural(pairs.length, 'frame size')} ` +
        `(on/off ${rangeText(Math.min(...ratios), Math.max(...ratios))}×, medians over repeats).`,
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

/** Under the heat map: how many frame size × rate × burst cells had disconnects, the worst, and the smallest frame with any. */
export function describeHeatmap(rows: readonly Row[]): string {
  const measured = rows.filter((r) => r.completed > 0);
  if (measured.length === 0) return 'No run of this stack and deflate setting was measured.';
  const { stack, deflate } = measured[0];
  const hit = measured.filter((r) => r.runsWithDisconnects > 0);
  const runs = sum(measured, 'completed');
  if (hit.length === 0) {
    return `On ${stack} with deflate ${deflate}, none of ${plural(measured.length, 'combination')} of frame size, rate and burst had a disconnect (${zeroProof(measured)}).`;
  }
  const worst = [...hit].sort((a, b) => (b.value?.median ?? 0) - (a.value?.median ?? 0))[0];
  const smallest = [...hit].sort((a, b) => a.frameSize - b.frameSize || a.rate * a.burst - b.rate * b.burst)[0];
  const at = (r: Row) => `${formatBytes(r.frameSize)} at ${formatNumber(r.rate)}/s ×${r.burst}`;
  return (
    `On ${stack} with deflate ${deflate}, ${formatNumber(hit.length)} of ${plural(measured.length, 'combination')} of frame size, rate and burst ` +
    `had disconnects (${formatNumber(sum(hit, 'runsWithDisconnects'))} of the ${plural(runs, 'run')} in all). The most: ` +
    `${formatNumber(worst.value?.median ?? 0)} per minute (median of ${plural(worst.value?.n ?? 0, 'run')}) with ${at(worst)}; ` +
    `the smallest frame with any: ${at(smallest)}.` +
    failedRuns(rows)
  );
}

const DIRECTION_TEXT: Record<Direction, string> = {
  'on higher': 'higher with deflate on',
  'off higher': 'higher with deflate off',
  equal: 'equal',
};

/** How a comparison stands over its repeats: the two parts of the stable-conclusion check, kept apart. */
export type Standing =
  | 'higher with deflate on in every repeat'
  | 'higher with deflate off in every repeat'
  | 'proven zero on both sides in every repeat'
  | 'equal and above zero in every repeat'
  | 'neither';

/** A comparison's standing: a zero counts only when proven on both sides; an unproven zero is neither. */
export function standing(c: DeflateComparison): Standing {
  if (c.stable === null) return 'neither';
  if (c.stable === 'on higher') return 'higher with deflate on in every repeat';
  if (c.stable === 'off higher') return 'higher with deflate off in every repeat';
  return c.repeats.every((r) => r.on === 0)
    ? 'proven zero on both sides in every repeat'
    : 'equal and above zero in every repeat';
}

/**
 * The stable-conclusion check: of the on/off comparisons measured in at least `minRepeats`
 * paired repeats, how many were higher one way in every repeat, how many were a proven zero on
 * both sides in every repeat (a separate finding), and which were neither, with why.
 */
export function describeStability(
  comparisons: readonly DeflateComparison[],
  metricName: string,
  minRepeats: number,
): string {
  const eligible = comparisons.filter((c) => c.repeats.length >= minRepeats);
  if (eligible.length === 0)
    return `No on/off comparison of ${metricName} has ${minRepeats} paired repeats, so none can be called stable.`;
  const counts = new Map<Standing, number>();
  for (const c of eligible) counts.set(standing(c), (counts.get(standing(c)) ?? 0) + 1);
  const n = (s: Standing) => counts.get(s) ?? 0;
  const parts = [
    `${formatNumber(n('higher with deflate on in every repeat'))} higher with deflate on in every repeat`,
    `${formatNumber(n('higher with deflate off in every repeat'))} higher with deflate off in every repeat`,
    `${formatNumber(n('proven zero on both sides in every repeat'))} a proven zero on both sides in every repeat`,
    ...(n('equal and above zero in every repeat') > 0
      ? [`${formatNumber(n('equal and above zero in every repeat'))} equal and above zero in every repeat`]
      : []),
  ];
  const neither = eligible.filter((c) => standing(c) === 'neither');
  const unproven = neither.filter((c) => !c.repeats.every(repeatUsable));
  const where = (c: DeflateComparison) =>
    `${c.cell.stack} ${c.cell.payload} ${formatBytes(c.cell.frameSize)} (${c.repeats
      .map((r) =>
        repeatUsable(r)
          ? DIRECTION_TEXT[r.direction]
          : !r.onNegotiated
            ? 'deflate not negotiated'
            : `unproven zero ${r.unproven.join(' and ')}`,
      )
      .join(' / ')})`;
  const which = neither.slice(0, 6).map(where).join('; ');
  return (
    `Of ${plural(eligible.length, 'on/off comparison')} of ${metricName} with at least ${minRepeats} paired repeats: ${parts.join('; ')}` +
    (neither.length > 0
      ? `; ${formatNumber(neither.length)} neither (${formatNumber(unproven.length)} of them because a zero is not proven on both sides or deflate was not negotiated on the "on" side): ${which}${neither.length > 6 ? ', …' : ''}.`
      : '.')
  );
}

/** How the runs of a stack with deflate on went at knee fractions: the evidence that it has no knee of its own. */
export interface FailsFirst {
  stack: StackName;
  failing: number;
  runs: number;
}

/**
 * Under the knee chart: whether deflate off or on keeps up with more (pairs where both sides have a
 * measured knee, with the range of off ÷ on), then per stack and size the two figures, bounds
 * marked as bounds; the searches that found no figure; and a stack that fails before it has a knee.
 */
export function describeKnees(points: readonly KneePoint[], gaps: readonly string[], failsFirst?: FailsFirst): string {
  if (points.length === 0 && gaps.length === 0) return 'No knee was measured.';
  const fig = (p: KneePoint | undefined) =>
    p === undefined ? 'no figure' : `${p.kind === 'at least' ? 'at least ' : ''}${formatNumber(p.MiBps)}`;
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
  const sentences = [lead, `Knees in MiB/s delivered, ${perStack.join('. ')}.`];
  if (gaps.length > 0) sentences.push(`No figure for ${gaps.join('; ')}.`);
  if (failsFirst && failsFirst.runs > 0) {
    const runs = `${failsFirst.stack}'s deflate-on runs at fractions of the knee of ${failsFirst.stack} with ws 0.8.1`;
    sentences.push(
      failsFirst.failing > 0
        ? `${failsFirst.stack} itself has no knee with deflate on: it fails first. ${runs} failed in ${formatNumber(failsFirst.failing)} of ${plural(failsFirst.runs, 'run')}.`
        : `${runs} did not fail (none of ${plural(failsFirst.runs, 'run')}), so here it did not fail before reaching a knee.`,
    );
  }
  return sentences.join(' ');
}
