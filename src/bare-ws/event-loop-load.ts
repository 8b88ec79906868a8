/**
 * CPU load added in the server's own process: a timer that keeps the event loop busy for a set
 * fraction of every period, the way a server doing other synchronous work would. While it spins,
 * the process reads no socket and runs no zlib callback, so incoming frames pile up in the kernel
 * and are parsed in one go afterwards.
 */

/** How often the spin starts: short enough that the load looks steady next to 200 ms message ticks. */
export const BUSY_PERIOD_MS = 50;
/** The largest fraction accepted: the loop must keep some time for the server itself. */
export const MAX_BUSY_FRACTION = 0.9;

/** What the load really took, measured (timers drift when the loop is late). */
export interface BusyReport {
  target: number;
  busyMs: number;
  wallMs: number;
  /** busyMs / wallMs. */
  measured: number;
}

/** A running load; stop() ends it and reports what it took. */
export interface BusyLoop {
  stop(): BusyReport;
}

/** Starts spinning `fraction` (0..MAX_BUSY_FRACTION) of every BUSY_PERIOD_MS; 0 starts nothing. */
export function occupyEventLoop(fraction: number): BusyLoop {
  if (!(fraction >= 0 && fraction <= MAX_BUSY_FRACTION)) {
    throw new Error(
      `server load ${fraction} is out of range: use a fraction from 0 to ${MAX_BUSY_FRACTION} (e.g. 0.5 for half the event loop)`,
    );
  }
  const started = performance.now();
  let busyMs = 0;
  const spinMs = fraction * BUSY_PERIOD_MS;
  const timer =
    fraction > 0
      ? setInterval(() => {
          const from = performance.now();
          const until = from + spinMs;
          // A busy wait on purpose: this is the load.
          while (performance.now() < until);
          busyMs += performance.now() - from;
        }, BUSY_PERIOD_MS)
      : undefined;
  let report: BusyReport | undefined;
  return {
    stop() {
      if (report) return report;
      clearInterval(timer);
      const wallMs = performance.now() - started;
      report = { target: fraction, busyMs, wallMs, measured: wallMs > 0 ? busyMs / wallMs : 0 };
      return report;
    },
  };
}
