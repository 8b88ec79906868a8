/**
 * The disconnect rate: server-side failure disconnects (src/traffic/failure-rule.ts) per
 * connection-hour of sending, the post's "every few minutes". The independent unit is a run: after
 * a disconnect the next frames are not independent trials, since a failing run fails again after
 * each reconnect. Exposure is each client's connected time inside the send window, stopping at
 * each failure until the reconnect.
 */
import type { SendWindow } from './failure-rule';
import type { CountUnit, RateEstimate } from '../core/stats';
import { intervalText } from '../core/verdict';
import type { ScenarioResult } from './scenario';

/** ms in an hour: exposure is counted in connection-hours. */
export const HOUR_MS = 3_600_000;

/** What the exposure reads of a run: the send window and every session's start and end. */
export type ExposureInput = Pick<
  ScenarioResult,
  'sendWindow' | 'clientConnects' | 'clientDisconnects' | 'serverDisconnects'
>;

/**
 * Connection-time inside the send window, in ms: for each client, each session from its connect to
 * the first of its server-side end, its client-side end, and the client's next connect, clipped to
 * the window. The gap between a failure and the reconnect is not exposure.
 */
export function sendingExposureMs(result: ExposureInput): number {
  const window: SendWindow = result.sendWindow;
  const byClient = new Map<string, Array<{ t: number; sid?: string }>>();
  for (const c of result.clientConnects) byClient.set(c.client, [...(byClient.get(c.client) ?? []), c]);
  let total = 0;
  for (const [client, connects] of byClient) {
    const sorted = [...connects].sort((a, b) => a.t - b.t);
    sorted.forEach((session, i) => {
      const ends = [
        window.end,
        ...(i + 1 < sorted.length ? [sorted[i + 1].t] : []),
        ...result.serverDisconnects.filter((d) => session.sid !== undefined && d.sid === session.sid).map((d) => d.t),
        ...result.clientDisconnects.filter((d) => d.client === client && d.t >= session.t).map((d) => d.t),
      ];
      const start = Math.max(session.t, window.start);
      const end = Math.min(...ends.filter((t) => t >= session.t));
      if (end > start) total += end - start;
    });
  }
  return total;
}

/** One run as a unit of the disconnect rate: its server-side failures over its connection-hours of sending. */
export function disconnectUnit(metrics: { disconnects: number; connectionHours: number }): CountUnit {
  return { events: metrics.disconnects, exposure: metrics.connectionHours };
}

/** `30 connection-minutes`, `2 connection-hours`, `1 connection-second`. */
export function exposureText(hours: number): string {
  const f = (x: number, unit: string) => {
    const text = Number(x.toPrecision(2)).toLocaleString('en-US');
    return `${text} connection-${unit}${text === '1' ? '' : 's'}`;
  };
  if (hours >= 2) return f(hours, 'hour');
  if (hours * 60 >= 2) return f(hours * 60, 'minute');
  return f(hours * 3600, 'second');
}

/** A rate to two significant digits, as every rate sentence gives it: `9,500`, `180`. */
export const rateNumber = (x: number): string => Number(x.toPrecision(2)).toLocaleString('en-US');

/**
 * A rate in words, with its interval and what it rests on: `8 per connection-hour (95%: 2.18–20.5;
 * 4 disconnects over 30 connection-minutes, 3 runs)`, a zero as its one-sided bound, and why a
 * count is not settled where it is not.
 */
export function rateText(estimate: RateEstimate): string {
  const basis = `${estimate.events.toLocaleString('en-US')} disconnect${estimate.events === 1 ? '' : 's'} over ${exposureText(estimate.exposure)}, ${estimate.units} run${estimate.units === 1 ? '' : 's'}`;
  if (estimate.events === 0)
    return `at most ${rateNumber(estimate.interval.high)} per connection-hour (one-sided 95% bound; ${basis})`;
  const head = `${rateNumber(estimate.rate)} per connection-hour (${intervalText(estimate.interval)}; ${basis})`;
  return estimate.unsettled === null ? head : `${head}, not settled: ${estimate.unsettled}`;
}
