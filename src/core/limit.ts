/**
 * The one timeout race: work against a timer, the timer cleared whichever wins, so no wait
 * outlives what it bounds. The work itself is not cancelled: the caller tears it down.
 */
import { NamedError } from './errors';

/** Thrown by withLimit when the work outlives its limit. */
export class LimitError extends NamedError {}

const AT_LIMIT = Symbol('at limit');

function race<T>(work: Promise<T>, limitMs: number): Promise<T | typeof AT_LIMIT> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<typeof AT_LIMIT>((resolve) => {
    timer = setTimeout(() => resolve(AT_LIMIT), limitMs);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/**
 * Settles as `work` does, or rejects with a LimitError once `limitMs` has passed. `what` names the
 * work (`<what> did not finish within <limitMs> ms`), or words the whole message.
 */
export async function withLimit<T>(
  work: Promise<T>,
  limitMs: number,
  what: string | ((limitMs: number) => string),
): Promise<T> {
  const result = await race(work, limitMs);
  if (result !== AT_LIMIT) return result;
  throw new LimitError(typeof what === 'string' ? `${what} did not finish within ${limitMs} ms` : what(limitMs));
}

/** Like withLimit, but resolves undefined at the limit: for waits where running out of time is an outcome, not an error. */
export async function withinLimit<T>(work: Promise<T>, limitMs: number): Promise<T | undefined> {
  const result = await race(work, limitMs);
  return result === AT_LIMIT ? undefined : result;
}
