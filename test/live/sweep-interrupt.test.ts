/**
 * An interrupted sweep: `kill -9` of `npm run sweep` (the compiled CLI, a tiny grid) in the middle
 * of its runs leaves every record valid and no process of it behind, and the next invocation
 * skips what was recorded and makes the rest. Then the sharper case: a kill -9 that lands while
 * a record is being written still leaves no partial record.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DATA_DIR_ENV, PROJECT_ROOT } from '../../src/core/paths';
import { readRecords } from '../../src/core/records';
import { SESSION_KIND, SWEEP_KIND, type SweepRecord, type SweepSession } from '../../src/sweep/engine';
import { running } from '../support/process';

const SWEEP_CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'sweep.js');
// 2 cells (deflate on, off) × 2 repeats of 300 ms on today's stack: four short runs.
const TINY = [
  '--stacks',
  'today',
  '--deflate',
  'on,off',
  '--payload',
  'json',
  '--frame-sizes',
  '1KiB',
  '--rate',
  '5',
  '--burst',
  '1',
  '--repeats',
  '2',
  '--duration',
  '300ms',
  '--clients',
  '1',
];
const PLANNED = 4;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-sweep-kill-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process ids under `pid` (children, grandchildren, …), read from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children
        .split(' ')
        .filter((s) => s.trim() !== '')
        .map(Number)) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
    else child.once('exit', (code, signal) => resolve(signal ?? code));
  });

const jsonFiles = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.json')) : [];

test('kill -9 during a sweep: every record valid, nothing left running, and the next invocation resumes', async () => {
  const dataDir = path.join(tmp, 'data');
  const env = { ...process.env, [DATA_DIR_ENV]: dataDir };
  const records = path.join(dataDir, SWEEP_KIND);
  const sweep = spawn(process.execPath, [SWEEP_CLI, ...TINY], { env: env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  sweep.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });

  // Killed once the first run is recorded, while the second runs: a sweep mid-way.
  const deadline = Date.now() + 120_000;
  while (jsonFiles(records).length === 0 && sweep.exitCode === null && Date.now() < deadline) await sleep(20);
  assert.equal(sweep.exitCode, null, `the sweep ended before it could be killed: ${stderr}`);
  assert.ok(jsonFiles(records).length > 0, 'a run was recorded');
  await sleep(500);
  const below = descendants(sweep.pid as number);
  assert.ok(below.length > 0, 'the sweep had its worker running');
  sweep.kill('SIGKILL');
  assert.equal(await exited(sweep), 'SIGKILL');

  // Its worker (its own process group) and the load generator must not outlive it for long.
  const until = Date.now() + 30_000;
  while (below.some(running) && Date.now() < until) await sleep(100);
  assert.deepEqual(below.filter(running), [], 'no process of the killed sweep left running');

  const killed = readRecords<SweepRecord>(SWEEP_KIND, dataDir);
  assert.deepEqual(killed.skipped, [], 'every record the killed sweep left is valid');
  assert.ok(
    killed.records.length >= 1 && killed.records.length < PLANNED,
    `${killed.records.length} of ${PLANNED} recorded before the kill`,
  );
  assert.deepEqual(readRecords(SESSION_KIND, dataDir).skipped, []);
  const before = new Map(killed.records.map((r) => [r.id, fs.statSync(path.join(records, `${r.id}.json`)).mtimeMs]));

  const resumed = spawnSync(process.execPath, [SWEEP_CLI, ...TINY], { env: env, encoding: 'utf8', timeout: 180_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    new RegExp(
      `${PLANNED} runs planned, ${PLANNED - killed.records.length} to make \\(about [^)]+\\), ${killed.records.length} already recorded`,
    ),
  );
  const after = readRecords<SweepRecord>(SWEEP_KIND, dataDir);
  assert.deepEqual(after.skipped, []);
  assert.equal(after.records.length, PLANNED);
  assert.equal(new Set(after.records.map((r) => r.key)).size, PLANNED, 'one record per run');
  assert.ok(
    after.records.every((r) => r.status === 'completed'),
    JSON.stringify(after.records.map((r) => r.error)),
  );
  for (const [id, mtime] of before) {
    assert.equal(fs.statSync(path.join(records, `${id}.json`)).mtimeMs, mtime, `${id} was skipped, not measured again`);
  }
  const sessions = readRecords<SweepSession>(SESSION_KIND, dataDir).records;
  assert.equal(sessions.length, 1, 'only the finished invocation wrote a session');
  assert.equal(sessions[0].skipped, killed.records.length);
  assert.equal(sessions[0].ran, PLANNED - killed.records.length);
  assert.equal(sessions[0].complete, true);
});

// A child that writes large records in a loop through the real writeRecord, so that a kill can
// land inside a write: each record is about 16 MB of JSON.
const WRITER = `
const { writeRecord } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'dist', 'src', 'core', 'records.js'))});
const { runMeta } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'dist', 'src', 'core', 'meta.js'))});
const filler = 'x'.repeat(16 * 1024 * 1024);
(async () => {
  for (let i = 0; ; i++) {
    const now = new Date().toISOString();
    await writeRecord({ schema: 1, kind: 'sweep', id: 'big-' + i, startedAt: now, endedAt: now, quick: true, meta: runMeta(), filler: filler });
  }
})();
`;

test('kill -9 while a record is being written leaves no partial record', async () => {
  const dataDir = path.join(tmp, 'torn');
  const folder = path.join(dataDir, SWEEP_KIND);
  const writer = spawn(process.execPath, ['-e', WRITER], {
    env: { ...process.env, [DATA_DIR_ENV]: dataDir },
    stdio: 'ignore',
  });
  // Whole records are all the same size; anything smaller is a write in progress.
  let full = 0;
  const deadline = Date.now() + 60_000;
  let caught = false;
  while (!caught && Date.now() < deadline) {
    const sizes: Array<[string, number]> = [];
    for (const name of fs.existsSync(folder) ? fs.readdirSync(folder) : []) {
      try {
        sizes.push([name, fs.statSync(path.join(folder, name)).size]);
      } catch {
        // renamed away between readdir and stat
      }
    }
    full = Math.max(full, ...sizes.filter(([name]) => name.endsWith('.json')).map(([, size]) => size));
    caught = full > 0 && sizes.some(([, size]) => size < full);
    if (!caught) await sleep(1);
  }
  writer.kill('SIGKILL');
  await exited(writer);
  assert.ok(caught, 'the kill landed while a record was being written');
  const { records, skipped } = readRecords(SWEEP_KIND, dataDir);
  assert.deepEqual(skipped, [], 'no partial record');
  assert.ok(records.length >= 1);
});
