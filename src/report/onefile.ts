/**
 * report/deflate-lab.html: the whole report as one file to send. The findings (with the claims
 * judged and how verdicts are judged), a table of contents, every chapter in order (its cells
 * rendered by nbconvert as a fragment, code behind a "show the code" toggle that needs no script),
 * then how the report was made. One small style sheet, once; nothing loaded from outside the file.
 * `--pdf` prints it with the project's Chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import { launchChromium } from '../core/chromium';
import { DL_CSS, escapeText } from '../show/fragments';
import type { ChapterEntry, ReportRecord } from './report-record';
import { FRAGMENT_TEMPLATE_NAME, renderPages } from './nbconvert';
import { CONTENTS_CSS, FINDINGS_ID, findingsSection, HOW_MADE_ID, howMadeSection, reportDocument } from './contents-page';
import { METHODS_ID } from './verdicts';

/** The one-file report, beside index.html. */
export const ONE_FILE_HTML = 'deflate-lab.html';
/** Its printed form, with `--pdf`. */
export const ONE_FILE_PDF = 'deflate-lab.pdf';

/**
 * The one file's look, kept by hand. nbconvert's lab template inlines JupyterLab's whole style
 * sheet (535 KB, once per chapter); the report uses a handful of its classes, so these rules
 * cover exactly those: cells, prompts (hidden), code with a few token colours, text outputs,
 * tables and charts. It comes after the outputs' and the contents page's rules and overrides
 * them where they differ. On screen a wide table or log scrolls inside its own box, so a phone never
 * scrolls sideways; in print tables wrap and shrink, charts stay whole, chapters start a page.
 */
const ONE_FILE_CSS = [
  'body{margin:0;color:#222;background:#fff;font-family:sans-serif;line-height:1.45;overflow-wrap:break-word}',
  '.dl-doc{max-width:1100px;margin:0 auto;padding:12px 16px}',
  'h1{font-size:26px}h2{font-size:20px}h3{font-size:16px}',
  '.dl-toc ol{padding-left:1.6em}.dl-toc li{margin:2px 0}',
  '.dl-chapter{border-top:2px solid #bbb;margin-top:36px;padding-top:6px}',
  '.dl-kicker{color:#666;font-size:12px;letter-spacing:.04em;margin:0}',
  '.dl-kicker .dl-status-bad{text-transform:none}',
  '.dl-cells h1{font-size:22px;margin-top:6px}.dl-cells h2{font-size:18px}.dl-cells h3{font-size:15px}',
  'a.anchor-link,.jp-InputPrompt,.jp-OutputPrompt,.jp-Collapser{display:none}',
  '.jp-Cell{margin:6px 0}',
  // The toggle is a <details> before the chapter's cells: closed, the code cells' inputs are
  // hidden (markdown cells are inputs too, and stay).
  '.dl-code-toggle{margin:4px 0 8px;font-size:13px}',
  '.dl-code-toggle:not([open])~.dl-cells .jp-CodeCell .jp-Cell-inputWrapper{display:none}',
  '.highlight pre{background:#f5f6f8;border-left:3px solid #c9d1dc;padding:6px 8px;margin:4px 0;font-size:12px;overflow-x:auto}',
  '.highlight .k,.highlight .kd,.highlight .kr,.highlight .kn,.highlight .kc{color:#0033b3}',
  '.highlight .s,.highlight .s1,.highlight .s2,.highlight .sb,.highlight .sr{color:#067d17}',
  '.highlight .c,.highlight .c1,.highlight .cm{color:#7a7a7a;font-style:italic}',
  '.highlight .m,.highlight .mi,.highlight .mf{color:#1750eb}',
  '.jp-RenderedText pre{font-size:12px;margin:2px 0;overflow-x:auto}',
  '.dl-left-out{color:#777;font-style:italic}',
  '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"] pre{background:#fff3f3}',
  '.jp-RenderedMarkdown code,.jp-MarkdownCell code{background:#f2f2f2;padding:0 3px}',
  '.jp-MarkdownCell pre{background:#f5f6f8;padding:6px;overflow-x:auto}',
  '.jp-MarkdownCell blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:12px;color:#444}',
  'table.dl-table{display:block;overflow-x:auto;max-width:100%}',
  '.jp-MarkdownCell table{display:block;overflow-x:auto;max-width:100%;border-collapse:collapse}',
  '.jp-MarkdownCell th,.jp-MarkdownCell td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}',
  'svg{max-width:100%;height:auto}img{max-width:100%}',
  '@page{size:A4;margin:14mm 12mm 16mm}',
  '@media print{',
  'body{font-size:11px}.dl-doc{max-width:none;padding:0}',
  'table.dl-table,.jp-MarkdownCell table{display:table;width:100%;font-size:8.5px}',
  // Columns shrink to their longest word, never below (a column one letter wide is unreadable).
  '.dl-out table.dl-table th,.dl-out table.dl-table td{padding:1px 4px;word-break:normal;overflow-wrap:break-word}',
  '.dl-out .dl-contents td:nth-child(2){min-width:0}',
  '.dl-scroll{overflow:visible}',
  'pre,.highlight pre,.jp-RenderedText pre{white-space:pre-wrap;overflow:visible}',
  'figure.dl-chart,svg{break-inside:avoid}',
  '.dl-chapter{break-before:page;border-top:none}',
  '}',
].join('');

/** The anchor of a chapter's section in the one file. */
export function chapterAnchor(slug: string): string {
  return `ch-${slug}`;
}

/**
 * Scopes every id in a chapter's fragment, and every same-document reference to one, with the
 * chapter's prefix: headings carry ids, and each kernel's charts number their clip paths from
 * one, so two chapters in one file would otherwise share ids and draw with each other's clips.
 */
export function scopeIds(html: string, prefix: string): string {
  return html
    .replace(/(\sid=")([^"]+)"/g, `$1${prefix}$2"`)
    .replace(/(\s(?:xlink:)?href="#)([^"]+)"/g, `$1${prefix}$2"`)
    .replace(/([:"(,\s])url\(#([^)"']+)\)/g, `$1url(#${prefix}$2)`);
}

function chapterSection(entry: ChapterEntry, fragment: string | undefined): string {
  const status =
    entry.status === 'ok' ? '' : ` · <span class="dl-status-bad">${escapeText(entry.status)}</span>`;
  const kept = entry.kept ? ` · from the earlier run of ${escapeText(entry.ranAt)}` : '';
  const head = `<p class="dl-kicker">Chapter ${entry.number}${status}${kept}</p>`;
  if (fragment === undefined) {
    return `<section class="dl-chapter" id="${chapterAnchor(entry.slug)}">${head}<h1>${escapeText(entry.title)}</h1><p class="dl-empty">This chapter produced no page in this run; see <a href="#${HOW_MADE_ID}">how this report was made</a>.</p></section>`;
  }
  // Every copy of the outputs' own style sheet goes: the document carries it once, in <head>.
  const cells = scopeIds(fragment.split(`<style>${DL_CSS}</style>`).join(''), `${entry.slug}--`);
  const code = (fragment.match(/class="jp-Cell jp-CodeCell/g) ?? []).length;
  return [
    `<section class="dl-chapter" id="${chapterAnchor(entry.slug)}">`,
    head,
    `<details class="dl-code-toggle"><summary>Show the code (${code} cell${code === 1 ? '' : 's'})</summary></details>`,
    `<div class="dl-cells">${cells}</div>`,
    '</section>',
  ].join('\n');
}

/** The one-file report for a record, given each chapter's rendered fragment by slug. */
export async function oneFileHtml(record: ReportRecord, fragments: ReadonlyMap<string, string>): Promise<string> {
  const toc = [
    `<li><a href="#${FINDINGS_ID}">What this run found</a></li>`,
    `<li><a href="#${METHODS_ID}">How verdicts are judged</a></li>`,
    ...record.chapters.map(
      (entry) => `<li><a href="#${chapterAnchor(entry.slug)}">${entry.number}. ${escapeText(entry.title)}</a></li>`,
    ),
    `<li><a href="#${HOW_MADE_ID}">How this report was made</a></li>`,
  ];
  const date = `${record.meta.date.slice(0, 16).replace('T', ' ')} UTC`;
  const body = [
    '<h1>deflate-lab report</h1>',
    `<p>Why socket.io clients streaming large frames lost their socket in 2015, measured again on ${escapeText(date)}${record.quick ? ' in quick mode (small values)' : ''}.</p>`,
    findingsSection(record, (finding) => `#${chapterAnchor(finding.slug)}`),
    `<nav class="dl-toc"><h2>Contents</h2><ol>${toc.join('')}</ol></nav>`,
    ...record.chapters.map((entry) => chapterSection(entry, fragments.get(entry.slug))),
    `<section class="dl-chapter">${await howMadeSection(record, { href: (entry) => `#${chapterAnchor(entry.slug)}`, files: false })}</section>`,
  ].join('\n');
  // The one-file rules last, so they win over the contents page's (which set the body for a page of its own).
  return reportDocument(body, `${DL_CSS}${CONTENTS_CSS}${ONE_FILE_CSS}`, 'dl-doc');
}

/**
 * The largest output the one file carries. Chapter 2's full DEBUG=* log grows with the run (about
 * 77 KB in a quick run's 3 s, ten times that in a full run's 30 s) and no reader of a shared report
 * reads it whole; the chapter's own page and notebook keep it.
 */
const ONE_FILE_MAX_OUTPUT_CHARS = 200_000;

/** Renders each chapter's executed notebook as a fragment (one nbconvert process), by slug. */
export async function renderFragments(reportDir: string, entries: readonly ChapterEntry[]): Promise<{ fragments: Map<string, string>; problems: string[] }> {
  const withNotebook = entries.filter((entry) => entry.ipynb !== null && fs.existsSync(path.join(reportDir, entry.ipynb)));
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'deflate-lab-fragments-'));
  try {
    const pages = await renderPages(
      withNotebook.map((entry) => ({
        ipynb: path.join(reportDir, entry.ipynb as string),
        html: path.join(tmp, `${entry.slug}.html`),
        title: `${entry.number}. ${entry.title}`,
        template: FRAGMENT_TEMPLATE_NAME,
        maxOutputChars: ONE_FILE_MAX_OUTPUT_CHARS,
        elsewhere: `this chapter's page (${entry.page ?? 'not rendered'}) and notebook (${entry.ipynb as string}) in the report folder`,
      })),
    );
    const fragments = new Map<string, string>();
    const problems: string[] = [];
    for (const [i, page] of pages.entries()) {
      const entry = withNotebook[i];
      if (page.error) problems.push(`chapter ${entry.number} not in the one file: ${page.error}`);
      else fragments.set(entry.slug, await fs.promises.readFile(page.html, 'utf8'));
    }
    return { fragments: fragments, problems: problems };
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
}

/** Writes the one-file report beside index.html; resolves with its path and size in bytes. */
export async function writeOneFile(record: ReportRecord, reportDir: string): Promise<{ file: string; bytes: number; problems: string[] }> {
  const { fragments, problems } = await renderFragments(reportDir, record.chapters);
  const html = await oneFileHtml(record, fragments);
  const file = path.join(reportDir, ONE_FILE_HTML);
  await writeFileAtomic(file, html);
  return { file: file, bytes: Buffer.byteLength(html), problems: problems };
}

// Printing a few MB of HTML takes seconds; a minute means something is stuck.
const PDF_TIMEOUT_MS = 120_000;

/**
 * Prints an HTML file to PDF with the project's Chromium: A4, backgrounds kept, the page number
 * and count at the foot of every page. Written to a partial file and renamed, so a failed print
 * leaves no half PDF.
 */
export async function printPdf(htmlFile: string, pdfFile: string): Promise<number> {
  const browser = await launchChromium();
  const partial = `${pdfFile}.${process.pid}.partial`;
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(PDF_TIMEOUT_MS);
    await page.goto(pathToFileURL(path.resolve(htmlFile)).href, { waitUntil: 'load', timeout: PDF_TIMEOUT_MS });
    await page.pdf({
      path: partial,
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        '<div style="font-size:8px;width:100%;text-align:center;color:#555">deflate-lab report · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
    });
    await fs.promises.rename(partial, pdfFile);
    return (await fs.promises.stat(pdfFile)).size;
  } finally {
    await fs.promises.rm(partial, { force: true });
    await browser.close();
  }
}
