/**
 * Chapter 1's pure parts: the parameter check and the specs. (The runs themselves execute in the
 * report test, quick; their replay is tested in replay.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sizesSentence } from '../src/chapters/01-symptom';
import { symptomParams, symptomSize, symptomSpec } from '../src/chapters/symptom-run';
import { ParamError } from '../src/core/params';

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

test('the browser spec adds the chat page; the Node spec is the same load without it', () => {
  const params = symptomParams({ frameSizes: '640KiB', rate: 10, clients: 2, duration: '8s' });
  const browser = symptomSpec(params, 'browser');
  const node = symptomSpec(params, 'fragmenting');
  assert.equal(browser.chatPages, 1);
  assert.equal(node.chatPages, undefined);
  const { client: _b, chatPages: _c, ...browserLoad } = browser;
  const { client: _n, ...nodeLoad } = node;
  assert.deepEqual(browserLoad, nodeLoad);
});
