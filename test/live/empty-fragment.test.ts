/**
 * Chapter 9, row 6, live: the full run (Chromium and Firefox ESR, every framing 3 times) against
 * the empty-fragment server on 127.0.0.1. Whatever each browser does with the case, its controls
 * must hold (deflate negotiated, the controls delivered, the forbidden framing refused), every
 * framing must get one consistent outcome, the finding must be worded, the run must stay within
 * the row's 45 s, and no browser, server or socket may be left open.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BROWSERS,
  FRAMINGS,
  framingVerdicts,
  measureEmptyFragment,
  emptyFragmentParams,
  REFUSAL_CONTROL,
} from '../../src/history/empty-fragment';
import { controlBlockers, describeEmptyFragment } from '../../src/chapters/09-history/empty-fragment';
import { activeHandles, assertNoHandlesLeft } from '../support/handles';

/** The row's budget in a full run. */
const FULL_BUDGET_MS = 45_000;

test('both browsers run every framing with their controls holding, and everything is closed', async () => {
  const before = activeHandles();
  const started = Date.now();
  const result = await measureEmptyFragment(emptyFragmentParams(false));
  const tookMs = Date.now() - started;
  assert.ok(tookMs < FULL_BUDGET_MS, `took ${tookMs} ms`);
  await assertNoHandlesLeft({ before, message: 'after the run' });

  assert.deepEqual(
    result.runs.map((r) => r.browser),
    [...BROWSERS],
  );
  for (const run of result.runs) {
    assert.equal(run.unavailable, null, `${run.browser} could not be driven: ${run.unavailable}`);
    assert.match(run.version ?? '', /^\d+\.\d+/, `${run.browser}'s version`);
    assert.equal(run.connections.length, FRAMINGS.length * result.params.repeats);
    for (const c of run.connections) {
      assert.ok(c.server, `${run.browser} ${c.framing} #${c.repeat}: the server saw the connection`);
      assert.match(c.server.offer, /permessage-deflate/);
      assert.ok(c.server.accepted && c.server.bytesWritten > 0, JSON.stringify(c.server));
    }
    const verdicts = framingVerdicts(run, result.messages);
    assert.deepEqual(controlBlockers(result, verdicts), [], `${run.browser}'s controls`);
    for (const v of verdicts)
      assert.notEqual(v.outcome, 'mixed', `${run.browser} ${v.framing}: ${JSON.stringify(v.counts)}`);
    const refusal = verdicts.find((v) => v.framing === REFUSAL_CONTROL);
    assert.deepEqual(refusal?.pageCloseCodes, ['1006'], 'a browser that fails the connection reports 1006 to the page');
  }
  const text = describeEmptyFragment(result);
  assert.match(text, /Chromium \d+[.\d]* (accepted|, given)/);
  assert.match(text, /Firefox ESR \d+[.\d]* (accepted|, given)/);
  assert.match(text, /A server (may end|that ends)/);
});
