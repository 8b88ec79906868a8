/**
 * Chapter pages: executed notebooks rendered to HTML by nbconvert with the project's template
 * (templates/deflate-lab: JupyterLab's look, no require.js, MathJax or widget loads, inline SVG
 * kept), all pages in one Python process. Each page comes back with its external loads listed.
 */
import { TEMPLATES_DIR } from '../core/paths';
import { lastJsonLine, runScript } from './python';

/** The nbconvert template under templates/. */
export const TEMPLATE_NAME = 'deflate-lab';
/** The template of a chapter's cells as a fragment of the one-file report. */
export const FRAGMENT_TEMPLATE_NAME = 'deflate-lab-onefile';

// nbconvert takes about 2 s to start and well under a second per page; this bound is generous.
const RENDER_TIMEOUT_MS = 120_000;

/** One page to render. */
export interface PageJob {
  ipynb: string;
  html: string;
  title: string;
  /** A template other than TEMPLATE_NAME. */
  template?: string;
  /** Outputs larger than this many characters are replaced by a note saying they are `elsewhere`. */
  maxOutputChars?: number;
  elsewhere?: string;
}

/** One rendered page. */
export interface RenderedPage {
  html: string;
  bytes: number;
  /** Anything the page would load from outside itself (should be empty). */
  externalLoads: string[];
  /** Set when nbconvert could not render the notebook; no page was written. */
  error?: string;
}

/** Renders every job to a self-contained HTML page. */
export async function renderPages(jobs: readonly PageJob[]): Promise<RenderedPage[]> {
  if (jobs.length === 0) return [];
  const result = await runScript('nbhtml.py', ['--template-dir', TEMPLATES_DIR, '--template', TEMPLATE_NAME], {
    input: JSON.stringify(jobs),
    timeoutMs: RENDER_TIMEOUT_MS,
  });
  return lastJsonLine<RenderedPage[]>(result, 'nbhtml.py');
}
