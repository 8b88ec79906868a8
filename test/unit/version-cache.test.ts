/** The version cache's names: what it takes, how it orders versions, and its one-line refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, parseVersionKey, versionKey } from '../../src/core/version-cache';

test('versions order as semver does, pre-releases before their release', () => {
  const shuffled = ['4.0.0', '3.6.0', '3.10.1', '4.0.0-alpha.1', '3.5.0', '4.0.0-alpha.10', '4.0.0-alpha.2'];
  assert.deepEqual(shuffled.sort(compareVersions), [
    '3.5.0',
    '3.6.0',
    '3.10.1',
    '4.0.0-alpha.1',
    '4.0.0-alpha.2',
    '4.0.0-alpha.10',
    '4.0.0',
  ]);
});

test('a release is named name@version, scoped names included, exact versions only', () => {
  assert.deepEqual(parseVersionKey('socket.io-client@2.4.0'), { name: 'socket.io-client', version: '2.4.0' });
  assert.equal(versionKey('ws', '8.2.3'), 'ws@8.2.3');
  assert.throws(() => parseVersionKey('ws'), /"ws" does not name a release: use the form socket.io@2\.4\.0/);
  assert.throws(
    () => parseVersionKey('ws@^8'),
    /version "\^8" of ws is not an exact published version: use the form 2\.4\.0/,
  );
  assert.throws(
    () => parseVersionKey('express@4.0.0'),
    /package "express" is not one the version cache takes: use one of socket\.io, engine\.io, socket\.io-client, ws/,
  );
});
