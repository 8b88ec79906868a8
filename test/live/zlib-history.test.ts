/**
 * Chapter 9's zlib row, live: the plan read from the installed sources (ws 3.1.0 has no
 * concurrencyLimit, 3.2.0 has), one small burst per allocator on both releases, each passing every
 * control of the judge (deflate on every connection, every message delivered unchanged and
 * compressed, the limit as ws built it, the allocator mapped into the server's process), the quick
 * spot check, bad input refused before anything starts, and nothing left running. No memory figure
 * is compared with a threshold: memory varies by machine, the structure of the evidence does not.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  ALLOCATORS,
  judgeZlibResult,
  measureZlibCell,
  readConcurrencyOption,
  zlibPlan,
  ZLIB_LOAD,
  type ZlibCell,
} from '../../src/history/zlib';
import { runZlibSpotCheck } from '../../src/chapters/09-history/zlib';
import { DATA_DIR_ENV } from '../../src/core/paths';
import { readRecords } from '../../src/core/records';
import { assertNoHandlesLeft } from '../support/handles';

/** Small enough for a second a cell; more connections than ws's default limit, so the limit binds. */
const SMALL = { ...ZLIB_LOAD, connections: 20, messagesPerConnection: 3, settleMs: 100 };

test('the plan comes from the sources: ws 3.1.0 has no concurrencyLimit, ws 3.2.0 has, twelve cells', () => {
  assert.equal(readConcurrencyOption('3.1.0').line, null);
  assert.match(readConcurrencyOption('3.2.0').line ?? '', /concurrencyLimit/);
  const plan = zlibPlan();
  assert.deepEqual(
    [...new Set(plan.map((c) => `${c.ws}/${c.limit}`))],
    ['3.1.0/no-option', '3.2.0/1', '3.2.0/10', '3.2.0/unlimited'],
  );
  assert.equal(plan.length, 12);
});

test('one small burst per allocator on both releases: every control holds, nothing left running', async () => {
  for (const allocator of ALLOCATORS) {
    for (const [ws, limit] of [
      ['3.1.0', 'no-option'],
      ['3.2.0', 10],
    ] as const) {
      const result = await measureZlibCell({ ws: ws, limit: limit, allocator: allocator, load: SMALL });
      const judged = judgeZlibResult(result);
      assert.deepEqual(judged.problems, [], `${ws} ${limit} ${allocator}`);
      assert.equal(result.versions.ws, ws);
      assert.equal(result.controls.limit.peakInFlight, limit === 10 ? 10 : SMALL.connections);
      for (const value of Object.values(judged.figures)) assert.ok(Number.isFinite(value));
      // Through JSON and back, unchanged: what a recorder stores is what the judge reads.
      assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
    }
  }
  await assertNoHandlesLeft();
});

test('the quick spot check measures the release pair and records its step', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-zlib-'));
  const saved = process.env[DATA_DIR_ENV];
  process.env[DATA_DIR_ENV] = dataDir;
  try {
    const spot = await runZlibSpotCheck({ quick: true });
    assert.deepEqual(
      spot.results.map((r) => `${r.cell.ws}/${r.cell.limit}/${r.cell.allocator}`),
      ['3.1.0/no-option/glibc', '3.2.0/10/glibc'],
    );
    for (const result of spot.results) assert.deepEqual(judgeZlibResult(result).problems, []);
    assert.deepEqual(
      spot.sources.map((s) => [s.ws, s.line === null]),
      [
        ['3.1.0', true],
        ['3.2.0', false],
      ],
    );
    const { records } = readRecords('replay', dataDir);
    assert.equal(records.length, 1);
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
  }
  await assertNoHandlesLeft();
});

test('bad input is refused in one line that says what to use, before any process starts', async () => {
  const bad: [ZlibCell, RegExp][] = [
    [{ ws: '3.1.0', limit: 10, allocator: 'glibc', load: SMALL }, /has no concurrencyLimit option, use "no-option"/],
    [{ ws: '3.2.0', limit: 'no-option', allocator: 'glibc', load: SMALL }, /reads concurrencyLimit, use one of/],
    [{ ws: '3.2.0', limit: 10, allocator: 'tcmalloc' as never, load: SMALL }, /allocator "tcmalloc": use one of/],
    [{ ws: '3.2.0', limit: 10, allocator: 'glibc', load: { ...SMALL, connections: 0 } }, /connections 0: use a whole/],
    [{ ws: '3.2.0', limit: 0, allocator: 'glibc', load: SMALL }, /limit 0: use a whole number of at least 1/],
  ];
  for (const [cell, expected] of bad) {
    await assert.rejects(
      measureZlibCell(cell),
      (error: Error) => expected.test(error.message) && !error.message.includes('\n'),
    );
  }
  await assertNoHandlesLeft({ waitMs: 0 });
});
