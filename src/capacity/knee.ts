/**
 * A server's capacity (its knee): the highest offered payload MiB/s it still meets. Found by a
 * bounded search over the offered rate, doubling from a floor until a step falls short, then
 * bisecting (geometrically) between the last met and the first unmet rate. Each step is a short
 * scenario (src/traffic/scenario.ts) with the load generator forked, judged by the one offered-load
 * rule every run is judged by (src/traffic/offered-load.ts), time included: a step is *met* when
 * that rule finds no shortfall (by count, and by time: delivered within the window and a bounded
 * drain, with no growing round trip) and nothing failed. A failing step is never met; a stack that
 * fails before delivery falls short of any rate has no knee (it fails first), whether at the floor
 * or above it, and a step the generator itself fell short on twice ends the search (the knee is
 * beyond what it can show).
 */
import { judgeByTime, MET_FRACTION, saturationReasons, type OfferedLoad } from '../traffic/offered-load';
import { MiB, type DeflateMode, type PayloadKind, type StackName } from '../core/params';
import type { DeliveryTiming } from '../traffic/delivery-timing';
import { hardLimitMs, runScenario, type ScenarioRecord } from '../traffic/scenario';

/**
 * The server's CPU during a step, from /proc (src/core/process-cpu.ts), from its first frame to
 * the end of its drain: cores used, ms per MiB the server read, and the split between the main
 * thread and the others (zlib's pool, where inflate runs, and V8's helpers).
 */
export interface StepCpu {
  cores: number;
  /** null when the server read nothing. */
  msPerMiB: number | null;
  mainThreadMs: number;
  otherThreadsMs: number;
}

/** What one search step found at one offered rate. */
export interface KneeStep {
  offeredMiBps: number;
  /** Payload acked per second by time: frames acked within the window and the drain bound, over the window and the drain they took. */
  deliveredMiBps: number;
  /** The same on the wire: delivered payload times the step's wire bytes per payload byte (deflate on puts fewer on the wire). */
  deliveredWireMiBps?: number;
  met: boolean;
  /** The stack failed (a disconnect or a corrupted frame): never a met load. */
  failed: boolean;
  /** The generator fell short of the schedule (missed ticks, or handed under 95% of what the socket took): the step says nothing about the server. */
  generatorShort: boolean;
  /** Ticks the generator missed (any makes the step short, as it makes any run saturated). */
  ticksMissed: number;
  /** Why the step was not met; empty when it was. */
  reasons: string[];
  /** The server's CPU while the step sent; absent in older records and where /proc cannot tell. */
  cpu?: StepCpu;
  /** The step's run record, so that a reader judges the step again; absent in older records. */
  run?: ScenarioRecord;
}

/** Where a search ended. */
export type KneeSearchEnd =
  /** Met at `metMiBps` offered, not at `unmetMiBps`: the knee is the offered rate of the last met step (`kneeMiBps`, equal to `metMiBps`). */
  | { kind: 'knee'; kneeMiBps: number; metMiBps: number; unmetMiBps: number }
  /**
   * The stack failed before delivery fell short of any rate: there is no knee. `failedAtMiBps` is
   * the lowest rate that failed; `metMiBps` the highest met below it (null when it failed at the floor).
   */
  | { kind: 'fails-first'; failedAtMiBps: number; metMiBps: number | null; reasons: string[] }
  /** Unmet at the floor without failing: the knee is below it. */
  | { kind: 'below-floor'; floorMiBps: number; reasons: string[] }
  /** Met up to the ceiling of the search: the knee is above it. */
  | { kind: 'above-ceiling'; ceilingMiBps: number; deliveredMiBps: number }
  /** The generator fell short before the server did: the knee is above the last met step, if any. */
  | { kind: 'generator-bound'; metMiBps: number | null; deliveredMiBps: number | null; shortAtMiBps: number };

/** A search's bounds: offered MiB/s from `floorMiBps` doubling to `ceilingMiBps`, bisected to `tolerance`, at most `maxSteps` steps. */
export interface KneeSearch {
  floorMiBps: number;
  ceilingMiBps: number;
  /** Bisection stops when the unmet rate is within this fraction above the met one. */
  tolerance: number;
  maxSteps: number;
}

/**
 * Defaults: 8 MiB/s to 1 GiB/s (seven doublings), bisected to 5% (so that repeats can show a
 * spread well under 1.25), at most 14 steps (a retry counts).
 */
export const KNEE_SEARCH: KneeSearch = { floorMiBps: 8, ceilingMiBps: 1024, tolerance: 0.05, maxSteps: 14 };
/** Each knee is searched this many times, independently; its figure is their median, shown with their range. */
export const KNEE_REPEATS = 3;

/**
 * The search itself, apart from measuring: yields each offered MiB/s to measure, is handed the
 * step measured there, and returns where the search ended. findKnee drives it with live steps;
 * replayKnee drives it with a record's steps judged again.
 */
function* kneeSearchMoves(search: KneeSearch): Generator<number, KneeSearchEnd, KneeStep> {
  let taken = 0;
  let met: KneeStep | undefined;
  let unmetMiBps: number | undefined;
  // The lowest unmet step: a failure there means the stack fails before its capacity is reached.
  let unmetStep: KneeStep | undefined;
  let offered = search.floorMiBps;
  for (;;) {
    let step = yield offered;
    taken++;
    // A generator that fell short once may have lost a tick to a busy moment: it gets one more try.
    if (step.generatorShort && !step.failed && !step.met) {
      step = yield offered;
      taken++;
    }
    if (step.generatorShort && !step.failed && !step.met) {
      return {
        kind: 'generator-bound',
        metMiBps: met?.offeredMiBps ?? null,
        deliveredMiBps: met?.deliveredMiBps ?? null,
        shortAtMiBps: offered,
      };
    }
    if (!met && !step.met) {
      return step.failed
        ? { kind: 'fails-first', failedAtMiBps: offered, metMiBps: null, reasons: step.reasons }
        : { kind: 'below-floor', floorMiBps: offered, reasons: step.reasons };
    }
    if (step.met) met = step;
    else {
      unmetMiBps = offered;
      unmetStep = step;
    }
    const last = met as KneeStep;
    if (unmetMiBps === undefined) {
      if (offered >= search.ceilingMiBps || taken >= search.maxSteps)
        return { kind: 'above-ceiling', ceilingMiBps: offered, deliveredMiBps: last.deliveredMiBps };
      offered = Math.min(2 * offered, search.ceilingMiBps);
      continue;
    }
    if (unmetMiBps <= last.offeredMiBps * (1 + search.tolerance) || taken >= search.maxSteps) {
      return unmetStep?.failed
        ? { kind: 'fails-first', failedAtMiBps: unmetMiBps, metMiBps: last.offeredMiBps, reasons: unmetStep.reasons }
        : { kind: 'knee', kneeMiBps: last.offeredMiBps, metMiBps: last.offeredMiBps, unmetMiBps: unmetMiBps };
    }
    offered = Math.sqrt(last.offeredMiBps * unmetMiBps);
  }
}

/** Runs the bounded search with `measure` (one step at an offered MiB/s); returns the outcome and every step. */
export async function findKnee(
  measure: (offeredMiBps: number) => Promise<KneeStep>,
  search: KneeSearch = KNEE_SEARCH,
  onStep?: (step: KneeStep, index: number) => void,
): Promise<{ outcome: KneeSearchEnd; steps: KneeStep[] }> {
  const steps: KneeStep[] = [];
  const moves = kneeSearchMoves(search);
  let move = moves.next();
  while (!move.done) {
    const step = await measure(move.value);
    steps.push(step);
    onStep?.(step, steps.length - 1);
    move = moves.next(step);
  }
  return { outcome: move.value, steps: steps };
}

/**
 * The same search over a record's steps, as judged again: where it ends, or why the record cannot
 * be its trace (a step at another rate than the search asks for, or too few steps).
 */
export function replayKnee(
  steps: readonly KneeStep[],
  search: KneeSearch = KNEE_SEARCH,
): { outcome: KneeSearchEnd } | { mismatch: string } {
  const moves = kneeSearchMoves(search);
  let move = moves.next();
  for (const [i, recorded] of steps.entries()) {
    if (move.done) return { mismatch: `the search ends after ${i} steps; the record has ${steps.length}` };
    if (Math.abs(move.value - recorded.offeredMiBps) > 1e-9 * move.value)
      return {
        mismatch: `step ${i + 1}: the search asks for ${move.value.toFixed(1)} MiB/s, the record measured ${recorded.offeredMiBps.toFixed(1)}`,
      };
    move = moves.next(recorded);
  }
  return move.done
    ? { outcome: move.value }
    : { mismatch: `the search goes on past the record's ${steps.length} steps` };
}

/** One line saying where a search ended, worded from its outcome. */
export function describeKnee(outcome: KneeSearchEnd): string {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  switch (outcome.kind) {
    case 'knee':
      return `knee ${f(outcome.kneeMiBps)} MiB/s of payload offered (met there, not at ${f(outcome.unmetMiBps)})`;
    case 'fails-first':
      return outcome.metMiBps === null
        ? `no knee: fails first (failed at ${f(outcome.failedAtMiBps)} MiB/s offered, the lowest tried: ${outcome.reasons.join('; ')})`
        : `no knee: fails first (met up to ${f(outcome.metMiBps)} MiB/s offered, failed at ${f(outcome.failedAtMiBps)}: ${outcome.reasons.join('; ')})`;
    case 'below-floor':
      return `knee below ${f(outcome.floorMiBps)} MiB/s (unmet at the lowest rate tried: ${outcome.reasons.join('; ')})`;
    case 'above-ceiling':
      return `knee above ${f(outcome.ceilingMiBps)} MiB/s (met at the highest rate tried, ${f(outcome.deliveredMiBps)} MiB/s delivered)`;
    case 'generator-bound':
      return outcome.metMiBps === null
        ? `not measured: the generator fell short at ${f(outcome.shortAtMiBps)} MiB/s, the lowest rate tried`
        : `knee above ${f(outcome.metMiBps)} MiB/s offered: the generator fell short at ${f(outcome.shortAtMiBps)} MiB/s before the server did`;
  }
}

/** The knee as a number for a ratio: the measured knee, or null when the search found only a bound or none. */
export function kneeValue(outcome: KneeSearchEnd): number | null {
  return outcome.kind === 'knee' ? outcome.kneeMiBps : null;
}

/** Where a knee is measured: a stack, deflate forced on or off, a frame size. */
export interface KneeTarget {
  stack: StackName;
  deflate: DeflateMode;
  frameSize: number;
}

/** How each step's scenario is run. */
export interface KneeStepOptions {
  payload: PayloadKind;
  fragmentSize: number;
  clients: number;
  durationMs: number;
  seed: number;
}

/** Defaults: data-url pictures in the sweep's 100 KiB fragments, 2 clients, 4 s per step. */
export const KNEE_STEP_DEFAULTS: KneeStepOptions = {
  payload: 'data-url',
  fragmentSize: 100 * 1024,
  clients: 2,
  durationMs: 4000,
  seed: 1,
};

/** Highest tick rate per client before a step sends bursts instead: a busy loop misses short periods first. */
const MAX_TICKS_PER_SECOND = 20;
/** The server accepts any message of the sizes measured (engine.io 1.5's default is 100 MB, today's 1 MB). */
const MAX_HTTP_BUFFER = 256 * MiB;

/** Per-client rate and burst that offer `messagesPerSecond` over `clients`, ticks no faster than 20/s. */
export function schedule(messagesPerSecond: number, clients: number): { rate: number; burst: number } {
  const perClient = messagesPerSecond / clients;
  const burst = Math.max(1, Math.ceil(perClient / MAX_TICKS_PER_SECOND));
  return { rate: perClient / burst, burst: burst };
}

/**
 * Judges one scenario as a search step: met, failed, or short, and where, by the offered-load rule
 * every run is judged by (src/traffic/offered-load.ts), time included: a missed tick, anything else
 * short of 95%, delivery that fell behind in time, or a growing round trip makes the step unmet. A
 * step the generator fell short on is retried once by findKnee, so one busy moment does not end a
 * search.
 */
export function judgeStep(record: ScenarioRecord, offeredMiBps: number): KneeStep {
  const { result, spec } = record;
  const offered = result.offered as OfferedLoad;
  const reasons = saturationReasons(offered);
  const failed = result.failures > 0;
  if (failed)
    reasons.unshift(
      `${result.failures} failures (${Object.keys(result.underlyingErrors).join(', ') || 'disconnects'})`,
    );
  if (result.status === 'failed') reasons.unshift(`the run did not complete: ${result.runError}`);
  const byTime = judgeByTime(offered);
  // Untimed (an older record): what was acked over the window, the best a count can say.
  const [frames, ms] = byTime
    ? [byTime.onTime, (offered.timing as DeliveryTiming).spanMs + byTime.drainMs]
    : [Math.min(offered.serverRead, offered.acked), result.sendWindow.end - result.sendWindow.start];
  const deliveredMiBps = (frames * spec.frameSize) / MiB / (Math.max(ms, 1) / 1000);
  // Frames refused because the socket's backlog was full wait on the server, not the generator.
  const owed = offered.nominal - offered.offline - offered.backlogFull;
  const handed = offered.handed ?? offered.sent;
  return {
    offeredMiBps: offeredMiBps,
    deliveredMiBps: deliveredMiBps,
    ...(result.wireRatio === null ? {} : { deliveredWireMiBps: deliveredMiBps * result.wireRatio }),
    met: reasons.length === 0,
    failed: failed,
    generatorShort: offered.ticksMissed > 0 || (owed > 0 && handed < MET_FRACTION * owed),
    ticksMissed: offered.ticksMissed,
    reasons: reasons,
    ...(result.cpuWhileSending ? { cpu: stepCpu(result.cpuWhileSending, offered.serverRead * spec.frameSize) } : {}),
    run: record,
  };
}

/** A step's CPU figures from its run's /proc readings and the payload bytes the server read. */
function stepCpu(cpu: NonNullable<ScenarioRecord['result']['cpuWhileSending']>, readBytes: number): StepCpu {
  return {
    cores: cpu.totalMs / Math.max(cpu.wallMs, 1),
    msPerMiB: readBytes > 0 ? cpu.totalMs / (readBytes / MiB) : null,
    mainThreadMs: cpu.mainThreadMs,
    otherThreadsMs: cpu.otherThreadsMs,
  };
}

/** Runs one knee step: a short forked scenario offering `offeredMiBps`, judged by judgeStep. */
export async function measureKneeStep(
  target: KneeTarget,
  offeredMiBps: number,
  options: KneeStepOptions = KNEE_STEP_DEFAULTS,
): Promise<KneeStep> {
  const { rate, burst } = schedule((offeredMiBps * MiB) / target.frameSize, options.clients);
  const record = await runScenario(
    {
      stack: target.stack,
      client: 'fragmenting',
      payload: options.payload,
      frameSize: target.frameSize,
      fragmentSize: options.fragmentSize,
      rate: rate,
      clients: options.clients,
      burst: burst,
      duration: options.durationMs,
      seed: options.seed,
      deflate: target.deflate,
      placement: 'forked',
      maxHttpBufferSize: MAX_HTTP_BUFFER,
    },
    { record: false },
  );
  return judgeStep(record, offeredMiBps);
}

/** The most a knee search can take: every step at its scenario's hard limit. */
export function kneeBoundMs(search: KneeSearch = KNEE_SEARCH, options: KneeStepOptions = KNEE_STEP_DEFAULTS): number {
  // A retry may take the last step one past maxSteps.
  return (search.maxSteps + 1) * hardLimitMs(options.durationMs);
}
