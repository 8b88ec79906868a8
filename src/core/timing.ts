/**
 * The clock of every load loop: connect deadlines, the tick schedule, sleeps and the drain. Shared
 * by the scenario's clients (load.ts), the Chromium pages (traffic/browser-load.ts) and the bare-ws
 * senders, so each of them paces and waits by the same rules.
 */
/** How long clients get to connect before the run fails. */
export const CONNECT_DEADLINE_MS = 15_000;
/** After the last send, acks are awaited until all are in or none has come for this long. */
export const DRAIN_STALL_MS = 3_000;

/** What a tick schedule did: ticks that ran, and ticks lost because the event loop was busy past them. */
export interface TickCounts {
  ran: number;
  missed: number;
}

/**
 * Calls `tick(client)` every 1/rate s for each client, the clients a fraction of a period apart
 * (as independent pages would), until `duration` has passed or `stop` aborts; no timer outlives it.
 * Each tick is due at a fixed time from the start (no drift however late a callback runs). A tick
 * that runs a whole period or more late has overrun the ticks due meanwhile: those are counted as
 * missed, not made up, so a generator too busy to keep its schedule shows it rather than hiding it
 * in a shorter run.
 */
export async function tickFor<C>(
  clients: readonly C[],
  rate: number,
  duration: number,
  tick: (client: C) => void,
  stop?: AbortSignal,
): Promise<TickCounts> {
  const period = 1000 / rate;
  const start = performance.now();
  const timers = new Set<NodeJS.Timeout>();
  const counts: TickCounts = { ran: 0, missed: 0 };
  const schedule = (client: C, due: number) => {
    if (due >= duration) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        // Timers may fire a fraction of a millisecond early: only a whole period late loses ticks.
        const lost = Math.max(0, Math.floor((performance.now() - start - due) / period));
        counts.missed += lost;
        counts.ran++;
        tick(client);
        schedule(client, due + (lost + 1) * period);
      },
      Math.max(0, due - (performance.now() - start)),
    );
    timers.add(timer);
  };
  try {
    for (const [i, client] of clients.entries()) schedule(client, (period * i) / clients.length);
    await sleep(duration, stop);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  return counts;
}

/** Resolves after `ms`, or at once when `stop` aborts. */
export function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Waits while acks keep arriving: a slow server still catching up is not a lost message. */
export async function drain(acked: () => number, sent: () => number): Promise<void> {
  let last = acked();
  let lastProgress = Date.now();
  while (acked() < sent() && Date.now() - lastProgress < DRAIN_STALL_MS) {
    await sleep(20);
    if (acked() !== last) {
      last = acked();
      lastProgress = Date.now();
    }
  }
}

/** Polls until every client is connected; throws `failure()` at the connect deadline. */
export async function connected(done: () => boolean, failure: () => string): Promise<void> {
  const until = Date.now() + CONNECT_DEADLINE_MS;
  while (!done()) {
    if (Date.now() >= until) throw new Error(failure());
    await sleep(20);
  }
}
