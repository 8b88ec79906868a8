/**
 * Whether a run's deliveries kept time with its load. Counting frames is not enough: a server that
 * falls behind still acks every frame, seconds late, and its run "delivered all it was sent". So
 * each run keeps, from the client's acks, what the time rule (src/traffic/offered-load.ts) needs
 * and a reader needs to judge it again: the median ack round trip of the frames sent in each
 * quarter of the judged span, how many of the span's frames were acked within it, and when each
 * later ack came.
 */
import { quantileSorted } from '../core/stats';

/** A run's deliveries by time, as its record keeps them. */
export interface DeliveryTiming {
  /**
   * The span judged, ms from the start of sending: the send window, or, in a run that failed, up
   * to READ_GRACE_MS before its first failure (what follows a failure is the failure's cost).
   */
  spanMs: number;
  /** Median ack round trip, ms, of the frames sent in each quarter of the span; null where a quarter had fewer than MIN_ACKS_PER_QUARTER acks. */
  rttByQuarterMs: [number | null, number | null, number | null, number | null];
  /** Frames sent in the span and acked by its end. */
  ackedInSpan: number;
  /** For frames sent in the span but acked after its end: when each ack came, ms from the start of sending, ascending. */
  lateAckMs: number[];
}

/** A quarter's median round trip needs at least this many acks to be compared with another's. */
export const MIN_ACKS_PER_QUARTER = 3;

/** One acked frame: when it was sent and when its ack came, epoch ms. */
export interface AckTime {
  sentAt: number;
  ackedAt: number;
}

/** The timing summary of a run's acks, over the span from `start` (epoch ms) lasting `spanMs`. */
export function deliveryTiming(acks: readonly AckTime[], start: number, spanMs: number): DeliveryTiming {
  const quarters: number[][] = [[], [], [], []];
  let ackedInSpan = 0;
  const lateAckMs: number[] = [];
  for (const { sentAt, ackedAt } of acks) {
    const sent = sentAt - start;
    if (sent < 0 || sent > spanMs) continue;
    const quarter = Math.min(3, Math.floor((4 * sent) / Math.max(spanMs, 1)));
    quarters[quarter].push(ackedAt - sentAt);
    if (ackedAt - start <= spanMs) ackedInSpan++;
    else lateAckMs.push(Math.round(ackedAt - start));
  }
  const median = (rtts: number[]): number | null =>
    rtts.length < MIN_ACKS_PER_QUARTER
      ? null
      : Number(
          quantileSorted(
            rtts.sort((a, b) => a - b),
            0.5,
          ).toFixed(1),
        );
  return {
    spanMs: Math.round(spanMs),
    rttByQuarterMs: [median(quarters[0]), median(quarters[1]), median(quarters[2]), median(quarters[3])],
    ackedInSpan: ackedInSpan,
    lateAckMs: lateAckMs.sort((a, b) => a - b),
  };
}
