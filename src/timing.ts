/**
 * The clock of every load loop: connect deadlines, the tick schedule, sleeps and the drain. Shared
 * by the scenario's clients (load.ts), the Chromium pages (clients/browser.ts) and the bare-ws
 * senders, so each of them paces and waits by the same rules.
 */
/** How long clients get to connect before the run fails. */
export const CONNECT_DEADLINE_MS = 15_000;
/** After the last send, acks are awaited until all are in or none has come for this long. */
export const DRAIN_STALL_MS = 3_000;

/**
 * Calls `tick(client)` every 1/rate s for each client, the clients a fraction of a period apart
 * (as independent pages would), until `duration` has passed or `stop` aborts; no timer outlives it.
 */
export async function tickFor<C>(
  clients: readonly C[],
  rate: number,
  duration: number,
  tick: (client: C) => void,
  stop?: AbortSignal,
): Promise<void> {
  const period = 1000 / rate;
  const timers: NodeJS.Timeout[] = [];
  try {
    for (const [i, client] of clients.entries()) {
      timers.push(
        setTimeout(
          () => {
            tick(client);
            timers.push(setInterval(() => tick(client), period));
          },
          (period * i) / clients.length,
        ),
      );
    }
    await sleep(duration, stop);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
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
