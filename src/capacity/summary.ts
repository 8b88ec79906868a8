/**
 * What a capacity record says, as table rows and ratios: the generator's MiB/s, each knee worded
 * from its outcome, the generator over today's knee with deflate on (the generator is not the
 * bottleneck when this is 2 or more), and each size's knee with deflate off over on.
 */
import { formatBytes } from '../core/units';
import type { GeneratorCapacity } from './generator';
import { describeKnee, kneeValue, type KneeSearchEnd } from './knee';
import { kneeCpuCheck, kneeSpread, searchesOf, type KneeResult } from './measure';

/** The generator's capacity over a server's knee: how many times what the server takes the generator can offer. */
export const GENERATOR_HEADROOM_GOAL = 2;

/** A ratio of two capacities at one frame size; null when either side is not a measured value. */
export interface CapacityRatio {
  frameSize: number;
  numerator: number | null;
  denominator: number | null;
  ratio: number | null;
  /** Why there is no ratio, worded from the outcomes; absent when there is one. */
  why?: string;
}

function ratioOf(
  frameSize: number,
  numerator: number | null,
  denominator: number | null,
  why: string[],
): CapacityRatio {
  const ratio = numerator !== null && denominator !== null && denominator > 0 ? numerator / denominator : null;
  return {
    frameSize: frameSize,
    numerator: numerator,
    denominator: denominator,
    ratio: ratio,
    ...(ratio === null ? { why: why.join('; ') || 'not measured' } : {}),
  };
}

function kneeAt(
  knees: readonly KneeResult[],
  stack: string,
  deflate: string,
  frameSize: number,
): KneeSearchEnd | undefined {
  return knees.find((k) => k.stack === stack && k.deflate === deflate && k.frameSize === frameSize)?.outcome;
}

/** Generator capacity ÷ today's knee with deflate on, per frame size measured on both sides. */
export function generatorHeadroom(
  generator: readonly GeneratorCapacity[],
  knees: readonly KneeResult[],
): CapacityRatio[] {
  return generator.map((g) => {
    const knee = kneeAt(knees, 'today', 'on', g.spec.frameSize);
    const why = knee
      ? kneeValue(knee) === null
        ? [`today with deflate on: ${describeKnee(knee)}`]
        : []
      : ['no knee of today with deflate on at this size'];
    return ratioOf(g.spec.frameSize, g.payloadMiBps, knee ? kneeValue(knee) : null, why);
  });
}

/** A stack's knee with deflate off ÷ on, per frame size where both were searched. */
export function offOverOn(knees: readonly KneeResult[], stack: string): CapacityRatio[] {
  const sizes = [...new Set(knees.filter((k) => k.stack === stack).map((k) => k.frameSize))];
  return sizes.flatMap((frameSize) => {
    const off = kneeAt(knees, stack, 'off', frameSize);
    const on = kneeAt(knees, stack, 'on', frameSize);
    if (!off || !on) return [];
    const why = [
      ...(kneeValue(off) === null ? [`off: ${describeKnee(off)}`] : []),
      ...(kneeValue(on) === null ? [`on: ${describeKnee(on)}`] : []),
    ];
    return [ratioOf(frameSize, kneeValue(off), kneeValue(on), why)];
  });
}

/** A ratio as a table cell: the value, or why there is none. */
export function ratioCell(r: CapacityRatio): string {
  return r.ratio === null
    ? `n/a (${r.why})`
    : `${r.ratio.toFixed(2)} (${r.numerator?.toFixed(1)} ÷ ${r.denominator?.toFixed(1)} MiB/s)`;
}

/** One table row per generator measurement. */
export function generatorRows(generator: readonly GeneratorCapacity[]) {
  return generator.map((g) => ({
    'frame size': formatBytes(g.spec.frameSize),
    'payload MiB/s': g.payloadMiBps.toFixed(1),
    'wire MiB/s': g.wireMiBps.toFixed(1),
    messages: String(g.messages),
    'generator CPU': `${(100 * g.cpuShare).toFixed(0)}%`,
    'sink read': `${((100 * g.sinkReadBytes) / Math.max(1, g.wireBytes)).toFixed(0)}% of written`,
    compressed: `${g.controls.compressedMessages} msgs, ${g.controls.continuationFrames} continuation frames`,
    pinned: g.pinning.pinned ? 'yes' : `no (${g.pinning.reason})`,
  }));
}

/** `62.1 (58.0–64.2)`: a median and its range, MiB/s; `n/a` for none. */
export function medianRangeText(range: { median: number; min: number; max: number } | null): string {
  if (!range) return 'n/a';
  const f = (x: number) => x.toFixed(1);
  return range.min === range.max ? f(range.median) : `${f(range.median)} (${f(range.min)}–${f(range.max)})`;
}

/** One table row per knee: the median search's end, the repeats' median and range in payload and wire MiB/s, and the CPU cross-check. */
export function kneeRows(knees: readonly KneeResult[], machineCores: number) {
  return knees.map((k) => {
    const spread = kneeSpread(k);
    const searches = searchesOf(k);
    const flags = searches
      .map((s) => kneeCpuCheck(s, k.pinning, machineCores)?.flag)
      .filter((f): f is string => typeof f === 'string');
    return {
      stack: k.stack,
      deflate: k.deflate,
      'frame size': formatBytes(k.frameSize),
      knee: describeKnee(k.outcome),
      'payload MiB/s': medianRangeText(spread.payload),
      'wire MiB/s': medianRangeText(spread.wire),
      searches: `${spread.withKnee} of ${spread.searches} found a knee`,
      steps: String(searches.reduce((n, s) => n + s.steps.length, 0)),
      'CPU check': flags.length ? `flagged: ${flags.join('; ')}` : 'ok',
      'wall time': `${(k.wallMs / 1000).toFixed(0)} s`,
      pinned: k.pinning.pinned ? 'yes' : `no (${k.pinning.reason})`,
    };
  });
}
