/**
 * Chapter 9's size cliff on its quick pair, live: socket.io 2.4.0 (engine.io 3.5) delivers a
 * 1.5 MiB message at its defaults and 2.5.0 (engine.io 3.6) drops the connection that sent it,
 * with 'transport error' on the server, 'transport close' on the client and a reconnect; each
 * beside its control and the default read from the running server. Nothing is left open, the
 * quick pair keeps to its time budget, and the step replays without measuring.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cliffBehaviour, sizeCliffParams } from '../../src/history/size-cliff';
import { RECONNECT_WINDOW_MS } from '../../src/history/size-cliff-run';
import { describeSizeCliff, runSizeCliff } from '../../src/chapters/09-history/cliff';
import { DATA_DIR_ENV } from '../../src/core/paths';
import { FROM_DATA_ENV } from '../../src/core/replay';
import { activeHandles, assertNoHandlesLeft } from '../support/handles';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-size-cliff-'));
process.env[DATA_DIR_ENV] = dataDir;

/** The quick pair's budget in the chapter is 3 s; the shared machine gets twice that here. */
const QUICK_BUDGET_MS = 6_000;

test('the quick pair: 2.4.0 delivers the 1.5 MiB message, 2.5.0 drops the connection, the client reconnects; nothing left open', async () => {
  const before = activeHandles();
  const params = sizeCliffParams({ quick: true });
  const started = Date.now();
  const result = await runSizeCliff(params);
  const took = Date.now() - started;
  await assertNoHandlesLeft({ before: before, message: 'after the quick pair' });
  assert.ok(took <= QUICK_BUDGET_MS, `the quick pair took ${took} ms`);

  const [old, backported] = result.releases;
  assert.equal(old.spec.server, '2.4.0');
  assert.equal(backported.spec.server, '2.5.0');
  for (const run of result.releases) {
    assert.equal(run.status, 'completed', run.runError);
    // Controls: the under-limit message arrived, and the message crossed as more than 1 MB.
    assert.equal(run.under?.delivered, true, `${run.spec.server}: control delivered`);
    assert.ok((run.over?.wireBytes ?? 0) > 1e6 && (run.over?.wireBytes ?? 0) > 1024 * 1024);
  }

  assert.equal(old.server?.engineIo.split('.').slice(0, 2).join('.'), '3.5');
  assert.equal(old.server?.maxHttpBufferSize, 1e8);
  assert.equal(cliffBehaviour(old).behaviour, 'delivered');
  assert.equal(old.overReceived, 1);
  assert.equal(old.after?.session, 1);
  assert.equal(old.clientDisconnect, null);

  assert.equal(backported.server?.engineIo.split('.').slice(0, 2).join('.'), '3.6');
  assert.equal(backported.server?.engineIoRange, '~3.6.0');
  assert.equal(backported.server?.maxHttpBufferSize, 1e6);
  assert.equal(cliffBehaviour(backported).behaviour, 'refused');
  assert.equal(backported.overReceived, 0);
  assert.equal(backported.serverDisconnect?.reason, 'transport error');
  assert.match(backported.serverDisconnect?.detail ?? '', /Max payload size exceeded/);
  assert.equal(backported.clientDisconnect?.reason, 'transport close');
  assert.ok(backported.reconnect, 'the client reconnected');
  assert.ok(backported.reconnect.afterMs <= RECONNECT_WINDOW_MS);
  assert.equal(backported.reconnect.newSessionId, true);
  assert.equal(backported.after?.delivered, true);
  assert.equal(backported.after?.session, 2);

  assert.match(
    describeSizeCliff(result),
    /socket.io 2\.4\.0 delivered a 1\.5 MiB message .* socket.io 2\.5\.0 dropped the connection/,
  );

  // The same step replays from what it recorded, measuring nothing.
  process.env[FROM_DATA_ENV] = dataDir;
  try {
    const replayed = await runSizeCliff(params);
    assert.deepEqual(replayed, result);
  } finally {
    delete process.env[FROM_DATA_ENV];
  }
});
