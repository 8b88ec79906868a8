/**
 * A capacity measurement: the generator's capacity at each frame size, then each server's knee
 * (stack × deflate × frame size), pinned to a core each where the machine allows, written as one
 * `capacity` record. The server runs in this process and the scenario's load generator in a forked
 * child: pinned, this process is moved to the server's core and the child re-pins itself to the
 * generator's (LOADGEN_CPU_ENV), both for the knees only, and released after.
 */
import { newRecordId, recordEnvelope, writeRecord, type RecordBase } from '../core/records';
import { watchMachineLoad } from '../core/machine-load';
import type { DeflateMode, StackName } from '../core/params';
import { measureGeneratorCapacity, GENERATOR_DEFAULTS, type GeneratorCapacity } from './generator';
import {
  describeKnee,
  findKnee,
  KNEE_SEARCH,
  KNEE_STEP_DEFAULTS,
  kneeBoundMs,
  measureKneeStep,
  type KneeSearchEnd,
  type KneeSearch,
  type KneeStep,
  type KneeTarget,
} from './knee';
import { cannotPin, CORES, LOADGEN_CPU_ENV, pinSelf, type Pinning } from '../core/pinning';

/** What to measure. */
export interface CapacityPlan {
  frameSizes: number[];
  stacks: StackName[];
  deflate: DeflateMode[];
  /** Pin generator and server to a core each (unpinned when the machine cannot: the result says why). */
  pin: boolean;
  search: KneeSearch;
}

/** One knee search: where, how it ended, and its steps. */
export interface KneeResult extends KneeTarget {
  outcome: KneeSearchEnd;
  steps: KneeStep[];
  wallMs: number;
  pinning: Pinning;
}

/** The record kind (and folder) of capacity measurements. */
export const CAPACITY_KIND = 'capacity';

/** The record of a capacity measurement, as written to `<data dir>/capacity/`. */
export interface CapacityRecord extends RecordBase {
  kind: typeof CAPACITY_KIND;
  plan: CapacityPlan;
  generator: GeneratorCapacity[];
  knees: KneeResult[];
}

/** A line of progress, for a CLI or a notebook. */
export type CapacityProgress = (line: string) => void;

/** Stacks measured unless told otherwise: the 2015 fix candidates and today. */
export const CAPACITY_STACKS: StackName[] = ['2015+ws0.8.1', '2016-fixed', 'today'];

/** The most a plan can take: generator windows (with their setup) and every knee search at its hard limit. */
export function capacityBoundMs(plan: CapacityPlan): number {
  const generatorMs = plan.frameSizes.length * (GENERATOR_DEFAULTS.durationMs + 20_000);
  const knees = plan.frameSizes.length * plan.stacks.length * plan.deflate.length;
  return generatorMs + knees * kneeBoundMs(plan.search, KNEE_STEP_DEFAULTS);
}

/** A typical time for a plan: about 8 s a knee step, 9 steps a knee, and the generator windows. */
export function capacityEstimateMs(plan: CapacityPlan): number {
  const knees = plan.frameSizes.length * plan.stacks.length * plan.deflate.length;
  return plan.frameSizes.length * (GENERATOR_DEFAULTS.durationMs + 2000) + knees * 9 * 8000;
}

function pinningFor(plan: CapacityPlan): Pinning {
  const reason = plan.pin ? cannotPin() : 'not asked';
  return reason ? { pinned: false, reason: reason } : { pinned: true, cores: CORES };
}

/** Measures every knee of the plan's targets, pinned as the plan asks; the process is released after. */
async function measureKnees(plan: CapacityPlan, progress: CapacityProgress): Promise<KneeResult[]> {
  const pinning = pinningFor(plan);
  const knees: KneeResult[] = [];
  let unpin = () => undefined as void;
  if (pinning.pinned) {
    unpin = pinSelf(CORES.server);
    process.env[LOADGEN_CPU_ENV] = String(CORES.generator);
  }
  try {
    for (const frameSize of plan.frameSizes) {
      for (const stack of plan.stacks) {
        for (const deflate of plan.deflate) {
          const target: KneeTarget = { stack: stack, deflate: deflate, frameSize: frameSize };
          const label = `${stack}, deflate ${deflate}, ${frameSize} B`;
          const started = performance.now();
          const { outcome, steps } = await findKnee(
            (offered) => measureKneeStep(target, offered),
            plan.search,
            (step, i) =>
              progress(
                `  ${label}: step ${i + 1} at ${step.offeredMiBps.toFixed(1)} MiB/s offered: ${step.met ? 'met' : step.failed ? 'failed' : 'short'}, ${step.deliveredMiBps.toFixed(1)} MiB/s delivered${step.reasons.length ? ` (${step.reasons[0]})` : ''}`,
              ),
          );
          const wallMs = performance.now() - started;
          progress(`  ${label}: ${describeKnee(outcome)} (${(wallMs / 1000).toFixed(0)} s)`);
          knees.push({ ...target, outcome: outcome, steps: steps, wallMs: wallMs, pinning: pinning });
        }
      }
    }
  } finally {
    delete process.env[LOADGEN_CPU_ENV];
    unpin();
  }
  return knees;
}

/** Measures a plan: the generator at each frame size, then every knee; writes nothing. */
export async function measureCapacity(
  plan: CapacityPlan,
  progress: CapacityProgress = () => undefined,
): Promise<{ generator: GeneratorCapacity[]; knees: KneeResult[] }> {
  const generator: GeneratorCapacity[] = [];
  for (const frameSize of plan.frameSizes) {
    progress(`generator capacity at ${frameSize} B ...`);
    const measured = await measureGeneratorCapacity(frameSize, { pin: plan.pin });
    progress(`  ${measured.payloadMiBps.toFixed(1)} MiB/s of payload (${measured.wireMiBps.toFixed(1)} on the wire)`);
    generator.push(measured);
  }
  const knees = plan.stacks.length && plan.deflate.length ? await measureKnees(plan, progress) : [];
  return { generator: generator, knees: knees };
}

/** Runs a plan and writes its record into `dir` (a data dir); returns the record. */
export async function runCapacity(
  plan: CapacityPlan,
  options: { dir?: string; quick?: boolean; progress?: CapacityProgress } = {},
): Promise<CapacityRecord> {
  const startedAt = new Date().toISOString();
  const machineLoad = watchMachineLoad();
  const { generator, knees } = await measureCapacity(plan, options.progress);
  const record: CapacityRecord = {
    ...recordEnvelope({
      kind: CAPACITY_KIND,
      id: newRecordId(),
      startedAt: startedAt,
      quick: options.quick ?? false,
      machineLoad: machineLoad,
    }),
    plan: plan,
    generator: generator,
    knees: knees,
  };
  await writeRecord(record, options.dir);
  return record;
}

/** The default plan: the sweep's 64 KiB, 1 MiB and 4 MiB, the three stacks, deflate on and off, pinned. */
export const DEFAULT_CAPACITY_PLAN: CapacityPlan = {
  frameSizes: [64 * 1024, 1024 * 1024, 4 * 1024 * 1024],
  stacks: CAPACITY_STACKS,
  deflate: ['on', 'off'],
  pin: true,
  search: KNEE_SEARCH,
};
