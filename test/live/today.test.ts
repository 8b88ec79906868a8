/**
 * Chapter 7's claims, checked on their own runs: the default read from the source agrees with the
 * wire on every stack, the cliff falls where the installed parsers say the message crosses the
 * limit with the reason each side reports, and the generated sentences follow the numbers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  liveDefaults,
  readStackDeflateSource,
  readThresholdRule,
  readTodayDeflateSource,
} from '../../src/chapters/07-today/defaults';
import { cliffFinding, cliffRows, envelopeBytes, runCliff } from '../../src/chapters/07-today/cliff';
import { advicePlan, raisedLimit, readSweep } from '../../src/chapters/07-today/advice';
import { writeRecord } from '../../src/core/records';
import { todaySizesSentences } from '../../src/chapters/07-today';
import { STACKS } from '../../src/core/stack-catalog';
import { resolveParams } from '../../src/core/params';
import { DATA_DIR_ENV } from '../../src/core/paths';

process.env[DATA_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-today-'));

test("today's default read from engine.io and ws source is off, with engine.io's threshold read too", () => {
  const source = readTodayDeflateSource();
  assert.equal(source.verdict, 'off');
  assert.equal(source.defaultsNameDeflate, false);
  assert.match(source.wsDefault.text, /perMessageDeflate:\s*false/);
  assert.ok(source.threshold !== null && source.threshold > 0);
  assert.match(readThresholdRule().text, /server_no_context_takeover/);
});

test("every stack's live handshake agrees with the catalog's deflate default, and with ws's default read from source", async () => {
  const live = await liveDefaults();
  for (const l of live) {
    assert.ok(l.offer.includes('permessage-deflate'), `${l.stack}: its client offered deflate (${l.offer})`);
    assert.equal(l.deflate === 'on', STACKS[l.stack].deflateByDefault, `${l.stack}: answered "${l.answer}"`);
    const source = readStackDeflateSource(l.stack);
    assert.ok(source.wsDefault, `${l.stack}: ws default found`);
  }
});

test('the cliff: a frame whose message fits is delivered; one byte of frame more and the server reports transport error, the client transport close', async () => {
  const params = resolveParams({ frameSizes: '999000,1000000', duration: '1s', clients: 1, rate: 5 });
  const records = await runCliff(params);
  const rows = cliffRows(records);
  const [fits, over] = rows;
  assert.equal(fits['over the limit'], false);
  assert.equal(over['over the limit'], true);
  assert.ok(fits.sent > 0 && fits.lost === 0 && fits['server saw'] === 'none', JSON.stringify(fits));
  assert.equal(over.delivered, 0);
  assert.match(over['server saw'], /^transport error ×\d+$/);
  assert.match(over['client saw'], /^transport close ×\d+$/);
  assert.match(over['error underneath'], /Max payload size exceeded/);
  assert.ok(over.reconnects >= 1, 'the client reconnected');
  assert.match(cliffFinding(records), /the server reported transport error/);

  // The advice reads the sweep's records at run time: one holding a scenario record is understood,
  // one without is counted as not understood, and nothing is invented when there is none.
  // (the committed data/sweep/ is read too, so counts are compared with what was there before)
  const before = readSweep();
  const base = {
    schema: 1 as const,
    startedAt: records[0].startedAt,
    endedAt: records[0].endedAt,
    quick: true,
    meta: records[0].meta,
  };
  await writeRecord({ ...base, kind: 'sweep', id: 'held-scenario', scenario: records[0] });
  await writeRecord({ ...base, kind: 'sweep', id: 'other-shape', cells: 3 });
  const sweep = readSweep();
  assert.equal(sweep.runs.length, before.runs.length + 1);
  assert.ok(sweep.runs.some((run) => run.record.id === records[0].id));
  assert.equal(sweep.notUnderstood, before.notUnderstood + 1);
});

test('the envelope grows with the digits of the sequence number, and advice plans the extra choices only for frames over the limit', () => {
  assert.ok(envelopeBytes(10_000, 2, 1000) > envelopeBytes(1, 2, 1000));
  const params = resolveParams({ frameSizes: '2MiB,256KiB,999000', duration: '1s' });
  const plan = advicePlan(params, 1e6);
  // Advice for every size given, smallest first: a size between the smallest and the largest is not skipped.
  assert.deepEqual([...new Set(plan.map((p) => p.frameSize))], [256 * 1024, 999_000, 2 * 1024 * 1024]);
  assert.deepEqual(
    plan.filter((p) => p.frameSize === 256 * 1024).map((p) => p.option),
    ['defaults', 'deflate on'],
  );
  assert.deepEqual(
    plan.filter((p) => p.frameSize === 2 * 1024 * 1024).map((p) => p.option),
    ['defaults', 'deflate on', 'limit raised', 'chunked'],
  );
  const chunked = plan.find((p) => p.option === 'chunked');
  assert.ok(chunked && chunked.spec.frameSize < 1e6 && chunked.spec.rate === params.rate * chunked.pieces);
  assert.equal(raisedLimit(1_000_073), 1024 * 1024);
  assert.equal(raisedLimit(1024 * 1024), 2 * 1024 * 1024);
  // Quick mode advises at the largest size only, and says so.
  const quick = resolveParams({ frameSizes: '2MiB,256KiB,999000', duration: '1s', quick: true });
  assert.deepEqual([...new Set(advicePlan(quick, 1e6).map((p) => p.frameSize))], [2 * 1024 * 1024]);
  assert.match(
    todaySizesSentences(quick).join(' '),
    /In quick mode the advice \(part 6\) is given at the largest size only, 2 MiB/,
  );
  assert.match(todaySizesSentences(params).join(' '), /The advice \(part 6\) is given for each size/);
});
