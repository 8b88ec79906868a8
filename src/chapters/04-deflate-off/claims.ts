/**
 * The post's three claims about its fix, measured: the runs (the same load with deflate on and
 * off, clients forked so the kernel's CPU is the server's; the same comparison at equal delivered
 * work on a stack that does not fail; and one light run per payload kind for the bytes), and the
 * verdicts, each judged from a 95% interval and worded from it. The CPU claim is answered in two
 * parts: (a) what deflate itself costs the server per MiB at equal work, and (b) what the failure
 * costs on 2015. The units are runs (the disconnect rate) and on/off pairs run back to back (the
 * CPU and bytes ratios), never frames.
 */
import type { KneeResult } from '../../capacity/measure';
import type { LongRunRecord } from '../../traffic/long-run';
import { isDebugCaptureActive } from '../../observe/debug-capture';
import { BOUNDS, KiB, MiB, type Params, type PayloadKind, type StackName } from '../../core/params';
import {
  clopperPearson,
  countBy,
  MIN_UNITS,
  MIN_CPU_MS_PER_SIDE,
  pairedRatio,
  pairsToSettle,
  poissonRate,
  rateRatio,
  type CountUnit,
  type Interval,
  type RateEstimate,
  type RatioEstimate,
} from '../../core/stats';
import {
  intervalText,
  judgeAbove,
  judgeBelow,
  verdictText,
  type ClaimVerdict,
  type Judgement,
  type RunMode,
} from '../../core/verdict';
import { CHAPTERS, type Chapter } from '../../chapters/registry';
import { FAILING_SCENARIO } from '../../traffic/presets';
import { fragmentsExpected, classifyScenario, onOffBlockers, zeroFailureBlockers } from '../../traffic/failure-rule';
import { runMetrics } from '../../traffic/metrics';
import { disconnectUnit, exposureText, rateText } from '../../traffic/rates';
import { fractionLabel } from '../../sweep/grid';
import { kneeBasis, kneeSchedule, type KneeBasis } from '../../sweep/knees';
import { runScenario, type ScenarioRecord, type ScenarioResult, type ScenarioSpec } from '../../traffic/scenario';
import { formatBytes, formatDuration } from '../../core/units';
import { plural } from '../show-finding';

/** This chapter's number in the report, for the commands that settle a claim. */
const DEFLATE_OFF_CHAPTER = (CHAPTERS.find((c) => c.slug === 'deflate-off') as Chapter).number;

/** The post's stack, on which its fix is measured. */
export const CLAIMS_STACK: StackName = '2015';
/** The post's CPU claim: "less than half". */
export const CPU_CLAIM_RATIO = 0.5;
/**
 * The stack of claim 2(a): the post's socket.io and engine.io with ws 0.8.1, which carries the
 * fix and so does not fail; deflate's own cost is measured there, at equal delivered work.
 */
export const EQUAL_WORK_STACK: StackName = '2015+ws0.8.1';
/** The equal-work pairs offer this fraction of the slower setting's knee: both settings can deliver it. */
export const EQUAL_WORK_FRACTION = 0.5;
/**
 * Byte counts within this fraction of each other are "about the same": the frames differ by
 * framing and protocol packets, not by payload. Fixed before any run.
 */
export const NOTICEABLE_BYTES = 0.01;

/**
 * The load for the bytes: one client sending one frame at a time, twice a second, so there is no
 * send backlog (a precondition of the 2015 failure) and every frame arrives whole with deflate on
 * as well as off. Only the payload kind and the deflate setting vary.
 */
export const WIRE_LOAD: Omit<ScenarioSpec, 'deflate' | 'payload' | 'duration'> = {
  ...FAILING_SCENARIO,
  stack: CLAIMS_STACK,
  clients: 1,
  burst: 1,
  rate: 2,
  placement: 'in-process',
};
/**
 * Send window of each bytes run: at WIRE_LOAD's 2/s, 2 frames in full (two of a seed's pictures),
 * 1 in quick, whose one pair per kind cannot carry a verdict anyway and shows the ratio as a
 * diagnostic. The spread that matters is across seeds, so a pair needs few frames.
 */
export const WIRE_RUN_MS = { full: 1000, quick: 500 } as const;

/** A claim's answer at one frame size: its judgement (verdict, basis, mode) and the sentences that word it. */
export interface ClaimAnswer {
  judgement: Judgement;
  sentences: string[];
}

// ---- runs -----------------------------------------------------------------------------------------

/** The same load with deflate on and off, once per repeat. */
export interface LoadPair {
  repeat: number;
  on: ScenarioRecord;
  off: ScenarioRecord;
}

/** Called before each run with what it is and how many there are. */
export type RunNotice = (label: string, index: number, total: number) => void;

/** What the on/off pairs of a claim run: the failing scenario's spec with a stack and, for equal work, a load. */
type PairSpec = Omit<ScenarioSpec, 'deflate' | 'duration' | 'seed'>;

/** Runs `spec` with deflate on and off, `repeats` times, alternating which goes first. */
async function runPairs(spec: PairSpec, params: Params, what: string, notice?: RunNotice): Promise<LoadPair[]> {
  // A debug capture formats every line of every logger: it would be measured as server CPU.
  if (isDebugCaptureActive())
    throw new Error('a debug capture is running: stop it before measuring server CPU (captureDebug(...).stop())');
  const pairs: LoadPair[] = [];
  for (let repeat = 1; repeat <= params.repeats; repeat++) {
    // Alternate which setting goes first, so a machine that warms up or gets busier favours neither.
    const order: Array<'on' | 'off'> = repeat % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
    const done: Partial<Record<'on' | 'off', ScenarioRecord>> = {};
    for (const [i, deflate] of order.entries()) {
      notice?.(`${what}, repeat ${repeat}, deflate ${deflate}`, 2 * (repeat - 1) + i, 2 * params.repeats);
      done[deflate] = await runScenario(
        { ...spec, deflate: deflate, duration: params.duration, seed: params.seed },
        { quick: params.quick },
      );
    }
    pairs.push({ repeat: repeat, on: done.on as ScenarioRecord, off: done.off as ScenarioRecord });
  }
  return pairs;
}

/** Runs the failing scenario at `frameSize` on the 2015 stack with deflate on and off, `repeats` times, clients forked. */
export async function runLoadPairs(params: Params, frameSize: number, notice?: RunNotice): Promise<LoadPair[]> {
  return runPairs(
    { ...FAILING_SCENARIO, frameSize: frameSize, stack: CLAIMS_STACK, placement: 'forked' },
    params,
    `${CLAIMS_STACK} at ${formatBytes(frameSize)}`,
    notice,
  );
}

/** The load of the equal-work pairs at one frame size, and where it came from, in words. */
export interface EqualWorkLoad {
  frameSize: number;
  rate: number;
  burst: number;
  /** Offered MiB/s. */
  MiBps: number;
  /**
   * Where the load came from: a fraction of the knee recorded (or searched) at this size, of the
   * knee at the nearest recorded size, or the failing scenario's load when no knee is recorded at all.
   */
  origin: string;
  /** Whether the knee is another size's: quick mode does not search a size that is not recorded, and a search may find none. */
  nearest: boolean;
}

function offeredMiBps(rate: number, burst: number, frameSize: number): number {
  return (rate * burst * FAILING_SCENARIO.clients * frameSize) / MiB;
}

/** The recorded sizes of EQUAL_WORK_STACK that have a usable knee on both settings, nearest to `frameSize` first. */
function sizesByNearness(knees: readonly KneeResult[], frameSize: number): number[] {
  const sizes = [...new Set(knees.filter((k) => k.stack === EQUAL_WORK_STACK).map((k) => k.frameSize))];
  const distance = (size: number) => Math.abs(Math.log(size / frameSize));
  return sizes
    .filter((size) => typeof kneeBasis(knees, EQUAL_WORK_STACK, size) !== 'string')
    .sort((a, b) => distance(a) - distance(b) || a - b);
}

/**
 * The equal-work load at `frameSize`: EQUAL_WORK_FRACTION of the slower setting's knee of
 * EQUAL_WORK_STACK, from `knees` (recorded, or searched live for this size). Without a knee at this
 * size, the knee (in MiB/s) of the nearest size that has one, and the origin says so; without any,
 * the failing scenario's own rate and burst, and the origin says why.
 */
export function equalWorkLoad(knees: readonly KneeResult[], frameSize: number): EqualWorkLoad {
  const exact = kneeBasis(knees, EQUAL_WORK_STACK, frameSize);
  const nearestSize = typeof exact === 'string' ? sizesByNearness(knees, frameSize)[0] : frameSize;
  if (nearestSize === undefined) {
    return {
      frameSize: frameSize,
      rate: FAILING_SCENARIO.rate,
      burst: FAILING_SCENARIO.burst,
      MiBps: offeredMiBps(FAILING_SCENARIO.rate, FAILING_SCENARIO.burst, frameSize),
      origin: `the reproducer's load, since no knee is recorded to take a fraction of (${exact as string})`,
      nearest: false,
    };
  }
  const basis = kneeBasis(knees, EQUAL_WORK_STACK, nearestSize) as KneeBasis;
  const { rate, burst } = kneeSchedule(
    { fraction: EQUAL_WORK_FRACTION, basis: basis },
    frameSize,
    FAILING_SCENARIO.clients,
  );
  const knee = `${basis.kind === 'at least' ? 'at least ' : ''}${basis.MiBps.toFixed(1)} MiB/s at ${formatBytes(nearestSize)}`;
  return {
    frameSize: frameSize,
    rate: rate,
    burst: burst,
    MiBps: offeredMiBps(rate, burst, frameSize),
    origin:
      nearestSize === frameSize
        ? `${fractionLabel(EQUAL_WORK_FRACTION)} of ${EQUAL_WORK_STACK} with deflate ${basis.deflate}, the slower setting (${knee}, recorded by the capacity search)`
        : `${fractionLabel(EQUAL_WORK_FRACTION)} of ${EQUAL_WORK_STACK} at the nearest recorded size, with deflate ${basis.deflate}, the slower setting (${knee}); no usable knee at ${formatBytes(frameSize)} (${exact as string})`,
    nearest: nearestSize !== frameSize,
  };
}

/** Runs `load.frameSize` frames on EQUAL_WORK_STACK at `load`, deflate on and off, `repeats` times, clients forked. */
export async function runEqualWorkPairs(params: Params, load: EqualWorkLoad, notice?: RunNotice): Promise<LoadPair[]> {
  return runPairs(
    {
      ...FAILING_SCENARIO,
      frameSize: load.frameSize,
      stack: EQUAL_WORK_STACK,
      placement: 'forked',
      rate: load.rate,
      burst: load.burst,
    },
    params,
    `${EQUAL_WORK_STACK} at equal work, ${formatBytes(load.frameSize)}`,
    notice,
  );
}

/** One payload kind with deflate on and off, under WIRE_LOAD, with one seed (the spec's). */
export interface WirePair {
  payload: PayloadKind;
  on: ScenarioRecord;
  off: ScenarioRecord;
}

/**
 * Runs WIRE_LOAD at `frameSize`: per payload kind, `repeats` on/off pairs, each pair with its own
 * seed (params.seed, then +1, …). The unit of the bytes claim is a seed's pair: the same frames sent
 * with deflate on and with it off. Repeating one seed would send the same bytes again and measure
 * no spread at all; a new seed draws new pictures (or JSON) of the same kind, so the spread across
 * pairs is how much deflate's saving varies with the content, which is what the claim is about.
 */
export async function runWirePairs(params: Params, frameSize: number, notice?: RunNotice): Promise<WirePair[]> {
  const duration = params.quick ? WIRE_RUN_MS.quick : WIRE_RUN_MS.full;
  const total = 2 * params.payload.length * params.repeats;
  const pairs: WirePair[] = [];
  for (const [k, payload] of params.payload.entries()) {
    for (let repeat = 1; repeat <= params.repeats; repeat++) {
      const seed = params.seed + repeat - 1;
      const done: Partial<Record<'on' | 'off', ScenarioRecord>> = {};
      // Alternating which goes first, as the load pairs do.
      const order: Array<'on' | 'off'> = repeat % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
      for (const [i, deflate] of order.entries()) {
        notice?.(
          `${payload} at ${formatBytes(frameSize)}, seed ${seed}, deflate ${deflate}`,
          2 * (k * params.repeats + repeat - 1) + i,
          total,
        );
        done[deflate] = await runScenario(
          { ...WIRE_LOAD, frameSize: frameSize, payload: payload, deflate: deflate, duration: duration, seed: seed },
          { quick: params.quick },
        );
      }
      pairs.push({ payload: payload, on: done.on as ScenarioRecord, off: done.off as ScenarioRecord });
    }
  }
  return pairs;
}

// ---- what counts as a failure -------------------------------------------------------------------

/**
 * A run's failures under the one rule (src/traffic/failure-rule), re-classified from the record: a record
 * made before the window took in the drain counted the send window only, and a backlog still
 * draining can fail after sending stops.
 */
export function runFailures(result: ScenarioResult): number {
  return classifyScenario(result).failures;
}

function deliveredMiB(record: ScenarioRecord): number {
  return (record.result.delivered * record.spec.frameSize) / MiB;
}

/** Server CPU (user + system), ms. */
export function cpuMs(result: ScenarioResult): number {
  return result.cpu.userMs + result.cpu.systemMs;
}

/** Server CPU per MiB of frames delivered; null when nothing was delivered. */
export function cpuPerMiB(record: ScenarioRecord): number | null {
  const mib = deliveredMiB(record);
  return mib > 0 ? cpuMs(record.result) / mib : null;
}

// ---- how a verdict is reached ---------------------------------------------------------------------

/** The claims as their verdicts name them, before `, 1 MiB frames`. */
const CLAIMS = {
  disconnects: 'with deflate off, the disconnects stop',
  cpuOwn: "with deflate off, the server's CPU is less than half, (a) deflate's own cost at equal work",
  cpuFailure: `with deflate off, the server's CPU is less than half, (b) the failure's cost on ${CLAIMS_STACK}`,
  bytes: 'with deflate off, more bytes cross the wire',
} as const;

/** Where a verdict was judged: the frame size, and whether the runs were quick or full. */
export interface JudgedAt {
  frameSize: number;
  mode: RunMode;
}

/** `1MiB`, `256KiB`, `3000`: a frame size as the command line takes it. */
function sizeArg(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB}MiB`;
  return bytes % KiB === 0 ? `${bytes / KiB}KiB` : String(bytes);
}

/** The command that runs this chapter with `repeats` pairs at `frameSize`, in full. */
function settleCommand(frameSize: number, repeats: number): string {
  return `npm run report -- --only ${DEFLATE_OFF_CHAPTER} --frame-sizes ${sizeArg(frameSize)} --repeats ${repeats}`;
}

/** `0.62`, `1,230`: three significant figures. */
function num(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(3)).toLocaleString('en-US') : '∞';
}

/** The verdict as the chapter words it, with its basis and, when not settled, what would settle it. */
function verdictSentence(judgement: Judgement): string {
  const finer = judgement.finer !== undefined && judgement.finer !== judgement.verdict ? `, ${judgement.finer}` : '';
  const settle = judgement.toSettle ? ` To settle it: ${judgement.toSettle}.` : '';
  return `Verdict: ${verdictText(judgement)}${finer}, from ${judgement.basis}.${settle}`;
}

/** A paired ratio judged against a threshold, and why it is not settled where it is not. */
export interface PairedAnswer {
  /** The geometric mean and t interval; null with fewer than 2 pairs. */
  estimate: RatioEstimate | null;
  ratios: number[];
  verdict: ClaimVerdict;
  /** Why the ratio cannot carry a verdict; empty when it can. */
  unsettled: string[];
  /** Pairs that would settle it at the measured spread (and CPU per pair); null when settled or when no number would. */
  pairsNeeded: number | null;
  /** Pairs run, counted or not: a share left out now will be left out again. */
  tried: number;
}

/**
 * Judges a ratio over on/off pairs against `threshold`, from the t interval on the log ratios: a
 * verdict needs MIN_UNITS pairs and, for a CPU ratio (`cpu`: each counted pair's server CPU per
 * side), MIN_CPU_MS_PER_SIDE of server CPU on each side. `tried` is the pairs run, counted or not.
 */
export function judgePairs(
  ratios: readonly number[],
  threshold: number,
  direction: 'below' | 'above',
  options: { cpu?: { on: readonly number[]; off: readonly number[] }; tried?: number } = {},
): PairedAnswer {
  const { cpu, tried = ratios.length } = options;
  const estimate = pairedRatio(ratios);
  const unsettled: string[] = [];
  if (ratios.length < MIN_UNITS) unsettled.push(`${plural(ratios.length, 'pair')}, fewer than ${MIN_UNITS}`);
  // The pairs it would take for each side's CPU to reach MIN_CPU_MS_PER_SIDE at its mean per pair.
  let cpuPairs = 0;
  for (const [side, values] of Object.entries(cpu ?? {})) {
    const total = values.reduce((sum, ms) => sum + ms, 0);
    if (total >= MIN_CPU_MS_PER_SIDE) continue;
    unsettled.push(`${Math.round(total)} ms of server CPU with deflate ${side}, under ${MIN_CPU_MS_PER_SIDE / 1000} s`);
    cpuPairs = Math.max(cpuPairs, total > 0 ? Math.ceil((MIN_CPU_MS_PER_SIDE * values.length) / total) : Infinity);
  }
  const judged =
    estimate === null ? 'not settled' : (direction === 'below' ? judgeBelow : judgeAbove)(estimate.interval, threshold);
  if (estimate !== null && judged === 'not settled')
    unsettled.push(`the interval (${intervalText(estimate.interval)}) straddles ${threshold}`);
  const verdict: ClaimVerdict = unsettled.length === 0 ? judged : 'not settled';
  const spreadPairs = estimate === null ? MIN_UNITS : pairsToSettle(estimate, threshold);
  const pairsNeeded =
    verdict !== 'not settled' || spreadPairs === null || !Number.isFinite(cpuPairs)
      ? null
      : Math.max(MIN_UNITS, spreadPairs, cpuPairs);
  return {
    estimate: estimate,
    ratios: [...ratios],
    verdict: verdict,
    unsettled: unsettled,
    pairsNeeded: pairsNeeded,
    tried: Math.max(tried, ratios.length),
  };
}

/** `0.62 (95%: 0.58–0.66) over 6 pairs`, or the one ratio a single pair gives, marked as such. */
export function pairedText(answer: Pick<PairedAnswer, 'estimate' | 'ratios'>): string {
  const { estimate, ratios } = answer;
  if (estimate !== null)
    return `${num(estimate.ratio)} (${intervalText(estimate.interval)}) over ${plural(estimate.pairs, 'pair')}`;
  return ratios.length === 1 ? `${num(ratios[0])} from 1 pair (no interval)` : 'no pair';
}

/** What would settle a paired ratio: the pairs and the command, or why no number of pairs would. */
function pairsToSettleText(answer: PairedAnswer, frameSize: number): string | undefined {
  if (answer.verdict !== 'not settled') return undefined;
  if (answer.pairsNeeded === null)
    return 'no number of pairs at the measured spread: the estimate sits on the threshold (or a side measured no CPU)';
  const counted = answer.ratios.length;
  // Pairs left out here (a failure, a load not met) will be left out as often again.
  const repeats =
    counted > 0 && answer.tried > counted
      ? Math.ceil((answer.pairsNeeded * answer.tried) / counted)
      : answer.pairsNeeded;
  const notes = [
    ...(answer.estimate === null ? ['fewer than 2 show no spread to go by'] : []),
    ...(repeats > answer.pairsNeeded
      ? [`${counted} of ${answer.tried} counted here, so about ${repeats} repeats`]
      : []),
  ];
  const pairs =
    (answer.estimate === null
      ? `at least ${plural(answer.pairsNeeded, 'pair')} that count`
      : `${plural(answer.pairsNeeded, 'pair')} that count, at the measured spread`) +
    (notes.length > 0 ? ` (${notes.join('; ')})` : '');
  return repeats > BOUNDS.repeats.max
    ? `${pairs}, more than one report runs (--repeats goes up to ${BOUNDS.repeats.max}: ${settleCommand(frameSize, BOUNDS.repeats.max)})`
    : `${pairs}, in a full run: ${settleCommand(frameSize, repeats)}`;
}

// ---- claim 1: the disconnects -------------------------------------------------------------------

/** One run as a unit of the disconnect rate: its server-side failures over its connection-hours of sending. */
function rateUnit(record: ScenarioRecord): CountUnit {
  return disconnectUnit(runMetrics(record));
}

/** A deflate-on run that failed beside its controls: deflate negotiated and used, and fragments on the wire where frames were larger than one. */
export function failedWithControls(record: ScenarioRecord): boolean {
  const { controls } = record.result;
  return (
    runFailures(record.result) > 0 &&
    controls.deflateNegotiated &&
    controls.compressedMessages > 0 &&
    (!fragmentsExpected(record) || controls.continuationFrames > 0)
  );
}

/** `at least 4,800× (95%: 4,800–∞)` when off saw none, else the ratio and its interval. */
function onOffText(ratio: { ratio: number; interval: Interval }): string {
  return Number.isFinite(ratio.ratio)
    ? `${num(ratio.ratio)}× (${intervalText(ratio.interval)})`
    : `at least ${num(ratio.interval.low)}× (95%; deflate off had none)`;
}

/**
 * The connection-hours of deflate off, at its present count, that would put the on ÷ off
 * interval wholly above 1 against the measured deflate-on count and exposure.
 */
function offHoursToSettle(on: CountUnit, off: CountUnit): number | null {
  if (on.events === 0) return null;
  const share = clopperPearson(on.events, on.events + off.events).low;
  return share > 0 ? (on.exposure * (1 - share)) / share : null;
}

/** Claim 1's answer, with the rates it was judged from. */
export interface DisconnectAnswer extends ClaimAnswer {
  on: RateEstimate | null;
  off: RateEstimate | null;
  /** Deflate on's rate ÷ deflate off's, exact conditional; null when neither saw a disconnect. */
  ratio: { ratio: number; interval: Interval } | null;
  longestOffMs: number | null;
}

/** What claim 1's runs show: each side's runs, rate and what would keep its zero from counting. */
function disconnectEvidence(pairs: readonly LoadPair[], longRuns: readonly LongRunRecord[]) {
  const onRuns = pairs.map((p) => p.on);
  const controls = longRuns.map((l) => l.control);
  const offRuns = [...pairs.map((p) => p.off), ...longRuns.map((l) => l.run)];
  const on = poissonRate(onRuns.map(rateUnit));
  const off = poissonRate(offRuns.map(rateUnit));
  const offFailed = offRuns.filter((r) => runFailures(r.result) > 0);
  return {
    onRuns: onRuns,
    controls: controls,
    offRuns: offRuns,
    on: on,
    off: off,
    ratio: on !== null && off !== null ? rateRatio(on, off) : null,
    onShown: [...onRuns, ...controls].filter(failedWithControls),
    // A failure with deflate not negotiated is the fix failing; with it negotiated, the fix did not take.
    offFailedPlain: offFailed.filter((r) => !r.result.controls.deflateNegotiated),
    offStillDeflate: offFailed.filter((r) => r.result.controls.deflateNegotiated),
    offUnproven: offRuns.filter((r) => runFailures(r.result) === 0 && zeroFailureBlockers(r).length > 0),
  };
}

/** Claim 1's verdict from its evidence, and what would settle it where it is not settled. */
function disconnectJudgement(
  e: ReturnType<typeof disconnectEvidence>,
  frameSize: number,
): Pick<Judgement, 'verdict' | 'finer' | 'toSettle'> & { why: string } {
  const rerun = settleCommand(frameSize, MIN_UNITS);
  if (e.offFailedPlain.length > 0)
    return {
      verdict: 'does not hold',
      why: `${plural(e.offFailedPlain.length, 'deflate-off run')} failed with deflate not negotiated`,
    };
  if (e.onShown.length === 0)
    return {
      verdict: 'not settled',
      finer: 'not tested',
      why: 'no deflate-on run failed with deflate negotiated and fragments on the wire, so nothing was shown to stop',
      toSettle: `a load that fails with deflate on (${rerun})`,
    };
  if (e.offStillDeflate.length > 0)
    return {
      verdict: 'not settled',
      why: `${plural(e.offStillDeflate.length, 'deflate-off run')} failed with deflate still negotiated: the fix did not take there`,
      toSettle: `deflate-off runs that do not negotiate deflate (${rerun})`,
    };
  if (e.offUnproven.length > 0)
    return {
      verdict: 'not settled',
      why: `deflate off's zero is not proven: ${Object.entries(
        countBy(e.offUnproven, (r) => zeroFailureBlockers(r).join('; ')),
      )
        .map(([blockers, runs]) => `${blockers} (${plural(runs, 'run')})`)
        .join(' / ')}`,
      toSettle: `deflate-off runs that show their controls (${rerun})`,
    };
  if (e.ratio === null || judgeAbove(e.ratio.interval, 1) !== 'holds') {
    const hours = e.on !== null && e.off !== null ? offHoursToSettle(e.on, e.off) : null;
    return {
      verdict: 'not settled',
      why:
        e.ratio === null
          ? 'no live deflate-on run had a disconnect, so there is no rate to set deflate off against (a control stops at its first failure and has no rate)'
          : `the on ÷ off interval (${intervalText(e.ratio.interval)}) reaches down to 1`,
      toSettle:
        hours === null
          ? `live deflate-on runs that fail (${rerun})`
          : `about ${exposureText(hours)} of deflate-off sending without a disconnect, against this deflate-on rate (npm run long-run records 2 connection-hours)`,
    };
  }
  return {
    verdict: 'holds',
    why: "deflate on's rate is above deflate off's, and deflate off's zero is proven by its controls",
  };
}

/**
 * Claim 1: with deflate off, the disconnects stop. Judged from disconnect rates (server-side
 * failures per connection-hour of sending, runs as units): it holds when deflate on failed with
 * its controls, deflate off's zero is proven by its controls, and the on ÷ off rate ratio's 95%
 * interval lies wholly above 1; a deflate-off failure without deflate negotiated refutes it. The
 * recorded long runs' hours count on the off side; their controls (which stop at their first
 * failure, so have no rate) count only as failures shown.
 */
export function disconnectVerdict(
  pairs: readonly LoadPair[],
  longRuns: readonly LongRunRecord[],
  at: JudgedAt,
): DisconnectAnswer {
  const claim = `${CLAIMS.disconnects}, ${formatBytes(at.frameSize)} frames`;
  const e = disconnectEvidence(pairs, longRuns);
  const longest = [...e.offRuns].sort((a, b) => b.result.loadMs - a.result.loadMs)[0];
  if (longest === undefined || e.off === null || e.on === null) {
    return {
      judgement: {
        claim: claim,
        verdict: 'not settled',
        finer: 'not tested',
        basis: 'no deflate-on and deflate-off runs with time to count over',
        toSettle: settleCommand(at.frameSize, MIN_UNITS),
        mode: at.mode,
      },
      sentences: ['No deflate-on and deflate-off runs with sending time were made or recorded.'],
      on: e.on,
      off: e.off,
      ratio: e.ratio,
      longestOffMs: longest?.result.loadMs ?? null,
    };
  }
  const judged = disconnectJudgement(e, at.frameSize);
  const basis = `deflate off ${rateText(e.off)}; deflate on ${rateText(e.on)}${e.ratio ? `; on ÷ off ${onOffText(e.ratio)}` : ''}`;
  const judgement: Judgement = {
    claim: claim,
    verdict: judged.verdict,
    ...(judged.finer ? { finer: judged.finer } : {}),
    basis: basis,
    ...(judged.toSettle ? { toSettle: judged.toSettle } : {}),
    mode: at.mode,
  };
  const tried =
    e.controls.length > 0
      ? `${plural(e.onRuns.length + e.controls.length, 'run')} (${plural(e.onRuns.length, 'live run')} and ${plural(e.controls.length, 'recorded control')})`
      : plural(e.onRuns.length, 'live run');
  const sentences = [
    `With deflate on, ${e.onShown.length} of ${tried} failed with deflate negotiated and fragments on the wire (failures per run, the rule's count: ${[...e.onRuns, ...e.controls].map((r) => runFailures(r.result)).join(', ')}). The live runs' rate: ${rateText(e.on)}.`,
    `With deflate off, ${e.offFailedPlain.length + e.offStillDeflate.length} of ${plural(e.offRuns.length, 'run')} failed${e.offRuns.length > e.onRuns.length ? ', the recorded hour included' : ''}: ${rateText(e.off)}.`,
    e.ratio
      ? `Deflate on's rate ÷ deflate off's, by the exact conditional test on the two counts given their exposures: ${onOffText(e.ratio)}.`
      : 'Neither side had a disconnect, so there is no ratio.',
    `The longest deflate-off run sent for ${formatDuration(longest.result.loadMs)} (${longest.result.sent.toLocaleString('en-US')} frames sent, ${longest.result.delivered.toLocaleString('en-US')} delivered, ${plural(runFailures(longest.result), 'failure')}).`,
    ...(e.on.unsettled !== null && judged.verdict === 'holds'
      ? [
          `The deflate-on rate's own interval is not settled (${e.on.unsettled}); the verdict does not rest on it, but on deflate off's bound and the ratio.`,
        ]
      : []),
    `${judged.why.charAt(0).toUpperCase()}${judged.why.slice(1)}.`,
    verdictSentence(judgement),
  ];
  return {
    judgement: judgement,
    sentences: sentences,
    on: e.on,
    off: e.off,
    ratio: e.ratio,
    longestOffMs: longest.result.loadMs,
  };
}

/** The recorded hour in words: its bound (exposure read from the record), beside the control's time to first failure. */
export function longRunSentences(record: LongRunRecord): string[] {
  const rate = poissonRate([rateUnit(record.run)]);
  const control = classifyScenario(record.control.result);
  const blockers = zeroFailureBlockers(record.run);
  const hour =
    rate === null
      ? 'The recorded long run has no sending time to count over.'
      : rate.events === 0
        ? `The recorded long run: 0 disconnects over ${exposureText(rate.exposure)} of sending with deflate off, so at most ${Number(rate.interval.high.toPrecision(2)).toLocaleString('en-US')} per connection-hour, one-sided 95%${blockers.length > 0 ? `; but its zero is not proven (${blockers.join('; ')})` : ', its zero proven by its controls (fragments on the wire, every frame delivered)'}.`
        : `The recorded long run, deflate off: ${rateText(rate)}.`;
  const first =
    control.firstFailureMs === null
      ? `Its deflate-on control at the same load had no failure within ${formatDuration(record.control.result.loadMs)}.`
      : `Beside it, the deflate-on control at the same load failed first after ${formatDuration(control.firstFailureMs)} (${plural(control.failures, 'failure')} counted before it stopped). The control stops at its first failure, so it has no rate: it shows that this load breaks the unfixed server, not how often.`;
  return [hour, first];
}

// ---- claim 2: the CPU ---------------------------------------------------------------------------

/** Why a pair's CPU cannot be compared: the clients in the server's process, or the rule's on/off blockers; empty when it can. */
export function pairBlockers(pair: LoadPair): string[] {
  const inProcess = pair.on.result.cpu.includesClients || pair.off.result.cpu.includesClients;
  return [...(inProcess ? ['the clients ran in the server process'] : []), ...onOffBlockers(pair.on, pair.off)];
}

/** Why an equal-work pair does not count for claim 2(a): its CPU cannot be compared, or a side failed; empty when it counts. */
export function equalWorkLeftOut(pair: LoadPair): string[] {
  const failed = runFailures(pair.on.result) + runFailures(pair.off.result) > 0;
  return [...pairBlockers(pair), ...(failed ? ['a side failed'] : [])];
}

/** `2 of 5 pairs are left out: the deflate-on run did not meet its load (2).`; nothing when every pair counts. */
function leftOut(pairs: readonly LoadPair[], why: (pair: LoadPair) => string[]): string[] {
  const out = pairs.filter((p) => why(p).length > 0);
  if (out.length === 0) return [];
  const reasons = Object.entries(countBy(out.flatMap(why), (reason) => reason));
  return [
    `${out.length} of ${plural(pairs.length, 'pair')} ${out.length === 1 ? 'is' : 'are'} left out: ${reasons.map(([reason, n]) => `${reason} (${n})`).join('; ')}.`,
  ];
}

/** Claim 2's answer in one part, with the pairs it was judged from. */
export interface CpuAnswer extends ClaimAnswer {
  paired: PairedAnswer | null;
}

/** A CPU claim that nothing measured: not settled, not tested. */
function untestedCpu(claim: string, why: string, at: JudgedAt): CpuAnswer {
  const judgement: Judgement = {
    claim: claim,
    verdict: 'not settled',
    finer: 'not tested',
    basis: why,
    toSettle: settleCommand(at.frameSize, MIN_UNITS),
    mode: at.mode,
  };
  return { judgement: judgement, sentences: [verdictSentence(judgement)], paired: null };
}

/** The judgement of a CPU ratio over pairs, against CPU_CLAIM_RATIO. */
function cpuJudgement(
  claim: string,
  counted: readonly LoadPair[],
  tried: number,
  ratios: number[],
  what: string,
  at: JudgedAt,
) {
  const cpu = { on: counted.map((p) => cpuMs(p.on.result)), off: counted.map((p) => cpuMs(p.off.result)) };
  const paired = judgePairs(ratios, CPU_CLAIM_RATIO, 'below', { cpu: cpu, tried: tried });
  const seconds = (ms: readonly number[]) => num(ms.reduce((sum, x) => sum + x, 0) / 1000);
  const judgement: Judgement = {
    claim: claim,
    verdict: paired.verdict,
    basis: `${what} off ÷ on ${pairedText(paired)}, server CPU ${seconds(cpu.on)} s on and ${seconds(cpu.off)} s off${paired.unsettled.length > 0 ? `; not settled: ${paired.unsettled.join('; ')}` : ''}`,
    ...(paired.verdict === 'not settled' ? { toSettle: pairsToSettleText(paired, at.frameSize) } : {}),
    mode: at.mode,
  };
  return { paired: paired, judgement: judgement };
}

/**
 * Claim 2(a): what deflate itself costs the server, per MiB delivered, at equal delivered work on a
 * stack that does not fail: the t interval on the pairs' log ratios (off ÷ on), judged against
 * CPU_CLAIM_RATIO. A pair counts only when neither side failed or fell short of its load.
 */
export function deflateCostVerdict(pairs: readonly LoadPair[], at: JudgedAt, load?: EqualWorkLoad): CpuAnswer {
  const claim = `${CLAIMS.cpuOwn}, ${formatBytes(at.frameSize)} frames`;
  const equal = pairs.filter((p) => equalWorkLeftOut(p).length === 0);
  if (equal.length === 0)
    return untestedCpu(
      claim,
      `deflate's own cost was not measured: ${leftOut(pairs, equalWorkLeftOut).join(' ') || 'no pair was run'}`,
      at,
    );
  const ratios = equal.map((p) => (cpuPerMiB(p.off) as number) / (cpuPerMiB(p.on) as number));
  const { paired, judgement } = cpuJudgement(claim, equal, pairs.length, ratios, 'server CPU per MiB delivered,', at);
  const sentences = [
    `(a) Deflate's own cost, at equal delivered work on ${equal[0].on.spec.stack}, which does not fail${load ? ` (offered ${load.MiBps.toFixed(1)} MiB/s: ${load.origin})` : ''}: ` +
      `per MiB delivered, the server's CPU with deflate off ÷ with it on, each pair run back to back, was ${pairedText(paired)} (per pair: ${ratios.map(num).join(', ')}). The post's claim needs the whole interval below ${CPU_CLAIM_RATIO}.`,
    ...leftOut(pairs, equalWorkLeftOut),
    verdictSentence(judgement),
  ];
  return { judgement: judgement, sentences: sentences, paired: paired };
}

/** What the failure cost one deflate-on run on 2015. */
export interface FailureCost {
  failures: number;
  /** Inflates zlib rejected (Z_DATA_ERROR and the like): work spent on corrupt input. */
  rejectedInflates: number;
  /** Server sessions beyond the clients' first: each a reconnect, with its handshake. */
  reconnects: number;
  /** Frames handed to the socket but never delivered: work a page would send again. */
  framesLost: number;
}

/** The failure's costs in one deflate-on run, from its record. */
export function failureCost(record: ScenarioRecord): FailureCost {
  const { result, spec } = record;
  return {
    failures: runFailures(result),
    rejectedInflates: result.zlibErrors.reduce((sum, e) => sum + e.count, 0),
    reconnects: Math.max(0, result.sessions - spec.clients),
    framesLost: Math.max(0, result.sent - result.delivered),
  };
}

/**
 * Claim 2(b): what the failure costs on 2015 under the same offered load: the server's CPU with
 * deflate off against on over the same send window, what the post compared (per MiB would divide
 * by nothing: deflate on often delivers no frame there), judged from the pairs' t interval against
 * CPU_CLAIM_RATIO; beside it what the deflate-on runs paid for their failures.
 */
export function failureCostVerdict(pairs: readonly LoadPair[], at: JudgedAt): CpuAnswer {
  const claim = `${CLAIMS.cpuFailure}, ${formatBytes(at.frameSize)} frames`;
  const measured = pairs.filter((p) => pairBlockers(p).length === 0);
  if (measured.length === 0)
    return untestedCpu(
      claim,
      `the failure's cost was not measured: ${leftOut(pairs, pairBlockers).join(' ') || 'no pair was run'}`,
      at,
    );
  const ratios = measured.map((p) => cpuMs(p.off.result) / cpuMs(p.on.result));
  const { paired, judgement } = cpuJudgement(
    claim,
    measured,
    pairs.length,
    ratios,
    'server CPU over the same send window,',
    at,
  );
  const costs = measured.map((p) => failureCost(p.on));
  const total = (key: keyof FailureCost) => costs.reduce((sum, c) => sum + c[key], 0);
  const sentences = [
    `(b) The failure's cost on ${measured[0].on.spec.stack}, under the same offered load: the server's CPU with deflate off ÷ with it on was ${pairedText(paired)} (per pair: ${ratios.map(num).join(', ')}). The post's claim needs the whole interval below ${CPU_CLAIM_RATIO}.`,
    `The deflate-on runs paid for their failures: ${plural(total('failures'), 'failure')}, ${plural(total('rejectedInflates'), 'inflate')} zlib rejected as corrupt, ` +
      `${plural(total('reconnects'), 'reconnect')}, and ${plural(total('framesLost'), 'frame')} sent but never delivered (${formatBytes(total('framesLost') * measured[0].on.spec.frameSize)}).`,
    ...leftOut(pairs, pairBlockers),
    verdictSentence(judgement),
  ];
  return { judgement: judgement, sentences: sentences, paired: paired };
}

// ---- claim 3: the bytes -------------------------------------------------------------------------

/** TCP bytes the server read per frame delivered; null when none was delivered. */
export function bytesPerFrame(result: ScenarioResult): number | null {
  return result.delivered > 0 ? result.wire.bytesIn / result.delivered : null;
}

/**
 * Off ÷ on bytes per delivered frame for one pair; null unless both runs completed, sent, delivered
 * and did not fail, and the "on" run negotiated deflate (else both sides ran without it).
 */
export function bytesRatio(pair: WirePair): number | null {
  const on = bytesPerFrame(pair.on.result);
  const off = bytesPerFrame(pair.off.result);
  if (
    on === null ||
    off === null ||
    onOffBlockers(pair.on, pair.off).length > 0 ||
    runFailures(pair.on.result) + runFailures(pair.off.result) > 0
  )
    return null;
  return off / on;
}

/** The bytes claim for one payload kind: its pairs' ratios judged against 1 + NOTICEABLE_BYTES. */
export interface PayloadBytes {
  payload: PayloadKind;
  paired: PairedAnswer;
  /** Pairs that could not be compared (a run failed, errored or delivered nothing, or deflate was not negotiated on "on"). */
  notComparable: number;
}

/** Each payload kind's pairs judged, in the order first run. */
export function payloadBytes(pairs: readonly WirePair[]): PayloadBytes[] {
  const kinds = [...new Set(pairs.map((p) => p.payload))];
  return kinds.map((payload) => {
    const ratios = pairs.filter((p) => p.payload === payload).map(bytesRatio);
    const known = ratios.filter((r): r is number => r !== null);
    return {
      payload: payload,
      paired: judgePairs(known, 1 + NOTICEABLE_BYTES, 'above', { tried: ratios.length }),
      notComparable: ratios.length - known.length,
    };
  });
}

/** Claim 3's answer, with each payload kind's. */
export interface BytesAnswer extends ClaimAnswer {
  payloads: PayloadBytes[];
}

/** The claim over every payload kind from each kind's verdict: one kind with fewer bytes contradicts it. */
function bytesJudgement(payloads: readonly PayloadBytes[]): Pick<Judgement, 'verdict' | 'finer'> {
  const measured = payloads.filter((p) => p.paired.ratios.length > 0);
  if (measured.length === 0) return { verdict: 'not settled', finer: 'not tested' };
  const holds = payloads.filter((p) => p.paired.verdict === 'holds');
  if (payloads.some((p) => p.paired.verdict === 'does not hold'))
    return holds.length > 0
      ? { verdict: 'does not hold', finer: 'holds only for some payloads' }
      : { verdict: 'does not hold' };
  return { verdict: holds.length === payloads.length ? 'holds' : 'not settled' };
}

/**
 * Claim 3: deflate off puts more bytes on the wire, judged per payload kind from the t interval on
 * the pairs' log ratios (off ÷ on bytes per delivered frame) against 1 + NOTICEABLE_BYTES: more for
 * every kind holds; not more for one kind does not hold (holds only for some payloads, when more for another).
 */
export function bytesVerdict(pairs: readonly WirePair[], at: JudgedAt): BytesAnswer {
  const payloads = payloadBytes(pairs);
  const judged = bytesJudgement(payloads);
  const word = (p: PayloadBytes) =>
    p.paired.verdict === 'holds' ? 'more' : p.paired.verdict === 'does not hold' ? 'not more' : 'not settled';
  // The kind that needs the most pairs says what would settle the claim.
  const unsettled = payloads
    .filter((p) => p.paired.verdict === 'not settled' && p.paired.ratios.length > 0)
    .sort((a, b) => (b.paired.pairsNeeded ?? Infinity) - (a.paired.pairsNeeded ?? Infinity));
  const judgement: Judgement = {
    claim: `${CLAIMS.bytes}, ${formatBytes(at.frameSize)} frames`,
    verdict: judged.verdict,
    ...(judged.finer ? { finer: judged.finer } : {}),
    basis:
      payloads.length === 0
        ? 'no payload measured'
        : `off ÷ on bytes per delivered frame: ${payloads.map((p) => `${p.payload} ${pairedText(p.paired)}, ${word(p)}`).join('; ')} (more means above ${1 + NOTICEABLE_BYTES})`,
    ...(judged.verdict === 'not settled'
      ? {
          toSettle:
            unsettled[0] === undefined
              ? `pairs whose runs compare, in a full run: ${settleCommand(at.frameSize, MIN_UNITS)}`
              : `${unsettled[0].payload}: ${pairsToSettleText(unsettled[0].paired, at.frameSize)}`,
        }
      : {}),
    mode: at.mode,
  };
  const sentences = [
    `Bytes read at the server's TCP socket per delivered frame, deflate off ÷ on, each pair a seed's frames sent both ways: ${payloads.map((p) => `${p.payload} ${pairedText(p.paired)} (${word(p)}${p.paired.unsettled.length > 0 ? `: ${p.paired.unsettled.join('; ')}` : ''})`).join('; ')}. More means the whole interval above ${1 + NOTICEABLE_BYTES}: differences within ${NOTICEABLE_BYTES * 100}% are framing and protocol packets, not payload.`,
    ...payloads
      .filter((p) => p.notComparable > 0)
      .map(
        (p) =>
          `${p.payload}: ${plural(p.notComparable, 'pair')} not comparable (a run failed, errored or delivered nothing, or the "on" run did not negotiate deflate).`,
      ),
    verdictSentence(judgement),
  ];
  return { judgement: judgement, sentences: sentences, payloads: payloads };
}
