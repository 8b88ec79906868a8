/** Chapter 9's parameters: the releases a reader names, checked before anything is installed or run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyPlan, historySizesSentence } from '../../src/chapters/09-history';
import { MAJOR_RELEASES, QUICK_RELEASES } from '../../src/history/size-cliff';

test('named socket.io releases join the size cliff, ws releases the RSV1 row', () => {
  const plan = historyPlan({ versions: ' socket.io@2.2.0, ws@6.0.0 ,', frameSizes: '1.5MiB', quick: true });
  assert.deepEqual(plan.named, [
    { name: 'socket.io', version: '2.2.0' },
    { name: 'ws', version: '6.0.0' },
  ]);
  assert.deepEqual(plan.cliff.releases, ['2.2.0', ...QUICK_RELEASES]);
  assert.deepEqual(plan.rsv1Named, ['6.0.0']);
  assert.deepEqual(historyPlan({ versions: '', frameSizes: '1.5MiB', quick: false }).cliff.releases, [
    ...MAJOR_RELEASES,
  ]);
});

test('a release the cache does not take is refused in one line naming the parameter', () => {
  assert.throws(
    () => historyPlan({ versions: 'express@4.0.0', frameSizes: '1.5MiB', quick: true }),
    /^ParamError: versions: package "express" is not one the version cache takes: use one of socket\.io, engine\.io, socket\.io-client, ws; e\.g\. 'socket\.io@2\.2\.0,ws@6\.0\.0'$/,
  );
  assert.throws(
    () => historyPlan({ versions: 'ws@latest', frameSizes: '1.5MiB', quick: true }),
    /^ParamError: versions: version "latest" of ws is not an exact published version/,
  );
});

test('the page says the rows do not depend on the sizes given, and refuses a bad size in one line', () => {
  const plan = historyPlan({ versions: '', frameSizes: '3000,200KiB', quick: true });
  assert.match(
    historySizesSentence(plan),
    /^This chapter does not depend on frame size \(sizes given: 2\.93 KiB, 200 KiB\)\. Each row sends what its reports describe: the size cliff a 1\.5 MiB message/,
  );
  assert.throws(
    () => historyPlan({ versions: '', frameSizes: '12 parsecs', quick: true }),
    /^ParamError: frameSizes: /,
  );
});
