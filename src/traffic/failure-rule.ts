/**
 * The one failure rule: where a disconnect fell (before sending, while sending, while the clients
 * drained their acks, or at teardown) and whether it counts as a failure; what a run's failures
 * are; and when a run's zero may be stated (only beside its own positive controls). Every counter
 * in the project asks this module, and records store its verdicts; a record made under an older
 * rule (or without the drain's end) is re-classified when read. A leaf: it imports only types.
 */
import type { ClientDisconnect } from '../clients/types';
import type { Controls, WireCounts } from '../observe/wire';
import { saturationReasons, type OfferedLoad } from './offered-load';
import { countBy } from '../core/stats';

/**
 * Bumped whenever the rule changes; a stored verdict of another version is re-classified. 2: a
 * disconnect from the very millisecond the drain ended is teardown (the clients begin to close
 * then), even when that is the millisecond sending ended.
 */
export const FAILURE_RULE_VERSION = 2;

/**
 * Where a disconnect fell relative to the send window. `draining`: after the last send, while the
 * clients still waited for acks; `teardown`: from the drain's end on, once they began to close.
 * `after sending`: a record that did not store the drain's end cannot tell the two apart, and the
 * teardown judgement applies.
 */
export type DisconnectPhase = 'before sending' | 'sending' | 'draining' | 'teardown' | 'after sending';

/** Whether a disconnect is a failure of the run or the clients leaving at its end. */
export type DisconnectClass = 'failure' | 'teardown';

/** One disconnect, placed and judged. */
export interface ClassifiedDisconnect {
  phase: DisconnectPhase;
  verdict: DisconnectClass;
}

/** Which side saw a disconnect. */
export type Side = 'server' | 'client';

/** A run's send window in epoch ms; `drainEnd` absent in records made before it was recorded. */
export interface SendWindow {
  start: number;
  end: number;
  drainEnd?: number;
}

/** What the rule reads of a disconnect: when, socket.io's reason, the error underneath, the close code. */
export interface DisconnectEvent {
  t: number;
  reason: string;
  error?: string;
  code?: number;
}

/** Reasons the server gives when a peer closes cleanly or the server shuts down: what stopping the clients looks like. */
export const TEARDOWN_REASONS: readonly string[] = [
  'transport close',
  'forced close',
  'server shutting down',
  'client namespace disconnect',
];

/** Reasons a client gives when it, or the server shutting down, ends its session on purpose. */
const CLIENT_TEARDOWN_REASONS: readonly string[] = [
  'io client disconnect',
  'io server disconnect',
  'transport close',
  'forced close',
];

/**
 * WebSocket close codes that say the peer found something wrong (protocol error, unsupported or
 * invalid data, too big, internal error): a failure even at teardown. 1007 is the 2015 failure.
 */
const ERROR_CLOSE_CODES: readonly number[] = [1002, 1003, 1007, 1008, 1009, 1010, 1011];

/**
 * Errors of a connection cut while the server still had something to say: a client terminated
 * with data queued (a reset), or the server writing an ack to a socket already closing (socket.io
 * 4: "WebSocket is not open"; ws 0.8.0 on Node 20: ERR_STREAM_WRITE_AFTER_END). After sending has
 * ended these are the clients leaving, not the 2015 failure.
 */
const CUT_CONNECTION =
  /\b(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_WRITE_AFTER_END|ERR_STREAM_DESTROYED)\b|WebSocket is not open/;

/** Where a moment falls relative to the send window. */
export function disconnectPhase(t: number, window: SendWindow): DisconnectPhase {
  if (t < window.start) return 'before sending';
  // The clients are stopped right after the drain's end is stamped (the same ms as the send window's
  // end when there was nothing to drain): a close from then on is theirs.
  if (window.drainEnd !== undefined && t >= window.drainEnd) return 'teardown';
  if (t <= window.end) return 'sending';
  return window.drainEnd === undefined ? 'after sending' : 'draining';
}

/**
 * Judges one disconnect. Before or while sending, and while the clients drain (still connected,
 * waiting for acks), every disconnect is a failure. Once they close, a disconnect is teardown when
 * it looks like the clients leaving (a clean-close reason with no error and no error close code,
 * or a cut connection); anything else is a failure that surfaced late, e.g. a 2015 server still
 * inflating its backlog that then hits corrupt data, and its client seeing close code 1007.
 */
export function classifyDisconnect(
  d: DisconnectEvent,
  window: SendWindow,
  side: Side = 'server',
): ClassifiedDisconnect {
  const phase = disconnectPhase(d.t, window);
  if (phase === 'before sending' || phase === 'sending' || phase === 'draining')
    return { phase: phase, verdict: 'failure' };
  const errorCode = d.code !== undefined && ERROR_CLOSE_CODES.includes(d.code);
  const cleanReasons = side === 'server' ? TEARDOWN_REASONS : CLIENT_TEARDOWN_REASONS;
  const cleanClose = d.error === undefined && !errorCode && cleanReasons.includes(d.reason);
  const cut = d.error !== undefined && CUT_CONNECTION.test(d.error);
  return { phase: phase, verdict: cleanClose || cut ? 'teardown' : 'failure' };
}

/** What the rule reads of a socket.io scenario's result. */
export interface ScenarioEvents {
  sendWindow: SendWindow;
  serverDisconnects: ReadonlyArray<DisconnectEvent>;
  clientDisconnects: ReadonlyArray<DisconnectEvent & Pick<ClientDisconnect, 'client'>>;
  corrupted: number;
  /** Epoch ms of the first corrupted delivery (absent in records made before it was stored). */
  firstCorruptAt?: number;
  /** As stored: used only for the first corrupted delivery of a record that did not store its time. */
  firstFailureMs?: number | null;
}

/** A run's failures under the rule: what records store and every counter reports. */
export interface RunClassification {
  /** FAILURE_RULE_VERSION when judged (an older record holds an older one). */
  rule: number;
  /** Server failures + client failures + corrupted deliveries. */
  failures: number;
  serverFailures: number;
  clientFailures: number;
  corrupted: number;
  /** Failures (either side) that surfaced after the last send. */
  lateFailures: number;
  /** Disconnects (either side) judged the clients leaving. */
  teardown: number;
  /** ms from the start of sending to the first failure; null when none. */
  firstFailureMs: number | null;
}

/** Every disconnect of a scenario, each placed and judged, with its side. */
export function classifiedDisconnects<
  S extends DisconnectEvent,
  C extends DisconnectEvent & Pick<ClientDisconnect, 'client'>,
>(
  outcome: Pick<ScenarioEvents, 'sendWindow'> & { serverDisconnects: readonly S[]; clientDisconnects: readonly C[] },
): Array<ClassifiedDisconnect & ({ side: 'server'; d: S } | { side: 'client'; d: C })> {
  return [
    ...outcome.serverDisconnects.map((d) => ({
      side: 'server' as const,
      d: d,
      ...classifyDisconnect(d, outcome.sendWindow, 'server'),
    })),
    ...outcome.clientDisconnects.map((d) => ({
      side: 'client' as const,
      d: d,
      ...classifyDisconnect(d, outcome.sendWindow, 'client'),
    })),
  ];
}

/** Judges a socket.io scenario's result: its failures on both sides and its first failure. */
export function classifyScenario(outcome: ScenarioEvents): RunClassification {
  const judged = classifiedDisconnects(outcome);
  const failures = judged.filter((j) => j.verdict === 'failure');
  const times = failures.map((j) => j.d.t);
  if (outcome.firstCorruptAt !== undefined) times.push(outcome.firstCorruptAt);
  let firstFailureMs = times.length > 0 ? Math.min(...times) - outcome.sendWindow.start : null;
  // An older record kept the first corrupted delivery only inside its stored first failure.
  if (outcome.corrupted > 0 && outcome.firstCorruptAt === undefined && typeof outcome.firstFailureMs === 'number')
    firstFailureMs =
      firstFailureMs === null ? outcome.firstFailureMs : Math.min(firstFailureMs, outcome.firstFailureMs);
  const serverFailures = failures.filter((j) => j.side === 'server').length;
  const clientFailures = failures.length - serverFailures;
  return {
    rule: FAILURE_RULE_VERSION,
    failures: failures.length + outcome.corrupted,
    serverFailures: serverFailures,
    clientFailures: clientFailures,
    corrupted: outcome.corrupted,
    lateFailures: failures.filter((j) => j.phase !== 'before sending' && j.phase !== 'sending').length,
    teardown: judged.length - failures.length,
    firstFailureMs: firstFailureMs,
  };
}

/** Failures of a scenario, counted by `<side>: <reason>` (teardown left out). */
export function failureReasons(outcome: ScenarioEvents): Record<string, number> {
  return countBy(classifiedDisconnects(outcome), (j) =>
    j.verdict === 'failure' ? `${j.side}: ${j.d.reason}` : undefined,
  );
}

/** An error a server-side connection reported (ws 0.x passes a string and a close code, 1.x an Error). */
export interface BareServerError {
  t: number;
  connection: number;
  message: string;
  code?: number;
}

/** What the rule reads of a bare-ws run. */
export interface BareWsEvents {
  sendWindow: SendWindow;
  /** Every error a server-side connection reported during the run. */
  serverErrors: readonly BareServerError[];
  corrupted: number;
  firstCorruptAt?: number;
}

/** A bare-ws run's failures under the rule, and the errors that were failures. */
export interface BareWsClassification {
  /** FAILURE_RULE_VERSION when judged (an older record holds an older one). */
  rule: number;
  failures: number;
  /** The server errors judged failures (a reset at teardown is the clients leaving). */
  failingErrors: BareServerError[];
  corrupted: number;
  firstFailureMs: number | null;
}

/**
 * Judges a bare-ws run. A bare ws server reports errors only (no clean-close reasons): each is
 * a failure by phase, and after sending only a cut connection counts as the clients leaving.
 */
export function classifyBareWs(outcome: BareWsEvents): BareWsClassification {
  const failingErrors = outcome.serverErrors.filter(
    (e) => classifyDisconnect({ t: e.t, reason: 'error', error: e.message }, outcome.sendWindow).verdict === 'failure',
  );
  const times = failingErrors.map((e) => e.t);
  if (outcome.firstCorruptAt !== undefined) times.push(outcome.firstCorruptAt);
  return {
    rule: FAILURE_RULE_VERSION,
    failures: failingErrors.length + outcome.corrupted,
    failingErrors: failingErrors,
    corrupted: outcome.corrupted,
    firstFailureMs: times.length > 0 ? Math.min(...times) - outcome.sendWindow.start : null,
  };
}

// ---- zeros ---------------------------------------------------------------------------------------

/**
 * Why a run's "no failure" would say nothing, or null when it stands: a run that errored or sent
 * nothing is never a zero, and (when deflate is the subject) one without deflate negotiated did not
 * test the deflate failure.
 */
export function cannotSayNoFailure(
  result: {
    status: 'completed' | 'failed';
    runError?: string;
    sent: number;
    controls: Pick<Controls, 'deflateNegotiated'>;
  },
  subject: 'deflate' | 'any load' = 'deflate',
): string | null {
  if (result.status !== 'completed') return `the run failed: ${result.runError}`;
  if (result.sent === 0) return 'nothing was sent';
  if (subject === 'deflate' && !result.controls.deflateNegotiated) return 'deflate was not negotiated';
  return null;
}

/** What the zero guard reads of a scenario record. */
export interface GuardedScenario {
  spec: { deflate: string; client: string; fragmentSize: number };
  result: ScenarioEvents & {
    status: 'completed' | 'failed';
    runError?: string;
    sent: number;
    delivered: number;
    controls: Controls;
    wire: Pick<WireCounts, 'messages' | 'payloadBytes'>;
    /** The counted load; absent in records made before it was counted. */
    offered?: OfferedLoad;
  };
}

/** Why a run fell short of its load, from its counts (src/traffic/offered-load.ts); empty when it met it or did not count it. */
export function saturationOf(record: GuardedScenario): string[] {
  return record.result.offered ? saturationReasons(record.result.offered) : [];
}

/**
 * Whether a fragmenting client's messages were larger than a fragment on the wire (on average,
 * compressed where compressed): only then must continuation frames appear. A message that fits
 * one fragment is sent whole, by design.
 */
export function fragmentsExpected(record: GuardedScenario): boolean {
  const { wire } = record.result;
  return (
    record.spec.client === 'fragmenting' &&
    wire.messages > 0 &&
    wire.payloadBytes / wire.messages > record.spec.fragmentSize
  );
}

/**
 * Why a run may NOT be reported as "zero failures"; empty when it may. Beyond no failures under
 * the rule, the same run must show the thing under test happened: it completed, it sent
 * something and every message sent was delivered, deflate was negotiated and used when asked for,
 * and a fragmenting client whose messages were larger than a fragment put continuation frames on the wire.
 */
export function zeroFailureBlockers(record: GuardedScenario): string[] {
  const { result, spec } = record;
  const blockers: string[] = [];
  const failures = classifyScenario(result).failures;
  if (result.status !== 'completed') blockers.push(`the run did not complete: ${result.runError}`);
  if (failures > 0) blockers.push(`${failures} failures`);
  if (result.sent === 0) blockers.push('nothing was sent');
  if (spec.deflate === 'on' && !result.controls.deflateNegotiated)
    blockers.push('deflate was asked for but not negotiated');
  if (spec.deflate === 'on' && result.controls.compressedMessages === 0)
    blockers.push('no compressed message was seen on the wire');
  if (fragmentsExpected(record) && result.controls.continuationFrames === 0)
    blockers.push('no continuation frame was seen on the wire, though messages were larger than a fragment');
  if (result.sent > 0 && !result.controls.deliveredEqualsSent)
    blockers.push(`delivered ${result.delivered} ≠ sent ${result.sent}`);
  const saturation = saturationOf(record);
  if (saturation.length > 0) blockers.push(`saturated: ${saturation.join('; ')}`);
  return blockers;
}

/**
 * A run's standing under the rule: it failed, its zero is proven, it did not meet its load (and
 * so is kept out of every verdict, labelled as such), or it says nothing either way.
 */
export type RunStanding = 'failing' | 'proven zero' | 'saturated' | 'unproven zero';

/** Whether a run failed, proved its zero, fell short of its load, or neither (an errored run or one without its controls). */
export function runStanding(record: GuardedScenario): RunStanding {
  if (classifyScenario(record.result).failures > 0) return 'failing';
  const blockers = zeroFailureBlockers(record);
  if (blockers.length === 0) return 'proven zero';
  return saturationOf(record).length > 0 ? 'saturated' : 'unproven zero';
}

/**
 * Whether a deflate on/off comparison may be worded at all: the "on" run must have negotiated
 * deflate (else both sides ran without it) and each side must have completed and sent something.
 * Returns the reasons it may not, empty when it may.
 */
export function onOffBlockers(on: GuardedScenario, off: GuardedScenario): string[] {
  const blockers: string[] = [];
  if (!on.result.controls.deflateNegotiated) blockers.push('deflate was not negotiated on the "on" run');
  for (const [side, r] of [
    ['on', on],
    ['off', off],
  ] as const) {
    if (r.result.status !== 'completed') blockers.push(`the deflate-${side} run did not complete`);
    if (r.result.sent === 0) blockers.push(`the deflate-${side} run sent nothing`);
    // Unequal work compares nothing: a side that did not meet its load is no cost figure.
    if (saturationOf(r).length > 0) blockers.push(`the deflate-${side} run did not meet its load`);
  }
  return blockers;
}
