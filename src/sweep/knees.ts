/**
 * The sweep's loads relative to capacity. A grid block that names knee fractions offers, at each
 * stack and frame size, that fraction of the slower deflate setting's knee (src/capacity/knee.ts),
 * so the deflate-on and deflate-off runs of a pair carry the same work, and work the server can
 * take. The 2015 stack with deflate on fails before it has a knee, so 2015 takes the knees of 2015
 * with ws 0.8.1: the same socket.io and engine.io, with ws's fix.
 */
import { schedule } from '../capacity/knee';
import { CAPACITY_KIND, targetsOf, type CapacityPlan, type CapacityRecord, type KneeResult } from '../capacity/measure';
import { readRecords } from '../core/records';
import { MiB, type DeflateMode, type StackName } from '../core/params';
import { formatBytes } from '../core/units';

/** The knee a load is a fraction of: the slower setting's, measured or bounded from below. */
export interface KneeBasis {
  /** Whose knee: the stack itself, or 2015 with ws 0.8.1 for 2015. */
  stack: StackName;
  /** The slower setting: the one with the lower knee. */
  deflate: DeflateMode;
  MiBps: number;
  /** `knee` when measured; `at least` when the search found only a lower bound (it met its ceiling, or the generator fell short first). */
  kind: 'knee' | 'at least';
}

/** The load of a run made at a fraction of a knee; rate and burst are derived from it. */
export interface KneeLoad {
  fraction: number;
  basis: KneeBasis;
}

/** The stack whose knees stand for `stack`'s. */
export function kneeStackFor(stack: StackName): StackName {
  return stack === '2015' ? '2015+ws0.8.1' : stack;
}

/** What a knee search found as one figure: the knee, a lower bound of it, or why neither. */
export function kneeFigure(knee: KneeResult): { MiBps: number; kind: KneeBasis['kind'] } | string {
  const o = knee.outcome;
  switch (o.kind) {
    case 'knee':
      return { MiBps: o.kneeMiBps, kind: 'knee' };
    case 'above-ceiling':
      return { MiBps: o.ceilingMiBps, kind: 'at least' };
    case 'generator-bound':
      return o.metMiBps === null
        ? `the generator fell short at ${o.shortAtMiBps} MiB/s, the lowest rate tried`
        : { MiBps: o.metMiBps, kind: 'at least' };
    case 'fails-first':
      return o.metMiBps === null
        ? `it failed at ${o.failedAtMiBps} MiB/s, the lowest rate tried`
        : { MiBps: o.metMiBps, kind: 'at least' };
    case 'below-floor':
      return `its knee is below ${o.floorMiBps} MiB/s, the lowest rate tried`;
  }
}

/**
 * The knee a load on `stack` at `frameSize` is a fraction of: the lower of the on and off knees
 * of its knee stack. A string says why there is none (a knee not measured, or not usable).
 */
export function kneeBasis(knees: readonly KneeResult[], stack: StackName, frameSize: number): KneeBasis | string {
  const of = kneeStackFor(stack);
  const sides: KneeBasis[] = [];
  for (const deflate of ['on', 'off'] as const) {
    const knee = knees.find((k) => k.stack === of && k.deflate === deflate && k.frameSize === frameSize);
    if (!knee) return `no knee of ${of} with deflate ${deflate} at ${formatBytes(frameSize)} is recorded`;
    const usable = kneeFigure(knee);
    if (typeof usable === 'string') return `${of} with deflate ${deflate} at ${formatBytes(frameSize)}: ${usable}`;
    sides.push({ stack: of, deflate: deflate, ...usable });
  }
  return sides[0].MiBps <= sides[1].MiBps ? sides[0] : sides[1];
}

/** Per-client rate and burst that offer `fraction` of the basis knee in `frameSize` messages over `clients`. */
export function kneeSchedule(load: KneeLoad, frameSize: number, clients: number): { rate: number; burst: number } {
  const { rate, burst } = schedule((load.fraction * load.basis.MiBps * MiB) / frameSize, clients);
  // Two decimals keep a cell's label readable; the record counts the load actually offered.
  return { rate: Math.max(0.01, Math.round(rate * 100) / 100), burst: burst };
}

/**
 * The newest recorded knee of each of the plan's targets in a data dir's `capacity/` (quick
 * records left out), and the targets none is recorded for.
 */
export function recordedKnees(
  plan: CapacityPlan,
  dir: string,
): { knees: KneeResult[]; missing: number; records: CapacityRecord[] } {
  const records = readRecords<CapacityRecord>(CAPACITY_KIND, dir)
    .records.filter((r) => !r.quick)
    .sort((a, b) => (a.endedAt < b.endedAt ? 1 : -1));
  const knees: KneeResult[] = [];
  const used = new Set<CapacityRecord>();
  let missing = 0;
  for (const target of targetsOf(plan)) {
    const record = records.find((r) =>
      r.knees.some((k) => k.stack === target.stack && k.deflate === target.deflate && k.frameSize === target.frameSize),
    );
    const knee = record?.knees.find(
      (k) => k.stack === target.stack && k.deflate === target.deflate && k.frameSize === target.frameSize,
    );
    if (!record || !knee) {
      missing++;
      continue;
    }
    used.add(record);
    knees.push(knee);
  }
  return { knees: knees, missing: missing, records: [...used] };
}
