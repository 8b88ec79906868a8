/**
 * Chapter 3's helpers on the installed 2015 stack: the searches find what the post's greps found,
 * and the instrumentation the chapter installs is gone after each run (the loaded originals are
 * back, by identity), with no wrapper stacked on a wrapper when the chapter runs twice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as origins from '../../src/chapters/03-origins';
import { DATA_DIR_ENV } from '../../src/core/paths';
import { POST_INVALID_COMPRESSED_GREP, POST_TRANSPORT_ERROR_GREP } from '../../src/chapters/post-quotes';
import { loadStack } from '../../src/stacks';

// Read when a record is written, so set before any run: the chapter's runs record like the report's.
process.env[DATA_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-origins-'));

test("every line of the post's 'transport error' grep is found in the installed 2015 packages", () => {
  const found = origins.searchStack('transport error');
  const { rows } = origins.compareWithPost(found, POST_TRANSPORT_ERROR_GREP);
  assert.deepEqual(
    rows.filter((row) => row.here.length === 0).map((row) => row.post),
    [],
  );
  assert.ok(found.groups.server.some((hit) => hit.enclosing === 'Socket.prototype.onError'));
  assert.ok(found.groups.docs.length > 0 && found.groups.bundle.length > 0 && found.groups.client.length > 0);
});

test("'invalid compressed data' lands in ws Receiver.prototype.applyExtensions on each side", () => {
  const found = origins.searchStack('invalid compressed data');
  const { rows } = origins.compareWithPost(found, POST_INVALID_COMPRESSED_GREP);
  assert.deepEqual(
    rows.map((row) => row.here.map((hit) => hit.copy)),
    [['server'], ['client']],
  );
  assert.ok(found.hits.every((hit) => hit.enclosing === 'Receiver.prototype.applyExtensions'));
});

test('instrumenting onError twice stacks no wrapper: one restore brings the loaded original back', () => {
  const proto = origins.engineSocketPrototype();
  const original = proto.onError;
  const first = origins.instrumentOnError();
  const wrapper = proto.onError;
  const second = origins.instrumentOnError(); // a rerun whose first run never restored
  assert.equal(proto.onError, wrapper, 'the second call must reuse the wrapper, not wrap it');
  second.restore();
  assert.equal(proto.onError, original);
  first.restore(); // superseded: a no-op
  assert.equal(proto.onError, original);
});

test('two chapter runs in one process: wrapped while clients ran, originals back after each', async () => {
  const proto = origins.engineSocketPrototype();
  const deflate = loadStack('2015').serverPerMessageDeflate.prototype as { decompress: unknown };
  const originals = { onError: proto.onError, decompress: deflate.decompress };
  const params = origins.originsParams({ duration: '1500ms', quick: true });
  for (let run = 1; run <= 2; run++) {
    const result = await origins.runOrigins(params);
    assert.deepEqual(
      result.restore.map((check) => [check.wrappedDuringRun, check.restoredAfter]),
      [
        [true, true],
        [true, true],
      ],
      `run ${run}`,
    );
    assert.equal(proto.onError, originals.onError, `run ${run}: onError`);
    assert.equal(deflate.decompress, originals.decompress, `run ${run}: decompress`);
    assert.equal(result.record.result.status, 'completed', result.record.result.runError);
  }
});
