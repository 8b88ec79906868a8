/** Records: atomic writes, a reader that skips and names bad files, and an unwritable data dir. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runMeta } from '../../src/core/meta';
import type { MachineLoad } from '../../src/core/machine-load';
import {
  assertWritable,
  DataDirError,
  newRecordId,
  readRecords,
  RECORD_BY_DEFAULT,
  recordEnvelope,
  writeRecord,
  writeRunRecord,
  type RecordBase,
} from '../../src/core/records';

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

const LOAD: MachineLoad = { loadAverageBefore: 0.5, otherCpuMs: 10, ownCpuMs: 20, wallMs: 1000 };

test('the envelope: the on-disk key order, endedAt now, meta read unless given, machineLoad only with a watcher', () => {
  const before = new Date().toISOString();
  const plain = recordEnvelope({ kind: 'demo', id: 'e1', startedAt: before, quick: true });
  assert.deepEqual(Object.keys(plain), ['schema', 'kind', 'id', 'startedAt', 'endedAt', 'quick', 'meta']);
  assert.equal(plain.schema, 1);
  assert.equal(plain.kind, 'demo');
  assert.equal(plain.id, 'e1');
  assert.equal(plain.startedAt, before);
  assert.ok(plain.endedAt >= before && plain.endedAt <= new Date().toISOString());
  assert.equal(plain.quick, true);
  assert.match(plain.meta.node, /^v\d+/);
  assert.equal('machineLoad' in plain, false);

  const meta = runMeta();
  const order: string[] = [];
  const watched = recordEnvelope({
    kind: 'demo',
    id: 'e2',
    startedAt: before,
    quick: false,
    meta: meta,
    machineLoad: {
      finish: () => {
        order.push('finish');
        return LOAD;
      },
    },
  });
  assert.deepEqual(Object.keys(watched), [
    'schema',
    'kind',
    'id',
    'startedAt',
    'endedAt',
    'quick',
    'meta',
    'machineLoad',
  ]);
  assert.equal(watched.meta, meta);
  assert.deepEqual(watched.machineLoad, LOAD);
  assert.deepEqual(order, ['finish']);
});

test('a record spread from the envelope is written with the envelope first, then its own fields', async () => {
  const dir = tempDir();
  const record = {
    ...recordEnvelope({ kind: 'demo', id: 'e3', startedAt: new Date().toISOString(), quick: true }),
    value: 42,
  };
  const file = await writeRecord(record, dir);
  const text = fs.readFileSync(file, 'utf8');
  assert.deepEqual(Object.keys(JSON.parse(text) as object), [
    'schema',
    'kind',
    'id',
    'startedAt',
    'endedAt',
    'quick',
    'meta',
    'value',
  ]);
  assert.equal(text, JSON.stringify(record, null, 1) + '\n');
});

test('the record option: false writes nothing, a string names the data dir, and the one default is to write', async () => {
  assert.equal(RECORD_BY_DEFAULT, true);
  const dir = tempDir();
  assert.equal(await writeRunRecord(record('o1'), false), undefined);
  assert.equal(fs.existsSync(path.join(dir, 'demo')), false);
  assert.equal(await writeRunRecord(record('o2'), dir), path.join(dir, 'demo', 'o2.json'));
  assert.deepEqual(
    readRecords('demo', dir).records.map((r) => r.id),
    ['o2'],
  );
});
