/**
 * GNU grep on the same roots: the reference the search is held to, for its hits (parity tests)
 * and its speed (the bench). `-Z` only changes how file names are delimited in the output, so
 * that a name with a `:` still parses.
 */
import { spawnSync } from 'node:child_process';
import { assertMeasuring } from '../core/replay';

/** The `(path, line)` pairs of grep's hits, with paths as grep printed them. */
export interface GrepResult {
  pairs: Array<[string, number]>;
  /** The exact command that ran, for showing beside its result. */
  command: string;
}

// grep's output is held in memory; a pattern that matches more than this is not a search.
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/**
 * Runs `grep -rnIZ -F` (literal) or `grep -rnIZP` (regex) on the roots in the C locale: bytes,
 * no encoding errors, so lines with invalid UTF-8 are reported rather than suppressed as binary.
 */
export function runGrep(query: { literal: string } | { regex: string }, roots: readonly string[]): GrepResult {
  assertMeasuring('grep');
  const args = [
    'literal' in query ? '-rnIZF' : '-rnIZP',
    '-e',
    'literal' in query ? query.literal : query.regex,
    '--',
    ...roots,
  ];
  const result = spawnSync('grep', args, { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: MAX_OUTPUT_BYTES });
  if (result.error) throw new Error(`grep did not run (${result.error.message}); install GNU grep`);
  // Status 1 means no line matched; 2 is an error.
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`grep ${args.join(' ')} failed: ${result.stderr.toString().split('\n')[0]}`);
  const pairs: Array<[string, number]> = [];
  const out = result.stdout;
  for (let start = 0; start < out.length;) {
    const nul = out.indexOf(0, start);
    const colon = out.indexOf(0x3a, nul);
    const end = out.indexOf(0x0a, colon);
    pairs.push([out.toString('utf8', start, nul), Number(out.toString('latin1', nul + 1, colon))]);
    start = end === -1 ? out.length : end + 1;
  }
  return {
    pairs,
    command: `LC_ALL=C grep ${args.map((a) => (/^[\w./=-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`,
  };
}
