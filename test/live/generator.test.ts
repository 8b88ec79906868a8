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

test('2015 with deflate on fails with invalid compressed data, context kept', async () => {
  const { result } = await runScenario(
    {
      ...FAILING_SCENARIO,
      stack: '2015',
      deflate: 'on',
      context: 'kept',
      duration: FAILURE_DEADLINE_MS,
      stopOnFirstFailure: true,
    },
    { record: false },
  );
  assert.equal(result.status, 'completed', result.runError);
  assert.ok(result.controls.deflateNegotiated, 'deflate negotiated');
  assert.ok(result.controls.compressedMessages > 0 && result.controls.continuationFrames > 0, 'compressed fragments');
  assert.ok(
    (result.underlyingErrors['invalid compressed data (1007)'] ?? 0) >= 1,
    `underlying errors: ${JSON.stringify(result.underlyingErrors)}`,
  );
  assert.ok(result.offered && result.offered.handed !== null && result.offered.handed > 0, 'frames were handed');
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
