/**
 * Per-run metrics: pure functions of one scenario's spec and result, so a recorded run can be
 * re-read and re-measured by the same code that measured it live. Which disconnects count as
 * failures, the rates per minute of sending, CPU per MiB delivered, bytes on the wire per
 * message, and the spread of a metric over repeats.
 */
import { MiB } from './params';
import { zeroFailureBlockers, type Controls, type ScenarioRecord, type ServerDisconnect } from './scenario';
import { median } from './stats';

/**
 * Where a disconnect fell relative to the send window. `while draining`: after the last send, while
 * the clients still waited for acks; `after the drain`: once they began to close. Records made
 * before the scenario recorded the drain's end cannot tell the two apart: `after sending`.
 */
export type DisconnectPhase =
  'before sending' | 'while sending' | 'while draining' | 'after the drain' | 'after sending';

/** Whether a disconnect is a failure of the run or the clients leaving at its end. */
export type DisconnectVerdict = 'failure' | 'teardown';

/** One disconnect, placed and judged. */
export interface ClassifiedDisconnect {
  phase: DisconnectPhase;
  verdict: DisconnectVerdict;
}

/** Reasons socket.io gives when a peer closes cleanly or the server shuts down: what stopping the clients looks like. */
export const TEARDOWN_REASONS: readonly string[] = [
  'transport close',
  'forced close',
  'server shutting down',
  'client namespace disconnect',
];

/**
 * Errors of a connection cut while the server still had something to say: a client terminated
 * with data queued (a reset), or the server writing an ack to a socket already closing (socket.io
 * 4: "WebSocket is not open"; ws 0.8.0 on Node 20: ERR_STREAM_WRITE_AFTER_END). After sending has
 * ended these are the clients leaving, not the 2015 failure.
 */
const CUT_CONNECTION =
  /\b(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_WRITE_AFTER_END|ERR_STREAM_DESTROYED)\b|WebSocket is not open/;

/** The label counted for a disconnect without an underlying error. */
export const NO_ERROR = '(none)';

/** An underlying error as counted: its first line (some carry a stack trace), or NO_ERROR. */
export function errorLabel(error: string | undefined): string {
  return error === undefined ? NO_ERROR : error.split('\n')[0].trim();
}

/**
 * Judges one server-side disconnect. Before or while sending, and while the clients drain (still
 * connected, waiting for acks), every disconnect is a failure. Once they close, a disconnect is
 * teardown when it looks like the clients leaving (a clean-close reason and no error, or a cut
 * connection); anything else is a failure that surfaced late, e.g. a 2015 server still inflating
 * its backlog that then hits corrupt data.
 */
export function classifyDisconnect(
  d: Pick<ServerDisconnect, 't' | 'reason' | 'error'>,
  window: { start: number; end: number; drainEnd?: number },
): ClassifiedDisconnect {
  if (d.t < window.start) return { phase: 'before sending', verdict: 'failure' };
  if (d.t <= window.end) return { phase: 'while sending', verdict: 'failure' };
  if (window.drainEnd !== undefined && d.t <= window.drainEnd) return { phase: 'while draining', verdict: 'failure' };
  const cleanClose = d.error === undefined && TEARDOWN_REASONS.includes(d.reason);
  const cut = d.error !== undefined && CUT_CONNECTION.test(d.error);
  return {
    phase: window.drainEnd === undefined ? 'after sending' : 'after the drain',
    verdict: cleanClose || cut ? 'teardown' : 'failure',
  };
}

/** Count per minute, or null without time to count over. */
export function perMinute(count: number, ms: number): number | null {
  return ms > 0 ? (count * 60_000) / ms : null;
}

/** `numerator / denominator`, or null when the denominator is 0. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

function countBy(items: readonly ServerDisconnect[], key: (d: ServerDisconnect) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** What one run measured, as the sweep reports it. Rates are per minute of sending; null where undefined. */
export interface RunMetrics {
  /** Length of the send window. */
  sendMs: number;
  /** Server-side disconnects judged failures (see classifyDisconnect). */
  disconnects: number;
  disconnectsPerMin: number | null;
  /** Failures by socket.io's reason (`transport error`, …). */
  byReason: Record<string, number>;
  /** Failures by the error underneath (`invalid compressed data (1007)`, …; NO_ERROR when none). */
  byError: Record<string, number>;
  /** Of the failures, those that surfaced after the last send. */
  lateDisconnects: number;
  teardownDisconnects: number;
  /** Disconnects the clients saw while sending (the same events from the other side, plus client-only ones). */
  clientDisconnects: number;
  /** Sessions beyond each client's first: reconnects. */
  reconnects: number;
  sent: number;
  notSent: number;
  delivered: number;
  verified: number;
  corrupted: number;
  acked: number;
  /** Messages handed to clients per second per client: what the clients achieved, against the rate asked. */
  sendRate: number | null;
  /** Server process CPU (user + system). */
  cpuMs: number;
  /** Server CPU per MiB of payload delivered; null when nothing was delivered. */
  cpuMsPerMiB: number | null;
  /** Whether the CPU figure includes the clients (in-process placement). */
  cpuIncludesClients: boolean;
  /** Client → server WebSocket payload bytes per message (compressed where compressed); null unless every message sent was delivered. */
  wireBytesPerMessage: number | null;
  /** Payload bytes handed to clients per wire payload byte (above 1: deflate shrank it); null as wireBytesPerMessage. */
  compressionRatio: number | null;
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  ackN: number;
  rssGrowth: number;
  heapGrowth: number;
  zlibErrors: number;
  controls: Controls;
  /** Why this run may not be reported as "zero failures" (empty when it may). */
  zeroBlockers: string[];
}

/** Computes a run's metrics from its scenario record. */
export function runMetrics(record: ScenarioRecord): RunMetrics {
  const { spec, result } = record;
  const judged = result.serverDisconnects.map((d) => ({ d: d, c: classifyDisconnect(d, result.sendWindow) }));
  const failures = judged.filter((j) => j.c.verdict === 'failure').map((j) => j.d);
  const inWindow = (t: number) => t >= result.sendWindow.start && t <= result.sendWindow.end;
  const sendMs = result.loadMs;
  const deliveredBytes = result.delivered * spec.frameSize;
  // Per message on the wire is exact only when every message sent crossed it: otherwise some sat in
  // a client's send backlog at teardown, or crossed and were lost, and no count says how many.
  const exactWire = result.controls.deliveredEqualsSent;
  return {
    sendMs: sendMs,
    disconnects: failures.length,
    disconnectsPerMin: perMinute(failures.length, sendMs),
    byReason: countBy(failures, (d) => d.reason),
    byError: countBy(failures, (d) => errorLabel(d.error)),
    lateDisconnects: judged.filter(
      (j) => j.c.verdict === 'failure' && !['before sending', 'while sending'].includes(j.c.phase),
    ).length,
    teardownDisconnects: judged.filter((j) => j.c.verdict === 'teardown').length,
    clientDisconnects: result.clientDisconnects.filter((d) => inWindow(d.t)).length,
    reconnects: Math.max(0, result.clientConnects.length - spec.clients),
    sent: result.sent,
    notSent: result.notSent,
    delivered: result.delivered,
    verified: result.verified,
    corrupted: result.corrupted,
    acked: result.acked,
    sendRate: sendMs > 0 ? result.sent / (sendMs / 1000) / spec.clients : null,
    cpuMs: result.cpu.userMs + result.cpu.systemMs,
    cpuMsPerMiB: ratio(result.cpu.userMs + result.cpu.systemMs, deliveredBytes / MiB),
    cpuIncludesClients: result.cpu.includesClients,
    wireBytesPerMessage: exactWire ? ratio(result.wire.payloadBytes, result.sent) : null,
    compressionRatio: exactWire && result.wireRatio !== null && result.wireRatio > 0 ? 1 / result.wireRatio : null,
    ackP50Ms: result.ackRttMs.p50,
    ackP99Ms: result.ackRttMs.p99,
    ackN: result.ackRttMs.n,
    rssGrowth: result.memory.rssEnd - result.memory.rssStart,
    heapGrowth: result.memory.heapEnd - result.memory.heapStart,
    zlibErrors: result.zlibErrors.reduce((sum, e) => sum + e.count, 0),
    controls: result.controls,
    zeroBlockers: zeroFailureBlockers(record),
  };
}

/** A metric over repeats: median and range, and how many repeats had a value. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Repeats with a value (null values, e.g. no acks, are left out). */
  n: number;
}

/** Median and range of the non-null values, or null when there are none. */
export function spread(values: ReadonlyArray<number | null | undefined>): Spread | null {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return null;
  return { median: median(present), min: Math.min(...present), max: Math.max(...present), n: present.length };
}
