/**
 * The bench's capacity figures: the generator's capacity over today's knee with deflate forced on
 * (goal ≥ 2: the generator is not what a run at the knee measures), and today's knee off over on
 * (a finding), at 64 KiB, 1 MiB and 4 MiB, pinned to a core each where the machine allows.
 */
import { DEFAULT_CAPACITY_PLAN, measureCapacity, type CapacityPlan } from '../capacity/measure';
import { generatorHeadroom, offOverOn, type CapacityRatio } from '../capacity/summary';
import type { GeneratorCapacity } from '../capacity/generator';
import type { KneeResult } from '../capacity/measure';

/** What the bench keeps of a capacity measurement. */
export interface CapacityBench {
  plan: CapacityPlan;
  generator: GeneratorCapacity[];
  knees: KneeResult[];
  /** Generator capacity ÷ today's knee with deflate on, per size. */
  headroom: CapacityRatio[];
  /** Today's knee with deflate off ÷ on, per size. */
  offOverOn: CapacityRatio[];
  wallMs: number;
}

/** Today's plan for the bench: the default sizes, deflate on and off. */
export const BENCH_CAPACITY_PLAN: CapacityPlan = { ...DEFAULT_CAPACITY_PLAN, stacks: ['today'] };

/** Measures the generator and today's knees, and the two ratios. */
export async function benchCapacity(progress?: (line: string) => void): Promise<CapacityBench> {
  const started = performance.now();
  const { generator, knees } = await measureCapacity(BENCH_CAPACITY_PLAN, progress);
  return {
    plan: BENCH_CAPACITY_PLAN,
    generator: generator,
    knees: knees,
    headroom: generatorHeadroom(generator, knees),
    offOverOn: offOverOn(knees, 'today'),
    wallMs: performance.now() - started,
  };
}
