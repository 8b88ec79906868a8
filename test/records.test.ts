/** Records: atomic writes, a reader that skips and names bad files, and an unwritable data dir. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runMeta } from '../src/core/meta';
import {
  assertWritable,
  DataDirError,
  newRecordId,
  readRecords,
  writeRecord,
  type RecordBase,
} from '../src/core/records';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-records-'));
}

function record(id: string): RecordBase & { value: number } {
  const now = new Date().toISOString();
  return { schema: 1, kind: 'demo', id, startedAt: now, endedAt: now, quick: true, meta: runMeta(), value: 42 };
}

test('a written record reads back whole, with its metadata', async () => {
  const dir = tempDir();
  const file = await writeRecord(record('r1'), dir);
  assert.equal(file, path.join(dir, 'demo', 'r1.json'));
  const { records, skipped } = readRecords<RecordBase & { value: number }>('demo', dir);
  assert.deepEqual(skipped, []);
  assert.equal(records[0].value, 42);
  assert.match(records[0].meta.node, /^v\d+/);
  assert.ok(records[0].meta.cpuModel.length > 0);
  assert.equal(records[0].meta.versions['2015/ws'], '0.8.0');
});

test('no temporary file is left beside a record', async () => {
  const dir = tempDir();
  await writeRecord(record('r2'), dir);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'demo')), ['r2.json']);
});

test('the reader skips and names a truncated file, a foreign JSON and a wrong kind', async () => {
  const dir = tempDir();
  await writeRecord(record('good'), dir);
  fs.writeFileSync(path.join(dir, 'demo', 'truncated.json'), '{"schema":1,"kind":"de');
  fs.writeFileSync(path.join(dir, 'demo', 'foreign.json'), '{"hello":"world"}');
  fs.writeFileSync(path.join(dir, 'demo', 'other.json'), JSON.stringify({ ...record('other'), kind: 'sweep' }));
  const { records, skipped } = readRecords('demo', dir);
  assert.deepEqual(
    records.map((r) => r.id),
    ['good'],
  );
  assert.deepEqual(skipped.map((s) => path.basename(s.file)).sort(), ['foreign.json', 'other.json', 'truncated.json']);
  for (const s of skipped) assert.ok(s.reason.length > 0 && !s.reason.includes('\n'));
});

test('an unwritable data dir is refused with what to do, and nothing is written', async () => {
  const dir = tempDir();
  const readOnly = path.join(dir, 'ro');
  fs.mkdirSync(readOnly, { mode: 0o555 });
  // root ignores permission bits, so a path under a regular file stands in for "not writable".
  const target = process.getuid?.() === 0 ? path.join(dir, 'file', 'data') : readOnly;
  if (process.getuid?.() === 0) fs.writeFileSync(path.join(dir, 'file'), '');
  assert.throws(
    () => assertWritable(target),
    (e: unknown) => e instanceof DataDirError && /DEFLATE_LAB_DATA_DIR/.test(e.message),
  );
  await assert.rejects(writeRecord(record('x'), target), DataDirError);
  assert.equal(fs.existsSync(path.join(target, 'demo')), false);
});

test('ids sort by time and unsafe ids are refused', async () => {
  const a = newRecordId('p-');
  assert.match(a, /^p-\d{8}T\d{6}Z-[a-z0-9]+$/);
  await assert.rejects(writeRecord({ ...record('x'), id: '../escape' }, tempDir()), /must match/);
});
