/**
 * The knees a sweep's grid needs: the capacity plan that measures them, and reading them from the
 * records (or measuring them) before the sweep starts. Apart from knees.ts, which grid.ts reads.
 */
import { KNEE_SEARCH } from '../capacity/knee';
import {
  capacityBoundMs,
  capacityEstimateMs,
  runCapacity,
  type CapacityPlan,
  type KneeResult,
} from '../capacity/measure';
import { formatBytes, formatDuration } from '../core/units';
import type { SweepGrid } from './grid';
import { kneeStackFor, recordedKnees } from './knees';

/** The capacity plan that measures every knee a grid's fractions need: on and off, at each size of a knee block. */
export function kneePlanFor(grid: SweepGrid): CapacityPlan | null {
  const blocks = grid.blocks.filter((b) => (b.kneeFractions?.length ?? 0) > 0);
  if (blocks.length === 0) return null;
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  return {
    frameSizes: unique(blocks.flatMap((b) => b.frameSizes)).sort((a, b) => a - b),
    stacks: unique(blocks.flatMap((b) => b.stacks.map(kneeStackFor))),
    deflate: ['on', 'off'],
    pin: true,
    search: KNEE_SEARCH,
  };
}

/**
 * The knees a sweep's grid needs, from the newest records in `dir`, or measured now (and recorded
 * there as a capacity record) when any is missing or `fresh` asks for new ones.
 */
export async function kneesForSweep(
  grid: SweepGrid,
  dir: string,
  options: { fresh?: boolean; progress?: (line: string) => void } = {},
): Promise<{ knees: KneeResult[]; recordIds: string[] }> {
  const plan = kneePlanFor(grid);
  if (!plan) return { knees: [], recordIds: [] };
  const say = options.progress ?? (() => undefined);
  const recorded = recordedKnees(plan, dir);
  if (!options.fresh && recorded.missing === 0) {
    say(`knees: all ${recorded.knees.length} read from ${recorded.records.map((r) => r.id).join(', ')}`);
    return { knees: recorded.knees, recordIds: recorded.records.map((r) => r.id) };
  }
  const count = plan.frameSizes.length * plan.stacks.length * plan.deflate.length;
  say(
    `knees: ${options.fresh ? 'measuring all' : `${recorded.missing} of ${count} not recorded, so measuring all`} ${count} first ` +
      `(${plan.stacks.join(', ')} × deflate on, off × ${plan.frameSizes.map(formatBytes).join(', ')}): ` +
      `typically ${formatDuration(capacityEstimateMs(plan))}, at most ${formatDuration(capacityBoundMs(plan))}`,
  );
  const record = await runCapacity(plan, { dir: dir, progress: (line) => say(`knees: ${line}`) });
  return { knees: record.knees, recordIds: [record.id] };
}
