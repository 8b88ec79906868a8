/**
 * Whether a run met the load it claims. At large frames the load generator, not the server, can
 * set the pace (a client that compresses a data URL inline runs at about a fifth of the speed the
 * server inflates it), and then a run that "had no disconnect" proves nothing about the server,
 * and an on/off comparison compares unequal work. So every run counts its load at each step:
 * nominal (what the schedule called for), handed to the socket, read by the server, acked back;
 * and a run that fell short is *saturated*, shown as such and kept out of every on/off verdict.
 */

import type { DeliveryTiming } from './delivery-timing';

/** The share of its load a run must meet at every step not to be saturated. */
export const MET_FRACTION = 0.95;
/**
 * Judged by time, a run's delivered rate is the frames acked within the send window or a bounded
 * drain after it, over the window and the drain they took; the bound is this many of the run's
 * early round trips (the median of the frames sent in the window's first quarter). The last frames
 * of a server that keeps pace are acked one usual round trip after they were sent; a server behind
 * its load acks them later and later, and a deep queue from the start stretches the drain.
 */
export const DRAIN_ROUND_TRIPS = 2;
/**
 * The ack round trip grew across the window when the last quarter's median exceeds the first
 * quarter's by more than this share of it and by more than RTT_GROWTH_FLOOR_MS: small and short
 * blips (a GC pause, one busy tick) stay within both.
 */
export const RTT_GROWTH_SHARE = 0.5;
export const RTT_GROWTH_FLOOR_MS = 50;
/**
 * In a failing run, frames handed this long before the first failure that the server had still
 * not read at it show a server behind its load; frames handed in the moment before are just in
 * flight (and a connection that fails on its first frame never reads the ones queued behind it).
 */
export const READ_GRACE_MS = 1000;

/** A run's load, counted at each step from the schedule to the server's ack. */
export interface OfferedLoad {
  /** Frames the schedule called for: every tick that ran or was missed, times the burst. */
  nominal: number;
  /** Ticks that came a whole period late or more; their frames were never emitted. */
  ticksMissed: number;
  /** Frames emitted on a connected client. */
  sent: number;
  /** Frames not emitted because the client was offline (after a disconnect): the failure's cost, not the generator's. */
  offline: number;
  /** Frames not emitted because the client's socket still held more than its send backlog allows. */
  backlogFull: number;
  /** Frames whose every WebSocket frame was written to the socket; null when the client kind cannot tell. */
  handed: number | null;
  /** Frames the server's handler read. */
  serverRead: number;
  /** Frames whose ack came back to the client. */
  acked: number;
  /**
   * Where the run failed: frames handed READ_GRACE_MS before the first failure, and frames the
   * server had read by it; null when the run did not fail.
   */
  atFirstFailure: { handed: number; serverRead: number } | null;
  /** The acks by time (src/traffic/delivery-timing.ts); absent in records made before runs were timed. */
  timing?: DeliveryTiming;
}

/** A run's load judged by time: what the two tests read, and whether each holds. */
export interface TimeJudgement {
  /** Frames the span owed: nominal less offline, or, in a run that failed, handed by the span's end. */
  due: number;
  /** Of them, frames acked within the span or the drain bound after it. */
  onTime: number;
  /** The drain bound, ms: DRAIN_ROUND_TRIPS early round trips (0 when the first quarter has none). */
  drainBoundMs: number;
  /** The drain those acks took, ms after the span: the last on-time ack's lateness (0 when all came within the span). */
  drainMs: number;
  /** The delivered rate over the span and its drain, as a share of the rate due over the span: (onTime ÷ (span + drain)) ÷ (due ÷ span); 1 when nothing was due. */
  fraction: number;
  /** Median ack round trips of the first and last quarters, ms (null when a quarter had too few acks to test). */
  firstRttMs: number | null;
  lastRttMs: number | null;
  /** Whether the round trip grew across the window (false when it could not be tested). */
  rttGrew: boolean;
}

/** The time rule's reading of a run's load; null when the run was not timed (records made before it was). */
export function judgeByTime(load: OfferedLoad): TimeJudgement | null {
  const timing = load.timing;
  if (!timing) return null;
  const due = load.atFirstFailure ? load.atFirstFailure.handed : load.nominal - load.offline;
  const [firstRttMs, , , lastRttMs] = timing.rttByQuarterMs;
  const drainBoundMs = firstRttMs === null ? 0 : DRAIN_ROUND_TRIPS * firstRttMs;
  const deadline = timing.spanMs + drainBoundMs;
  const late = timing.lateAckMs.filter((t) => t <= deadline);
  const onTime = timing.ackedInSpan + late.length;
  const drainMs = late.length > 0 ? late[late.length - 1] - timing.spanMs : 0;
  const rttGrew =
    firstRttMs !== null &&
    lastRttMs !== null &&
    lastRttMs - firstRttMs > Math.max(RTT_GROWTH_FLOOR_MS, RTT_GROWTH_SHARE * firstRttMs);
  return {
    due: due,
    onTime: onTime,
    drainBoundMs: drainBoundMs,
    drainMs: drainMs,
    fraction: due > 0 && timing.spanMs > 0 ? (onTime / due) * (timing.spanMs / (timing.spanMs + drainMs)) : 1,
    firstRttMs: firstRttMs,
    lastRttMs: lastRttMs,
    rttGrew: rttGrew,
  };
}

/** Why a run fell behind its load in time, one phrase per test it fails; empty when it kept time or was not timed. */
export function lateReasons(load: OfferedLoad): string[] {
  const judged = judgeByTime(load);
  if (!judged) return [];
  const reasons: string[] = [];
  if (judged.fraction < MET_FRACTION) {
    reasons.push(
      `delivered ${Math.round(judged.fraction * 100)}% of the offered rate by time, under ${MET_FRACTION * 100}%: ${judged.onTime} of ${judged.due} frames acked over the send window and ${Math.round(judged.drainMs)} ms of drain (bound ${Math.round(judged.drainBoundMs)} ms, ${DRAIN_ROUND_TRIPS} early round trips)`,
    );
  }
  if (judged.rttGrew) {
    reasons.push(
      `the ack round trip grew from ${judged.firstRttMs} ms (the first quarter's median) to ${judged.lastRttMs} ms (the last quarter's)`,
    );
  }
  return reasons;
}

/** Frames that reached the socket, as far as the client kind can tell: handed where it knows, else emitted. */
function reachedSocket(load: Pick<OfferedLoad, 'handed' | 'sent'>): number {
  return load.handed ?? load.sent;
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : 'n/a';
}

/**
 * Why a run is saturated, one phrase per shortfall; empty when it met its load. The generator
 * falls short when it missed ticks, found its socket's backlog full, or handed under 95% of what
 * the schedule called for while it was online; the server falls short when it read under 95% of
 * what was handed (where the run failed, of what was handed READ_GRACE_MS before the first
 * failure, by the failure: a run is not saturated merely because it failed), or when it fell
 * behind in time (lateReasons): under 95% acked within the window and the drain bound, or a
 * round trip that grew across the window.
 */
export function saturationReasons(load: OfferedLoad): string[] {
  const reasons: string[] = [];
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (load.ticksMissed > 0) reasons.push(`the generator missed ${plural(load.ticksMissed, 'tick', 'ticks')}`);
  if (load.backlogFull > 0)
    reasons.push(`${plural(load.backlogFull, 'frame', 'frames')} found the socket's send backlog full`);
  const owed = load.nominal - load.offline;
  const handed = reachedSocket(load);
  if (owed > 0 && handed < MET_FRACTION * owed) {
    reasons.push(
      `the generator handed ${handed} of ${owed} frames to the socket (${percent(handed, owed)}, under ${MET_FRACTION * 100}%)`,
    );
  }
  const read = load.atFirstFailure ?? { handed: handed, serverRead: load.serverRead };
  const when = load.atFirstFailure ? ` ${READ_GRACE_MS / 1000} s or more before the first failure, by it` : '';
  if (read.handed > 0 && read.serverRead < MET_FRACTION * read.handed) {
    reasons.push(
      `the server read ${read.serverRead} of ${read.handed} frames handed${when} (${percent(read.serverRead, read.handed)}, under ${MET_FRACTION * 100}%)`,
    );
  }
  reasons.push(...lateReasons(load));
  return reasons;
}

/**
 * A running count sampled over time (frames handed, frames read), to read off its value at the
 * moment of the first failure, which is only known once the run is over.
 */
export class CountTimeline {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  /** Notes `value` at time `t` (epoch ms, non-decreasing); an unchanged value is not stored again. */
  record(t: number, value: number): void {
    if (this.values.length > 0 && this.values[this.values.length - 1] === value) return;
    this.times.push(t);
    this.values.push(value);
  }

  /** The last value noted at or before `t`; 0 before the first. */
  at(t: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.times[mid] <= t) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? 0 : this.values[low - 1];
  }
}

/**
 * A run's load in a few words for a table: met (with its counts; for a run that failed, met up to
 * its first failure), saturated (with why), or not counted.
 */
export function loadLabel(load: OfferedLoad | undefined, failed: boolean): string {
  if (!load) return 'not counted';
  const reasons = saturationReasons(load);
  if (reasons.length > 0) return `saturated: ${reasons.join('; ')}`;
  const counts = `${load.nominal} due, ${load.handed ?? load.sent} ${load.handed === null ? 'emitted' : 'handed'}, ${load.serverRead} read`;
  return failed ? `met until the first failure: ${counts}` : `met: ${counts}`;
}
