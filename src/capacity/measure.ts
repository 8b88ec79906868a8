/**
 * A capacity measurement: the generator's capacity at each frame size, then each server's knee
 * (stack × deflate × frame size), searched `repeats` times independently (every target once, then
 * every target again, so that a slow spell of the machine falls on different targets), pinned to a
 * core each where the machine allows, written as one `capacity` record. The server runs in this process and the scenario's load generator in a forked
 * child: pinned, this process is moved to the server's core and the child re-pins itself to the
 * generator's (LOADGEN_CPU_ENV), both for the knees only, and released after.
 */
import { newRecordId, recordEnvelope, writeRecord, type RecordBase } from '../core/records';
import { watchMachineLoad } from '../core/machine-load';
import type { DeflateMode, StackName } from '../core/params';
import { measureGeneratorCapacity, GENERATOR_DEFAULTS, type GeneratorCapacity } from './generator';
import { MET_FRACTION } from '../traffic/offered-load';
import { spread, type Spread } from '../traffic/metrics';
import {
  describeKnee,
  findKnee,
  KNEE_REPEATS,
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
  /** Independent searches of each knee; absent in older records, which searched once. */
  repeats?: number;
}

/** One search of a knee: how it ended, and every step. */
export interface KneeSearchRun {
  outcome: KneeSearchEnd;
  steps: KneeStep[];
  wallMs: number;
}

/** A knee: where, its searches, and the median search's end as its one figure. */
export interface KneeResult extends KneeTarget {
  /** The end of the median search (by knee, or bound); what a reader of one figure uses. */
  outcome: KneeSearchEnd;
  /** Every search, in the order made; absent in older records (one search, whose steps are `steps`). */
  searches?: KneeSearchRun[];
  /** Older records only: the one search's steps. */
  steps?: KneeStep[];
  /** Every search's wall time together. */
  wallMs: number;
  pinning: Pinning;
}

/** A knee's searches; an older record's single search read as one. */
export function searchesOf(knee: KneeResult): KneeSearchRun[] {
  return knee.searches ?? [{ outcome: knee.outcome, steps: knee.steps ?? [], wallMs: knee.wallMs }];
}

/** A search's figure for ordering repeats: its knee or bound, 0 when it found neither. */
function searchFigure(outcome: KneeSearchEnd): number {
  switch (outcome.kind) {
    case 'knee':
      return outcome.kneeMiBps;
    case 'above-ceiling':
      return outcome.ceilingMiBps;
    case 'generator-bound':
      return outcome.metMiBps ?? 0;
    case 'fails-first':
      return outcome.metMiBps ?? 0;
    case 'below-floor':
      return 0;
  }
}

/** The median search of a knee's repeats (the lower middle one of an even count). */
export function medianSearch(searches: readonly KneeSearchRun[]): KneeSearchRun {
  const sorted = [...searches].sort((a, b) => searchFigure(a.outcome) - searchFigure(b.outcome));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The step a search found its knee at (its highest met step); null when it found none. */
function kneeStepOf(search: KneeSearchRun): KneeStep | null {
  if (search.outcome.kind !== 'knee') return null;
  const met = search.outcome.metMiBps;
  return search.steps.find((s) => s.met && s.offeredMiBps === met) ?? null;
}

/** A knee's repeats as figures: median and range, in payload and in wire MiB/s, and how many searches found a knee. */
export interface KneeSpread {
  searches: number;
  withKnee: number;
  payload: Spread | null;
  wire: Spread | null;
}

/** The spread of a knee's repeats; wire figures from each knee step's own wire bytes per payload byte. */
export function kneeSpread(knee: KneeResult): KneeSpread {
  const searches = searchesOf(knee);
  const payload: number[] = [];
  const wire: number[] = [];
  for (const search of searches) {
    if (search.outcome.kind !== 'knee') continue;
    payload.push(search.outcome.kneeMiBps);
    const step = kneeStepOf(search);
    const ratio = step?.run?.result.wireRatio;
    if (typeof ratio === 'number') wire.push(search.outcome.kneeMiBps * ratio);
  }
  return { searches: searches.length, withKnee: payload.length, payload: spread(payload), wire: spread(wire) };
}

/**
 * The CPU cross-check of one search's knee, from its knee step: the cores the knee needs at the
 * CPU cost per MiB measured there, against the cores the server used in that step and the cores
 * it had (one when pinned). Flagged when the knee needs more than the server used or more than it
 * had, beyond the 5% the offered-load rule allows: a knee its own CPU cannot carry was not met.
 */
export interface KneeCpuCheck {
  kneeMiBps: number;
  msPerMiB: number;
  neededCores: number;
  usedCores: number;
  availableCores: number;
  /** The share of the step's CPU on threads other than the main one (zlib's pool, V8's helpers). */
  otherThreadsShare: number;
  /** Why the knee is flagged; null when its CPU carries it. */
  flag: string | null;
}

/** The CPU cross-check of a search's knee; null without a knee or without the step's CPU (older records). */
export function kneeCpuCheck(search: KneeSearchRun, pinning: Pinning, machineCores: number): KneeCpuCheck | null {
  const step = kneeStepOf(search);
  if (!step?.cpu || step.cpu.msPerMiB === null || search.outcome.kind !== 'knee') return null;
  const kneeMiBps = search.outcome.kneeMiBps;
  const neededCores = (kneeMiBps * step.cpu.msPerMiB) / 1000;
  const availableCores = pinning.pinned ? 1 : machineCores;
  const total = step.cpu.mainThreadMs + step.cpu.otherThreadsMs;
  const flags: string[] = [];
  if (neededCores > step.cpu.cores / MET_FRACTION)
    flags.push(`needs ${neededCores.toFixed(2)} cores, the server used ${step.cpu.cores.toFixed(2)}`);
  if (neededCores > availableCores / MET_FRACTION)
    flags.push(`needs ${neededCores.toFixed(2)} cores, the server had ${availableCores}`);
  return {
    kneeMiBps: kneeMiBps,
    msPerMiB: step.cpu.msPerMiB,
    neededCores: neededCores,
    usedCores: step.cpu.cores,
    availableCores: availableCores,
    otherThreadsShare: total > 0 ? step.cpu.otherThreadsMs / total : 0,
    flag: flags.length ? flags.join('; ') : null,
  };
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

/**
 * Stacks measured unless told otherwise: 2015 itself (with deflate on it fails before it has a
 * knee; off, it has one), the 2015 fix candidates, and today.
 */
export const CAPACITY_STACKS: StackName[] = ['2015', '2015+ws0.8.1', '2016-fixed', 'today'];

/** The most a plan can take: generator windows (with their setup) and every knee search at its hard limit. */
export function capacityBoundMs(plan: CapacityPlan): number {
  const generatorMs = plan.frameSizes.length * (GENERATOR_DEFAULTS.durationMs + 20_000);
  const knees = plan.frameSizes.length * plan.stacks.length * plan.deflate.length * (plan.repeats ?? 1);
  return generatorMs + knees * kneeBoundMs(plan.search, KNEE_STEP_DEFAULTS);
}

/** A typical time for a plan: about 6.5 s a knee step, 8 steps a search, and the generator windows. */
export function capacityEstimateMs(plan: CapacityPlan): number {
  const searches = plan.frameSizes.length * plan.stacks.length * plan.deflate.length * (plan.repeats ?? 1);
  return plan.frameSizes.length * (GENERATOR_DEFAULTS.durationMs + 2000) + searches * 8 * 6500;
}

function pinningFor(plan: CapacityPlan): Pinning {
  const reason = plan.pin ? cannotPin() : 'not asked';
  return reason ? { pinned: false, reason: reason } : { pinned: true, cores: CORES };
}

/** Every target of a plan, in the order searched. */
export function targetsOf(plan: CapacityPlan): KneeTarget[] {
  return plan.frameSizes.flatMap((frameSize) =>
    plan.stacks.flatMap((stack) =>
      plan.deflate.map((deflate) => ({ stack: stack, deflate: deflate, frameSize: frameSize })),
    ),
  );
}

/** Measures every knee of the plan's targets, each `repeats` times, pinned as the plan asks; the process is released after. */
async function measureKnees(plan: CapacityPlan, progress: CapacityProgress): Promise<KneeResult[]> {
  const pinning = pinningFor(plan);
  const targets = targetsOf(plan);
  const repeats = plan.repeats ?? 1;
  const searches: KneeSearchRun[][] = targets.map(() => []);
  let unpin = () => undefined as void;
  if (pinning.pinned) {
    unpin = pinSelf(CORES.server);
    process.env[LOADGEN_CPU_ENV] = String(CORES.generator);
  }
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const [i, target] of targets.entries()) {
        const label = `${target.stack}, deflate ${target.deflate}, ${target.frameSize} B, search ${repeat + 1}/${repeats}`;
        const started = performance.now();
        const { outcome, steps } = await findKnee(
          (offered) => measureKneeStep(target, offered),
          plan.search,
          (step, n) =>
            progress(
              `  ${label}: step ${n + 1} at ${step.offeredMiBps.toFixed(1)} MiB/s offered: ${step.met ? 'met' : step.failed ? 'failed' : 'short'}, ${step.deliveredMiBps.toFixed(1)} MiB/s delivered by time${step.reasons.length ? ` (${step.reasons[0]})` : ''}`,
            ),
        );
        const wallMs = performance.now() - started;
        progress(`  ${label}: ${describeKnee(outcome)} (${(wallMs / 1000).toFixed(0)} s)`);
        searches[i].push({ outcome: outcome, steps: steps, wallMs: wallMs });
      }
    }
  } finally {
    delete process.env[LOADGEN_CPU_ENV];
    unpin();
  }
  return targets.map((target, i) => ({
    ...target,
    outcome: medianSearch(searches[i]).outcome,
    searches: searches[i],
    wallMs: searches[i].reduce((sum, s) => sum + s.wallMs, 0),
    pinning: pinning,
  }));
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

/** The default plan: the sweep's 64 KiB, 1 MiB and 4 MiB, the four stacks, deflate on and off, each knee searched 3 times, pinned. */
export const DEFAULT_CAPACITY_PLAN: CapacityPlan = {
  frameSizes: [64 * 1024, 1024 * 1024, 4 * 1024 * 1024],
  stacks: CAPACITY_STACKS,
  deflate: ['on', 'off'],
  pin: true,
  search: KNEE_SEARCH,
  repeats: KNEE_REPEATS,
};
