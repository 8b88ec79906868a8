/** Knees judged by time: a made-up server that falls behind (every frame acked, later and later) has the lower knee. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findKnee, judgeStep, KNEE_SEARCH } from '../../src/capacity/knee';
import type { OfferedLoad } from '../../src/traffic/offered-load';
import { fallingBehindRun } from '../support/made-up';

test('a knee search over a made-up server that falls behind finds the lower knee', async () => {
  for (const capacity of [20, 55, 130]) {
    const { outcome, steps } = await findKnee(async (offered) =>
      judgeStep(fallingBehindRun(offered, capacity), offered),
    );
    assert.equal(outcome.kind, 'knee', `capacity ${capacity}`);
    if (outcome.kind !== 'knee') continue;
    // Met at or under the server's capacity, within the bisection's tolerance of it.
    assert.ok(outcome.kneeMiBps <= capacity, `knee ${outcome.kneeMiBps} over capacity ${capacity}`);
    assert.ok(
      outcome.kneeMiBps >= capacity / (1 + KNEE_SEARCH.tolerance) ** 2,
      `knee ${outcome.kneeMiBps} for ${capacity}`,
    );
    // Every unmet step delivered every frame: counted in frames, it would have been met.
    const unmet = steps.filter((s) => !s.met);
    assert.ok(unmet.length > 0);
    for (const step of unmet) {
      const load = step.run?.result.offered as OfferedLoad;
      assert.equal(load.acked, load.nominal);
      assert.ok(step.offeredMiBps > capacity);
    }
  }
});

test('a step the server keeps pace with is met, and delivers what was offered by time', () => {
  const step = judgeStep(fallingBehindRun(40, 100), 40);
  assert.equal(step.met, true, step.reasons.join('; '));
  assert.ok(Math.abs(step.deliveredMiBps - 40) < 0.5, String(step.deliveredMiBps));
  assert.ok(step.cpu && Math.abs(step.cpu.msPerMiB! - 10) < 0.01, JSON.stringify(step.cpu));
  const behind = judgeStep(fallingBehindRun(40, 30), 40);
  assert.equal(behind.met, false);
  assert.equal(behind.generatorShort, false);
  assert.ok(behind.deliveredMiBps < 0.95 * 40, String(behind.deliveredMiBps));
});
