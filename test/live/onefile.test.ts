/**
 * The one-file report (report/deflate-lab.html) and its PDF, built by the real report path from
 * small fixture chapters: one that hands made-up numbers to the findings through the file the
 * report names, one with a chart, one that fails. Opened in headless Chromium (zero requests, the
 * findings' links land, charts visible, the code toggle works without scripts, no sideways scroll
 * at 390 px; the contents page and the chart's chapter page too) and printed (pdftotext finds the
 * page numbers and the last chapter's closing text; pdftoppm shows the first page is not blank).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DL_CSS } from '../../src/show/fragments';
import { buildReport, planReport } from '../../src/report/build';
import type { ReportRecord } from '../../src/report/report-record';
import type { Chapter } from '../../src/chapters/registry';
import { chapterAnchor, ONE_FILE_HTML, ONE_FILE_PDF, scopeIds } from '../../src/report/onefile';
import { launchChromium, visit } from '../support/chromium';
import { fixtureChapter } from '../support/chapters';

const CHAPTERS: Chapter[] = [
  fixtureChapter(0, 'params', 'Parameters'),
  fixtureChapter(1, 'error', 'A failing cell'),
  fixtureChapter(2, 'findings', 'Findings & a wide table'),
];
const CLOSING = 'zebra quartz closing line';

let tmp: string;
let record: ReportRecord;
let browser: Browser;
const dir = (): string => path.join(tmp, 'report');
const oneFile = (): string => path.join(dir(), ONE_FILE_HTML);

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-onefile-'));
  record = await buildReport(planReport({ chapters: CHAPTERS, given: {}, reportDir: dir(), pdf: true }));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the chapter hands its numbers to the report, and both pages open with the findings', () => {
  assert.equal(record.chapters[2].findings?.kind, 'symptom');
  assert.equal(record.chapters[0].findings, null, 'a chapter that hands nothing over has no findings');
  for (const name of ['index.html', ONE_FILE_HTML]) {
    const html = fs.readFileSync(path.join(dir(), name), 'utf8');
    const found = html.indexOf('What this run found');
    assert.ok(found > 0 && found < html.indexOf('How this report was made'), `${name}: findings first`);
    assert.match(html, /What broke in 2015: on socket\.io 1\.3\.7 with ws 0\.8\.0, 2 Chromium pages/);
    assert.match(html, /Chapter 1 \(A failing cell\) failed in the run of .* \(error: /, `${name}: the failure said`);
    // The chapter's judgements after the findings, then the methods box, before how the report was made.
    const verdicts = html.indexOf('<h3>Verdicts</h3>');
    const methods = html.indexOf('id="methods"');
    assert.ok(found < verdicts && verdicts < methods && methods < html.indexOf('How this report was made'), name);
    assert.match(html, /a chat page keeps its socket <a class="dl-evidence" href="[^"]+">\(chapter 2\)<\/a>/);
    assert.match(html, /class="dl-verdict-open">not settled \(quick run\)<\/td>.*zebra 9 connection-minutes/);
  }
  assert.deepEqual(record.oneFileLoads, []);
  assert.deepEqual(record.oneFileProblems, []);
});

test('one file: every chapter in order, each style sheet once, anchors for the contents', () => {
  const html = fs.readFileSync(oneFile(), 'utf8');
  assert.equal(html.match(/<style/g)?.length, 1, 'one style sheet');
  assert.equal(html.split(DL_CSS).length - 1, 1, "the outputs' rules once");
  assert.doesNotMatch(html, /--jp-|<script/, 'no JupyterLab style sheet, no script');
  const positions = CHAPTERS.map((c) => html.indexOf(`id="${chapterAnchor(c.slug)}"`));
  assert.ok(
    positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1])),
    `chapters in order: ${positions}`,
  );
  for (const c of CHAPTERS) assert.ok(html.includes(`href="#${chapterAnchor(c.slug)}"`), `contents link to ${c.slug}`);
  assert.ok(html.includes('Findings &amp; a wide table'), 'titles escaped');
  assert.equal(html.match(/<details class="dl-code-toggle">/g)?.length, 3, 'a code toggle per rendered chapter');
  const long = '0123456789'.repeat(1000);
  assert.ok(!html.includes(long), 'an output over the limit is left out');
  assert.match(
    html,
    /An output of 250,\d{3} characters is left out here to keep this file small; it is in this chapter's page \(02-findings\.html\)/,
  );
  assert.ok(
    fs.readFileSync(path.join(dir(), '02-findings.html'), 'utf8').includes(long),
    "the chapter's page keeps it",
  );
});

test('ids in a chapter, and references to them, get the chapter prefix; text does not change', () => {
  assert.equal(
    scopeIds(
      '<h2 id="Top">x<a href="#Top">¶</a></h2><svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>',
      'c--',
    ),
    '<h2 id="c--Top">x<a href="#c--Top">¶</a></h2><svg><clipPath id="c--clip1"/><g clip-path="url(#c--clip1)"/></svg>',
  );
  assert.equal(
    scopeIds('<pre>id=&quot;x&quot; href=&quot;#y&quot;</pre>', 'c--'),
    '<pre>id=&quot;x&quot; href=&quot;#y&quot;</pre>',
  );
});

test('in Chromium: no request beyond the file, every findings and contents link lands, charts visible, code behind a toggle', async () => {
  const url = pathToFileURL(oneFile()).href;
  const seen = await visit(browser, url, {
    inspect: async (page) => {
      const missing = await page.evaluate(() =>
        Array.from(document.querySelectorAll('a[href^="#"]'))
          .map((a) => a.getAttribute('href') as string)
          .filter((href) => document.getElementById(decodeURIComponent(href.slice(1))) === null),
      );
      const findingsLinks = await page.locator('ol.dl-findings a').count();
      const code = page.locator('.jp-CodeCell .jp-Cell-inputWrapper').first();
      const prose = page.locator('.jp-MarkdownCell').first();
      const hidden = !(await code.isVisible()) && (await prose.isVisible());
      await page.locator('details.dl-code-toggle summary').first().click();
      return { missing: missing, findingsLinks: findingsLinks, hidden: hidden, shown: await code.isVisible() };
    },
  });
  assert.deepEqual(seen.requests, [url], 'only the document');
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.inspected?.missing, [], 'every same-file link lands on an element');
  assert.ok((seen.inspected?.findingsLinks ?? 0) >= 2, 'findings link to their chapters');
  assert.ok(seen.charts.length >= 2, `charts: ${seen.charts.length}`);
  for (const box of seen.charts)
    assert.ok(box && box.width > 50 && box.height > 50, `chart visible: ${JSON.stringify(box)}`);
  assert.equal(seen.inspected?.hidden, true, 'code hidden until asked for, the prose shown');
  assert.equal(seen.inspected?.shown, true, 'the toggle shows the code without a script');
});

test('in Chromium, the contents page and a chapter page: no request beyond the document, chart visible', async () => {
  for (const name of ['index.html', '00-params.html']) {
    const url = pathToFileURL(path.join(dir(), name)).href;
    const seen = await visit(browser, url);
    assert.deepEqual(seen.requests, [url], `${name}: only the document`);
    assert.ok(
      seen.chartBox && seen.chartBox.width > 50 && seen.chartBox.height > 50,
      `${name}: chart visible (${JSON.stringify(seen.chartBox)})`,
    );
  }
});

test('at 390 px the page does not scroll sideways; the wide table scrolls in its own box', async () => {
  const seen = await visit(browser, pathToFileURL(oneFile()).href, {
    width: 390,
    inspect: (page) =>
      page.evaluate(() => {
        const table = Array.from(document.querySelectorAll('table.dl-table')).find((t) =>
          (t.textContent ?? '').includes('wider than a phone'),
        ) as HTMLElement;
        return { scrollWidth: table.scrollWidth, clientWidth: table.clientWidth };
      }),
  });
  assert.ok(seen.sideways <= 0, `sideways scroll ${seen.sideways} px`);
  const table = seen.inspected as { scrollWidth: number; clientWidth: number };
  assert.ok(table.clientWidth <= 390 && table.scrollWidth > table.clientWidth, `table box ${JSON.stringify(table)}`);
  for (const box of seen.charts) assert.ok(box && box.width <= 390, `chart fits: ${JSON.stringify(box)}`);
  const index = await visit(browser, pathToFileURL(path.join(dir(), 'index.html')).href, { width: 390 });
  assert.ok(index.sideways <= 0, `the contents page scrolls sideways by ${index.sideways} px`);
});

test('the PDF: numbered pages, the last chapter closing, the wide table whole, a first page that is not blank', () => {
  const pdf = path.join(dir(), ONE_FILE_PDF);
  const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
  const pages = text.split('\f').filter((page) => page.trim() !== '');
  assert.ok(pages.length >= 2, `${pages.length} pages`);
  for (const [i, page] of pages.entries()) {
    assert.ok(page.includes(`page ${i + 1} of ${pages.length}`), `page ${i + 1} numbered`);
  }
  assert.ok(text.replace(/\s+/g, ' ').includes(CLOSING), "the last chapter's closing text");
  assert.ok(text.includes('What this run found'));
  // A table that scrolled or overflowed would lose its right-hand columns in print.
  assert.match(text, /\b16 with\b/, "the wide table's last column is on the page");
  const png = path.join(tmp, 'first');
  execFileSync('pdftoppm', ['-f', '1', '-l', '1', '-r', '30', '-gray', pdf, png]);
  const pgm = fs.readFileSync(
    fs
      .readdirSync(tmp)
      .map((f) => path.join(tmp, f))
      .find((f) => f.startsWith(png)) as string,
  );
  // P5 header: magic, width, height, maxval, then one byte per pixel.
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'));
  assert.ok(header, 'a PGM image');
  const pixels = pgm.subarray(pgm.length - Number(header[1]) * Number(header[2]));
  const dark = pixels.filter((value) => value < 128).length;
  assert.ok(dark / pixels.length > 0.005, `first page has ink: ${dark} of ${pixels.length} pixels dark`);
});
