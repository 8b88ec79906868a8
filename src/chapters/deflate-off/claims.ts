/**
 * The post's three claims about its fix, measured: the runs (the same load with deflate on and
 * off, clients forked so the kernel's CPU is the server's; and one light run per payload kind for
 * the bytes), and the verdicts, each worded from the numbers.
 */
import type { LongRunRecord } from '../../long-run';
import { isDebugCaptureActive } from '../../observe/debug-capture';
import { MiB, type Params, type PayloadKind, type StackName } from '../../params';
import { REPRODUCER } from '../../reproducer';
import { judgeScenario, onOffBlockers, zeroFailureBlockers } from '../../failure-rule';
import { runScenario, type ScenarioRecord, type ScenarioResult, type ScenarioSpec } from '../../scenario';
import { formatBytes, formatDuration } from '../../units';
import { plural } from '../finding';

/** The post's stack, on which its fix is measured. */
export const CLAIMS_STACK: StackName = '2015';
/** The post's CPU claim: "less than half". */
export const CPU_CLAIM_RATIO = 0.5;
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
  ...REPRODUCER,
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

/** Runs the reproducer on the 2015 stack with deflate on and off, `repeats` times, clients forked. */
export async function runLoadPairs(params: Params, notice?: RunNotice): Promise<LoadPair[]> {
  // A debug capture formats every line of every logger: it would be measured as server CPU.
  if (isDebugCaptureActive())
    throw new Error('a debug capture is running: stop it before measuring server CPU (captureDebug(...).stop())');
  const pairs: LoadPair[] = [];
  for (let repeat = 1; repeat <= params.repeats; repeat++) {
    // Alternate which setting goes first, so a machine that warms up or gets busier favours neither.
    const order: Array<'on' | 'off'> = repeat % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
    const done: Partial<Record<'on' | 'off', ScenarioRecord>> = {};
    for (const [i, deflate] of order.entries()) {
      notice?.(`repeat ${repeat}, deflate ${deflate}`, 2 * (repeat - 1) + i, 2 * params.repeats);
      done[deflate] = await runScenario(
        {
          ...REPRODUCER,
          stack: CLAIMS_STACK,
          placement: 'forked',
          deflate: deflate,
          duration: params.duration,
          seed: params.seed,
        },
        { quick: params.quick },
      );
    }
    pairs.push({ repeat: repeat, on: done.on as ScenarioRecord, off: done.off as ScenarioRecord });
  }
  return pairs;
}

/** One payload kind with deflate on and off, under WIRE_LOAD. */
export interface WirePair {
  payload: PayloadKind;
  on: ScenarioRecord;
  off: ScenarioRecord;
}

/** Runs WIRE_LOAD once per payload kind and deflate setting. */
export async function runWirePairs(params: Params, notice?: RunNotice): Promise<WirePair[]> {
  const duration = params.quick ? WIRE_RUN_MS.quick : WIRE_RUN_MS.full;
  const pairs: WirePair[] = [];
  for (const [k, payload] of params.payload.entries()) {
    const run = async (deflate: 'on' | 'off', i: number) => {
      notice?.(`${payload}, deflate ${deflate}`, 2 * k + i, 2 * params.payload.length);
      return runScenario(
        { ...WIRE_LOAD, payload: payload, deflate: deflate, duration: duration, seed: params.seed },
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
 * made before the window took in the drain (such as the first long run) counted the send window
 * only, and a backlog still draining can fail after sending stops.
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

/** Claim 2: server CPU with deflate off is less than half of what it is with deflate on. */
export function cpuVerdict(
  pairs: readonly LoadPair[],
): ClaimVerdict & { ratios: number[]; perMiBRatios: Array<number | null> } {
  const forked = pairs.filter((p) => !p.on.result.cpu.includesClients && !p.off.result.cpu.includesClients);
  // A pair whose "on" run did not negotiate deflate, or where a side errored or sent nothing, compares nothing.
  const measured = forked.filter((p) => onOffBlockers(p.on, p.off).length === 0);
  if (measured.length === 0)
    return {
      verdict: 'not tested',
      summary: forked.length === 0 ? 'no run with the clients forked' : 'no pair comparable',
      sentences: [
        forked.length === 0
          ? 'No run kept the clients out of the server process.'
          : `No pair can be compared: ${forked.map((p) => onOffBlockers(p.on, p.off).join('; ')).join(' / ')}.`,
      ],
      ratios: [],
      perMiBRatios: [],
    };
  const ratios = measured.map((p) => cpuMs(p.off.result) / cpuMs(p.on.result));
  const perMiBRatios = measured.map((p) => {
    const on = cpuPerMiB(p.on);
    const off = cpuPerMiB(p.off);
    return on === null || off === null ? null : off / on;
  });
  const below = ratios.filter((r) => r < CPU_CLAIM_RATIO).length;
  const verdict: Verdict = below === ratios.length ? 'holds' : below === 0 ? 'does not hold' : 'mixed across repeats';
  const fmt = (r: number) => r.toFixed(2);
  const sentences = [
    `Under the same offered load, the server's CPU with deflate off was ${ratios.map(fmt).join(', ')} × its CPU with deflate on (${plural(ratios.length, 'repeat')}; the post's claim needs below ${CPU_CLAIM_RATIO}).`,
  ];
  const delivered = measured.map((p) => `${p.on.result.delivered} on vs ${p.off.result.delivered} off`).join('; ');
  sentences.push(`The two settings did not do the same work: frames delivered were ${delivered}.`);
  const known = perMiBRatios.filter((r): r is number => r !== null);
  if (known.length > 0) {
    const perBelow = known.filter((r) => r < CPU_CLAIM_RATIO).length;
    sentences.push(
      `Per MiB delivered, deflate off cost ${known.map(fmt).join(', ')} × what deflate on cost` +
        ` (${perBelow === known.length ? 'below' : perBelow === 0 ? 'not below' : 'partly below'} ${CPU_CLAIM_RATIO} per unit of work).`,
    );
  } else {
    sentences.push('With deflate on nothing was delivered, so CPU per unit of work cannot be compared.');
  }
  const summary = `off ÷ on: ${ratios.map(fmt).join(', ')} (server CPU); ${known.length > 0 ? `${known.map(fmt).join(', ')} (per MiB delivered)` : 'per MiB not comparable'}`;
  return { verdict: verdict, summary: summary, sentences: sentences, ratios: ratios, perMiBRatios: perMiBRatios };
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
