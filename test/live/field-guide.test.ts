/**
 * Every field-guide row is produced on purpose and checked: the reason each side reported is the
 * one the case stands for, both sides logged DEBUG lines, and every disconnect reason the
 * installed socket.io 4 server and client declare is produced by some case.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readRecords } from '../../src/core/records';
import {
  declaredReasons,
  FIELD_GUIDE,
  runFieldGuide,
  runFieldGuideCase,
  type FieldGuideObservation,
} from '../../src/chapters/07-today/field-guide';
import { assertNoHandlesLeft } from '../support/handles';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-field-guide-'));
const seen: FieldGuideObservation[] = [];

for (const guideCase of FIELD_GUIDE) {
  test(`${guideCase.id}: server says '${guideCase.expect.server}', client says '${guideCase.expect.client}'`, async () => {
    const observation = await runFieldGuideCase(guideCase);
    seen.push(observation);
    assert.equal(observation.error, null, observation.error ?? '');
    assert.equal(observation.server.reason, guideCase.expect.server, JSON.stringify(observation.server));
    assert.equal(observation.client.reason, guideCase.expect.client, JSON.stringify(observation.client));
    const sides = new Set(observation.debug.map((line) => line.side));
    assert.ok(sides.has('server') && sides.has('client'), `DEBUG lines from both sides: ${[...sides].join(', ')}`);
    // The server's own DEBUG line names the reason its socket closed with.
    assert.ok(
      observation.debug.some(
        (line) =>
          line.namespace === 'socket.io:socket' &&
          line.message === `closing socket - reason ${guideCase.expect.server}`,
      ),
      'socket.io:socket logged the reason',
    );
  });
}

test('every reason the installed server and client declare is produced by a case', () => {
  const declared = declaredReasons();
  assert.ok(
    declared.server.reasons.length >= 8,
    `server reasons read from ${declared.server.where}: ${declared.server.reasons.join(', ')}`,
  );
  assert.ok(
    declared.client.reasons.length >= 5,
    `client reasons read from ${declared.client.where}: ${declared.client.reasons.join(', ')}`,
  );
  const producedServer = new Set(seen.map((o) => o.server.reason));
  const producedClient = new Set(seen.map((o) => o.client.reason));
  assert.deepEqual(
    declared.server.reasons.filter((r) => !producedServer.has(r)),
    [],
    'server reasons no case produced',
  );
  assert.deepEqual(
    declared.client.reasons.filter((r) => !producedClient.has(r)),
    [],
    'client reasons no case produced',
  );
});

test('the guide writes one record, and a second run in the same process works and leaves no handles', async () => {
  const two = FIELD_GUIDE.filter((c) => c.id === 'oversized-message' || c.id === 'network-stalled');
  const first = await runFieldGuide(two, { record: dataDir });
  const second = await runFieldGuide(two, { record: dataDir });
  for (const record of [first, second]) {
    assert.deepEqual(
      record.observations.map((o) => o.server.reason),
      two.map((c) => c.expect.server),
    );
  }
  const { records, skipped } = readRecords('field-guide', dataDir);
  assert.deepEqual(skipped, []);
  assert.equal(records.length, 2);
  await assertNoHandlesLeft();
});
