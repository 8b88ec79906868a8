/**
 * What every part of chapter 6 shares: the base scenario (the failing scenario, sent
 * to a bare ws server instead of socket.io), the release the post ran, and how a run is named and
 * measured per message.
 */
import type { Params } from '../../core/params';
import { FAILING_SCENARIO } from '../../traffic/presets';
import type { BareWsRecord, BareWsSpec } from '../../bare-ws/runner';
import { SenderHost } from '../../bare-ws/sender-process';
import { STACKS } from '../../core/stack-catalog';
import { formatBytes } from '../../core/units';
import { replaySteps } from '../../core/replay';

/** Names this chapter's measuring steps in the replay records. */
export const step = replaySteps('root-cause');

/** The ws release under the post's socket.io 1.3.7 (engine.io 1.5.4). */
export const POST_RELEASE: string = STACKS['2015'].expected.ws ?? '0.8.0';

/**
 * The size the bisection and the proof run at: the largest given, where messages are the likeliest
 * to be fragmented and the failure the likeliest to show (the chapter's default sizes end at the
 * failing scenario's 1 MiB).
 */
export function largestSize(params: Params): number {
  return Math.max(...params.frameSizes);
}

/**
 * The base run: the failing scenario's fragment size, rate, burst, clients and seed, with a
 * message of `frameSize` (the largest size given, unless told), against a bare server of `ws`,
 * for the notebook's duration, no added load, no fix.
 */
export function baseSpec(
  params: Params,
  ws: string = POST_RELEASE,
  frameSize: number = largestSize(params),
): BareWsSpec {
  return {
    ws: ws,
    frameSize,
    fragmentSize: FAILING_SCENARIO.fragmentSize,
    burst: FAILING_SCENARIO.burst,
    rate: FAILING_SCENARIO.rate,
    clients: FAILING_SCENARIO.clients,
    duration: params.duration,
    seed: FAILING_SCENARIO.seed,
    serverLoad: 0,
    fix: 'none',
  };
}

/** `in 100 KiB fragments, 3 back to back ×5/s, 2 clients`: how the messages are sent, whatever their size. */
export function describeSending(spec: BareWsSpec): string {
  const load = spec.serverLoad > 0 ? `, ${Math.round(spec.serverLoad * 100)} % server load` : '';
  const fix = spec.fix === 'runtime' ? ', runtime fix' : '';
  return `in ${formatBytes(spec.fragmentSize)} fragments, ${spec.burst} back to back ×${spec.rate}/s, ${spec.clients} clients${load}${fix}`;
}

/** `1 MiB messages in 100 KiB fragments, 3 back to back ×5/s, 2 clients` (no release named). */
export function describeScenario(spec: BareWsSpec): string {
  return `${formatBytes(spec.frameSize)} messages ${describeSending(spec)}`;
}

/** `ws 0.8.0, ` and the scenario. */
export function describeSpec(spec: BareWsSpec): string {
  return `ws ${spec.ws}, ${describeScenario(spec)}`;
}

/** `100 × part / whole`, to 2 significant digits; null when nothing was counted. */
export function per100(part: number, whole: number): number | null {
  return whole > 0 ? Number(((100 * part) / whole).toPrecision(2)) : null;
}

/** Per-message figures every part shows for a run. */
export function perMessage(record: BareWsRecord) {
  const { result } = record;
  const { probe } = result;
  return {
    sent: result.sent,
    failures: result.failures,
    'invalid compressed data': result.compressedDataErrors,
    'corrupted deliveries': result.corrupted,
    'failures / 100 msgs': per100(result.failures, result.sent),
    'back to back %': per100(probe.backToBack, probe.messages),
    'overwritten / 100 fragments': per100(probe.overwritten.fragmented + probe.overwritten.unfragmented, probe.queued),
    'first failure ms': result.firstFailureMs,
  };
}

/** Runs a series of bare-ws runs with one sender process, closed afterwards whatever happens. */
export async function withSenders<T>(series: (senders: SenderHost) => Promise<T>): Promise<T> {
  const senders = new SenderHost();
  try {
    return await series(senders);
  } finally {
    await senders.close();
  }
}
