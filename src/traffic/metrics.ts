/**
 * Per-run metrics: pure functions of one scenario's spec and result, so a recorded run can be
 * re-read and re-measured by the same code that measured it live. Which disconnects count as
 * failures is src/traffic/failure-rule's to say; here: the rates per minute of sending, CPU per MiB delivered, bytes on the wire per
 * message, and the spread of a metric over repeats.
 */
import { MiB } from '../core/params';
import { classifiedDisconnects, classifyScenario, zeroFailureBlockers } from './failure-rule';
import type { Controls, ScenarioRecord } from './scenario';
import { countBy, median } from '../core/stats';
import { HOUR_MS, sendingExposureMs } from './rates';

/** The label counted for a disconnect without an underlying error. */
export const NO_ERROR = '(none)';

/** An underlying error as counted: its first line (some carry a stack trace), or NO_ERROR. */
export function errorLabel(error: string | undefined): string {
  return error === undefined ? NO_ERROR : error.split('\n')[0].trim();
}

/** Count per minute, or null without time to count over. */
export function perMinute(count: number, ms: number): number | null {
  return ms > 0 ? (count * 60_000) / ms : null;
}

/** `numerator / denominator`, or null when the denominator is 0. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/** What one run measured, as the sweep reports it. Rates are per minute of sending; null where undefined. */
export interface RunMetrics {
  /** Length of the send window. */
  sendMs: number;
  /** Failures under the rule, both sides and corrupted deliveries (src/traffic/failure-rule). */
  failures: number;
  /** Server-side disconnects judged failures: the events of the disconnect rate (src/traffic/rates.ts). */
  disconnects: number;
  /** Connection-hours of sending, each failure's gap until the reconnect left out: the disconnect rate's exposure. */
  connectionHours: number;
  disconnectsPerMin: number | null;
  /** Failures by socket.io's reason (`transport error`, …). */
  byReason: Record<string, number>;
  /** Failures by the error underneath (`invalid compressed data (1007)`, …; NO_ERROR when none). */
  byError: Record<string, number>;
  /** Of the server's failures, those that surfaced after the last send. */
  lateDisconnects: number;
  teardownDisconnects: number;
  /** Client-side disconnects judged failures (the same events from the other side, plus client-only ones). */
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
  const judgement = classifyScenario(result);
  const judged = classifiedDisconnects(result).filter((j) => j.side === 'server');
  const failures = judged.flatMap((j) => (j.side === 'server' && j.verdict === 'failure' ? [j.d] : []));
  const sendMs = result.loadMs;
  const deliveredBytes = result.delivered * spec.frameSize;
  // Per message on the wire is exact only when every message sent crossed it: otherwise some sat in
  // a client's send backlog at teardown, or crossed and were lost, and no count says how many.
  const exactWire = result.controls.deliveredEqualsSent;
  return {
    sendMs: sendMs,
    failures: judgement.failures,
    disconnects: failures.length,
    connectionHours: sendingExposureMs(result) / HOUR_MS,
    disconnectsPerMin: perMinute(failures.length, sendMs),
    byReason: countBy(failures, (d) => d.reason),
    byError: countBy(failures, (d) => errorLabel(d.error)),
    lateDisconnects: judged.filter(
      (j) => j.verdict === 'failure' && j.phase !== 'before sending' && j.phase !== 'sending',
    ).length,
    teardownDisconnects: judged.filter((j) => j.verdict === 'teardown').length,
    clientDisconnects: judgement.clientFailures,
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
