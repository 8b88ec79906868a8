/**
 * `npm run record-history -- memory` on a tiny plan (20 and 100 connections, 1 repeat) into a
 * scratch data dir, then check-data over it: every record's slope follows from its samples and
 * every control holds (connections, messages, negotiation and compression matching the cell, the
 * file limit read back). A second run skips what is recorded; bad input is refused before anything
 * starts. No memory figure is compared with a threshold: it varies by machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkData } from '../../src/check-data';
import { DATA_DIR_ENV, PROJECT_ROOT } from '../../src/core/paths';
import { FROM_DATA_ENV } from '../../src/core/replay';
import { readRecordedMemory, runMemorySpotCheck } from '../../src/chapters/09-history/memory';
import { readRecords } from '../../src/core/records';
import { memoryRecordProblems, type HistoryMemoryRecord } from '../../src/history/memory';

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'record-history.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-history-memory-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function recordHistory(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DEFLATE_LAB_DATA_DIR: dataDir },
  });
}

test('a tiny memory recording: one record per cell, every figure and control held by check-data; a rerun skips them', () => {
  const run = recordHistory('memory', '--counts', '20,100', '--repeats', '1');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /4 of 4 runs to make/);
  assert.match(run.stderr, /run 4\/4, socket\.io 2\.4\.0, deflate forced on .*: recorded in/);
  const { records } = readRecords<HistoryMemoryRecord>('history-memory', dataDir);
  assert.equal(records.length, 4);
  for (const record of records) {
    assert.deepEqual(record.counts, [20, 100]);
    assert.equal(record.serverFileLimit, record.fileLimit);
    assert.ok(Number.isFinite(record.perConnection.rss) && Number.isFinite(record.perConnection.heapUsed));
  }
  const check = checkData(dataDir);
  // A scratch dir is not gated, so a busy machine is reported but does not fail this test.
  assert.deepEqual(
    check.problems.filter((p) => p.kind !== 'busy machine'),
    [],
  );
  assert.deepEqual(check.history, [
    {
      kind: 'history-memory',
      records: 4,
      held: 4,
      cells: { '2.3.0-default': 1, '2.3.0-off': 1, '2.4.0-default': 1, '2.4.0-forced': 1 },
    },
  ]);
  const again = recordHistory('memory', '--counts', '20,100', '--repeats', '1');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /0 of 4 runs to make .* 4 already recorded/);
});

test('bad input: one line naming the parameter, exit 2, nothing recorded', () => {
  const before = fs.existsSync(path.join(dataDir, 'history-memory'))
    ? fs.readdirSync(path.join(dataDir, 'history-memory')).length
    : 0;
  for (const args of [
    [],
    ['zlibby'],
    ['memory', '--counts', '100,20'],
    ['memory', '--repeats', 'x'],
    ['memory', '--nope'],
  ]) {
    const run = recordHistory(...args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^npm run record-history: /);
  }
  const after_ = fs.existsSync(path.join(dataDir, 'history-memory'))
    ? fs.readdirSync(path.join(dataDir, 'history-memory')).length
    : 0;
  assert.equal(after_, before);
});

test('the spot check measures live, then replays from its record under --from-data, measuring nothing', async () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-history-spot-'));
  const saved = { data: process.env[DATA_DIR_ENV], from: process.env[FROM_DATA_ENV] };
  try {
    process.env[DATA_DIR_ENV] = scratch;
    delete process.env[FROM_DATA_ENV];
    const started = performance.now();
    const live = await runMemorySpotCheck({ quick: true });
    const quickMs = performance.now() - started;
    assert.equal(live.length, 2);
    assert.deepEqual(
      live.map((r) => memoryRecordProblems(r)),
      [[], []],
    );
    process.env[FROM_DATA_ENV] = scratch;
    const replayed = await runMemorySpotCheck({ quick: true });
    assert.deepEqual(replayed, live);
    // Under replay the recorded row is read from the replayed dir: this one holds no memory recording.
    assert.deepEqual(readRecordedMemory(), []);
    process.stderr.write(`spot check, quick: ${Math.round(quickMs)} ms\n`);
  } finally {
    for (const [name, value] of [
      [DATA_DIR_ENV, saved.data],
      [FROM_DATA_ENV, saved.from],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
