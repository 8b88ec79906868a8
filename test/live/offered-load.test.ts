/** The offered-load rule: a run that did not meet its load is saturated, and says where it fell short. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountTimeline, loadLabel, saturationReasons, type OfferedLoad } from '../../src/traffic/offered-load';
import { tickFor } from '../../src/core/timing';

/** A run that met its load: 240 frames scheduled, handed, read and acked. */
function met(overrides: Partial<OfferedLoad> = {}): OfferedLoad {
  return {
    nominal: 240,
    ticksMissed: 0,
    sent: 240,
    offline: 0,
    backlogFull: 0,
    handed: 240,
    serverRead: 240,
    acked: 240,
    atFirstFailure: null,
    ...overrides,
  };
}

test('a run that met its load at every step is not saturated', () => {
  assert.deepEqual(saturationReasons(met()), []);
  // 95% is enough at each step.
  assert.deepEqual(saturationReasons(met({ handed: 228, serverRead: 217 })), []);
});

test('a generator that missed ticks, hit a full backlog or handed under 95% is saturated, and says so', () => {
  assert.deepEqual(saturationReasons(met({ ticksMissed: 1 })), ['the generator missed 1 tick']);
  assert.deepEqual(saturationReasons(met({ backlogFull: 7 })), ["7 frames found the socket's send backlog full"]);
  assert.deepEqual(saturationReasons(met({ handed: 200, serverRead: 200 })), [
    'the generator handed 200 of 240 frames to the socket (83%, under 95%)',
  ]);
});

test('a run that sent nothing is saturated, never a zero', () => {
  const nothing = met({ sent: 0, handed: 0, serverRead: 0, acked: 0 });
  assert.match(saturationReasons(nothing)[0], /handed 0 of 240/);
});

test('a server that read under 95% of what was handed is saturated', () => {
  assert.deepEqual(saturationReasons(met({ serverRead: 24, acked: 24 })), [
    'the server read 24 of 240 frames handed (10%, under 95%)',
  ]);
});

test('where the client cannot tell what reached the socket, what it emitted stands in', () => {
  assert.deepEqual(saturationReasons(met({ handed: null })), []);
  assert.match(saturationReasons(met({ handed: null, sent: 100, serverRead: 100 }))[0], /handed 100 of 240/);
});

test('a failing run is not saturated merely because it failed', () => {
  // Offline after its disconnects, and the frames queued behind the broken one never read.
  const failing = met({ sent: 42, offline: 198, handed: 42, serverRead: 0, acked: 0, atFirstFailure: null });
  failing.atFirstFailure = { handed: 0, serverRead: 0 };
  assert.deepEqual(saturationReasons(failing), []);
  // But a server that had fallen behind well before the failure is.
  const behind = { ...failing, atFirstFailure: { handed: 120, serverRead: 30 } };
  assert.match(
    saturationReasons(behind)[0],
    /the server read 30 of 120 frames handed 1 s or more before the first failure/,
  );
});

test('a count timeline reads the last value at or before a time', () => {
  const timeline = new CountTimeline();
  assert.equal(timeline.at(5), 0);
  timeline.record(10, 1);
  timeline.record(20, 1);
  timeline.record(30, 5);
  assert.equal(timeline.at(9), 0);
  assert.equal(timeline.at(10), 1);
  assert.equal(timeline.at(29), 1);
  assert.equal(timeline.at(30), 5);
  assert.equal(timeline.at(1e12), 5);
});

test('the tick schedule counts ticks lost to a blocked event loop, and none when it is free', async () => {
  // Periods of 200 ms: long enough that a busy machine's scheduling delays do not lose a tick.
  const free = await tickFor(['a'], 5, 1000, () => {});
  assert.equal(free.missed, 0);
  assert.equal(free.ran, 5);
  let blocked = false;
  const busy = await tickFor(['a'], 5, 2000, () => {
    if (blocked) return;
    blocked = true;
    // One tick that holds the loop for 900 ms: the tick due at 200 ms runs late, and the three due
    // after it (400, 600, 800 ms) are lost, not made up.
    const until = performance.now() + 900;
    while (performance.now() < until);
  });
  assert.ok(busy.missed >= 3 && busy.missed <= 4, `missed ${busy.missed}`);
  assert.equal(busy.ran + busy.missed, 10, `ran ${busy.ran} + missed ${busy.missed}: the schedule's 10 ticks`);
});

test('the load label: met with its counts, saturated with why, or not counted', () => {
  assert.equal(loadLabel(met(), false), 'met: 240 due, 240 handed, 240 read');
  assert.equal(loadLabel(met({ handed: null }), false), 'met: 240 due, 240 emitted, 240 read');
  assert.equal(loadLabel(met({ ticksMissed: 2 }), false), 'saturated: the generator missed 2 ticks');
  const failed = met({
    offline: 200,
    sent: 40,
    handed: 40,
    serverRead: 0,
    atFirstFailure: { handed: 0, serverRead: 0 },
  });
  assert.equal(loadLabel(failed, true), 'met until the first failure: 240 due, 40 handed, 0 read');
  assert.equal(loadLabel(undefined, false), 'not counted');
});
