/**
 * Chapter 6, part 3: the mechanism, from the code and from the probe. The Receiver's pool
 * functions read from the installed post release, then what the probe counted on every release's
 * run (fragments queued, overwritten, hashing differently when zlib read them, zlib errors and
 * what preceded them), and the life of the fragment behind the first error.
 */
import path from 'node:path';
import { showTable, showText } from '../../show/display';
import { functionSource } from '../../search';
import { INVALID_COMPRESSED_DATA } from '../../bare-ws/runner';
import { wsRelease } from '../../bare-ws/versions';
import { plural, showFinding } from '../show-finding';
import { POST_RELEASE } from './shared-scenario';
import type { ReleaseRun } from './bisection';

/** The functions that decide where a fragment's bytes live and when they are reused, by file. */
const POOL_FUNCTIONS: ReadonlyArray<[file: string, name: string]> = [
  ['BufferPool.js', 'BufferPool.prototype.get'],
  ['BufferPool.js', 'BufferPool.prototype.reset'],
  ['Receiver.js', 'Receiver.prototype.allocateFromPool'],
  // The text opcode's finish (the first `finish` in the file): it queues the fragment's inflate.
  ['Receiver.js', 'finish'],
  ['Receiver.js', 'Receiver.prototype.endPacket'],
  ['PerMessageDeflate.js', 'PerMessageDeflate.prototype.decompress'],
];

/** Shows each pool function as installed in the post's release, with its file and lines. */
export function showPoolSource(version: string = POST_RELEASE): void {
  const release = wsRelease(version);
  for (const [file, name] of POOL_FUNCTIONS) {
    const source = functionSource(path.join(release.dir, 'lib', file), name);
    showText(source.text, { title: `ws ${version} lib/${file}:${source.startLine}-${source.endLine}  ${source.name}` });
  }
}

/** What the probe found on each release's run, one row per release. */
export function showPoolWatchTable(runs: readonly ReleaseRun[]): void {
  showTable(
    runs.map(({ version, record, verdict }) => {
      const { probe, compressedDataErrors } = record.result;
      return {
        ws: version,
        verdict: verdict.verdict,
        'fragments queued': probe.queued,
        'back to back': probe.backToBack,
        'reset(false) fragmented pool': probe.resets.fragmented.keep,
        'overwritten while waiting': probe.overwritten.fragmented + probe.overwritten.unfragmented,
        'differing hashes': probe.differing,
        'at hand-off': probe.differingAtHandOff,
        'after hand-off': probe.differingAfterHandOff,
        'differing, never overwritten': probe.differingNotOverwritten,
        'zlib errors': probe.errors.length,
        [INVALID_COMPRESSED_DATA]: compressedDataErrors,
        'errors with a differing hash before': probe.errorsWithDifferingBefore,
      };
    }),
    { caption: "The pool and inflate-queue probe on every release's run (the bisection's runs)" },
  );
}

/** Totals over the runs that the sentences below are worded from. */
export interface PoolWatchTotals {
  badReleases: string[];
  goodReleases: string[];
  invalidCompressedData: number;
  zlibErrors: number;
  errorsWithDifferingBefore: number;
  errorsOnDifferingFragment: number;
  differing: number;
  differingNotOverwritten: number;
  goodBackToBack: number;
  goodOverwritten: number;
  goodDiffering: number;
}

/** Sums the probe over bad and good releases' runs. */
export function poolWatchTotals(runs: readonly ReleaseRun[]): PoolWatchTotals {
  const bad = runs.filter((r) => r.verdict.verdict === 'bad');
  const good = runs.filter((r) => r.verdict.verdict === 'good');
  const sum = (list: readonly ReleaseRun[], f: (r: ReleaseRun) => number) => list.reduce((s, r) => s + f(r), 0);
  // Errors and hashes are summed over every run, whatever its verdict: "every error" means every one.
  const all = runs;
  return {
    badReleases: bad.map((r) => r.version),
    goodReleases: good.map((r) => r.version),
    invalidCompressedData: sum(all, (r) => r.record.result.compressedDataErrors),
    zlibErrors: sum(all, (r) => r.record.result.probe.errors.length),
    errorsWithDifferingBefore: sum(all, (r) => r.record.result.probe.errorsWithDifferingBefore),
    errorsOnDifferingFragment: sum(all, (r) => r.record.result.probe.errors.filter((e) => e.fragmentDiffered).length),
    differing: sum(all, (r) => r.record.result.probe.differing),
    differingNotOverwritten: sum(all, (r) => r.record.result.probe.differingNotOverwritten),
    goodBackToBack: sum(good, (r) => r.record.result.probe.backToBack),
    goodOverwritten: sum(
      good,
      (r) => r.record.result.probe.overwritten.fragmented + r.record.result.probe.overwritten.unfragmented,
    ),
    goodDiffering: sum(good, (r) => r.record.result.probe.differing),
  };
}

/** The evidence in words, from the totals. */
export function poolWatchFindings(t: PoolWatchTotals): string[] {
  const every = t.zlibErrors > 0 && t.errorsWithDifferingBefore === t.zlibErrors;
  return [
    `Over every release's run (bad: ${t.badReleases.join(', ') || 'none'}): ${plural(t.invalidCompressedData, `${INVALID_COMPRESSED_DATA} error`)} and ${plural(t.zlibErrors, 'zlib error')} in ws's decompress; ` +
      `${t.errorsWithDifferingBefore} of ${t.zlibErrors} had a fragment with a differing hash on their connection at or before them` +
      ` (${t.errorsOnDifferingFragment} on the very fragment zlib failed on)${every ? ': every one' : t.zlibErrors === 0 ? '' : ': not every one'}.`,
    `${plural(t.differing, 'fragment')} hashed differently when zlib read them than when they were queued; ${t.differing - t.differingNotOverwritten} of them had first had a new pool slice handed out over their bytes.`,
    // A good release's verdict already needs its own controls (src/bare-ws/version-mark): without one, no zero is stated.
    t.goodReleases.length === 0
      ? 'No release was judged good in these runs, so nothing is said about what a fixed release does.'
      : `On the good releases (${t.goodReleases.join(', ')}): ${plural(t.goodBackToBack, 'message')} arrived while an earlier one still waited for zlib, yet ${plural(t.goodOverwritten, 'fragment')} were overwritten and ${plural(t.goodDiffering, 'hash', 'hashes')} differed.`,
  ];
}

/** Shows the findings. */
export function showPoolWatchFindings(runs: readonly ReleaseRun[]): void {
  showFinding(poolWatchFindings(poolWatchTotals(runs)));
}

/** The life of the fragment behind the first error on the post's release (or the first bad release with one). */
export function showFirstErrorStory(runs: readonly ReleaseRun[]): void {
  const withStory = [...runs.filter((r) => r.version === POST_RELEASE), ...runs].find(
    (r) => r.record.result.probe.timeline.length > 0,
  );
  if (!withStory) {
    showFinding('No run recorded a zlib error, so there is no failing fragment to follow.');
    return;
  }
  const { probe } = withStory.record.result;
  showTable(
    probe.timeline.map((e) => ({
      ms: e.t,
      event: e.kind,
      fragment: e.fragment ?? '',
      bytes: e.where ?? '',
      'hash as queued?': e.same === undefined ? '' : e.same ? 'same' : 'DIFFERENT',
      note: e.note ?? '',
    })),
    {
      caption: `ws ${withStory.version}: the fragment behind the first zlib error (m = message, f = fragment on its connection; buf<n> = a pool buffer)`,
    },
  );
  const first = probe.errors[0];
  const overwrite = probe.timeline.find((e) => e.kind === 'overwritten' && e.fragment === first?.fragment);
  showFinding(
    first
      ? `zlib failed on ${first.fragment ?? 'a fragment'} with "${first.message}"${first.code ? ` (${first.code})` : ''}; ` +
          (overwrite
            ? `its bytes ${overwrite.where ?? ''} had been handed out again (${overwrite.note ?? ''}) before zlib read them, `
            : '') +
          `and its hash ${first.fragmentDiffered ? 'differed' : 'did not differ'} from the one taken when it was queued.`
      : 'The timeline has no error.',
  );
}
