/**
 * The chapter registry: every chapter of the report, its notebook, and the smaller parameters
 * `--quick` runs it with. This is the one place quick-mode values live.
 */
import path from 'node:path';
import { NOTEBOOKS_DIR } from '../core/paths';
import { resolveParams, type RawParams } from '../core/params';
import { formatBytes } from '../core/units';
import { InputError } from '../core/errors';

/** One chapter: a notebook in notebooks/ and how to run it quickly. */
export interface Chapter {
  number: number;
  /** Names the chapter on the command line (`--only harness`) and its report files. */
  slug: string;
  title: string;
  /** The notebook, relative to notebooks/ (an absolute path is taken as is). */
  notebook: string;
  /** Values `--quick` injects; each must be a `let` the chapter's `parameters` cell declares. */
  quick: RawParams;
  /** What the chapter does with the frame sizes it is given, for the contents page (its page says it too). */
  sizes: string;
}

/** The report's chapters, in reading order. */
export const CHAPTERS = [
  {
    number: 0,
    slug: 'harness',
    title: 'The harness',
    notebook: '00-harness.ipynb',
    quick: { duration: '1s' },
    sizes: 'one run per size',
  },
  {
    number: 1,
    slug: 'symptom',
    title: 'The symptom',
    notebook: '01-symptom.ipynb',
    // Its runs send until the failure and a tail, at most a deadline: src/chapters/until-failure.ts holds both modes' times.
    quick: {},
    sizes: 'the browser tabs at the largest size only: each size would start its own tabs for a whole send window',
  },
  {
    number: 2,
    slug: 'debug',
    title: 'The DEBUG trail',
    notebook: '02-debug.ipynb',
    // As chapter 1: until the failure and a tail (src/chapters/until-failure.ts).
    quick: {},
    sizes: 'the browser tabs at the largest size only, as in chapter 1',
  },
  {
    number: 3,
    slug: 'origins',
    title: 'Origins: from the log line to the error underneath',
    notebook: '03-origins.ipynb',
    // As chapter 1: until the failure and a tail (src/chapters/until-failure.ts).
    quick: {},
    sizes: "does not depend on size: it follows the error through the code on the reproducer's 1 MiB frames",
  },
  {
    number: 4,
    slug: 'deflate-off',
    title: 'Deflate off: why compressed, and what turning it off does',
    notebook: '04-deflate-off.ipynb',
    quick: { duration: '1s', repeats: 1, payload: 'data-url,png' },
    sizes: "the three claims measured and answered at each size, deflate's own cost at equal work",
  },
  {
    number: 5,
    slug: 'sweep',
    title: 'Deflate on vs off across frame sizes',
    notebook: '05-sweep.ipynb',
    // A tiny live grid: the failing scenario's size on 2015, deflate on and off, one short repeat each.
    quick: { frameSizes: '1MiB', stacks: '2015', duration: '1s', repeats: 1 },
    sizes: 'one live run per size and setting; without sizes, the recorded sweep',
  },
  {
    number: 6,
    slug: 'root-cause',
    title: 'The root cause, shown causally',
    notebook: '06-root-cause.ipynb',
    // Three repeats: the fewest a median takes; a size that does not fail spends the quick deadline on each.
    quick: { duration: '500ms', frameSizes: '1MiB', repeats: 3 },
    sizes:
      'time to failure and the one-factor series at each size; the bisection and the proof at the largest (in quick mode only the releases a binary search picks, as git bisect would)',
  },
  {
    number: 7,
    slug: 'today',
    title: "Today's socket.io",
    notebook: '07-today.ipynb',
    quick: { frameSizes: '999000,1000000', duration: '1s', repeats: 1, clients: 1 },
    sizes:
      'the cliff at each size, the advice at each size (the largest only in quick mode); the defaults, the fragmented load, the memory and the field guide do not depend on size',
  },
  {
    number: 8,
    slug: 'your-server',
    title: 'Your server',
    notebook: '08-your-server.ipynb',
    // One message size: the reference rows then take a few seconds side by side.
    quick: { frameSizes: '256KiB' },
    sizes: 'your server and the reference stacks checked at each size',
  },
  {
    number: 9,
    slug: 'history',
    title: 'Why deflate ended up off: the decade after 2015',
    notebook: '09-history.ipynb',
    // Its rows read \`quick\` alone: one release pair per live row, Chromium only, the memory spot check at 10 and 50 connections.
    quick: {},
    sizes: 'does not depend on size: each row sends the message its reports describe',
  },
] as const satisfies readonly Chapter[];

/** Thrown for an `--only` selector that names no chapter; the message lists the chapters. */
export class ChapterSelectError extends InputError {}

/** The chapters `--only` names (numbers or slugs, comma-separated), in reading order; all without it. */
export function selectChapters(
  selectors: readonly string[] | undefined,
  registry: readonly Chapter[] = CHAPTERS,
): Chapter[] {
  if (selectors === undefined) return [...registry];
  const wanted = new Set<Chapter>();
  for (const selector of selectors
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const chapter = registry.find((c) => String(c.number) === selector.replace(/^0+(?=\d)/, '') || c.slug === selector);
    if (!chapter) {
      const known = registry.map((c) => `${c.number} (${c.slug})`).join(', ');
      throw new ChapterSelectError(`--only: no chapter '${selector}': use a number or name from ${known}`);
    }
    wanted.add(chapter);
  }
  if (wanted.size === 0)
    throw new ChapterSelectError('--only: empty: name one or more chapters, e.g. --only 5 or --only harness');
  return registry.filter((c) => wanted.has(c));
}

/**
 * A chapter's sizes on the contents page: the frame sizes it ran with (as given, or its parameters
 * cell's own; null when it takes none) and what it did with them.
 */
export function sizesText(chapter: Pick<Chapter, 'sizes'>, frameSizes: string | null): string {
  if (frameSizes === null) return chapter.sizes;
  const sizes =
    frameSizes === '' ? 'none given' : resolveParams({ frameSizes: frameSizes }).frameSizes.map(formatBytes).join(', ');
  return `${sizes}: ${chapter.sizes}`;
}

/** The chapter's notebook file. */
export function notebookFile(chapter: Chapter): string {
  return path.resolve(NOTEBOOKS_DIR, chapter.notebook);
}

/** The base name of the chapter's report files: `00-harness` → report/00-harness.html and .ipynb. */
export function reportBaseName(chapter: Chapter): string {
  return `${String(chapter.number).padStart(2, '0')}-${chapter.slug}`;
}
