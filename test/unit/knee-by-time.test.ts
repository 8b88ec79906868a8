/** Knees judged by time: a made-up server that falls behind (every frame acked, later and later) has the lower knee. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findKnee, judgeStep, KNEE_SEARCH } from '../../src/capacity/knee';
import { MiB } from '../../src/core/params';
import { deliveryTiming, type AckTime } from '../../src/traffic/delivery-timing';
import type { OfferedLoad } from '../../src/traffic/offered-load';
import type { ScenarioRecord } from '../../src/traffic/scenario';

const FRAME = 1 * MiB;
const WINDOW_MS = 4000;
const BASE_RTT_MS = 5;

/**
 * One step against a made-up server that takes `capacity` MiB/s: frames offered evenly at
 * `offered` MiB/s for 4 s, queued and served one after another, every one of them acked in the end.
 */
function stepRecord(offered: number, capacity: number): ScenarioRecord {
  const frames = Math.round((offered * WINDOW_MS) / 1000);
  const serviceMs = (1000 * FRAME) / MiB / capacity;
  const acks: AckTime[] = [];
  let free = 0;
  for (let i = 0; i < frames; i++) {
    const sent = (i * WINDOW_MS) / frames;
    free = Math.max(free, sent) + serviceMs;
    acks.push({ sentAt: sent, ackedAt: free + BASE_RTT_MS });
  }
  const load: OfferedLoad = {
    nominal: frames,
    ticksMissed: 0,
    sent: frames,
    offline: 0,
    backlogFull: 0,
    handed: frames,
    serverRead: frames,
    acked: frames,
    atFirstFailure: null,
    timing: deliveryTiming(acks, 0, WINDOW_MS),
  };
  return {
    spec: { frameSize: FRAME, duration: WINDOW_MS },
    result: {
      status: 'completed',
      failures: 0,
      underlyingErrors: {},
      sendWindow: { start: 0, end: WINDOW_MS, drainEnd: acks[acks.length - 1].ackedAt },
      offered: load,
      wireRatio: 1,
    },
  } as unknown as ScenarioRecord;
}

test('a knee search over a made-up server that falls behind finds the lower knee', async () => {
  for (const capacity of [20, 55, 130]) {
    const { outcome, steps } = await findKnee(async (offered) => judgeStep(stepRecord(offered, capacity), offered));
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
  const step = judgeStep(stepRecord(40, 100), 40);
  assert.equal(step.met, true, step.reasons.join('; '));
  assert.ok(Math.abs(step.deliveredMiBps - 40) < 0.5, String(step.deliveredMiBps));
  const behind = judgeStep(stepRecord(40, 30), 40);
  assert.equal(behind.met, false);
  assert.equal(behind.generatorShort, false);
  assert.ok(behind.deliveredMiBps < 0.95 * 40, String(behind.deliveredMiBps));
});
