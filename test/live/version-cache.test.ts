/**
 * The version cache (src/core/version-cache.ts, scripts/install-versions): set-up installed every
 * pinned release from its committed lockfile, a second set-up installs nothing, and a release the
 * user names is installed on demand from the npm registry, once, with its lockfile beside it. A
 * release that cannot be installed is refused in one line and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors';
import { PROJECT_ROOT, SCRIPTS_DIR } from '../../src/core/paths';
import {
  ensureVersion,
  isInstalled,
  PINNED_VERSIONS_DIR,
  pinnedVersions,
  requireVersion,
  VERSION_CACHE_ENV,
  versionCacheDir,
} from '../../src/core/version-cache';

const STAMP = path.join('node_modules', '.deflate-lab-installed-lock');

function withCache<T>(dir: string | undefined, body: () => Promise<T>): Promise<T> {
  const before = process.env[VERSION_CACHE_ENV];
  if (dir === undefined) delete process.env[VERSION_CACHE_ENV];
  else process.env[VERSION_CACHE_ENV] = dir;
  return body().finally(() => {
    if (before === undefined) delete process.env[VERSION_CACHE_ENV];
    else process.env[VERSION_CACHE_ENV] = before;
  });
}

test('set-up installed every pinned release from its committed lockfile', () => {
  const pinned = pinnedVersions();
  assert.ok(pinned.length >= 20, `${pinned.length} pinned releases`);
  for (const { name, version } of pinned) {
    const key = `${name}@${version}`;
    assert.ok(isInstalled(name, version), `${key} installed`);
    const committed = fs.readFileSync(path.join(PINNED_VERSIONS_DIR, key, 'package-lock.json'));
    assert.deepEqual(fs.readFileSync(path.join(versionCacheDir(), key, STAMP)), committed, `${key} from its lockfile`);
    const installed = JSON.parse(
      fs.readFileSync(path.join(versionCacheDir(), key, 'node_modules', name, 'package.json'), 'utf8'),
    );
    assert.equal(installed.version, version);
  }
});

test('a second set-up installs nothing', () => {
  const stamps = () =>
    pinnedVersions().map(
      ({ name, version }) => fs.statSync(path.join(versionCacheDir(), `${name}@${version}`, STAMP)).mtimeMs,
    );
  const before = stamps();
  const started = Date.now();
  const output = execFileSync('sh', [path.join(SCRIPTS_DIR, 'install-versions')], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.equal(output, '');
  assert.deepEqual(stamps(), before, 'no entry rewritten');
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('a release the user names is installed on demand, once, with its lockfile beside it', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-versions-'));
  try {
    await withCache(cache, async () => {
      const first = await ensureVersion('ws', '3.0.0'); // not in the pinned set
      assert.equal(first.installed, true);
      assert.ok(fs.existsSync(path.join(cache, 'ws@3.0.0', 'package-lock.json')), 'lockfile beside it');
      assert.equal(typeof requireVersion<{ Server: unknown }>('ws', '3.0.0').Server, 'function');
      const again = await ensureVersion('ws', '3.0.0');
      assert.equal(again.installed, false);
      // A pinned release missing from a cache is installed from its committed lockfile.
      const pinned = await ensureVersion('ws', '3.2.0');
      assert.equal(pinned.installed, true);
      assert.deepEqual(
        fs.readFileSync(path.join(cache, 'ws@3.2.0', STAMP)),
        fs.readFileSync(path.join(PINNED_VERSIONS_DIR, 'ws@3.2.0', 'package-lock.json')),
      );
      assert.deepEqual(fs.readdirSync(cache).sort(), ['ws@3.0.0', 'ws@3.2.0']);
    });
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('a release that cannot be installed is refused in one line and leaves nothing behind', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-versions-'));
  try {
    await withCache(cache, async () => {
      await assert.rejects(ensureVersion('ws', '9.9.9'), (error: Error) => {
        assert.ok(error instanceof InputError);
        assert.match(
          error.message,
          /^ws@9\.9\.9 could not be installed from the npm registry: No matching version found/,
        );
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
      await assert.rejects(ensureVersion('express', '4.0.0'), /package "express" is not one the version cache takes/);
      await assert.rejects(ensureVersion('ws', 'latest'), /version "latest" of ws is not an exact published version/);
      assert.deepEqual(fs.readdirSync(cache), []);
    });
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
