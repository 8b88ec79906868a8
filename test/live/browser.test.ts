/**
 * Chromium smoke test: one real page on the 2015 stack, sending canvas data URLs for a moment.
 * Parameters fixed before any run: one page, 256 KiB pictures (large enough that Chromium
 * fragments every message), two a second, for 1.5 s.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { pageKindFor } from '../../src/traffic/browser-load';
import { CLIENT_BUNDLE_PATH, PAGE_PATH, servePages } from '../../src/clients/page';
import { KiB } from '../../src/core/params';
import { runScenario } from '../../src/traffic/scenario';
import { loadStack } from '../../src/stacks';
import { assertNoHandlesLeft } from '../support/handles';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test("a Chromium page on 2015 sends RSV1 first frames with continuations, through the stack's own bundle", async () => {
  const record = await runScenario(
    {
      stack: '2015',
      client: 'browser',
      payload: 'data-url',
      frameSize: 256 * KiB,
      fragmentSize: 100 * KiB,
      rate: 2,
      clients: 1,
      burst: 1,
      deflate: 'on',
      duration: 1500,
      seed: 1,
      placement: 'in-process',
    },
    { record: false },
  );
  const { result } = record;
  assert.equal(result.status, 'completed', result.runError);
  const browser = result.browser;
  assert.ok(browser, 'a browser run must describe its browser');
  assert.match(browser.chromium, /^\d+\./);
  assert.deepEqual(browser.pageErrors, []);

  // Every data message Chromium sent was compressed, and at least one was split: so at least one
  // message arrived as an RSV1 first frame followed by continuation frames.
  const { wire } = result;
  assert.ok(
    result.handshakes.every((h) => /permessage-deflate/.test(h.offer)),
    JSON.stringify(result.handshakes),
  );
  assert.ok(result.controls.deflateNegotiated);
  assert.ok(wire.messages > 0);
  assert.equal(wire.compressedMessages, wire.messages, JSON.stringify(wire));
  assert.ok(wire.fragmentedMessages >= 1 && wire.continuationFrames >= wire.fragmentedMessages, JSON.stringify(wire));

  // The page's crc32 agrees with the server's zlib.crc32.
  assert.ok(result.verified >= 1, `verified ${result.verified} of ${result.delivered}`);
  assert.equal(result.corrupted, 0);

  // The bundle the page ran is byte for byte the 2015 stack's, and not today's.
  const stack = loadStack('2015');
  assert.ok(browser.bundles.length >= 1, 'the page must have loaded the client bundle');
  for (const bundle of browser.bundles) {
    assert.equal(new URL(bundle.url).pathname, CLIENT_BUNDLE_PATH);
    assert.equal(bundle.stackFile, stack.clientBundle);
    assert.equal(bundle.sha256, sha256(stack.clientBundle));
    assert.notEqual(bundle.sha256, sha256(loadStack('today').clientBundle));
  }
  assert.equal(browser.pages.length, 1);
  assert.equal(browser.pages[0].kind, 'image');
  assert.ok((browser.pages[0].meanLength ?? 0) > 100 * KiB, `mean data URL length ${browser.pages[0].meanLength}`);

  // Chromium and the server are gone: no child process, no socket or server left behind.
  await assertNoHandlesLeft();
});

test('the page is served at its path, anything else is 404', async () => {
  const server = http.createServer(servePages);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const page = await fetch(`http://127.0.0.1:${port}${PAGE_PATH}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), new RegExp(`<script src="${CLIENT_BUNDLE_PATH}"></script>`));
    assert.equal((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status, 404);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a browser sends pictures or chat text, and says so for other payloads', () => {
  assert.equal(pageKindFor('data-url'), 'image');
  assert.equal(pageKindFor('json'), 'chat');
  assert.throws(() => pageKindFor('png'), /'data-url'.*'json'/);
});
