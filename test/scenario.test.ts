/**
 * The 2015 failure on demand, and real zeros beside it. Parameters are fixed before any run, in
 * src/reproducer.ts; only the stack and the deflate setting change between cases.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { KiB } from '../src/core/params';
import { readRecords } from '../src/core/records';
import { FAILURE_DEADLINE_MS, FAILING_SCENARIO } from '../src/run/presets';
import { zeroFailureBlockers } from '../src/run/failure-rule';
import { runScenario, type ScenarioSpec } from '../src/run/scenario';
import { assertNoHandlesLeft } from './support/handles';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-scenario-'));

test('2015 with deflate on fails with invalid compressed data within 10 s', async () => {
  const record = await runScenario(
    { ...FAILING_SCENARIO, stack: '2015', deflate: 'on', duration: FAILURE_DEADLINE_MS, stopOnFirstFailure: true },
    { record: dataDir },
  );
  const { result } = record;
  assert.equal(result.status, 'completed', result.runError);
  assert.ok(result.controls.deflateNegotiated, 'deflate must have been negotiated for the failure to mean anything');
  assert.ok(result.controls.continuationFrames > 0, 'fragments must have been on the wire');
  assert.ok(
    (result.underlyingErrors['invalid compressed data (1007)'] ?? 0) >= 1,
    `underlying errors: ${JSON.stringify(result.underlyingErrors)}`,
  );
  assert.ok(result.serverReasons['transport error'] >= 1);
  assert.ok(
    result.zlibErrors.some((e) => e.code === 'Z_DATA_ERROR'),
    `zlib errors: ${JSON.stringify(result.zlibErrors)}`,
  );
  assert.ok(
    result.firstFailureMs !== null && result.firstFailureMs <= FAILURE_DEADLINE_MS,
    `first failure at ${result.firstFailureMs} ms`,
  );
});

const controls: Array<[string, Pick<ScenarioSpec, 'stack' | 'deflate'>]> = [
  ['2015 with deflate off', { stack: '2015', deflate: 'off' }],
  ['2015 with only ws swapped to 0.8.1', { stack: '2015+ws0.8.1', deflate: 'on' }],
  ['2016-fixed (socket.io 1.4.0, ws 1.0.1)', { stack: '2016-fixed', deflate: 'on' }],
  ['today with deflate forced on', { stack: 'today', deflate: 'on' }],
];

for (const [name, variant] of controls) {
  test(`${name}: zero failures, with the positive controls holding`, async () => {
    const record = await runScenario({ ...FAILING_SCENARIO, ...variant }, { record: dataDir });
    const { result } = record;
    assert.deepEqual(
      zeroFailureBlockers(record),
      [],
      JSON.stringify({ controls: result.controls, reasons: result.serverReasons }),
    );
    assert.equal(result.failures, 0);
    assert.equal(result.corrupted, 0);
    assert.deepEqual(result.zlibErrors, []);
    assert.ok(result.sent > 0 && result.verified === result.sent, `verified ${result.verified} of ${result.sent}`);
    assert.ok(result.controls.fragmentedMessages > 0 && result.controls.continuationFrames > 0);
    // The controls must tell "off" from "on": an "off" run that negotiated deflate proves nothing.
    assert.equal(result.controls.deflateNegotiated, variant.deflate === 'on');
    assert.equal(result.controls.compressedMessages > 0, variant.deflate === 'on');
  });
}

test('every run above left a valid record', () => {
  const { records, skipped } = readRecords('scenario', dataDir);
  assert.deepEqual(skipped, []);
  assert.equal(records.length, 1 + controls.length);
});

test('running a scenario twice in one process leaks no handles', async () => {
  const quick: ScenarioSpec = {
    ...FAILING_SCENARIO,
    stack: 'today',
    deflate: 'on',
    frameSize: 16 * KiB,
    fragmentSize: 4 * KiB,
    burst: 1,
    duration: 500,
  };
  await runScenario(quick, { record: false });
  const afterFirst = await assertNoHandlesLeft({ message: 'after the first run' });
  await runScenario({ ...quick, placement: 'forked' }, { record: false });
  await runScenario(quick, { record: false });
  await assertNoHandlesLeft({ before: afterFirst, message: 'the forked and in-process runs after it' });
});
