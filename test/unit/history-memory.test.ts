/**
 * Chapter 9's memory row without a server: the plan's checks, the rule for which cells negotiate
 * deflate, the judge of a record (figures recomputed, controls held), the summary over paired
 * repeats and the sentences worded from it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryRecordProblems, slopeOf } from '../../src/history/memory';
import { checkMemoryPlan, expectedDeflate, MEMORY_CELLS, MEMORY_PLAN, parseCells } from '../../src/history/memory-plan';
import { summarizeMemory } from '../../src/history/memory-summary';
import { describeMemoryFinding, describeSpotCheck } from '../../src/chapters/09-history/memory';
import { meanInterval } from '../../src/core/stats';
import { InputError } from '../../src/core/errors';
import { memoryRecord } from '../support/history-memory';

const [OLD_DEFAULT, OLD_OFF, NEW_DEFAULT, NEW_FORCED] = MEMORY_CELLS;

/** Five repeats of the four cells: deflate costs about 250 KiB of RSS, the heap about 2 KiB. */
function recording(deflateRss = 256_000) {
  return [0, 1, 2, 3, 4].flatMap((r) => [
    memoryRecord(OLD_DEFAULT, r, { rss: 40_000 + deflateRss + r * 1500, heapUsed: 11_500 }),
    memoryRecord(OLD_OFF, r, { rss: 40_000 + r * 1000, heapUsed: 9_500 }),
    memoryRecord(NEW_DEFAULT, r, { rss: 41_000 + r * 1000, heapUsed: 9_400 }),
    memoryRecord(NEW_FORCED, r, { rss: 41_000 + deflateRss + r * 900, heapUsed: 11_300 }),
  ]);
}

test('deflate is expected where engine.io < 3.5.0 runs at its default, or where it is forced; never when off', () => {
  assert.equal(expectedDeflate(OLD_DEFAULT, '3.4.2'), true);
  assert.equal(expectedDeflate(OLD_OFF, '3.4.2'), false);
  assert.equal(expectedDeflate(NEW_DEFAULT, '3.5.0'), false);
  assert.equal(expectedDeflate(NEW_DEFAULT, '4.0.0'), false);
  assert.equal(expectedDeflate(NEW_FORCED, '3.5.0'), true);
});

test('a plan is checked before anything starts: counts ascending, repeats bounded, cells by name', () => {
  assert.equal(checkMemoryPlan({ ...MEMORY_PLAN }).counts.length, 2);
  assert.throws(() => checkMemoryPlan({ ...MEMORY_PLAN, counts: [5000, 1000] }), InputError);
  assert.throws(() => checkMemoryPlan({ ...MEMORY_PLAN, counts: [1000] }), /counts: 1000: give two or more/);
  assert.throws(() => checkMemoryPlan({ ...MEMORY_PLAN, counts: [1000, 50_000] }), /open files/);
  assert.throws(() => checkMemoryPlan({ ...MEMORY_PLAN, repeats: 0 }), /repeats: 0/);
  assert.deepEqual(parseCells('2.4.0-forced'), [NEW_FORCED]);
  assert.equal(parseCells('all').length, 4);
  assert.throws(() => parseCells('2.4.0-on'), /cells: "2.4.0-on" is not a cell/);
});

test('a made-up record holds; each broken figure or control is named', () => {
  const clean = memoryRecord(OLD_DEFAULT, 0, { rss: 300_000, heapUsed: 11_000 });
  assert.deepEqual(memoryRecordProblems(clean), []);
  assert.deepEqual(slopeOf(clean.steps), { rss: 300_000, heapUsed: 11_000 });

  const stored = memoryRecord(OLD_DEFAULT, 0, { rss: 300_000, heapUsed: 11_000 });
  stored.perConnection.rss = 200_000;
  assert.match(memoryRecordProblems(stored).join('\n'), /stored rss per connection 200000, its samples give 300000/);

  const lost = memoryRecord(OLD_OFF, 0, { rss: 40_000, heapUsed: 9_000 });
  lost.steps[1].clients.received = 4999;
  lost.steps[1].serverSockets = 4998;
  assert.match(memoryRecordProblems(lost).join('\n'), /at 5000 connections: 4999 connections got their message intact/);
  assert.match(memoryRecordProblems(lost).join('\n'), /the server held 4998 sockets/);

  // socket.io 2.4.0 at its default must not negotiate deflate: an answer that accepted it is caught.
  const negotiated = memoryRecord(NEW_DEFAULT, 0, { rss: 40_000, heapUsed: 9_000 });
  negotiated.steps[0].clients.deflateAnswers = 1000;
  assert.match(
    memoryRecordProblems(negotiated).join('\n'),
    /1000 handshakes accepted permessage-deflate, the cell expects none/,
  );

  const plain = memoryRecord(NEW_FORCED, 0, { rss: 300_000, heapUsed: 11_000 });
  plain.steps[0].clients.wireBytes = plain.steps[0].clients.messageBytes + 10;
  assert.match(memoryRecordProblems(plain).join('\n'), /not compressed, the cell expects compressed/);
});

test('meanInterval: the t interval of a mean, none from one value', () => {
  const m = meanInterval([10, 12, 14]);
  assert.equal(m?.mean, 12);
  // t(0.975, 2) = 4.303, sd 2, n 3: half-width 4.97.
  assert.ok(Math.abs((m?.interval?.high ?? 0) - 16.97) < 0.01);
  assert.equal(meanInterval([5])?.interval, null);
  assert.equal(meanInterval([]), null);
});

test('the summary pairs repeats and leaves out records whose controls failed', () => {
  const records = recording();
  const broken = memoryRecord(OLD_OFF, 5, { rss: 40_000, heapUsed: 9_000 });
  broken.steps[0].clients.connected = 10;
  const summary = summarizeMemory([...records, broken]);
  assert.equal(summary.cells.length, 4);
  assert.equal(summary.excluded, 1);
  assert.equal(summary.cells.find((c) => c.cell === OLD_OFF)?.repeats, 5);
  assert.equal(summary.deflateCostOld?.rss.n, 5);
  assert.equal(Math.round(summary.deflateCostOld?.rss.mean ?? 0), 257_000);
  assert.equal(Math.round(summary.defaultChangeSaved?.rss.mean ?? 0), 256_000);
});

test('the finding is worded from the numbers: what deflate cost, what the default change saved', () => {
  const text = describeMemoryFinding(summarizeMemory(recording()));
  assert.match(text, /slope between 1,000 and 5,000 connections/);
  assert.match(
    text,
    /On socket.io 2.3.0, deflate at its default \(on\) against `perMessageDeflate: false` cost 250.98 KiB \(95% interval/,
  );
  assert.match(text, /JS heap's share of it was 1.95 KiB per connection \(1%\): the rest lives outside the heap/);
  assert.match(
    text,
    /The default change, 2.3.0's default against 2.4.0's, saved 250 KiB .* about 1.19 GiB for a server holding 5,000 connections/,
  );

  // No difference: the interval spans zero and the sentence says the runs cannot settle it.
  const none = summarizeMemory(
    [0, 1, 2].flatMap((r) => [
      memoryRecord(OLD_DEFAULT, r, { rss: 40_000 + (r - 1) * 3000, heapUsed: 9_000 }),
      memoryRecord(OLD_OFF, r, { rss: 40_000 - (r - 1) * 3000, heapUsed: 9_000 }),
    ]),
  );
  assert.match(describeMemoryFinding(none), /made no difference that the runs can settle/);
  assert.doesNotMatch(describeMemoryFinding(none), /default change/);
  assert.match(describeMemoryFinding(summarizeMemory([])), /nothing is claimed/);
});

test('the spot check is set beside the recording by its interval', () => {
  const recorded = summarizeMemory(recording());
  const live = summarizeMemory([
    memoryRecord(OLD_DEFAULT, 0, { rss: 302_000, heapUsed: 11_000 }),
    memoryRecord(OLD_OFF, 0, { rss: 45_000, heapUsed: 9_000 }),
  ]);
  const text = describeSpotCheck(live, recorded);
  assert.match(text, /cost 250.98 KiB \(1 paired repeat: no interval\)/);
  assert.match(text, /the live figure is within its 95% interval/);
  const far = summarizeMemory([
    memoryRecord(OLD_DEFAULT, 0, { rss: 100_000, heapUsed: 11_000 }),
    memoryRecord(OLD_OFF, 0, { rss: 45_000, heapUsed: 9_000 }),
  ]);
  assert.match(describeSpotCheck(far, recorded), /outside its 95% interval/);
  assert.match(describeSpotCheck(far, null), /no recording to set it beside/);
});
