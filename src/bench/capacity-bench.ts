/**
 * The bench's capacity figures at 1 MiB, today's knee searched 3 times with deflate forced on and
 * off, pinned to a core each where the machine allows: the spread of each knee over its searches
 * (max ÷ min, goal ≤ 1.25: one search says what a search would say again), the generator's
 * capacity over the knee with deflate on (goal ≥ 2: the generator is not what a run at the knee
 * measures), and the knee off over on (a finding). The other sizes' knees are the capacity
 * recording's (`npm run capacity`), which prints the same headroom per size.
 */
import { DEFAULT_CAPACITY_PLAN, kneeSpread, measureCapacity, type CapacityPlan } from '../capacity/measure';
import { MiB } from '../core/params';
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
  /** Each knee's searches: highest ÷ lowest knee (null when under 2 searches found one). */
  spreads: Array<{ deflate: string; frameSize: number; searches: number; withKnee: number; spread: number | null }>;
  wallMs: number;
}

/** The spread a knee's searches may show: highest ÷ lowest. */
export const KNEE_SPREAD_GOAL = 1.25;

/** Today's plan for the bench: 1 MiB, deflate on and off, each knee searched as often as the capacity recording does. */
export const BENCH_CAPACITY_PLAN: CapacityPlan = { ...DEFAULT_CAPACITY_PLAN, frameSizes: [1 * MiB], stacks: ['today'] };

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
    spreads: knees.map((knee) => {
      const spread = kneeSpread(knee);
      return {
        deflate: knee.deflate,
        frameSize: knee.frameSize,
        searches: spread.searches,
        withKnee: spread.withKnee,
        spread: spread.payload && spread.withKnee >= 2 ? spread.payload.max / spread.payload.min : null,
      };
    }),
    wallMs: performance.now() - started,
  };
}
