/**
 * Hostile captured text through the real report path: a fixture chapter captures lines carrying
 * markup (a real debug capture, then every display function, the cell's stdout and stderr, and an
 * error), `buildReport` executes and renders it, and headless Chromium opens the chapter page,
 * the contents page and the one-file report. The markup must show as text: no dialog, no request beyond the document.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/core/paths';
import { buildReport, planReport } from '../../src/report/build';
import type { ReportRecord } from '../../src/report/report-record';
import type { Chapter } from '../../src/chapters/registry';
import { launchChromium } from '../../src/core/chromium';
import { ONE_FILE_HTML } from '../../src/report/onefile';

const HOSTILE = ['<script>alert(1)</script>', '</pre><img src=x onerror=alert(1)>'];
const CHAPTER: Chapter = {
  number: 0,
  slug: 'hostile',
  // The title is text a contributor typed, but it goes through the same escaping.
  title: `Hostile ${HOSTILE[0]}`,
  notebook: path.join(PROJECT_ROOT, 'test', 'fixtures', 'notebooks', 'hostile.ipynb'),
  quick: {},
  sizes: `sizes ${HOSTILE[1]}`,
};

let tmp: string;
let record: ReportRecord;
let browser: Browser;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-hostile-'));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What a reader's browser did with a page. */
interface Opened {
  requests: string[];
  dialogs: string[];
  /** The text a reader sees (closed <details> excluded). */
  text: string;
  /** Elements the hostile lines would create if they were parsed as markup. */
  injected: number;
}

async function open(file: string): Promise<Opened> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // An injected <img> would fail to load and fire its onerror within this time.
    await page.waitForTimeout(500);
    const text = await page.evaluate(() => document.body.innerText);
    const injected = await page.evaluate(
      () =>
        document.querySelectorAll('img[src="x"], img[onerror]').length +
        Array.from(document.querySelectorAll('script')).filter((s) => (s.textContent ?? '').includes('alert(1)'))
          .length,
    );
    return { requests: requests, dialogs: dialogs, text: text, injected: injected };
  } finally {
    await context.close();
  }
}

test('the fixture chapter runs through the report pipeline and fails on its last cell, as written', async () => {
  const plan = planReport({ chapters: [CHAPTER], given: {}, reportDir: path.join(tmp, 'report') });
  record = await buildReport(plan);
  const [entry] = record.chapters;
  assert.equal(entry.status, 'error');
  assert.equal(entry.run?.failure?.cell, 'cell 7', entry.run?.failure?.where);
  assert.ok(entry.run?.failure?.message.includes(HOSTILE[1]), entry.run?.failure?.message);
});

test('in Chromium, the chapter page shows every hostile line as text: no dialog, no request', async () => {
  const page = path.join(tmp, 'report', '00-hostile.html');
  const seen = await open(page);
  assert.deepEqual(seen.dialogs, [], 'no script ran');
  assert.deepEqual(seen.requests, [pathToFileURL(page).href], 'only the document was loaded');
  assert.equal(seen.injected, 0, 'no element was made from captured text');
  // Each output kind shows both lines: the debug capture, text and its title, table and its
  // caption, progress, stdout, stderr, chart caption, the error.
  for (const line of HOSTILE) {
    const shown = seen.text.split(line).length - 1;
    assert.ok(shown >= 6, `'${line}' shown as text ${shown} times`);
  }
  assert.ok(seen.text.includes(`fixture:hostile captured ${HOSTILE[0]}`), 'the captured debug line, whole');
});

test('in Chromium, the contents page shows the title and the failure as text: no dialog, no request', async () => {
  const page = path.join(tmp, 'report', 'index.html');
  const seen = await open(page);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.requests, [pathToFileURL(page).href]);
  assert.equal(seen.injected, 0);
  assert.ok(seen.text.includes(CHAPTER.title), 'title');
  assert.ok(seen.text.includes(`captured ${HOSTILE[1]} ${HOSTILE[0]}`), 'the failure text');
});

test('in Chromium, the one-file report shows every hostile line and the title as text: no dialog, no request', async () => {
  const page = path.join(tmp, 'report', ONE_FILE_HTML);
  const seen = await open(page);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.requests, [pathToFileURL(page).href]);
  assert.equal(seen.injected, 0);
  for (const line of HOSTILE) {
    const shown = seen.text.split(line).length - 1;
    assert.ok(shown >= 6, `'${line}' shown as text ${shown} times`);
  }
  assert.ok(seen.text.includes(CHAPTER.title), 'the title, in the contents and the chapter');
  assert.ok(seen.text.includes(`fixture:hostile captured ${HOSTILE[0]}`), 'the captured debug line, whole');
});
