/**
 * Replay: a measuring step records what it returned, a replay returns the latest record of the
 * same step and parameters without measuring, a missing record is a one-line error naming the
 * command that records one, and the guards refuse to start anything under `--from-data`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { DATA_DIR_ENV } from '../../src/core/paths';
import { readRecords } from '../../src/core/records';
import {
  assertMeasuring,
  FROM_DATA_ENV,
  latestReplay,
  RECORD_REPLAY_COMMAND,
  REPLAY_KIND,
  measureOrReplay,
  ReplayMeasureError,
  ReplayMissingError,
  type ReplayRecord,
} from '../../src/core/replay';
import { search } from '../../src/search';
import { loadStack } from '../../src/stacks';
import { launchChromium } from '../../src/core/chromium';
import { runScenario } from '../../src/traffic/scenario';
import { listenLoopback } from '../../src/stacks/http-server';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-replay-'));
  process.env[DATA_DIR_ENV] = dir;
  delete process.env[FROM_DATA_ENV];
});

afterEach(() => {
  delete process.env[DATA_DIR_ENV];
  delete process.env[FROM_DATA_ENV];
  fs.rmSync(dir, { recursive: true, force: true });
});

const step = (params: Record<string, unknown>) => ({ chapter: 'harness', step: 'runs', params: params, quick: false });

test('measuring records the value and returns it as the record holds it', async () => {
  const { value, provenance } = await measureOrReplay(step({ quick: false, size: 1024 }), async () => ({
    when: new Date(0),
    missing: undefined,
    n: 3,
  }));
  assert.equal(provenance, undefined, 'a measured step has no provenance line');
  // Returned through JSON, so the live page shows what a replay will show.
  assert.deepEqual(value, { when: '1970-01-01T00:00:00.000Z', n: 3 });
  const { records } = readRecords<ReplayRecord>(REPLAY_KIND, dir);
  assert.equal(records.length, 1);
  assert.equal(records[0].chapter, 'harness');
  assert.equal(records[0].step, 'runs');
  assert.deepEqual(records[0].value, value);
  assert.deepEqual(records[0].params, { quick: false, size: 1024 });
});

test('a replay returns the latest record of the same step and parameters, and measures nothing', async () => {
  await measureOrReplay(step({ quick: false, size: 1024 }), async () => 'first');
  await new Promise((resolve) => setTimeout(resolve, 5));
  await measureOrReplay(step({ quick: false, size: 1024 }), async () => 'second');
  await measureOrReplay(step({ quick: false, size: 2048 }), async () => 'other size');
  process.env[FROM_DATA_ENV] = dir;
  let measured = false;
  const replayed = await measureOrReplay(step({ size: 1024, quick: false }), async () => {
    measured = true;
    return 'live';
  });
  assert.equal(replayed.value, 'second');
  // The caller shows where the record came from; the base layer only words it.
  assert.match(replayed.provenance ?? '', /^re-rendered from record harness-runs-.* measured .*, commit /);
  assert.equal(measured, false);
  assert.equal(latestReplay(step({ quick: false, size: 2048 }), dir)?.value, 'other size');
  assert.equal(latestReplay({ ...step({ quick: false, size: 1024 }), step: 'other' }, dir), undefined);
  assert.equal(latestReplay({ ...step({ quick: false, size: 1024 }), chapter: 'sweep' }, dir), undefined);
});

test('a replay with no matching record is one line naming the command that records one', async () => {
  await measureOrReplay(step({ quick: false, size: 1024 }), async () => 'recorded');
  process.env[FROM_DATA_ENV] = dir;
  await assert.rejects(
    measureOrReplay(step({ quick: true, size: 1024 }), async () => 'live'),
    (e: Error) =>
      e instanceof ReplayMissingError &&
      e.message.includes(`no recorded 'runs' of chapter harness with these parameters`) &&
      e.message.includes(RECORD_REPLAY_COMMAND) &&
      !e.message.includes('\n'),
  );
});

test('under --from-data the guards refuse a stack, a server, Chromium, a scenario and a search', async () => {
  assert.doesNotThrow(() => assertMeasuring('anything'));
  process.env[FROM_DATA_ENV] = dir;
  const refused = (e: Error) =>
    e instanceof ReplayMeasureError &&
    /^--from-data .*: a replay measures nothing, yet .* was about to start$/.test(e.message);
  assert.throws(() => loadStack('today'), refused);
  assert.throws(() => search({ literal: 'x', roots: [dir] }), refused);
  await assert.rejects(launchChromium(), refused);
  await assert.rejects(
    listenLoopback(() => undefined, undefined),
    refused,
  );
  await assert.rejects(
    runScenario({
      stack: 'today',
      client: 'socket.io',
      payload: 'json',
      frameSize: 1024,
      fragmentSize: 1024,
      rate: 1,
      clients: 1,
      burst: 1,
      deflate: 'default',
      duration: 100,
      seed: 1,
      placement: 'in-process',
    }),
    refused,
  );
});
