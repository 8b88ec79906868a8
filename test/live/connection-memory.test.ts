/**
 * Memory per connection: a fresh server process and a held-clients process, both bounded and
 * gone afterwards; the run's own evidence says deflate was (or was not) in use, and how many zlib
 * streams the server made per connection. No figure here is compared with a threshold of time or
 * size: memory varies by machine, the structure of the evidence does not.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  EXCHANGE_BYTES,
  MAX_CONNECTIONS,
  measureConnectionMemory,
} from '../../src/chapters/07-today/connection-memory';
import { readRecords } from '../../src/core/records';
import { assertNoHandlesLeft } from '../support/handles';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-memory-'));
const CONNECTIONS = 5;

test('deflate off and on: negotiated as set, zlib streams only with deflate, one record each, nothing left running', async () => {
  const specs = (['off', 'on'] as const).map((deflate) => ({
    deflate,
    connections: CONNECTIONS,
    exchangeBytes: EXCHANGE_BYTES,
    seed: 1,
  }));
  const [off, on] = await measureConnectionMemory(specs, { record: dataDir });
  // Warm-up connection plus the measured ones.
  assert.equal(off.handshakes.total, CONNECTIONS + 1);
  assert.equal(off.handshakes.deflate, 0);
  assert.equal(on.handshakes.deflate, on.handshakes.total);
  assert.equal(off.compressedMessages, 0);
  assert.equal(on.compressedMessages, CONNECTIONS + 1, 'each connection compressed its one exchange message');
  assert.deepEqual(off.zlibStreams, { baseline: 0, idle: 0, exchanged: 0 });
  // ws makes its streams on first use: some per connection before the exchange, an inflate more after it.
  assert.ok(on.zlibStreams.idle - on.zlibStreams.baseline >= CONNECTIONS, JSON.stringify(on.zlibStreams));
  assert.equal(on.zlibStreams.exchanged - on.zlibStreams.idle, CONNECTIONS, JSON.stringify(on.zlibStreams));
  for (const record of [off, on]) {
    for (const value of [...Object.values(record.perConnection.idle), ...Object.values(record.perConnection.exchanged)])
      assert.ok(Number.isFinite(value));
    assert.ok(record.samples.baseline.rss > 0);
  }
  const { records, skipped } = readRecords('connection-memory', dataDir);
  assert.deepEqual(skipped, []);
  assert.equal(records.length, 2);
  await assertNoHandlesLeft();
});

test('bad input is refused in one line that says what to use, before any process starts', async () => {
  for (const connections of [0, 0.5, MAX_CONNECTIONS + 1]) {
    await assert.rejects(
      measureConnectionMemory([{ deflate: 'off', connections, exchangeBytes: EXCHANGE_BYTES, seed: 1 }], {
        record: false,
      }),
      (error: Error) => /use a whole number from 1 to/.test(error.message) && !error.message.includes('\n'),
    );
  }
  await assertNoHandlesLeft();
});
