/**
 * The sweep engine: grid expansion, the resume key (every parameter, the repeat, the package
 * versions; never the commit), which runs a resumed sweep skips, and real sweeps in a temp dir:
 * records written, a second invocation skipping them, a run over its hard limit recorded as
 * failed while the sweep goes on.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { KiB } from '../src/params';
import { readRecords } from '../src/records';
import {
  canonicalJson,
  expandGrid,
  FULL_GRID,
  HOUR_GRID,
  resumeKey,
  runsToDo,
  type SweepCell,
  type SweepGrid,
} from '../src/sweep/grid';
import { planSweep, runSweep, SESSION_KIND, SWEEP_KIND, type SweepRecord } from '../src/sweep/run';

const VERSIONS = {
  '2015/ws': '0.8.0',
  '2015/socket.io': '1.3.7',
  'today/socket.io': '4.8.4',
  'today/ws': '8.18.3',
  '2016-fixed/ws': '1.0.1',
};

const CELL: SweepCell = {
  stack: '2015',
  deflate: 'on',
  payload: 'data-url',
  frameSize: 64 * KiB,
  rate: 10,
  burst: 3,
  client: 'fragmenting',
  placement: 'forked',
  clients: 4,
  duration: 10_000,
  fragmentSize: 100 * KiB,
  seed: 1,
  maxHttpBufferSize: 1 << 27,
};

test("the full grid is the issue's 1296 runs; the hour grid 150, each run once", () => {
  assert.equal(expandGrid(FULL_GRID, VERSIONS).length, 6 * 2 * 2 * 2 * 3 * 3 * 3);
  const hour = expandGrid(HOUR_GRID, VERSIONS);
  // 108 headline + 18 heat-map cells not in the headline + 24 payload runs
  assert.equal(hour.length, 150);
  assert.equal(new Set(hour.map((r) => r.key)).size, hour.length, 'resume keys are unique');
});

test('a cell in two blocks runs once per repeat, with the larger repeat count', () => {
  const grid: SweepGrid = {
    ...HOUR_GRID,
    blocks: [
      {
        purpose: 'a',
        stacks: ['2015'],
        deflate: ['on'],
        payloads: ['json'],
        frameSizes: [KiB],
        rates: [2],
        bursts: [1],
        repeats: 1,
      },
      {
        purpose: 'b',
        stacks: ['2015'],
        deflate: ['on'],
        payloads: ['json'],
        frameSizes: [KiB],
        rates: [2, 10],
        bursts: [1],
        repeats: 3,
      },
    ],
  };
  const runs = expandGrid(grid, VERSIONS);
  assert.equal(runs.length, 6);
  assert.deepEqual(
    runs.map((r) => `${r.cell.rate}#${r.repeat}`),
    ['2#0', '10#0', '2#1', '10#1', '2#2', '10#2'],
    'repeat by repeat',
  );
});

test('deflate on and off of a cell run back to back', () => {
  const runs = expandGrid(HOUR_GRID, VERSIONS);
  const i = runs.findIndex((r) => r.cell.stack === 'today' && r.cell.deflate === 'on');
  assert.equal(runs[i + 1].cell.deflate, 'off');
  assert.equal(canonicalJson({ ...runs[i + 1].cell, deflate: 'on' }), canonicalJson(runs[i].cell));
});

test('the resume key: any parameter, the repeat or a version changes it; key order and the commit do not', () => {
  const key = resumeKey(CELL, 0, VERSIONS);
  assert.match(key, /^[0-9a-f]{20}$/);
  const reordered = Object.fromEntries(Object.entries(CELL).reverse()) as SweepCell;
  assert.equal(resumeKey(reordered, 0, { ...VERSIONS }), key, 'same values in another order');
  assert.notEqual(resumeKey(CELL, 1, VERSIONS), key);
  assert.notEqual(resumeKey(CELL, 0, { ...VERSIONS, '2015/ws': '0.8.1' }), key);
  for (const [name, value] of Object.entries({
    frameSize: 65 * KiB,
    rate: 2,
    burst: 1,
    deflate: 'off',
    stack: 'today',
    payload: 'json',
    duration: 15_000,
    clients: 3,
    fragmentSize: 50 * KiB,
    seed: 2,
    maxHttpBufferSize: 1e6,
    placement: 'in-process',
  })) {
    assert.notEqual(resumeKey({ ...CELL, [name]: value }, 0, VERSIONS), key, name);
  }
  // The key takes no commit: the same run planned from two checkouts is the same run.
  assert.equal(resumeKey.length, 3);
});

test('resuming: recorded runs are skipped; --fresh redoes all; --retry-failed redoes only the failed', () => {
  const runs = expandGrid({ ...HOUR_GRID, blocks: [HOUR_GRID.blocks[2]] }, VERSIONS);
  const recorded = new Map<string, 'completed' | 'failed'>([
    [runs[0].key, 'completed'],
    [runs[1].key, 'failed'],
  ]);
  const plain = runsToDo(runs, recorded);
  assert.deepEqual(
    plain.skipped.map((r) => r.key),
    [runs[0].key, runs[1].key],
  );
  assert.equal(plain.todo.length, runs.length - 2);
  assert.equal(runsToDo(runs, recorded, { fresh: true }).todo.length, runs.length);
  assert.deepEqual(
    runsToDo(runs, recorded, { retryFailed: true }).skipped.map((r) => r.key),
    [runs[0].key],
  );
});

// Small, quick runs on today's stack: the engine is under test here, not the stacks.
const TINY: SweepGrid = {
  ...HOUR_GRID,
  name: 'tiny',
  clients: 1,
  duration: 300,
  blocks: [
    {
      purpose: 'test',
      stacks: ['today'],
      deflate: ['on', 'off'],
      payloads: ['json'],
      frameSizes: [KiB],
      rates: [5],
      bursts: [1],
      repeats: 1,
    },
  ],
};

test('a sweep records every run; a second invocation skips them; --fresh measures again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-sweep-'));
  try {
    const first = await runSweep(TINY, { dir: dir });
    assert.equal(first.session.ran, 2);
    assert.equal(first.records.length, 2);
    for (const record of first.records) {
      assert.equal(record.status, 'completed', record.error);
      assert.ok(record.scenario && record.scenario.result.sent > 0);
      assert.equal(
        record.scenario?.spec.maxHttpBufferSize,
        TINY.maxHttpBufferSize,
        'the limit reached the server spec',
      );
      assert.equal(record.scenario?.result.cpu.includesClients, false, 'clients out of process');
    }
    const { records, skipped } = readRecords<SweepRecord>(SWEEP_KIND, dir);
    assert.deepEqual(skipped, []);
    assert.deepEqual(records.map((r) => r.key).sort(), first.records.map((r) => r.key).sort());
    assert.equal(readRecords(SESSION_KIND, dir).records.length, 1);

    assert.equal(planSweep(TINY, dir).todo.length, 0);
    const second = await runSweep(TINY, { dir: dir });
    assert.equal(second.session.ran, 0);
    assert.equal(second.session.skipped, 2);
    assert.deepEqual(
      second.records.map((r) => r.id),
      first.records.map((r) => r.id),
      'found, not measured',
    );

    const fresh = await runSweep(TINY, { dir: dir, fresh: true });
    assert.equal(fresh.session.ran, 2);
    assert.equal(readRecords(SWEEP_KIND, dir).records.length, 2, 'a fresh run replaces the record under its key');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a run over its hard limit is killed and recorded as failed, and the sweep goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-sweep-'));
  try {
    // The first run gets 50 ms (it cannot even start a server in that time), the second its normal limit.
    let calls = 0;
    const outcome = await runSweep(TINY, { dir: dir, limitMs: () => (calls++ === 0 ? 50 : 60_000) });
    assert.deepEqual(
      outcome.records.map((r) => r.status),
      ['failed', 'completed'],
    );
    assert.match(outcome.records[0].error ?? '', /hard limit of 50 ms and was killed/);
    assert.equal(outcome.records[0].scenario, null);
    assert.equal(outcome.session.failed, 1);
    assert.equal(planSweep(TINY, dir).todo.length, 0, 'a failed run is recorded, so a plain resume skips it');
    assert.equal(planSweep(TINY, dir, { retryFailed: true }).todo.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
