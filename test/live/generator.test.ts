/**
 * The load generator on real stacks: the 2015 failure happens when the client keeps its deflate
 * context (as Chromium does), as it does when it compresses every message alone from prepared bytes
 * (the default, whose failing run is test/live/scenario.test.ts's first), and a stack that does not
 * fail receives the whole offered load, counted at every step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KiB } from '../../src/core/params';
import { FAILURE_DEADLINE_MS, FAILING_SCENARIO } from '../../src/traffic/presets';
import { runScenario } from '../../src/traffic/scenario';

// Keeping the context, 2015 fails later and less evenly than when each message is compressed alone
// (the bench's first failures, at about 50 ms). In 40 runs on this 2-core machine (load 0.5–2.6), 28
// failed within 10 s; of the other 12, 8 failed between 10 and 35 s, 3 sent 60 s without failing and
// 1 was stopped at 10 s. So one run misses about 3 times in 10, and the test runs until the failure
// happens: fresh runs (new connections, the next seed), each to the failure deadline, until one
// fails, at most ATTEMPTS of them. Eight misses in a row is under 1 in 10,000 at that rate (under 1
// in 500 at its 95% upper bound, 0.45).
const ATTEMPTS = 8;
const INVALID_COMPRESSED = 'invalid compressed data (1007)';

test('2015 with deflate on fails with invalid compressed data, context kept', async (t) => {
  const misses: number[] = [];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const { result } = await runScenario(
      {
        ...FAILING_SCENARIO,
        stack: '2015',
        deflate: 'on',
        context: 'kept',
        seed: FAILING_SCENARIO.seed + attempt,
        duration: FAILURE_DEADLINE_MS,
        stopOnFirstFailure: true,
      },
      { record: false },
    );
    // Every run, failing or not, must have sent compressed fragments: a miss counts only beside them.
    assert.equal(result.status, 'completed', result.runError);
    assert.ok(result.controls.deflateNegotiated, 'deflate negotiated');
    assert.ok(result.controls.compressedMessages > 0 && result.controls.continuationFrames > 0, 'compressed fragments');
    assert.ok(result.offered && result.offered.handed !== null && result.offered.handed > 0, 'frames were handed');
    if ((result.underlyingErrors[INVALID_COMPRESSED] ?? 0) >= 1) {
      t.diagnostic(
        `failed on run ${attempt + 1}${misses.length > 0 ? `; the runs before it sent ${misses.join(', ')} frames without failing` : ''}`,
      );
      return;
    }
    assert.deepEqual(
      result.underlyingErrors,
      {},
      'a run that did not fail with invalid compressed data did not fail otherwise',
    );
    misses.push(result.offered.handed);
  }
  assert.fail(
    `no invalid compressed data in ${ATTEMPTS} runs of ${FAILURE_DEADLINE_MS / 1000} s (frames handed: ${misses.join(', ')})`,
  );
});

test('today with deflate forced on receives the whole offered load, prepared and compressed alone', async () => {
  const { result } = await runScenario(
    // A quarter of the reproducer's frame: a load a busy test machine still meets.
    { ...FAILING_SCENARIO, stack: 'today', deflate: 'on', placement: 'forked', duration: 3000, frameSize: 256 * KiB },
    { record: false },
  );
  assert.equal(result.status, 'completed', result.runError);
  const offered = result.offered;
  assert.ok(offered);
  assert.ok(result.controls.deflateNegotiated && result.controls.continuationFrames > 0, 'compressed fragments');
  assert.equal(result.failures, 0);
  // 2 clients × burst 3 × 5/s × 3 s.
  assert.equal(offered.nominal, 90);
  assert.deepEqual(result.saturation, [], `met its load: ${JSON.stringify(offered)}`);
  assert.equal(offered.handed, offered.nominal);
  assert.equal(offered.serverRead, offered.handed);
  assert.equal(result.verified, offered.serverRead, 'every frame inflated intact');
});
