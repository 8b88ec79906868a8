/** The time rule: a run that delivers every frame, but late, or with a growing round trip, is saturated. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryTiming, type AckTime } from '../../src/traffic/delivery-timing';
import { judgeByTime, lateReasons, saturationReasons, type OfferedLoad } from '../../src/traffic/offered-load';

const START = 1_000_000;
const WINDOW_MS = 4000;

/** 4 s of 50 frames a second, each acked `rtt(sentMs)` after it was sent: every frame delivered, by count. */
function run(rtt: (sentMs: number) => number): OfferedLoad {
  const acks: AckTime[] = [];
  for (let sent = 0; sent < WINDOW_MS; sent += 20)
    acks.push({ sentAt: START + sent, ackedAt: START + sent + rtt(sent) });
  return {
    nominal: acks.length,
    ticksMissed: 0,
    sent: acks.length,
    offline: 0,
    backlogFull: 0,
    handed: acks.length,
    serverRead: acks.length,
    acked: acks.length,
    atFirstFailure: null,
    timing: deliveryTiming(acks, START, WINDOW_MS),
  };
}

test('a run that keeps pace meets its load by time', () => {
  const kept = run(() => 30);
  assert.deepEqual(saturationReasons(kept), []);
  const judged = judgeByTime(kept);
  assert.equal(judged?.onTime, 200);
  assert.equal(judged?.drainBoundMs, 60);
  assert.equal(judged?.drainMs, 10);
  assert.ok(judged!.fraction > 0.99);
  assert.equal(judged?.rttGrew, false);
});

test('a run that delivers every frame, but 2 s late, is saturated', () => {
  const late = run(() => 2000);
  // The round trip is steady (2 s throughout): every frame arrives, and the drain stretches the 4 s to 6.
  const reasons = lateReasons(late);
  assert.equal(reasons.length, 1);
  assert.match(
    reasons[0],
    /^delivered 67% of the offered rate by time, under 95%: 200 of 200 frames acked over the send window and 1980 ms of drain/,
  );
  // A server that falls 2 s behind after a quick start: its late frames are past the drain bound.
  const behind = run((sent) => (sent < 1000 ? 30 : 2000));
  assert.ok(
    saturationReasons(behind).some((r) =>
      /of 200 frames acked over the send window and \d+ ms of drain \(bound 60 ms/.test(r),
    ),
  );
  assert.ok(judgeByTime(behind)!.fraction < 0.95);
});

test('a run whose ack round trip grows across the window is saturated', () => {
  // Falling behind by 5% of the elapsed time: by 200 ms at the end, every frame still acked in the drain.
  const growing = run((sent) => 20 + 0.05 * sent);
  const reasons = lateReasons(growing);
  assert.ok(
    reasons.some((r) =>
      /^the ack round trip grew from \d+(\.\d)? ms \(the first quarter's median\) to \d+(\.\d)? ms/.test(r),
    ),
  );
  assert.ok(saturationReasons(growing).length > 0);
});

test('small blips in the round trip are no growth', () => {
  // 30 ms throughout, with a 40 ms rise in the last quarter: under the 50 ms floor.
  assert.equal(judgeByTime(run((sent) => (sent >= 3000 ? 70 : 30)))?.rttGrew, false);
});

test('a failing run is judged by time up to its span, and a run without timing is not judged by time', () => {
  const failing = run(() => 30);
  failing.atFirstFailure = { handed: 100, serverRead: 100 };
  failing.timing = deliveryTiming([{ sentAt: START, ackedAt: START + 30 }], START, 2000);
  assert.match(lateReasons(failing)[0], /: 1 of 100 frames acked/);
  const untimed = run(() => 30);
  delete untimed.timing;
  assert.equal(judgeByTime(untimed), null);
  assert.deepEqual(lateReasons(untimed), []);
});
