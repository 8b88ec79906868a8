/**
 * Chapter 9's `versions` parameter: a release the reader names is installed from the npm registry
 * before any row runs, once; a socket.io release brings the client of its version; a version npm
 * does not have is refused in one line with nothing left in the cache.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { historyPlan, installNamedReleases } from '../../src/chapters/09-history';
import { VERSION_CACHE_ENV } from '../../src/core/version-cache';

async function printed(body: () => Promise<void>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await body();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('a named release is installed once, before the rows; one npm does not have is refused', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-named-'));
  const before = process.env[VERSION_CACHE_ENV];
  process.env[VERSION_CACHE_ENV] = cache;
  try {
    const plan = historyPlan({ versions: 'ws@3.0.0', frameSizes: '1.5MiB', quick: true });
    assert.match(await printed(() => installNamedReleases(plan)), /ws@3\.0\.0: installed now; RSV1 misuse \(row 4\)/);
    assert.match(await printed(() => installNamedReleases(plan)), /ws@3\.0\.0: already in the version cache/);
    await assert.rejects(
      installNamedReleases(historyPlan({ versions: 'ws@3.0.99', frameSizes: '1.5MiB', quick: true })),
      /^InputError: ws@3\.0\.99 could not be installed from the npm registry: No matching version found for ws@3\.0\.99\.$/,
    );
    assert.deepEqual(fs.readdirSync(cache), ['ws@3.0.0']);
  } finally {
    if (before === undefined) delete process.env[VERSION_CACHE_ENV];
    else process.env[VERSION_CACHE_ENV] = before;
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
