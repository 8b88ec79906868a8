/**
 * Chapter 1's pure parts: the parameter check and the specs. (The runs themselves execute in the
 * report test, quick; their replay is tested in replay.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sendingPlanSentences, sizesSentence } from '../../src/chapters/01-symptom';
import { debugClient } from '../../src/chapters/02-debug';
import { UNTIL_FAILURE } from '../../src/chapters/until-failure';
import { FAILING_SCENARIO } from '../../src/traffic/presets';
import { SYMPTOM_BURST, symptomParams, symptomSize, symptomSpec } from '../../src/chapters/symptom-run';
import { ParamError } from '../../src/core/params';

test('chapters 1 and 2 take several sizes, run the largest, and say which and why', () => {
  const one = symptomParams({ frameSizes: '640KiB' });
  assert.equal(sizesSentence(one), 'Picture size: 640 KiB.');
  const several = symptomParams({ frameSizes: '3000,1536KiB,200KiB' });
  assert.equal(symptomSize(several), 1536 * 1024);
  assert.equal(symptomSpec(several, 'browser').frameSize, 1536 * 1024);
  assert.match(
    sizesSentence(several),
    /^Sizes given: 2\.93 KiB, 1\.5 MiB, 200 KiB\. This chapter runs its tabs at the largest, 1\.5 MiB, only: each size would start its own Chromium tabs/,
  );
  assert.throws(
    () => symptomParams({ frameSizes: '64KiB,,1MiB' }),
    (e: Error) => e instanceof ParamError && /^frameSizes: /.test(e.message) && !e.message.includes('\n'),
  );
});

test('the browser spec adds the chat page; the Node spec is the same load, with the backlog burst and its own tail', () => {
  const params = symptomParams({ frameSizes: '640KiB', rate: 10, clients: 2, quick: true });
  const browser = symptomSpec(params, 'browser');
  const node = symptomSpec(params, 'fragmenting');
  assert.equal(browser.chatPages, 1);
  assert.equal(node.chatPages, undefined);
  assert.equal(browser.burst, 1);
  assert.equal(node.burst, FAILING_SCENARIO.burst);
  // Both send until the first failure and their part's tail, at most its deadline, from the one table.
  for (const [spec, part] of [
    [browser, 'symptom pages'],
    [node, 'symptom Node client'],
  ] as const) {
    assert.equal(spec.stopOnFirstFailure, true);
    assert.equal(spec.duration, UNTIL_FAILURE[part].quick.deadlineMs);
    assert.equal(spec.failureTailMs, UNTIL_FAILURE[part].quick.tailMs);
  }
  assert.equal(
    symptomSpec({ ...params, quick: false }, 'browser').duration,
    UNTIL_FAILURE['symptom pages'].full.deadlineMs,
  );
  const pick = ({ stack, payload, frameSize, fragmentSize, rate, clients, seed, deflate }: typeof browser) => ({
    stack,
    payload,
    frameSize,
    fragmentSize,
    rate,
    clients,
    seed,
    deflate,
  });
  assert.deepEqual(pick(browser), pick(node));
});

test("chapter 2's quick trail is chapter 1's Node client with the backlog burst; its full trail, the pages", () => {
  const quick = symptomParams({ frameSizes: '640KiB', quick: true });
  assert.equal(debugClient(quick), 'fragmenting');
  assert.equal(debugClient({ ...quick, quick: false }), 'browser');
  assert.equal(SYMPTOM_BURST[debugClient(quick)], FAILING_SCENARIO.burst);
});

test('each chapter shows its times in both modes', () => {
  const [pages, node] = sendingPlanSentences(symptomParams({ frameSizes: '640KiB', quick: true }));
  assert.equal(
    pages,
    'The Chromium pages send until the first failure and 4 s after it, for at most 20 s (quick mode; a full run: 15 s after it, at most 60 s).',
  );
  assert.match(
    node,
    /^The Node client, 3 messages back to back per tick, sends until the first failure and 1 s after it/,
  );
  const [full] = sendingPlanSentences(symptomParams({ frameSizes: '640KiB' }));
  assert.match(full, /for at most 60 s \(a full run; quick mode: 4 s after it, at most 20 s\)\.$/);
});
