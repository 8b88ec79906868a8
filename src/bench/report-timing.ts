/**
 * Report wall time per chapter, with kernel start-up apart, and the kernel's peak RSS: runs the
 * real `npm run report` CLI (a replay, quick or full) in a child process and reads the report.json it
 * writes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { COMMITTED_DATA_DIR, PROJECT_ROOT, REPORT_DIR } from '../core/paths';

export interface ChapterTiming {
  chapter: string;
  status: string;
  kernelStartMs: number | null;
  /** Executing the cells once (the rerun pass, when asked for, is not included). */
  runMs: number | null;
  wallMs: number | null;
  peakRssKiB: number | null;
}

/** The report runs the bench times, with the budget each is held to. */
export const REPORT_RUNS = [
  // First, before the full run below adds its own records to data/replay/: the committed set.
  { mode: 'replay of data/', args: ['--from-data', COMMITTED_DATA_DIR], goal: '≤ 60 s' },
  { mode: 'quick', args: ['--quick'], goal: '≤ 2.5 min' },
  // Three sizes a user might bring: one a browser sends whole, two it fragments.
  { mode: 'quick, 3 sizes', args: ['--quick', '--frame-sizes', '3000,200KiB,1536KiB'], goal: '≤ 5 min' },
  { mode: 'full', args: [], goal: '≤ 15 min' },
] as const;

/** Which report run: its name in the tables. */
export type ReportMode = (typeof REPORT_RUNS)[number]['mode'];

export interface ReportTiming {
  mode: ReportMode;
  wallMs: number;
  exitCode: number | null;
  chapters: ChapterTiming[];
  peakRssKiB: number | null;
}

interface ReportJson {
  wallMs: number;
  chapters: Array<{
    number: number;
    slug: string;
    status: string;
    run?: { kernelStartMs?: number; runMs?: number; wallMs?: number; peakRssKiB?: number };
  }>;
}

/** Runs the report CLI as one of REPORT_RUNS and returns its per-chapter timings. */
export async function benchReport(run: (typeof REPORT_RUNS)[number]): Promise<ReportTiming> {
  const { mode } = run;
  const cli = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'report.js');
  const started = Date.now();
  const exitCode = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [cli, ...run.args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => resolve(code));
  });
  const wallMs = Date.now() - started;
  const json = JSON.parse(fs.readFileSync(path.join(REPORT_DIR, 'report.json'), 'utf8')) as ReportJson;
  const chapters = json.chapters.map((c): ChapterTiming => ({
    chapter: `${c.number} ${c.slug}`,
    status: c.status,
    kernelStartMs: c.run?.kernelStartMs ?? null,
    runMs: c.run?.runMs ?? null,
    wallMs: c.run?.wallMs ?? null,
    peakRssKiB: c.run?.peakRssKiB ?? null,
  }));
  const rss = chapters.map((c) => c.peakRssKiB).filter((v): v is number => v !== null);
  return { mode, wallMs, exitCode, chapters, peakRssKiB: rss.length ? Math.max(...rss) : null };
}
