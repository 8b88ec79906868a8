/**
 * The post's three claims about its fix, measured: the runs (the same load with deflate on and
 * off, clients forked so the kernel's CPU is the server's; the same comparison at equal delivered
 * work on a stack that does not fail; and one light run per payload kind for the bytes), and the
 * verdicts, each worded from the numbers. The CPU claim is answered in two parts: (a) what deflate
 * itself costs the server per MiB at equal work, and (b) what the failure costs on 2015.
 */
import type { KneeResult } from '../../capacity/run';
import type { LongRunRecord } from '../../run/long-run';
import { isDebugCaptureActive } from '../../observe/debug-capture';
import { MiB, type Params, type PayloadKind, type StackName } from '../../core/params';
import { FAILING_SCENARIO } from '../../run/presets';
import { judgeScenario, onOffBlockers, zeroFailureBlockers } from '../../run/failure-rule';
import { fractionLabel } from '../../sweep/grid';
import { kneeBasis, kneeSchedule, type KneeBasis } from '../../sweep/knees';
import { runScenario, type ScenarioRecord, type ScenarioResult, type ScenarioSpec } from '../../run/scenario';
import { formatBytes, formatDuration } from '../../core/units';
import { plural } from '../finding';

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
/** Send window of each bytes run; bytes per frame settle within a few frames. */
export const WIRE_RUN_MS = { full: 3000, quick: 1000 } as const;

/** Three possible answers to a claim, and "not tested" when a run cannot answer it. */
export type Verdict =
  'holds' | 'does not hold' | 'holds only for some payloads' | 'mixed across repeats' | 'not tested';

/** A claim's verdict and the sentences that word it from the numbers. */
export interface ClaimVerdict {
  verdict: Verdict;
  /** The numbers behind the verdict, in one line for a summary table. */
  summary: string;
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

/** One payload kind with deflate on and off, under WIRE_LOAD. */
export interface WirePair {
  payload: PayloadKind;
  on: ScenarioRecord;
  off: ScenarioRecord;
}

/** Runs WIRE_LOAD at `frameSize` once per payload kind and deflate setting. */
export async function runWirePairs(params: Params, frameSize: number, notice?: RunNotice): Promise<WirePair[]> {
  const duration = params.quick ? WIRE_RUN_MS.quick : WIRE_RUN_MS.full;
  const pairs: WirePair[] = [];
  for (const [k, payload] of params.payload.entries()) {
    const run = async (deflate: 'on' | 'off', i: number) => {
      notice?.(`${payload} at ${formatBytes(frameSize)}, deflate ${deflate}`, 2 * k + i, 2 * params.payload.length);
      return runScenario(
        {
          ...WIRE_LOAD,
          frameSize: frameSize,
          payload: payload,
          deflate: deflate,
          duration: duration,
          seed: params.seed,
        },
        { quick: params.quick },
      );
    };
    const on = await run('on', 0);
    const off = await run('off', 1);
    pairs.push({ payload: payload, on: on, off: off });
  }
  return pairs;
}

// ---- what counts as a failure -------------------------------------------------------------------

/**
 * A run's failures under the one rule (src/failure-rule), re-classified from the record: a record
 * made before the window took in the drain counted the send window only, and a backlog still
 * draining can fail after sending stops.
 */
export function runFailures(result: ScenarioResult): number {
  return judgeScenario(result).failures;
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

// ---- verdicts -----------------------------------------------------------------------------------

/** The longest deflate-off send window among runs, and whether that run had no failure. */
function longestOff(offRuns: readonly ScenarioRecord[]): ScenarioRecord | undefined {
  return [...offRuns].sort((a, b) => b.result.loadMs - a.result.loadMs)[0];
}

/** Claim 1: with deflate off, the disconnects stop. Live pairs plus recorded long runs. */
export function disconnectVerdict(
  pairs: readonly LoadPair[],
  longRuns: readonly LongRunRecord[],
): ClaimVerdict & { longestOffMs: number | null } {
  const offRuns = [...pairs.map((p) => p.off), ...longRuns.map((l) => l.run)];
  const onRuns = [...pairs.map((p) => p.on), ...longRuns.map((l) => l.control)];
  if (offRuns.length === 0)
    return {
      verdict: 'not tested',
      summary: 'no deflate-off run',
      sentences: ['No deflate-off run was made or recorded.'],
      longestOffMs: null,
    };
  // An "on" run that failed without deflate negotiated shows nothing about turning deflate off.
  const onFailing = onRuns.filter((r) => r.result.controls.deflateNegotiated && runFailures(r.result) > 0);
  const onWithoutDeflate = onRuns.filter((r) => !r.result.controls.deflateNegotiated);
  const offFailing = offRuns.filter((r) => runFailures(r.result) > 0);
  const offBlocked = offRuns.filter((r) => zeroFailureBlockers(r).length > 0 && runFailures(r.result) === 0);
  const longest = longestOff(offRuns) as ScenarioRecord;
  const sentences = [
    `With deflate on, ${onFailing.length} of ${plural(onRuns.length, 'run')} of this load failed with deflate negotiated (${onRuns.map((r) => runFailures(r.result)).join(', ')} failures, counting a backlog that fails after sending stops)${onWithoutDeflate.length > 0 ? `; ${onWithoutDeflate.length} did not negotiate deflate` : ''}.`,
    `With deflate off, ${offFailing.length} of ${plural(offRuns.length, 'run')} failed (${offRuns.map((r) => runFailures(r.result)).join(', ')}).`,
    `The longest deflate-off run tested sent for ${formatDuration(longest.result.loadMs)} (${longest.result.sent.toLocaleString('en-US')} frames sent, ${longest.result.delivered.toLocaleString('en-US')} delivered, ${plural(runFailures(longest.result), 'failure')}); the post reports about an hour.`,
  ];
  let verdict: Verdict;
  if (offFailing.length > 0) verdict = 'does not hold';
  else if (onFailing.length === 0) {
    verdict = 'not tested';
    sentences.push('No deflate-on run failed, so these runs cannot show that turning deflate off stopped anything.');
  } else if (offBlocked.length > 0) {
    verdict = 'not tested';
    sentences.push(
      `${plural(offBlocked.length, 'deflate-off run')} cannot support "no failures": ${offBlocked.map((r) => zeroFailureBlockers(r).join('; ')).join(' / ')}.`,
    );
  } else {
    verdict = 'holds';
    sentences.push(
      'Every deflate-off run shows its controls: fragments on the wire and every frame sent was delivered.',
    );
  }
  const summary = `deflate on: ${onFailing.length} of ${onRuns.length} runs failed; deflate off: ${offFailing.length} of ${offRuns.length}, longest ${formatDuration(longest.result.loadMs)}`;
  return { verdict: verdict, summary: summary, sentences: sentences, longestOffMs: longest.result.loadMs };
}

const fmt = (r: number) => r.toFixed(2);

function againstHalf(ratios: readonly number[]): Verdict {
  const below = ratios.filter((r) => r < CPU_CLAIM_RATIO).length;
  return below === ratios.length ? 'holds' : below === 0 ? 'does not hold' : 'mixed across repeats';
}

/** Pairs whose CPU can be compared at all: clients forked, and both sides comparable under the rule. */
function comparablePairs(pairs: readonly LoadPair[]): { forked: LoadPair[]; measured: LoadPair[] } {
  const forked = pairs.filter((p) => !p.on.result.cpu.includesClients && !p.off.result.cpu.includesClients);
  return { forked: forked, measured: forked.filter((p) => onOffBlockers(p.on, p.off).length === 0) };
}

function notComparable(forked: readonly LoadPair[], none: string): ClaimVerdict {
  return {
    verdict: 'not tested',
    summary: forked.length === 0 ? 'no run with the clients forked' : 'no pair comparable',
    sentences: [
      forked.length === 0
        ? `${none}: no run kept the clients out of the server process.`
        : `${none}: no pair can be compared: ${forked.map((p) => onOffBlockers(p.on, p.off).join('; ')).join(' / ')}.`,
    ],
  };
}

/** Whether an equal-work pair counts for claim 2(a): clients forked, comparable under the rule, neither side failing. */
export function equalWorkCounts(pair: LoadPair): boolean {
  return (
    comparablePairs([pair]).measured.length === 1 && runFailures(pair.on.result) + runFailures(pair.off.result) === 0
  );
}

/**
 * Claim 2(a): what deflate itself costs the server, per MiB delivered, at equal delivered work on a
 * stack that does not fail. A pair counts only when neither side failed or fell short of its load
 * (the offered-load rule), so both delivered what they were offered.
 */
export function deflateCostVerdict(
  pairs: readonly LoadPair[],
  load?: EqualWorkLoad,
): ClaimVerdict & { ratios: number[] } {
  const { forked, measured } = comparablePairs(pairs);
  const none = "(a) Deflate's own cost was not measured";
  if (measured.length === 0) return { ...notComparable(forked, none), ratios: [] };
  const failing = measured.filter((p) => !equalWorkCounts(p));
  const equal = measured.filter(equalWorkCounts);
  if (equal.length === 0) {
    return {
      verdict: 'not tested',
      summary: 'every equal-work pair failed',
      sentences: [`${none}: every pair had a failure, so it was not a stack that does not fail.`],
      ratios: [],
    };
  }
  const ratios = equal.map((p) => (cpuPerMiB(p.off) as number) / (cpuPerMiB(p.on) as number));
  const verdict = againstHalf(ratios);
  const stack = equal[0].on.spec.stack;
  const sentences = [
    `(a) Deflate's own cost, at equal delivered work on ${stack}, which does not fail${load ? ` (offered ${load.MiBps.toFixed(1)} MiB/s: ${load.origin})` : ''}: ` +
      `per MiB delivered, the server's CPU with deflate off was ${ratios.map(fmt).join(', ')} × its CPU with deflate on ` +
      `(${plural(ratios.length, 'repeat')}; frames delivered ${equal.map((p) => `${p.on.result.delivered} on, ${p.off.result.delivered} off`).join('; ')}; the post's claim needs below ${CPU_CLAIM_RATIO}).`,
  ];
  if (failing.length > 0)
    sentences.push(
      `${plural(failing.length, 'pair')} had a failure and ${failing.length === 1 ? 'is' : 'are'} left out.`,
    );
  return {
    verdict: verdict,
    summary: `(a) off ÷ on per MiB at equal work on ${stack}: ${ratios.map(fmt).join(', ')}`,
    sentences: sentences,
    ratios: ratios,
  };
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
 * deflate off against on (what the post compared), beside what the deflate-on runs paid for their
 * failures: failures, inflates zlib rejected, reconnects, and frames lost.
 */
export function failureCostVerdict(pairs: readonly LoadPair[]): ClaimVerdict & { ratios: number[] } {
  const { forked, measured } = comparablePairs(pairs);
  const none = "(b) The failure's cost on 2015 was not measured";
  if (measured.length === 0) return { ...notComparable(forked, none), ratios: [] };
  const ratios = measured.map((p) => cpuMs(p.off.result) / cpuMs(p.on.result));
  const costs = measured.map((p) => failureCost(p.on));
  const total = (key: keyof FailureCost) => costs.reduce((sum, c) => sum + c[key], 0);
  const stack = measured[0].on.spec.stack;
  const perMiB = measured.map((p) => {
    const on = cpuPerMiB(p.on);
    const off = cpuPerMiB(p.off);
    return on === null || off === null ? null : off / on;
  });
  const known = perMiB.filter((r): r is number => r !== null);
  const sentences = [
    `(b) The failure's cost on ${stack}, under the same offered load: the server's CPU with deflate off was ${ratios.map(fmt).join(', ')} × its CPU with deflate on ` +
      `(${plural(ratios.length, 'repeat')}; the post's claim needs below ${CPU_CLAIM_RATIO}).`,
    `The deflate-on runs paid for their failures: ${plural(total('failures'), 'failure')}, ${plural(total('rejectedInflates'), 'inflate')} zlib rejected as corrupt, ` +
      `${plural(total('reconnects'), 'reconnect')}, and ${plural(total('framesLost'), 'frame')} sent but never delivered (${formatBytes(total('framesLost') * measured[0].on.spec.frameSize)}).`,
    known.length > 0
      ? `Per MiB delivered, deflate off cost ${known.map(fmt).join(', ')} × what deflate on cost there, the failures included.`
      : 'With deflate on nothing was delivered, so CPU per MiB cannot be compared.',
  ];
  return {
    verdict: againstHalf(ratios),
    summary: `(b) off ÷ on server CPU on ${stack}: ${ratios.map(fmt).join(', ')}; deflate on: ${total('failures')} failures, ${total('reconnects')} reconnects, ${total('framesLost')} frames lost`,
    sentences: sentences,
    ratios: ratios,
  };
}

/** TCP bytes the server read per frame delivered; null when none was delivered. */
export function bytesPerFrame(result: ScenarioResult): number | null {
  return result.delivered > 0 ? result.wire.bytesIn / result.delivered : null;
}

/** How deflate off compares with on for one payload kind. */
export type BytesChange = 'more' | 'about the same' | 'fewer' | 'unknown';

/**
 * Off vs on bytes per frame for one pair; `unknown` unless both runs completed, sent, delivered and
 * did not fail, and the "on" run negotiated deflate (else both sides ran without it).
 */
export function bytesChange(pair: WirePair): { ratio: number | null; change: BytesChange } {
  const on = bytesPerFrame(pair.on.result);
  const off = bytesPerFrame(pair.off.result);
  if (
    on === null ||
    off === null ||
    onOffBlockers(pair.on, pair.off).length > 0 ||
    runFailures(pair.on.result) + runFailures(pair.off.result) > 0
  )
    return { ratio: null, change: 'unknown' };
  const ratio = off / on;
  return {
    ratio: ratio,
    change: ratio > 1 + NOTICEABLE_BYTES ? 'more' : ratio < 1 - NOTICEABLE_BYTES ? 'fewer' : 'about the same',
  };
}

/** Claim 3: deflate off puts more bytes on the wire, per payload kind. */
export function bytesVerdict(pairs: readonly WirePair[]): ClaimVerdict {
  const changes = pairs.map((p) => ({
    payload: p.payload,
    frame: formatBytes(p.on.spec.frameSize),
    ...bytesChange(p),
  }));
  const known = changes.filter((c) => c.change !== 'unknown');
  const unknown = changes.filter((c) => c.change === 'unknown');
  const notComparable = `Not comparable (a run failed, errored or delivered nothing, or the "on" run did not negotiate deflate): ${unknown.map((c) => c.payload).join(', ')}.`;
  if (known.length === 0)
    return {
      verdict: 'not tested',
      summary: 'no payload measured whole',
      sentences: [
        'No payload kind was measured whole with both settings.',
        ...(unknown.length > 0 ? [notComparable] : []),
      ],
    };
  const more = known.filter((c) => c.change === 'more');
  const verdict: Verdict =
    more.length === known.length ? 'holds' : more.length === 0 ? 'does not hold' : 'holds only for some payloads';
  const sentences = [
    `Bytes read at the server's TCP socket per delivered frame, deflate off ÷ on: ${known.map((c) => `${c.payload} ${(c.ratio as number).toFixed(2)}`).join(', ')}` +
      ` (differences within ${NOTICEABLE_BYTES * 100}% count as about the same).`,
  ];
  if (unknown.length > 0) sentences.push(notComparable);
  if (verdict === 'holds only for some payloads') {
    sentences.push(
      `More bytes for ${more.map((c) => c.payload).join(', ')}; ${known
        .filter((c) => c.change !== 'more')
        .map((c) => `${c.change} for ${c.payload}`)
        .join(', ')}.`,
    );
  }
  const summary = `off ÷ on bytes per frame: ${known.map((c) => `${c.payload} ${(c.ratio as number).toFixed(2)}`).join(', ')}`;
  return { verdict: verdict, summary: summary, sentences: sentences };
}
