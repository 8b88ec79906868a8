/**
 * The report's promise: every page opens offline and loads nothing from outside itself. Checked
 * by scripts/selfcontained.py, which parses the HTML (Python's HTMLParser) rather than grepping it.
 */
import { lastJsonLine, runScript } from './python';

const CHECK_TIMEOUT_MS = 60_000;

/** For each HTML file, what it would load from outside itself (`line 3 <script> src="…"`). */
export async function externalLoads(files: readonly string[]): Promise<Record<string, string[]>> {
  if (files.length === 0) return {};
  const result = await runScript('selfcontained.py', files, { timeoutMs: CHECK_TIMEOUT_MS });
  return lastJsonLine<Record<string, string[]>>(result, 'selfcontained.py');
}
