/** Chapter 9's parameters: the releases a reader names, checked before anything is installed or run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyPlan } from '../../src/chapters/09-history';
import { MAJOR_RELEASES, QUICK_RELEASES } from '../../src/history/size-cliff';

test('named socket.io releases join the size cliff, ws releases the RSV1 row', () => {
  const plan = historyPlan({ versions: ' socket.io@2.2.0, ws@6.0.0 ,', quick: true });
  assert.deepEqual(plan.named, [
    { name: 'socket.io', version: '2.2.0' },
    { name: 'ws', version: '6.0.0' },
  ]);
  assert.deepEqual(plan.cliff.releases, ['2.2.0', ...QUICK_RELEASES]);
  assert.deepEqual(plan.rsv1Named, ['6.0.0']);
  assert.deepEqual(historyPlan({ versions: '', quick: false }).cliff.releases, [...MAJOR_RELEASES]);
});

test('a release the cache does not take is refused in one line naming the parameter', () => {
  assert.throws(
    () => historyPlan({ versions: 'express@4.0.0', quick: true }),
    /^ParamError: versions: package "express" is not one the version cache takes: use one of socket\.io, engine\.io, socket\.io-client, ws; e\.g\. 'socket\.io@2\.2\.0,ws@6\.0\.0'$/,
  );
  assert.throws(
    () => historyPlan({ versions: 'ws@latest', quick: true }),
    /^ParamError: versions: version "latest" of ws is not an exact published version/,
  );
});
