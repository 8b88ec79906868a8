/**
 * Showing results, with the environment at the edge: inside a tslab kernel every function emits
 * one `text/html` output (charts too: nbconvert 6.5.3 empties `image/svg+xml` and drops
 * `application/vnd.vegalite*`); anywhere else (CLI, tests) it writes plain text to stdout, and
 * progress goes to stderr. Callers never branch on where they run.
 */
import type * as Tslab from 'tslab';
import { chartHtml, type ChartOptions, type ChartSpec } from './charts';
import { collapsible, escapeText, htmlTable, preText, tableCells, type TableOptions, withStyle } from './fragments';
import { formatDuration } from '../core/units';

// tslab's module-level display writer. It is set when the kernel runs its first cell and stays
// set, and `tslab.display` throws "Not ready" without it: so a loaded tslab with a writer is
// exactly the condition under which rich output works.
const TSLAB_JUPYTER_MODULE = require.resolve('tslab/dist/jupyter');

/**
 * Whether we run inside a tslab kernel that can show HTML. Decided by looking at the project's
 * own tslab (the copy the kernel spec runs) in the module cache, not by requiring it: loading
 * tslab pulls in its TypeScript, which a CLI run should not pay for.
 */
export function inKernel(): boolean {
  const jupyter = require.cache[TSLAB_JUPYTER_MODULE]?.exports as { lastWriteDisplayData?: unknown } | undefined;
  return jupyter?.lastWriteDisplayData != null;
}

function tslab(): typeof Tslab {
  return require('tslab') as typeof Tslab;
}

function printLine(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Shows an HTML fragment (made with src/show/fragments.ts) in the notebook; outside, prints `plain` (or the HTML source). */
export function showHtml(html: string, plain?: string): void {
  if (inKernel()) tslab().display.html(withStyle(html));
  else printLine(plain ?? html);
}

/** A plain-text table: columns padded, numeric ones right-aligned, a caption line above. */
export function textTable<Row extends object>(rows: readonly Row[], opts: TableOptions<Row> = {}): string {
  const cells = tableCells(rows, opts);
  // Cells are one line each in text; a newline inside a value would break the columns.
  const flat = (text: string): string => text.replace(/\r?\n/g, ' ');
  const grid = [cells.headers, ...cells.rows].map((row) => row.map(flat));
  const widths = cells.headers.map((_, column) => Math.max(...grid.map((row) => row[column].length)));
  const line = (row: string[]): string =>
    row
      .map((text, column) => (cells.numeric[column] ? text.padStart(widths[column]) : text.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  const lines = [line(grid[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...grid.slice(1).map(line)];
  if (cells.rows.length === 0) lines.push('(no rows)');
  if (cells.caption !== undefined) lines.unshift(cells.caption);
  return lines.join('\n');
}

/** Shows rows (array of objects) as a table: HTML in the notebook, padded text outside. */
export function showTable<Row extends object>(rows: readonly Row[], opts: TableOptions<Row> = {}): void {
  showHtml(htmlTable(rows, opts), textTable(rows, opts));
}

/** Shows captured text as-is (escaped in HTML), under an optional title. */
export function showText(text: string, opts: { title?: string } = {}): void {
  const title = opts.title === undefined ? '' : `<div><b>${escapeText(opts.title)}</b></div>`;
  showHtml(title + preText(text), opts.title === undefined ? text : `${opts.title}\n${text}`);
}

/** Shows log lines collapsed under a summary (default: the line count); outside, prints them all. */
export function showLog(lines: string | readonly string[], opts: { summary?: string; open?: boolean } = {}): void {
  const text = typeof lines === 'string' ? lines : lines.join('\n');
  const count = text === '' ? 0 : text.split('\n').length;
  const summary = opts.summary ?? `log, ${count} line${count === 1 ? '' : 's'}`;
  showHtml(collapsible(summary, preText(text), { open: opts.open }), `${summary}\n${text}`);
}

/**
 * Shows a chart: rendered to SVG in the kernel and shown inline with its spec. Outside a kernel
 * it prints one line instead, without rendering, since a terminal cannot show the SVG.
 */
export async function showChart(spec: ChartSpec, opts: ChartOptions = {}): Promise<void> {
  if (inKernel()) showHtml(await chartHtml(spec, opts));
  else printLine(`chart: ${opts.caption ?? 'untitled'} (drawn as SVG in the notebook)`);
}

/** What a progress line says at one moment. */
export interface ProgressState {
  label: string;
  done: number;
  /** Unknown totals show a count and elapsed time, no percentage or ETA. */
  total?: number;
  elapsedMs: number;
  note?: string;
  finished: boolean;
}

/** The text of a progress line: `label: done/total (pct%), elapsed, ETA, note`. */
export function progressLine(state: ProgressState): string {
  const parts: string[] = [];
  const { done, total } = state;
  if (total === undefined) parts.push(`${done} done`);
  else parts.push(`${done}/${total} (${total > 0 ? Math.floor((100 * done) / total) : 100}%)`);
  if (state.finished) {
    parts.push(`took ${formatDuration(state.elapsedMs)}`);
  } else {
    parts.push(`elapsed ${formatDuration(state.elapsedMs)}`);
    if (total !== undefined && done > 0 && done < total) {
      parts.push(`ETA ${formatDuration((state.elapsedMs / done) * (total - done))}`);
    }
  }
  if (state.note) parts.push(state.note);
  return `${state.label}: ${parts.join(', ')}`;
}

/** A live progress line; see `progress`. */
export interface Progress {
  /** Counts `n` more items done (default 1), optionally replacing the note. */
  tick(n?: number, note?: string): void;
  /** Replaces the note shown after the counts. */
  set(text: string): void;
  /** Shows the final line (with an optional summary as its note); the line is then closed. */
  done(summary?: string): void;
}

type ProgressSink = 'notebook' | 'tty' | 'lines';

/**
 * Least time between two shown updates, per sink: a notebook update is a kernel message, and a
 * log file (non-TTY stderr) gets a new line each time, so both are rarer than a terminal's.
 * The first and the final line are always shown.
 */
const PROGRESS_INTERVAL_MS: Record<ProgressSink, number> = { notebook: 250, tty: 100, lines: 2000 };

/**
 * Starts a progress line for `label` (with `total` items if known). In the notebook it is one
 * output updated in place; on a terminal one stderr line rewritten with \r; otherwise plain
 * stderr lines. Call `done()` when finished, also on failure, so a terminal line is ended.
 */
export function progress(label: string, total?: number): Progress {
  const sink: ProgressSink = inKernel() ? 'notebook' : process.stderr.isTTY ? 'tty' : 'lines';
  const handle = sink === 'notebook' ? tslab().newDisplay() : undefined;
  const started = performance.now();
  const state: ProgressState = { label: label, done: 0, total: total, elapsedMs: 0, finished: false };
  let shownAt = -Infinity;

  const show = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - shownAt < PROGRESS_INTERVAL_MS[sink]) return;
    shownAt = now;
    state.elapsedMs = now - started;
    const line = progressLine(state);
    if (handle) {
      handle.html(withStyle(`<div class="dl-progress">${escapeText(line)}</div>`));
    } else if (sink === 'tty') {
      // Cut to the terminal width (0 when unknown): a wrapped line cannot be rewritten by \r.
      const width = Math.max((process.stderr.columns || 80) - 1, 10);
      process.stderr.write(`\r${line.slice(0, width)}\x1b[K${state.finished ? '\n' : ''}`);
    } else {
      process.stderr.write(`${line}\n`);
    }
  };
  const assertOpen = (): void => {
    if (state.finished) throw new Error(`progress '${label}' is already done: start a new progress() for more work`);
  };

  show(true);
  return {
    tick(n = 1, note?: string) {
      assertOpen();
      state.done += n;
      if (note !== undefined) state.note = note;
      show(false);
    },
    set(text: string) {
      assertOpen();
      state.note = text;
      show(false);
    },
    done(summary?: string) {
      assertOpen();
      state.finished = true;
      if (summary !== undefined) state.note = summary;
      show(true);
    },
  };
}
