/** The version cache's names: what it takes, how it orders versions, and its one-line refusals. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/core/paths';
import {
  compareVersions,
  parseVersionKey,
  requireVersion,
  VERSION_CACHE_ENV,
  VersionIsolationError,
  versionKey,
} from '../../src/core/version-cache';

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

test("a release whose own dependency is missing from its folder is refused, not run on the root's copy", () => {
  const cache = fs.mkdtempSync(path.join(PROJECT_ROOT, '.cache', 'test-versions-'));
  const before = process.env[VERSION_CACHE_ENV];
  process.env[VERSION_CACHE_ENV] = cache;
  try {
    // A made-up ws release whose index needs a package its lockfile lists but its folder lacks:
    // Node's lookup walks up from .cache/ and finds the root's copy.
    const entry = (version: string, locked: string[]) => {
      const dir = path.join(cache, `ws@${version}`, 'node_modules');
      fs.mkdirSync(path.join(dir, 'ws'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'ws', 'package.json'), JSON.stringify({ name: 'ws', version: version }));
      fs.writeFileSync(path.join(dir, 'ws', 'index.js'), "module.exports = require('escape-html');\n");
      const packages = Object.fromEntries(['node_modules/ws', ...locked].map((key) => [key, {}]));
      fs.writeFileSync(path.join(cache, `ws@${version}`, 'package-lock.json'), JSON.stringify({ packages: packages }));
      fs.writeFileSync(path.join(dir, '.deflate-lab-installed-lock'), '');
    };
    entry('0.0.1', ['node_modules/escape-html']);
    entry('0.0.2', []);
    assert.throws(
      () => requireVersion('ws', '0.0.1'),
      (error: Error) => {
        assert.ok(error instanceof VersionIsolationError);
        assert.match(
          error.message,
          /^ws@0\.0\.1 loaded .*node_modules\/escape-html\/index\.js from outside its folder in the version cache/,
        );
        return true;
      },
    );
    // Not its own dependency (an optional module it only tries, as debug tries supports-color): allowed.
    assert.equal(typeof requireVersion('ws', '0.0.2'), 'function');
  } finally {
    if (before === undefined) delete process.env[VERSION_CACHE_ENV];
    else process.env[VERSION_CACHE_ENV] = before;
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
