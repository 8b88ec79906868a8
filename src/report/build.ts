/**
 * Building the report: plan (every check, before any kernel starts and before anything is
 * written), then execute each chapter's notebook, render the pages, write the contents page and
 * report.json, and check that every page is self-contained.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { assertKernelInstalled } from '../jupyter/env';
import { runMeta } from '../core/meta';
import { flagName, resolveParams, type Params, type RawParams } from '../core/params';
import { DATA_DIR_ENV, dataDir, REPORT_DIR } from '../core/paths';
import { assertWritable, DataDirError } from '../core/records';
import { notebookFile, reportBaseName, sizesText, type Chapter } from '../chapters/registry';
import { executeNotebook, FULL_LIMITS, NotebookInputError, QUICK_LIMITS, type RunLimits } from './execute';
import { FINDINGS_FILE_ENV, FindingsFileError, readFindingsFile } from '../chapters/findings';
import { renderPages } from './nbconvert';
import { indexHtml } from './contents-page';
import { declaredString, parametersSource, planInjection, type Injection } from './inject';
import { assertReplayDir, FROM_DATA_ENV } from '../core/replay';
import type { ChapterEntry, ReportRecord } from './report-record';
import { ONE_FILE_PDF, printPdf, writeOneFile } from './onefile';
import { externalLoads } from './self-contained';
import { InputError } from '../core/errors';

/** What the caller asks for; `given` holds only the values set on the command line. */
export interface ReportRequest {
  chapters: readonly Chapter[];
  given: RawParams;
  fromData?: string;
  /** Start from an empty report: drop earlier chapters' results and pages. */
  fresh?: boolean;
  /** Overrides of the quick or full limits. */
  limits?: Partial<RunLimits>;
  /** Run every notebook's cells a second time in the same kernel. */
  rerun?: boolean;
  reportDir?: string;
  /** Also print the one-file report to deflate-lab.pdf. */
  pdf?: boolean;
}

/** One chapter, checked and ready to run. */
export interface ChapterPlan {
  chapter: Chapter;
  notebook: string;
  injection: Injection;
  /** The values this chapter will see for everything injected, checked against the model. */
  params: Params;
}

/** A checked request: nothing is left to reject once this exists. */
export interface ReportPlan {
  chapters: ChapterPlan[];
  given: RawParams;
  quick: boolean;
  fromData: string | undefined;
  fresh: boolean;
  rerun: boolean;
  limits: RunLimits;
  reportDir: string;
  pdf: boolean;
}

/** Thrown when the report folder cannot be written. */
export class ReportDirError extends InputError {}

/** Thrown when a chapter's notebook is missing. */
export class NotebookMissingError extends InputError {}

/** Progress, for the command line. */
export type ReportEvent =
  | { type: 'chapter-start'; chapter: Chapter; position: number; total: number }
  | { type: 'chapter-done'; entry: ChapterEntry }
  | { type: 'rendering'; pages: number }
  | { type: 'written'; index: string }
  | { type: 'one-file'; file: string; bytes: number }
  | { type: 'pdf'; file: string; bytes: number };

/** The report's structured result, beside index.html; `--only` keeps the other chapters from it. */
export const REPORT_JSON = 'report.json';
export const INDEX_HTML = 'index.html';

/** Checks the whole request and returns the plan; throws a one-line error and writes nothing. */
export function planReport(request: ReportRequest): ReportPlan {
  const quick = resolveParams(request.given).quick;
  // Whole-run checks first, so the first error names the thing the user typed.
  const fromData = request.fromData === undefined ? undefined : assertReplayDir(request.fromData);
  assertKernelInstalled();
  // Quick runs write to a fresh temporary data dir unless the user chose one.
  if (!quick || process.env[DATA_DIR_ENV]) assertWritable(dataDir());
  const reportDir = path.resolve(request.reportDir ?? REPORT_DIR);
  try {
    assertWritable(reportDir);
  } catch (error) {
    if (!(error instanceof DataDirError)) throw error;
    throw new ReportDirError(`report dir ${reportDir} is not writable: fix its permissions`);
  }
  const chapters = request.chapters.map((chapter): ChapterPlan => {
    const notebook = notebookFile(chapter);
    if (!fs.existsSync(notebook)) {
      throw new NotebookMissingError(`chapter ${chapter.number} (${chapter.slug}): ${notebook} does not exist: add it, or fix src/chapters/registry.ts`);
    }
    const required = quick ? chapter.quick : {};
    return {
      chapter: chapter,
      notebook: notebook,
      params: resolveParams(required, request.given),
      injection: planInjection(notebook, required, request.given),
    };
  });
  return {
    chapters: chapters,
    given: request.given,
    quick: quick,
    fromData: fromData,
    fresh: request.fresh ?? false,
    rerun: request.rerun ?? false,
    limits: { ...(quick ? QUICK_LIMITS : FULL_LIMITS), ...request.limits },
    reportDir: reportDir,
    pdf: request.pdf ?? false,
  };
}

/** The opening paragraph of a notebook's first text cell, as plain text (markup stripped). */
/**
 * Markdown inline marks dropped, their text kept: links, code spans, and emphasis only where it
 * wraps words, so identifiers such as `Z_DATA_ERROR` keep their underscores.
 */
export function markdownToPlain(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(^|[^\w*])[*_](?=\S)([^*_]+?)(?<=\S)[*_](?!\w)/g, '$1$2');
}

export function chapterAbstract(notebook: string): string {
  const nb = JSON.parse(fs.readFileSync(notebook, 'utf8')) as { cells: Array<{ cell_type: string; source: string | string[] }> };
  const first = nb.cells.find((cell) => cell.cell_type === 'markdown');
  if (!first) return '';
  const text = Array.isArray(first.source) ? first.source.join('') : first.source;
  const paragraph = text
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').filter((line) => !line.trim().startsWith('#')).join(' ').trim())
    .find((block) => block !== '');
  if (!paragraph) return '';
  const plain = markdownToPlain(paragraph);
  return plain.length > 300 ? `${plain.slice(0, 297)}...` : plain;
}

function previousEntries(reportDir: string): ChapterEntry[] {
  try {
    const { chapters } = JSON.parse(fs.readFileSync(path.join(reportDir, REPORT_JSON), 'utf8')) as ReportRecord;
    // Reports written before kernel start retries were recorded have no list: none happened.
    return chapters.map((entry) =>
      entry.run ? { ...entry, run: { ...entry.run, kernelStartRetries: entry.run.kernelStartRetries ?? [] } } : entry,
    );
  } catch {
    return [];
  }
}

// Only files named like a chapter's (`05-sweep.html`), never anything else a user keeps there.
const CHAPTER_FILE = /^\d{2}-[a-z0-9-]+\.(html|ipynb|findings\.json)$/;

/** The command that makes this chapter's page again: its chapter, mode and given values, at this commit. */
export function reproduceCommand(plan: Pick<ReportPlan, 'given' | 'quick' | 'fromData'>, chapter: number): string {
  const flags = [`--only ${chapter}`];
  if (plan.quick) flags.push('--quick');
  if (plan.fromData) flags.push(`--from-data ${plan.fromData}`);
  for (const [name, value] of Object.entries(plan.given)) {
    if (name === 'quick' || value === undefined) continue;
    flags.push(`--${flagName(name)} ${String(value)}`);
  }
  const meta = runMeta();
  return `npm run report -- ${flags.join(' ')}  # at commit ${meta.commit.slice(0, 10)}${meta.dirty ? ' (with uncommitted changes)' : ''}`;
}

const REPRODUCE_TAG = 'reproduce';

// Written into the executed notebook, after its title cell (or first, when it opens with code), so
// the page, the one-file report and the .ipynb all carry it.
async function addReproduceLine(ipynb: string, command: string): Promise<void> {
  const nb = JSON.parse(await fs.promises.readFile(ipynb, 'utf8')) as { cells: Array<Record<string, unknown>> };
  const cell = {
    cell_type: 'markdown',
    id: REPRODUCE_TAG,
    metadata: { tags: [REPRODUCE_TAG] },
    source: [`*To make this page again:* \`${command}\``],
  };
  nb.cells.splice(nb.cells[0]?.cell_type === 'markdown' ? 1 : 0, 0, cell);
  await writeFileAtomic(ipynb, `${JSON.stringify(nb, null, 1)}\n`);
}

/** The frame sizes a chapter runs with: injected, or else its parameters cell's own; null when it declares none. */
function chapterFrameSizes(chapterPlan: ChapterPlan): string | null {
  const injected = chapterPlan.injection.assigned.frameSizes;
  if (injected !== undefined) return Array.isArray(injected) ? injected.join(',') : String(injected);
  return declaredString(parametersSource(chapterPlan.notebook), 'frameSizes') ?? null;
}

async function runChapter(plan: ReportPlan, chapterPlan: ChapterPlan, env: Record<string, string>): Promise<ChapterEntry> {
  const { chapter } = chapterPlan;
  const base = reportBaseName(chapter);
  const entry: ChapterEntry = {
    number: chapter.number,
    slug: chapter.slug,
    title: chapter.title,
    abstract: chapterAbstract(chapterPlan.notebook),
    page: null,
    ipynb: null,
    status: 'no-start',
    run: null,
    injected: chapterPlan.injection.assigned,
    unused: chapterPlan.injection.unused,
    sizes: sizesText(chapter, chapterFrameSizes(chapterPlan)),
    problems: [],
    ranAt: new Date().toISOString(),
    findings: null,
    kept: false,
  };
  // A findings file left by an earlier run must never stand in for this one's.
  const findingsFile = path.join(plan.reportDir, `${base}.findings.json`);
  await fs.promises.rm(findingsFile, { force: true });
  try {
    entry.run = await executeNotebook({
      notebook: chapterPlan.notebook,
      output: path.join(plan.reportDir, `${base}.ipynb`),
      injectSource: chapterPlan.injection.source,
      rerun: plan.rerun,
      limits: plan.limits,
      env: { ...env, [FINDINGS_FILE_ENV]: findingsFile },
    });
    entry.status = entry.run.status;
    if (entry.run.output !== null) {
      entry.ipynb = `${base}.ipynb`;
      await addReproduceLine(path.join(plan.reportDir, entry.ipynb), reproduceCommand(plan, chapter.number));
    }
    if (entry.run.shutdown === 'forced') {
      entry.problems.push(`the kernel did not exit within ${plan.limits.shutdownGraceMs / 1000} s of the shutdown request: the notebook left something open (a server, a socket, a timer)`);
      if (entry.status === 'ok') entry.status = 'open-handles';
    }
  } catch (error) {
    if (!(error instanceof NotebookInputError)) throw error;
    entry.problems.push(error.message);
  }
  try {
    entry.findings = readFindingsFile(findingsFile);
  } catch (error) {
    if (!(error instanceof FindingsFileError)) throw error;
    entry.problems.push(error.message);
  }
  return entry;
}

/** Runs the plan and writes the report; resolves with what index.html shows, failures included. */
export async function buildReport(plan: ReportPlan, onEvent: (event: ReportEvent) => void = () => {}): Promise<ReportRecord> {
  const started = performance.now();
  const meta = runMeta();
  await fs.promises.mkdir(plan.reportDir, { recursive: true });
  const kept = plan.fresh
    ? []
    : previousEntries(plan.reportDir)
        .filter((old) => !plan.chapters.some((p) => p.chapter.slug === old.slug))
        .map((old): ChapterEntry => ({ ...old, sizes: old.sizes ?? '', findings: old.findings ?? null, kept: true }));
  if (plan.fresh) {
    for (const name of await fs.promises.readdir(plan.reportDir)) {
      if (CHAPTER_FILE.test(name)) await fs.promises.rm(path.join(plan.reportDir, name), { force: true });
    }
  }
  const env: Record<string, string> = {};
  const tempData = plan.quick && !process.env[DATA_DIR_ENV] ? await fs.promises.mkdtemp(path.join(os.tmpdir(), 'deflate-lab-quick-')) : undefined;
  if (tempData) env[DATA_DIR_ENV] = tempData;
  if (plan.fromData) env[FROM_DATA_ENV] = plan.fromData;
  const usedDataDir = tempData ?? dataDir();

  try {
    const entries: ChapterEntry[] = [];
    for (const [position, chapterPlan] of plan.chapters.entries()) {
      onEvent({ type: 'chapter-start', chapter: chapterPlan.chapter, position: position + 1, total: plan.chapters.length });
      const entry = await runChapter(plan, chapterPlan, env);
      entries.push(entry);
      onEvent({ type: 'chapter-done', entry: entry });
    }

    const rendered = entries.filter((entry) => entry.ipynb !== null);
    onEvent({ type: 'rendering', pages: rendered.length });
    const pages = await renderPages(
      rendered.map((entry) => ({
        ipynb: path.join(plan.reportDir, entry.ipynb as string),
        html: path.join(plan.reportDir, `${path.basename(entry.ipynb as string, '.ipynb')}.html`),
        title: `${entry.number}. ${entry.title}`,
      })),
    );
    for (const [i, page] of pages.entries()) {
      const entry = rendered[i];
      if (page.error) {
        entry.problems.push(`page not rendered: ${page.error}`);
        if (entry.status === 'ok') entry.status = 'render-error';
        continue;
      }
      entry.page = path.basename(page.html);
      if (page.externalLoads.length > 0) {
        entry.problems.push(...page.externalLoads.map((load) => `page loads from outside: ${load}`));
        if (entry.status === 'ok') entry.status = 'external-loads';
      }
    }

    const chapters = [...kept, ...entries].sort((a, b) => a.number - b.number);
    const record: ReportRecord = {
      meta: meta,
      wallMs: Math.round(performance.now() - started),
      quick: plan.quick,
      given: plan.given,
      fromData: plan.fromData ?? null,
      dataDir: tempData ? `${tempData} (temporary, removed after the run)` : usedDataDir,
      limits: plan.limits,
      chapters: chapters,
      indexLoads: [],
      oneFileLoads: [],
      oneFileProblems: [],
    };
    const index = path.join(plan.reportDir, INDEX_HTML);
    await writeFileAtomic(index, await indexHtml(record));
    onEvent({ type: 'written', index: index });
    const oneFile = await writeOneFile(record, plan.reportDir);
    record.oneFileProblems.push(...oneFile.problems);
    onEvent({ type: 'one-file', file: oneFile.file, bytes: oneFile.bytes });
    const loads = await externalLoads([index, oneFile.file]);
    record.indexLoads = loads[index] ?? [];
    record.oneFileLoads = loads[oneFile.file] ?? [];
    if (plan.pdf) {
      const pdf = path.join(plan.reportDir, ONE_FILE_PDF);
      try {
        onEvent({ type: 'pdf', file: pdf, bytes: await printPdf(oneFile.file, pdf) });
      } catch (error) {
        record.oneFileProblems.push(`PDF not printed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    await writeFileAtomic(path.join(plan.reportDir, REPORT_JSON), `${JSON.stringify(record, null, 1)}\n`);
    return record;
  } finally {
    if (tempData) await fs.promises.rm(tempData, { recursive: true, force: true });
  }
}

/**
 * Why the report is not clean, a phrase each: a chapter that did not end ok (this run's, or one
 * kept from an earlier run under --only, said so with that run's time), or a page that loads
 * something from outside. Empty when every chapter ran cleanly and every page is self-contained.
 */
export function reportProblems(record: ReportRecord): string[] {
  const problems = record.chapters
    .filter((entry) => entry.status !== 'ok')
    .map(
      (entry) =>
        `chapter ${entry.number} ${entry.slug} ${entry.kept ? `(kept from the run of ${entry.ranAt}) ` : ''}is ${entry.status}`,
    );
  if (record.indexLoads.length > 0) problems.push(`index.html loads ${record.indexLoads.length} resources from outside`);
  if (record.oneFileLoads.length > 0)
    problems.push(`the one-file report loads ${record.oneFileLoads.length} resources from outside`);
  problems.push(...record.oneFileProblems);
  return problems;
}
