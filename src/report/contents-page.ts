/**
 * report/index.html: the contents page. It opens with what this run found (src/chapters/findings),
 * each sentence linking to its chapter, then the claims judged and how verdicts are judged
 * (src/report/verdicts), then "How this report was made": a summary, one row per
 * chapter (status, where the time went with kernel start-up apart, the kernel's peak memory), a
 * wall-time chart, the parameters, and the run metadata. The one-file report reuses both parts.
 * Every text that came from a run is escaped (src/show/fragments.ts helpers, which use escape-html); the page
 * loads nothing from outside itself.
 */
import { chartHtml, type ChartSpec } from '../show/charts';
import { collapsible, DL_CSS, escapeText, htmlTable, preText } from '../show/fragments';
import { formatBytes, formatDuration } from '../core/units';
import type { ChapterEntry, ReportRecord } from './report-record';
import { failureHeadline } from './execute';
import { findingsHtml, reportFindings, type Finding, type FindingsSource } from '../chapters/findings';
import { judgementsHtml, methodsHtml, reportJudgements, VERDICTS_CSS } from './verdicts';

const PAGE_CSS = [
  'body{font-family:sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}',
  'h1{font-size:24px}h2{font-size:18px;margin-top:28px}',
  '.dl-status-ok{color:#1a7f37;font-weight:600}.dl-status-bad{color:#b42318;font-weight:600}',
  '.dl-contents td:nth-child(2){min-width:260px}',
  '.dl-abstract{color:#555;font-size:12px}',
  '.dl-findings{font-size:15px;line-height:1.5;max-width:60em}.dl-findings li{margin:6px 0}',
  // At phone width nothing makes the page scroll sideways: charts shrink, wide tables scroll in their own box.
  '.dl-scroll{overflow-x:auto;max-width:100%}table.dl-table{display:block;overflow-x:auto;max-width:100%}',
  'svg{max-width:100%;height:auto}',
  VERDICTS_CSS,
].join('');

const ms = (value: number | null | undefined): string => (value === null || value === undefined ? '' : formatDuration(value));

function statusCell(entry: ChapterEntry): string {
  const ok = entry.status === 'ok';
  const text = ok ? 'ok' : entry.status;
  return `<span class="${ok ? 'dl-status-ok' : 'dl-status-bad'}">${escapeText(text)}</span>`;
}

function link(href: string | null, text: string): string {
  return href === null ? escapeText(text) : `<a href="${escapeText(href)}">${escapeText(text)}</a>`;
}

function injectedText(entry: ChapterEntry): string {
  const assigned = Object.entries(entry.injected).map(([name, value]) => `${name} = ${Array.isArray(value) ? value.join(',') : String(value)}`);
  const unused = entry.unused.length > 0 ? [`(not a parameter here: ${entry.unused.join(', ')})`] : [];
  return [...assigned, ...unused].join('; ');
}

// Hand-written rather than htmlTable: the chapter and notebook cells hold links and a status
// badge, and htmlTable escapes every cell (as it should for data).
function contentsTable(record: ReportRecord, target: ChapterLink): string {
  const files = target.files;
  const head = ['#', 'Chapter', 'Frame sizes', 'Status', 'Kernel start-up', 'Cells', 'Wall', 'Kernel peak RSS', 'Injected parameters', ...(files ? ['Files'] : []), 'Ran at']
    .map((h) => `<th>${escapeText(h)}</th>`)
    .join('');
  const rows = record.chapters.map((entry) => {
    const run = entry.run;
    const cells = [
      `<td class="dl-num">${entry.number}</td>`,
      `<td>${link(target.href(entry), entry.title)}<div class="dl-abstract">${escapeText(entry.abstract)}</div></td>`,
      `<td>${escapeText(entry.sizes)}</td>`,
      `<td>${statusCell(entry)}</td>`,
      `<td class="dl-num">${escapeText(ms(run?.kernelStartMs))}</td>`,
      `<td class="dl-num">${escapeText(ms(run?.runMs))}</td>`,
      `<td class="dl-num">${escapeText(ms(run?.wallMs))}</td>`,
      `<td class="dl-num">${escapeText(run?.peakRssKiB ? formatBytes(run.peakRssKiB * 1024) : '')}</td>`,
      `<td>${escapeText(injectedText(entry))}</td>`,
      ...(files ? [`<td>${link(entry.page, 'html')} ${link(entry.ipynb, 'ipynb')}</td>`] : []),
      `<td>${escapeText(entry.ranAt)}${entry.kept ? ' (kept from an earlier run)' : ''}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<div class="dl-scroll"><table class="dl-table dl-contents"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function failures(record: ReportRecord): string {
  const failed = record.chapters.filter((entry) => entry.status !== 'ok');
  if (failed.length === 0) return '';
  const blocks = failed.map((entry) => {
    const failure = entry.run?.failure;
    const message = failure ? `${failure.where}\n\n${failure.message}` : entry.problems.join('\n');
    const headline = failure ? failureHeadline(failure) : entry.problems[0] ?? entry.status;
    return collapsible(`${entry.number} ${entry.title}: ${headline}`, preText(message), { open: true });
  });
  return `<h3>Failures</h3>${blocks.join('')}`;
}

/** A kernel that answered only on a later start is said, with why the earlier one failed. */
export function retriedStartText(entry: ChapterEntry): string[] {
  const retries = entry.run?.kernelStartRetries ?? [];
  if (retries.length === 0) return [];
  return [`The kernel of chapter ${entry.number} ${entry.slug} answered on start ${retries.length + 1}; the first start failed: ${retries[0]}.`];
}

function summary(record: ReportRecord): string {
  const total = record.chapters.length;
  const ok = record.chapters.filter((entry) => entry.status === 'ok').length;
  const startups = record.chapters.reduce((sum, entry) => sum + (entry.run?.kernelStartMs ?? 0), 0);
  const mode = record.quick ? 'quick mode (small values; records went to a temporary data dir)' : 'full mode';
  const source = record.fromData ? `re-rendered from recorded runs in ${record.fromData}` : 'measured live';
  const peak = Math.max(0, ...record.chapters.map((entry) => entry.run?.peakRssKiB ?? 0));
  const parts = [
    `${ok} of ${total} chapter${total === 1 ? '' : 's'} ran without error.`,
    `This run: ${mode}, ${source}, ${formatDuration(record.wallMs)} in all, of which kernel start-up ${formatDuration(startups)}.`,
    peak > 0 ? `The largest kernel peaked at ${formatBytes(peak * 1024)} resident.` : '',
    ...record.chapters.flatMap((entry) => retriedStartText(entry)),
  ];
  return `<p>${parts.filter((part) => part !== '').map(escapeText).join(' ')}</p>`;
}

async function wallTimeChart(record: ReportRecord): Promise<string> {
  const parts = ['kernel start-up', 'cells', 'rerun', 'shutdown'] as const;
  const values = record.chapters.flatMap((entry) => {
    const run = entry.run;
    if (!run || run.kernelStartMs === null) return [];
    const ms: Record<(typeof parts)[number], number | null> = {
      'kernel start-up': run.kernelStartMs,
      cells: run.runMs,
      rerun: run.rerunMs,
      shutdown: run.shutdownMs,
    };
    return parts.filter((part) => ms[part] !== null).map((part) => ({ chapter: `${entry.number} ${entry.slug}`, part: part, seconds: (ms[part] ?? 0) / 1000 }));
  });
  if (values.length === 0) return '';
  const spec: ChartSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 600,
    data: { values: values },
    mark: 'bar',
    transform: [{ calculate: `indexof(${JSON.stringify(parts)}, datum.part)`, as: 'step' }],
    encoding: {
      y: { field: 'chapter', type: 'nominal', sort: null, title: null },
      x: { field: 'seconds', type: 'quantitative', stack: 'zero', title: 'wall time (s)' },
      color: { field: 'part', type: 'nominal', title: null, sort: [...parts] },
      order: { field: 'step', type: 'quantitative' },
    },
  };
  return `<h3>Where the time went</h3>${await chartHtml(spec, { caption: 'Wall time per chapter: kernel start-up, cells, rerun, kernel shutdown' })}`;
}

function parameters(record: ReportRecord): string {
  const given = Object.entries(record.given).map(([name, value]) => ({ parameter: name, value: Array.isArray(value) ? value.join(',') : String(value) }));
  const table = given.length > 0 ? htmlTable(given, { caption: 'Given on the command line' }) : '<p>None given on the command line: each chapter ran with the values in its parameters cell.</p>';
  return `<h3>Parameters</h3>${table}`;
}

function metadata(record: ReportRecord): string {
  const { meta } = record;
  const rows = [
    { item: 'date', value: meta.date },
    { item: 'commit', value: `${meta.commit}${meta.dirty ? ' (with uncommitted changes)' : ''}` },
    { item: 'Node', value: meta.node },
    { item: 'CPU', value: `${meta.cpuModel}, ${meta.cores} cores` },
    { item: 'platform', value: meta.platform },
    { item: 'duration', value: formatDuration(record.wallMs) },
    { item: 'limits', value: `cell ${formatDuration(record.limits.cellTimeoutMs)}, notebook ${formatDuration(record.limits.notebookTimeoutMs)}, kernel start-up ${formatDuration(record.limits.startupTimeoutMs)}` },
    { item: 'data dir', value: record.dataDir },
    { item: 'from data', value: record.fromData ?? '(measured live)' },
  ];
  const versions = Object.entries(meta.versions).map(([name, version]) => ({ package: name, version: version }));
  return `<h3>Run metadata</h3>${htmlTable(rows)}${collapsible(`Package versions (${versions.length})`, htmlTable(versions))}`;
}

/** Where a chapter's title links to, and whether the page's own files are listed. */
export interface ChapterLink {
  href: (entry: ChapterEntry) => string | null;
  files: boolean;
}

const PAGE_LINK: ChapterLink = { href: (entry) => entry.page, files: true };

/** A chapter's line as the findings read it. */
function findingsSource(entry: ChapterEntry): FindingsSource {
  const failure = entry.run?.failure ? failureHeadline(entry.run.failure) : (entry.problems[0] ?? null);
  return {
    number: entry.number,
    slug: entry.slug,
    title: entry.title,
    status: entry.status,
    ranAt: entry.ranAt,
    kept: entry.kept ?? false,
    findings: entry.findings ?? null,
    failure: entry.status === 'ok' ? null : failure,
  };
}

/**
 * "What this run found": the findings, then the claims the chapters judged, each linking through
 * `href` to its chapter, then how verdicts are judged.
 */
export function findingsSection(record: ReportRecord, href: (finding: Pick<Finding, 'slug'>) => string): string {
  const sources = record.chapters.map(findingsSource);
  return [
    `<h2 id="${FINDINGS_ID}">What this run found</h2>`,
    findingsHtml(reportFindings(sources), href),
    judgementsHtml(reportJudgements(sources), (slug) => href({ slug: slug })),
    methodsHtml(),
  ].join('');
}

/** The anchor of the findings section, on the contents page and in the one file. */
export const FINDINGS_ID = 'findings';
/** The anchor of "How this report was made". */
export const HOW_MADE_ID = 'how-this-report-was-made';

/** "How this report was made": the run log, with chapter titles linking through `target`. */
export async function howMadeSection(record: ReportRecord, target: ChapterLink = PAGE_LINK): Promise<string> {
  return [
    `<h2 id="${HOW_MADE_ID}">How this report was made</h2>`,
    summary(record),
    contentsTable(record, target),
    failures(record),
    await wallTimeChart(record),
    parameters(record),
    metadata(record),
  ].join('\n');
}

/** Page styles of the contents page, shared with the one-file report. */
export const CONTENTS_CSS = PAGE_CSS;

/** A whole report page: the head every report page shares, its `css`, and `body` in a `dl-out` div (with `divClass` added). */
export function reportDocument(body: string, css: string, divClass = ''): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>deflate-lab report</title>',
    `<style>${css}</style>`,
    `</head><body><div class="${['dl-out', divClass].filter((c) => c !== '').join(' ')}">${body}</div></body></html>`,
    '',
  ].join('\n');
}

/** The contents page's HTML for a report record. */
export async function indexHtml(record: ReportRecord): Promise<string> {
  const pageOf = new Map(record.chapters.map((entry) => [entry.slug, entry.page]));
  const body = [
    '<h1>deflate-lab report</h1>',
    findingsSection(record, (finding) => pageOf.get(finding.slug) ?? `#${HOW_MADE_ID}`),
    await howMadeSection(record),
  ].join('\n');
  return reportDocument(body, `${DL_CSS}${PAGE_CSS}`);
}
