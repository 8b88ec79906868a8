/**
 * The report pipeline end to end on fixture chapters: parameter injection, the command line's
 * refusals (one line, exit 2, nothing written), self-contained pages (parsed; opened in headless
 * Chromium by test/live/onefile.test.ts, whose report has the same chapter with a chart), and
 * every registered chapter executed in quick mode with the rerun pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BOUNDS, KiB, MiB } from '../../src/core/params';
import { DATA_DIR_ENV, PROJECT_ROOT } from '../../src/core/paths';
import { buildReport, markdownToPlain, planReport, reportProblems, reproduceCommand } from '../../src/report/build';
import type { ReportRecord } from '../../src/report/report-record';
import { CHAPTERS, notebookFile, sizesText, type Chapter } from '../../src/chapters/registry';
import {
  declaredNames,
  INJECTED_TAG,
  InjectionError,
  PARAMETERS_TAG,
  parametersSource,
  planInjection,
} from '../../src/report/inject';
import { ONE_FILE_HTML } from '../../src/report/onefile';
import { externalLoads } from '../../src/report/self-contained';
import { fixtureChapter, fixtureNotebook } from '../support/chapters';

const fixture = fixtureNotebook;
const REPORT_CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'report.js');

const FIXTURE_CHAPTERS: Chapter[] = [
  fixtureChapter(0, 'params', 'Parameters <fixture> & co', { duration: '1s' }),
  fixtureChapter(1, 'error', 'A failing cell'),
];

test('every chapter takes frame sizes and says what it does with them, on the contents page as on its page', () => {
  for (const chapter of CHAPTERS) {
    assert.ok(
      declaredNames(parametersSource(notebookFile(chapter))).has('frameSizes'),
      `chapter ${chapter.number} declares no frameSizes`,
    );
  }
  const claims = CHAPTERS[4];
  assert.equal(sizesText(claims, '3000,200KiB,1536KiB'), `2.93 KiB, 200 KiB, 1.5 MiB: ${claims.sizes}`);
  assert.equal(sizesText(CHAPTERS[5], ''), `none given: ${CHAPTERS[5].sizes}`);
  assert.equal(sizesText({ sizes: 'made up' }, null), 'made up');
});

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-report-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface CellJson {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: Array<{ text?: string | string[]; data?: Record<string, string | string[]> }>;
}
const joined = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? value.join('') : (value ?? '');
const readCells = (file: string): CellJson[] =>
  (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: CellJson[] }).cells;

test('the parameters cell is read with the TypeScript parser: names and how they are declared', () => {
  const names = declaredNames(
    'let rate = 5, clients = 2;\nconst seed = 1;\nvar quick = false; // a comment\nfunction f() { let inner = 1; }',
  );
  assert.deepEqual(
    [...names],
    [
      ['rate', 'let'],
      ['clients', 'let'],
      ['seed', 'const'],
      ['quick', 'var'],
    ],
  );
});

test('injection assigns given values the notebook declares, reports the rest, and refuses what cannot apply', () => {
  const plan = planInjection(
    fixture('params.ipynb'),
    { duration: '1s' },
    { rate: '10', frameSizes: '4KiB,64KiB', clients: '3' },
  );
  assert.deepEqual(plan.assigned, { frameSizes: '4KiB,64KiB', rate: '10', duration: '1s' });
  assert.deepEqual(plan.unused, ['clients']);
  assert.match(plan.source ?? '', /^frameSizes = "4KiB,64KiB";$/m);
  assert.match(plan.source ?? '', /^rate = 10;$/m);
  assert.match(plan.source ?? '', /^duration = "1s";$/m);
  assert.equal(planInjection(fixture('params.ipynb'), {}, {}).source, undefined, 'nothing given, nothing injected');
  // A chapter's quick value must land, or quick mode would silently run full size.
  assert.throws(
    () => planInjection(fixture('params.ipynb'), { clients: 1 }, {}),
    (e: Error) => e instanceof InjectionError && /quick mode sets 'clients'/.test(e.message),
  );
  assert.throws(
    () => planInjection(fixture('noparams.ipynb'), {}, { rate: '1' }),
    (e: Error) => e instanceof InjectionError && /no cell tagged "parameters"/.test(e.message),
  );
});

/**
 * One bad value for each flag of the parameter model (the CLI hands them all to resolveParams, whose
 * every bound and malformed list is test/unit/params.test.ts's), then the flags, values and folders
 * only the command line reads.
 */
function badInputs(notWritable: string): Array<{ args: string[]; names: string; env?: Record<string, string> }> {
  const { frameSize, fragmentSize, burst, repeats, seed } = BOUNDS;
  return [
    { args: ['--frame-sizes', `${frameSize.max / MiB + 1}MiB`], names: '--frame-sizes' },
    { args: ['--fragment-size', `${fragmentSize.max / KiB + 1}KiB`], names: '--fragment-size' },
    { args: ['--rate', 'fast'], names: '--rate' },
    { args: ['--clients', '1.5'], names: '--clients' },
    { args: ['--burst', String(burst.max + 1)], names: '--burst' },
    { args: ['--duration', '20'], names: '--duration' },
    { args: ['--repeats', String(repeats.min - 1)], names: '--repeats' },
    { args: ['--seed', String(seed.max + 1)], names: '--seed' },
    { args: ['--stacks', '2014'], names: '--stacks' },
    { args: ['--deflate', 'maybe'], names: '--deflate' },
    { args: ['--payload', 'gif'], names: '--payload' },
    { args: ['--only', '99'], names: '--only' },
    { args: ['--only', 'no-such-chapter'], names: '--only' },
    { args: ['--bogus'], names: '--bogus' },
    { args: ['--pdf=yes'], names: '--pdf' },
    { args: ['--rate'], names: '--rate' },
    { args: ['stray'], names: 'stray' },
    { args: ['--cell-timeout', '0s'], names: '--cell-timeout' },
    { args: ['--notebook-timeout', '3h'], names: '--notebook-timeout' },
    { args: ['--from-data', path.join(tmp, 'no-such-dir')], names: '--from-data' },
    { args: [], names: 'data dir', env: { [DATA_DIR_ENV]: notWritable } },
    { args: ['--report-dir', notWritable], names: 'report dir' },
  ];
}

test('bad input on the command line: one line naming it, exit 2, nothing written', () => {
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, '');
  const notWritable = path.join(file, 'data'); // under a file: no one can create it, root included
  const dataDir = path.join(tmp, 'cli-data');
  const cliReport = path.join(tmp, 'cli-report');
  for (const { args, names, env } of badInputs(notWritable)) {
    const result = spawnSync(process.execPath, [REPORT_CLI, '--report-dir', cliReport, ...args], {
      encoding: 'utf8',
      env: { ...process.env, [DATA_DIR_ENV]: dataDir, ...env },
      timeout: 60_000,
    });
    const what = `report ${args.join(' ')}`;
    assert.equal(result.status, 2, `${what}: exit status (stderr: ${result.stderr})`);
    assert.equal(result.stdout, '', `${what}: nothing on stdout`);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(result.stderr)}`);
    assert.match(lines[0], /^npm run report: /, what);
    assert.ok(lines[0].includes(names), `${what}: names ${names}: ${lines[0]}`);
    assert.ok(
      /: (use|see|pass|add|fix|declare|write|run|give)\b/.test(lines[0]),
      `${what}: says what to do: ${lines[0]}`,
    );
  }
  assert.equal(fs.existsSync(dataDir), false, 'no data dir created');
  assert.equal(fs.existsSync(cliReport), false, 'no report written');
});

let record: ReportRecord;
const reportDir = (): string => path.join(tmp, 'report');

test('a quick report of fixture chapters: injected cell after parameters, temp data dir, replay dir passed on', async () => {
  const replay = fs.mkdtempSync(path.join(tmp, 'replay-'));
  const plan = planReport({
    chapters: FIXTURE_CHAPTERS,
    given: { quick: true, rate: '10', clients: '3' },
    fromData: replay,
    reportDir: reportDir(),
  });
  const events: string[] = [];
  record = await buildReport(plan, (event) => events.push(event.type));
  assert.deepEqual(events, [
    'chapter-start',
    'chapter-done',
    'chapter-start',
    'chapter-done',
    'rendering',
    'written',
    'one-file',
  ]);
  assert.deepEqual(
    record.chapters.map((c) => [c.slug, c.status]),
    [
      ['params', 'ok'],
      ['error', 'error'],
    ],
  );
  assert.deepEqual(reportProblems(record), ['chapter 1 error is error'], 'a failed chapter fails the report, named');
  // Kept from an earlier run under --only, it still fails the report, and says which run it is from.
  const kept = { ...record, chapters: record.chapters.map((c) => ({ ...c, kept: c.slug === 'error' })) };
  assert.match(reportProblems(kept)[0], /^chapter 1 error \(kept from the run of .+\) is error$/);

  const cells = readCells(path.join(reportDir(), '00-params.ipynb'));
  const at = cells.findIndex((cell) => (cell.metadata.tags ?? []).includes(PARAMETERS_TAG));
  assert.deepEqual(cells[at + 1].metadata.tags, [INJECTED_TAG], 'injected right after the parameters cell');
  assert.match(joined(cells[at + 1].source), /^rate = 10;$/m);
  assert.match(joined(cells[at + 1].source), /^duration = "1s";$/m, "the chapter's quick value");
  assert.match(joined(cells[at + 1].source), /^quick = true;$/m);
  assert.deepEqual(record.chapters[0].unused, ['clients']);
  const table = cells.map((cell) => (cell.outputs ?? []).map((o) => joined(o.data?.['text/html'])).join('')).join('');
  assert.match(table, /<td class="dl-num">10<\/td>/, 'the notebook ran with the injected rate');
  const log = cells.map((cell) => (cell.outputs ?? []).map((o) => joined(o.text)).join('')).join('');
  assert.match(log, new RegExp(`data dir: ${os.tmpdir()}/deflate-lab-quick-`), 'quick records go to a temp data dir');
  assert.ok(log.includes(`from data: ${replay}`), 'the replay dir reaches the kernel');
  const tempData = /data dir: (\S+);/.exec(log)?.[1] ?? '';
  assert.equal(fs.existsSync(tempData), false, 'the temp data dir is removed after the run');
});

test('chapter abstracts drop Markdown marks but keep identifiers whole', () => {
  assert.equal(
    markdownToPlain("zlib's `Z_DATA_ERROR` surfacing as *invalid* **compressed** _data_ ([ws #595](https://x))"),
    "zlib's Z_DATA_ERROR surfacing as invalid compressed data (ws #595)",
  );
  assert.equal(markdownToPlain('a snake_case_name and 2 * 3 * 4'), 'a snake_case_name and 2 * 3 * 4');
});

test('the contents page: chapters, escaped failure text, metadata, links to pages and notebooks', () => {
  const html = fs.readFileSync(path.join(reportDir(), 'index.html'), 'utf8');
  assert.ok(html.includes('Parameters &lt;fixture&gt; &amp; co'), 'titles escaped');
  assert.ok(html.includes('fixture failure &lt;b&gt;not bold&lt;/b&gt; &amp; co'), 'captured error text escaped');
  assert.ok(!html.includes('<b>not bold</b>'));
  for (const href of ['00-params.html', '00-params.ipynb', '01-error.html', '01-error.ipynb']) {
    assert.ok(html.includes(`href="${href}"`), href);
    assert.ok(fs.existsSync(path.join(reportDir(), href)), `${href} written`);
  }
  assert.ok(html.includes(record.meta.commit) && html.includes(record.meta.node), 'run metadata');
  assert.match(html, /Kernel start-up/);
  const json = JSON.parse(fs.readFileSync(path.join(reportDir(), 'report.json'), 'utf8')) as ReportRecord;
  assert.equal(json.chapters.length, 2);
});

test('every page is self-contained: the parsed HTML loads nothing from outside', async () => {
  const pages = ['index.html', '00-params.html', '01-error.html', 'deflate-lab.html'].map((name) =>
    path.join(reportDir(), name),
  );
  const loads = await externalLoads(pages);
  for (const page of pages) assert.deepEqual(loads[page], [], page);
  assert.deepEqual(record.indexLoads, []);
  assert.deepEqual(record.oneFileLoads, []);
  // The checker itself finds what the stock templates would load.
  const stock = path.join(tmp, 'stock.html');
  fs.writeFileSync(
    stock,
    '<script src="file:///usr/share/javascript/requirejs/require.min.js"></script><style>@import "x.css";</style><img src="a.png"><a href="https://github.com/websockets/ws/pull/595">cited</a>',
  );
  assert.equal((await externalLoads([stock]))[stock].length, 3);
  const chapterHtml = fs.readFileSync(pages[1], 'utf8');
  assert.match(chapterHtml, /<figure class="dl-chart">.*?<svg[^>]*>.*?<rect/s, 'the chart SVG survives nbconvert');
});

test('--only re-runs one chapter and keeps the others from the previous report; --fresh drops them', async () => {
  const only = planReport({ chapters: [FIXTURE_CHAPTERS[1]], given: {}, reportDir: reportDir() });
  const again = await buildReport(only);
  assert.deepEqual(
    again.chapters.map((c) => c.slug),
    ['params', 'error'],
  );
  assert.equal(again.chapters[0].ranAt, record.chapters[0].ranAt, 'params kept from the earlier run');
  assert.deepEqual(
    again.chapters.map((c) => c.kept),
    [true, false],
  );
  const fresh = await buildReport({ ...only, fresh: true });
  assert.deepEqual(
    fresh.chapters.map((c) => c.slug),
    ['error'],
  );
  assert.equal(fs.existsSync(path.join(reportDir(), '00-params.html')), false);
});

// Every registered chapter, quick, with the rerun pass: the check that the notebooks run from a
// clean kernel and again in the same one. Chapters whose notebook is not written yet are skipped
// by name, so the skip shows in the test output.
test('every registered chapter runs in quick mode, twice in one kernel', async (t) => {
  const present = CHAPTERS.filter((chapter) => fs.existsSync(notebookFile(chapter)));
  const missing = CHAPTERS.filter((chapter) => !present.includes(chapter));
  if (present.length === 0) {
    t.skip(`no chapter notebook written yet: ${missing.map((c) => c.notebook).join(', ')}`);
    return;
  }
  if (missing.length > 0) t.diagnostic(`not written yet, skipped: ${missing.map((c) => c.notebook).join(', ')}`);
  const plan = planReport({
    chapters: present,
    given: { quick: true },
    rerun: true,
    reportDir: path.join(tmp, 'chapters'),
  });
  const result = await buildReport(plan);
  for (const entry of result.chapters) {
    assert.equal(
      entry.status,
      'ok',
      `chapter ${entry.number} ${entry.slug}: ${entry.run?.failure?.where ?? ''} ${entry.run?.failure?.message ?? entry.problems.join('; ')}`,
    );
    assert.ok((entry.run?.rerunMs ?? 0) > 0, `chapter ${entry.slug} ran twice`);
  }
  assert.deepEqual(result.indexLoads, []);
  // The pages show the findings' sentences; the numbers stay in *.findings.json. An object printed
  // as a cell's value (tslab shows `{ kind: 'harness', … }`) is what a reader must not see.
  const reportDir = path.join(tmp, 'chapters');
  const objectShown = /\bkind: (?:'|&#39;|&#x27;)/;
  for (const entry of result.chapters) {
    readCells(path.join(reportDir, entry.ipynb as string)).forEach((cell, i) => {
      for (const output of cell.outputs ?? []) {
        const text = joined(output.text) + joined(output.data?.['text/plain']) + joined(output.data?.['text/html']);
        assert.doesNotMatch(text, objectShown, `chapter ${entry.slug}, cell ${i}: an object shown as output`);
      }
    });
    assert.doesNotMatch(
      fs.readFileSync(path.join(reportDir, entry.page as string), 'utf8'),
      objectShown,
      entry.page as string,
    );
  }
  assert.doesNotMatch(fs.readFileSync(path.join(reportDir, ONE_FILE_HTML), 'utf8'), objectShown, ONE_FILE_HTML);
});

test('the reproduce line: the chapter, the mode and every given value as its flag, at the commit', () => {
  const line = reproduceCommand(
    { given: { frameSizes: '3000,200KiB', rate: '8', quick: true }, quick: true, fromData: undefined },
    4,
  );
  assert.match(
    line,
    /^npm run report -- --only 4 --quick --frame-sizes 3000,200KiB --rate 8 {2}# at commit [0-9a-f]{10}/,
  );
  assert.match(
    reproduceCommand({ given: {}, quick: false, fromData: '/x/data' }, 5),
    /^npm run report -- --only 5 --from-data \/x\/data {2}#/,
  );
});
