/**
 * The one check that a run left nothing open: no server, socket, child process or timer outlives
 * it. What counts is process.getActiveResourcesInfo() less the test runner's own stdio (TTYWrap,
 * PipeWrap). Closing is asynchronous (a child that has reported may take a moment to exit, a
 * socket to emit 'close'), so the check polls rather than sleeping once, and passes only when the
 * process has been clean for a quiet spell, so a handle opened just after the run ends is not missed.
 */
import assert from 'node:assert/strict';
import { countBy } from '../../src/core/stats';

/** How often the check looks. */
const POLL_MS = 50;
/** How long the process must stay clean: longer than any fixed sleep the copies this replaced used. */
const QUIET_MS = 200;
/** How long the check waits for the process to become clean before it fails. */
const WAIT_MS = 5_000;

/** What is open now, sorted, leaving out the test runner's own stdio. */
export function activeHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((h) => h !== 'TTYWrap' && h !== 'PipeWrap')
    .sort();
}

/** Options of assertNoHandlesLeft. */
export interface HandleCheck {
  /** Handles open before the run (from activeHandles()): only handles beyond these count as left. */
  before?: readonly string[];
  /**
   * How long to wait for the process to become clean, in ms (default 5000). 0 looks once, now:
   * for code that must not have started anything, so nothing may even be closing.
   */
  waitMs?: number;
  /** What the check is about, to start the failure message with. */
  message?: string;
}

/** The handles in `open` beyond those in `before`, counted as a multiset. */
function beyond(open: readonly string[], before: readonly string[]): string[] {
  const allowed = countBy(before, (h) => h);
  return open.filter((h) => {
    if (!allowed[h]) return true;
    allowed[h]--;
    return false;
  });
}

/** "ProcessWrap, TCPSocketWrap ×2" */
function describe(handles: readonly string[]): string {
  return Object.entries(countBy(handles, (h) => h))
    .map(([h, n]) => (n === 1 ? h : `${h} ×${n}`))
    .join(', ');
}

/**
 * Fails unless no handle beyond `before` is open: polls every 50 ms until the process has been
 * clean for 200 ms (or clean when the wait ends), waiting at most `waitMs` (5 s). The failure
 * names every handle still open, and the baseline if there was one. Returns what was open when
 * the check passed (only handles in `before`), to pass as `before` to a later check.
 */
export async function assertNoHandlesLeft(options: HandleCheck = {}): Promise<string[]> {
  const before = options.before ?? [];
  const waitMs = options.waitMs ?? WAIT_MS;
  const quietMs = Math.min(QUIET_MS, waitMs);
  const started = Date.now();
  let cleanSince: number | undefined;
  for (;;) {
    const now = Date.now();
    const open = activeHandles();
    const left = beyond(open, before);
    if (left.length > 0) cleanSince = undefined;
    else {
      cleanSince ??= now;
      if (now - cleanSince >= quietMs) return open;
    }
    if (now - started >= waitMs) {
      if (left.length === 0) return open;
      const baseline = before.length > 0 ? ` beyond the ${before.length} open before (${describe(before)})` : '';
      assert.fail(
        `${options.message ? `${options.message}: ` : ''}${left.length} handle(s) still open${baseline} ` +
          `after ${now - started} ms: ${describe(left)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
