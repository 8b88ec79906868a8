/**
 * The 2015 failure on demand, and real zeros beside it. Parameters are fixed before any run, in
 * src/traffic/presets.ts; only the stack and the deflate setting change between cases.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { KiB } from '../../src/core/params';
import { readRecords } from '../../src/core/records';
import { FAILURE_DEADLINE_MS, FAILING_SCENARIO } from '../../src/traffic/presets';
import { zeroFailureBlockers } from '../../src/traffic/failure-rule';
import { runScenario, type ScenarioSpec } from '../../src/traffic/scenario';
import { untilFailureSpec } from '../../src/chapters/until-failure';
import { debugFindings, debugJudgement } from '../../src/chapters/02-debug';
import { findingSentences } from '../../src/chapters/findings';
import { assertNoHandlesLeft } from '../support/handles';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-scenario-'));

/** Sending goes on this long after the first failure, where a run is sent until it. */
const TAIL_MS = 500;

test('2015 with deflate on fails with invalid compressed data within 10 s, and sends for the tail after it', async () => {
  const record = await runScenario(
    {
      ...FAILING_SCENARIO,
      stack: '2015',
      deflate: 'on',
      ...untilFailureSpec({ deadlineMs: FAILURE_DEADLINE_MS, tailMs: TAIL_MS }),
    },
    { record: dataDir },
  );
  const { result } = record;
  assert.equal(result.status, 'completed', result.runError);
  // The window ends a tail after the first failure (and a tick at most later), long before the deadline.
  assert.ok(result.firstFailureMs !== null);
  assert.ok(
    result.loadMs >= result.firstFailureMs + TAIL_MS - 20 && result.loadMs <= result.firstFailureMs + TAIL_MS + 1000,
    `sent for ${result.loadMs} ms, first failure at ${result.firstFailureMs} ms`,
  );
  assert.ok(result.controls.deflateNegotiated, 'deflate must have been negotiated for the failure to mean anything');
  assert.ok(result.controls.continuationFrames > 0, 'fragments must have been on the wire');
  // Messages compressed alone (the default context); test/live/generator.test.ts runs the kept one.
  assert.ok(result.controls.compressedMessages > 0, 'compressed messages must have been on the wire');
  assert.ok(result.offered && result.offered.handed !== null && result.offered.handed > 0, 'frames were handed');
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

test('a stack that does not fail, sent until the failure, ends at its deadline; chapter 2 says "not shown in this run"', async () => {
  const deadlineMs = 1500;
  const record = await runScenario(
    {
      ...FAILING_SCENARIO,
      stack: '2015+ws0.8.1',
      deflate: 'on',
      ...untilFailureSpec({ deadlineMs: deadlineMs, tailMs: TAIL_MS }),
    },
    { record: dataDir },
  );
  const { result } = record;
  assert.deepEqual(zeroFailureBlockers(record), [], JSON.stringify({ controls: result.controls }));
  assert.ok(result.loadMs >= deadlineMs - 20 && result.loadMs <= deadlineMs + 1000, `sent for ${result.loadMs} ms`);
  // Its DEBUG trail (no line in it) is worded as a deadline that passed, and judged not settled.
  const trail = { record: record, lines: [], dropped: 0, copies: [] };
  assert.match(
    debugFindings(trail).join(' '),
    /2015\+ws0\.8\.1 did not fail within 1\.5 s in this run; the trail below has no failure in it\./,
  );
  const judged = debugJudgement(trail);
  assert.equal(judged.verdict, 'not settled');
  assert.match(judged.basis, /^not shown in this run: /);
  assert.match(
    findingSentences({
      kind: 'debug',
      lines: 0,
      transportErrors: 0,
      namingUnderlying: 0,
      failures: result.failures,
      deadlineSeconds: deadlineMs / 1000,
    })[0],
    /was not shown in this run: 2015 did not fail within 1\.5 s/,
  );
});

test('every run above left a valid record', () => {
  const { records, skipped } = readRecords('scenario', dataDir);
  assert.deepEqual(skipped, []);
  assert.equal(records.length, 2 + controls.length);
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
