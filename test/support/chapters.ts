/** The report tests' made-up chapters: notebooks in test/fixtures/notebooks, registered as the real ones are. */
import path from 'node:path';
import type { RawParams } from '../../src/core/params';
import { PROJECT_ROOT } from '../../src/core/paths';
import type { Chapter } from '../../src/chapters/registry';

/** A notebook under test/fixtures/notebooks. */
export function fixtureNotebook(name: string): string {
  return path.join(PROJECT_ROOT, 'test', 'fixtures', 'notebooks', name);
}

/** A chapter of the fixture notebook `name` (`params` → params.ipynb); fixtures take no frame sizes. */
export function fixtureChapter(number: number, name: string, title: string, quick: RawParams = {}): Chapter {
  return { number, slug: name, title, notebook: fixtureNotebook(`${name}.ipynb`), quick, sizes: 'a fixture: no sizes' };
}
