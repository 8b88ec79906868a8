/** What report/report.json holds: the contents page's data, read back by `--only` and the one-file report. */
import type { ChapterFindings } from '../chapters/findings';
import type { RunMeta } from '../core/meta';
import type { RawParams } from '../core/params';
import type { NotebookRun, RunLimits, RunStatus } from './execute';

/** How a chapter ended up: its run's status, or a problem found after a clean run. */
export type ChapterStatus = RunStatus | 'open-handles' | 'render-error' | 'external-loads';

/** One chapter's line in report.json and on the contents page. */
export interface ChapterEntry {
  number: number;
  slug: string;
  title: string;
  /** The first paragraph of the chapter's opening text. */
  abstract: string;
  /** Report-relative file names; null when not written. */
  page: string | null;
  ipynb: string | null;
  status: ChapterStatus;
  run: NotebookRun | null;
  injected: RawParams;
  unused: string[];
  /** The frame sizes the chapter ran with and what it did with them, for the contents page. */
  sizes: string;
  /** Problems outside the cells: a page that failed to render, or loads something from outside. */
  problems: string[];
  ranAt: string;
  /** The numbers the chapter handed to the report's findings; null when it handed none. */
  findings: ChapterFindings | null;
  /** Kept from an earlier report: `--only` named other chapters. */
  kept: boolean;
}

/** Everything the contents page shows; also written as report/report.json. */
export interface ReportRecord {
  meta: RunMeta;
  wallMs: number;
  quick: boolean;
  given: RawParams;
  fromData: string | null;
  dataDir: string;
  limits: RunLimits;
  chapters: ChapterEntry[];
  /** What report/index.html would load from outside itself (should be empty). */
  indexLoads: string[];
  /** What report/deflate-lab.html would load from outside itself (should be empty). */
  oneFileLoads: string[];
  /** Problems making the one-file report or its PDF. */
  oneFileProblems: string[];
}
