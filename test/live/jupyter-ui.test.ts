/**
 * Jupyter as a person uses it: `npm run notebook` started from the command line, and the classic
 * Notebook page driven in headless Chromium. Chapter 5, whose given frame size makes it measure a
 * live sweep in processes of its own (a path no other test runs in a kernel): edit the
 * `parameters` cell (one frame size, one stack, quick = true), Cell → Run All, wait for every code
 * cell's execution count, check that no output is an error or stderr and that an SVG chart is
 * drawn; then Run All again in the same kernel. Every chapter's quick run, twice in one kernel
 * (chapter 5's from its committed sweep), is test/live/report.test.ts's. It runs in a built copy of
 * the project in a temporary folder (PROJECT_ROOT is found from the compiled files, so the copy's
 * CLI serves the copy's notebooks/), with a scratch data dir: the committed notebooks and data/
 * are never written, whatever the page saves.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LOOPBACK } from '../../src/core/net';
import { DATA_DIR_ENV, JUPYTER_DIR, NOTEBOOKS_DIR, PROJECT_ROOT } from '../../src/core/paths';
import { launchChromium } from '../support/chromium';
import { running } from '../support/process';
import { processTree } from '../support/listening';

// Bounds: the server answers within a minute; one Run All of chapter 5 (two live runs of a few
// seconds, each in its own process) takes well under a minute, even on a loaded machine.
const SERVER_START_MS = 90_000;
const KERNEL_READY_MS = 120_000;
const RUN_ALL_MS = 8 * 60_000;
const STOP_MS = 30_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A built copy of the project: its own package.json, dist/ and notebooks/ (copies), the rest
 * linked; .jupyter/ holds only a link to the registered kernel spec, so Jupyter's config, data and
 * runtime files land in the copy.
 */
function builtCopy(root: string): string {
  const copy = path.join(root, 'checkout');
  fs.mkdirSync(path.join(copy, '.jupyter'), { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(copy, 'package.json'));
  fs.cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
  fs.cpSync(NOTEBOOKS_DIR, path.join(copy, 'notebooks'), { recursive: true });
  for (const dir of ['node_modules', 'src', 'templates', 'scripts'])
    fs.symlinkSync(path.join(PROJECT_ROOT, dir), path.join(copy, dir));
  fs.symlinkSync(path.join(JUPYTER_DIR, 'share'), path.join(copy, '.jupyter', 'share'));
  return copy;
}

/** `npm run notebook -- --port N` as the CLI runs it, and the URL it printed. */
interface NotebookCli {
  child: ChildProcess;
  url: URL;
  output: () => string;
}

async function startCli(copy: string, port: number, dataDir: string): Promise<NotebookCli> {
  const child = spawn(
    process.execPath,
    [path.join(copy, 'dist', 'src', 'cli', 'notebook.js'), '--port', String(port)],
    {
      env: { ...process.env, [DATA_DIR_ENV]: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const cli = { child: child, output: () => output };
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL within ${SERVER_START_MS} ms: ${output}`)),
      SERVER_START_MS,
    );
    const check = (): void => {
      const printed = /^Open: (\S+)$/m.exec(output)?.[1];
      if (printed === undefined) return;
      clearTimeout(timer);
      resolve(new URL(printed));
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run notebook exited with ${code}: ${output}`));
    });
  });
  return { ...cli, url: url };
}

/** Ctrl-C's twin: SIGTERM, which the CLI answers by stopping Jupyter (and its kernels); SIGKILL if it hangs. */
async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
  await exited;
  clearTimeout(timer);
}

/** The code cells' execution counts as the page shows them (`In [3]:`), null for `In [ ]:` and `In [*]:`. */
async function executionCounts(page: Page): Promise<Array<number | null>> {
  const prompts = await page.locator('#notebook-container .cell.code_cell .input_prompt').allInnerTexts();
  return prompts.map((prompt) => {
    const count = /\[(\d+)\]/.exec(prompt)?.[1];
    return count === undefined ? null : Number(count);
  });
}

/**
 * Replaces the `parameters` cell's text as a person would (click into it, select all, paste) and
 * checks that the editor then holds it, and that the cell edited is the one tagged parameters.
 */
async function editParameters(page: Page, edit: (source: string) => string): Promise<void> {
  const cell = page.locator('#notebook-container .cell').filter({ hasText: 'let quick' });
  assert.equal(await cell.count(), 1, 'one cell declares quick');
  const editor = cell.locator('.CodeMirror');
  const read = () =>
    editor.evaluate((el) => (el as HTMLElement & { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
  // Which cell carries the tag is notebook metadata the page does not draw; read it, change nothing.
  const tagged = await page.evaluate(() => {
    const notebook = (
      window as unknown as { Jupyter: { notebook: { get_cells(): Array<{ metadata: { tags?: string[] } }> } } }
    ).Jupyter.notebook;
    return notebook.get_cells().findIndex((c) => c.metadata.tags?.includes('parameters') ?? false);
  });
  const index = await cell.evaluate((el) =>
    Array.from(document.querySelectorAll('#notebook-container .cell')).indexOf(el),
  );
  assert.equal(index, tagged, 'the cell edited is the parameters cell');
  const wanted = edit(await read());
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(wanted);
  await page.keyboard.press('Escape');
  assert.equal(await read(), wanted, 'the editor holds the edited parameters');
}

/** Sets one `let` of the parameters cell to a new literal; fails if the cell does not declare it. */
function setLet(source: string, name: string, literal: string): string {
  const declaration = new RegExp(`^let ${name} = [^;]*;`, 'm');
  assert.match(source, declaration, `the parameters cell declares ${name}`);
  return source.replace(declaration, `let ${name} = ${literal};`);
}

/** What one Run All left on the page. */
interface RunAll {
  counts: Array<number | null>;
  ms: number;
}

/** Cell → Run All from the menu bar, then waits until nothing is queued or running and the kernel is idle. */
async function runAll(page: Page): Promise<RunAll> {
  const started = Date.now();
  await page.locator('#menus a.dropdown-toggle', { hasText: /^Cell$/ }).click();
  await page.locator('#run_all_cells > a').click();
  // Run All marks every code cell [*] before the first reply; wait for none left and an idle kernel.
  await page.waitForFunction(
    () =>
      document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null &&
      Array.from(document.querySelectorAll('#notebook-container .cell.code_cell .input_prompt')).every(
        (prompt) => !(prompt.textContent ?? '').includes('[*]'),
      ),
    undefined,
    { timeout: RUN_ALL_MS, polling: 500 },
  );
  return { counts: await executionCounts(page), ms: Date.now() - started };
}

/** Outputs that are errors or stderr streams; the charts drawn (visible <svg> in an output); all outputs' text. */
async function outputs(page: Page): Promise<{ bad: string[]; charts: number; text: string }> {
  const area = page.locator('#notebook-container .output_area');
  const bad = await area.locator('.output_error, .output_stderr').allInnerTexts();
  const charts = await area.locator('svg').evaluateAll(
    (svgs) =>
      svgs.filter((svg) => {
        const box = svg.getBoundingClientRect();
        return box.width > 100 && box.height > 50 && svg.querySelectorAll('path, rect, line').length > 0;
      }).length,
  );
  const text = (await area.allInnerTexts()).join(' ').replace(/\s+/g, ' ');
  return { bad: bad, charts: charts, text: text };
}

/**
 * Opens a chapter, edits its parameters, and runs it twice in the same kernel: every code cell
 * numbered (1..n, then n+1..2n: the same kernel, every cell once per run), no error or stderr
 * output, a chart drawn. `shows` must appear in the outputs: proof the edited parameters were used.
 */
async function runChapter(
  browser: Browser,
  base: URL,
  notebook: string,
  params: Record<string, string>,
  shows: RegExp,
): Promise<number[]> {
  const page = await browser.newPage();
  try {
    const url = new URL(`/notebooks/${notebook}`, base);
    url.searchParams.set('token', base.searchParams.get('token') ?? '');
    await page.goto(url.href, { waitUntil: 'load' });
    await page.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ timeout: KERNEL_READY_MS });
    const codeCells = await page.locator('#notebook-container .cell.code_cell').count();
    assert.ok(codeCells > 1, `${notebook}: code cells`);
    await editParameters(page, (source) =>
      Object.entries(params).reduce((text, [name, literal]) => setLet(text, name, literal), source),
    );
    const times: number[] = [];
    for (const round of [0, 1]) {
      const { counts, ms } = await runAll(page);
      times.push(ms);
      const what = `${notebook}, Run All #${round + 1}`;
      const expected = Array.from({ length: codeCells }, (_, i) => round * codeCells + i + 1);
      const { bad, charts, text } = await outputs(page);
      assert.deepEqual(bad, [], `${what}: no error or stderr output`);
      assert.deepEqual(counts, expected, `${what}: every code cell ran once, in order, in the same kernel`);
      assert.ok(charts >= 1, `${what}: an SVG chart is drawn`);
      assert.match(text, shows, `${what}: the outputs show the edited parameters at work`);
    }
    return times;
  } finally {
    await page.close();
  }
}

/** Every file under `dir` with its bytes, to prove nothing there changed. */
function contents(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full), fs.readFileSync(full, 'base64'));
  }
  return files;
}

test(
  'Jupyter Notebook in Chromium: chapter 5, parameters edited, Run All twice in one kernel, clean outputs and a chart',
  { timeout: 25 * 60_000 },
  async (t) => {
    const committed = contents(NOTEBOOKS_DIR);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-jupyter-ui-'));
    let cli: NotebookCli | undefined;
    let browser: Browser | undefined;
    const seen = new Set<number>();
    try {
      const copy = builtCopy(scratch);
      cli = await startCli(copy, await freePort(), path.join(scratch, 'data'));
      assert.match(cli.output(), /Jupyter Notebook is running on notebooks\//);
      browser = await launchChromium();

      const sweep = await runChapter(
        browser,
        cli.url,
        '05-sweep.ipynb',
        // One stack, deflate on and off: two runs where the chapter's three stacks make six. The
        // sweep over stacks is the sweep engine's, tested outside a kernel; here, the kernel's path.
        { frameSizes: "'100KiB'", stacks: "'2015'", quick: 'true' },
        /frame sizes 100KiB were given, so they are measured now/,
      );
      for (const pid of processTree(cli.child.pid as number)) seen.add(pid);
      t.diagnostic(`Run All times (ms): chapter 5 ${sweep.join(', ')}`);
    } finally {
      await browser?.close();
      if (cli) await stopCli(cli.child);
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    assert.ok(seen.size >= 3, `the CLI, Jupyter and the kernel were seen: ${[...seen].join(', ')}`);
    assert.deepEqual(
      [...seen].filter((pid) => running(pid)),
      [],
      'the CLI, Jupyter and the kernel are gone',
    );
    assert.deepEqual(contents(NOTEBOOKS_DIR), committed, 'the committed notebooks are unchanged');
  },
);
