/**
 * Chapter 6, part 2: version bisection. The base scenario against every ws release installed side
 * by side (the list read from package.json; in quick mode only those a binary search picks), each
 * run bounded and judged bad / good / inconclusive with its positive controls; the bisection over
 * those verdicts; and the diff of the installed files between the last bad and the first good
 * release it names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bisect, bisectByTesting, type Bisection, type BisectMark } from '../../bare-ws/bisect';
import { diffHtml, type DiffFile } from './diff-html';
import { progress, showHtml, showTable } from '../../show/display';
import { diffHunks, diffLines, unifiedText, type DiffLine, type Hunk } from './linediff';
import type { Params } from '../../core/params';
import { BAD_LINE, FIXED_LINE } from '../../bare-ws/fix';
import { runBareWs, type BareWsRecord } from '../../bare-ws/runner';
import { versionMark, type VersionMark } from '../../bare-ws/version-mark';
import { installedWsReleases, wsRelease } from '../../bare-ws/versions';
import { showFinding } from '../show-finding';
import {
  baseSpec,
  describeScenario,
  describeSpec,
  perMessage,
  POST_RELEASE,
  step,
  withSenders,
} from './shared-scenario';
import { replayable } from '../replayable';

/** One release's run and verdict. */
export interface ReleaseRun {
  version: string;
  record: BareWsRecord;
  verdict: VersionMark;
}

/** Every release's run, and the bisection over their verdicts. */
export interface ReleaseBisection {
  runs: ReleaseRun[];
  bisection: Bisection<string>;
}

/**
 * Runs the base scenario against the installed ws releases and bisects: every release, oldest
 * first, in a full run; in quick mode only those a binary search from the post's release (known
 * bad) to the newest (known good) picks, as `git bisect` would, about 4 of 13.
 */
export async function runBisection(params: Params): Promise<ReleaseBisection> {
  return replayable(step('bisection', params), () => measureBisection(params));
}

async function measureBisection(params: Params): Promise<ReleaseBisection> {
  const versions = installedWsReleases().map((release) => release.version);
  const scenario = describeScenario(baseSpec(params));
  const bar = params.quick
    ? progress(
        `a binary search over the ${versions.length} installed ws releases, from ${POST_RELEASE} (bad), ${scenario}`,
      )
    : progress(`every installed ws, ${scenario}`, versions.length);
  const runs: ReleaseRun[] = [];
  let bisection: Bisection<string> | undefined;
  try {
    await withSenders(async (senders) => {
      const measure = async (version: string): Promise<BisectMark> => {
        const record = await runBareWs(baseSpec(params, version), {
          quick: params.quick,
          senders: senders,
          record: false,
        });
        const verdict = versionMark(record);
        runs.push({ version: version, record: record, verdict: verdict });
        bar.tick(1, `${version}: ${verdict.verdict}`);
        return verdict.verdict;
      };
      if (params.quick) {
        bisection = await bisectByTesting(versions, POST_RELEASE, measure);
      } else {
        for (const version of versions) await measure(version);
        bisection = bisect(versions, new Map(runs.map((r) => [r.version, r.verdict.verdict])));
      }
    });
  } finally {
    bar.done(`${runs.length} of ${versions.length} releases measured`);
  }
  if (bisection === undefined) throw new Error('the bisection did not run');
  // The table reads oldest first, whatever order a binary search measured in.
  runs.sort((a, b) => versions.indexOf(a.version) - versions.indexOf(b.version));
  return { runs: runs, bisection: bisection };
}

/** The table of releases (version → failures / messages, verdict and controls), and the bisection's finding. */
export function showBisection(result: ReleaseBisection): void {
  const { bisection } = result;
  // A record made before quick mode bisected by testing has no `untested`: it measured every release.
  const untested = bisection.untested ?? [];
  showTable(
    result.runs.map(({ version, record, verdict }) => {
      const m = perMessage(record);
      const { controls, probe } = record.result;
      return {
        ws: version,
        verdict: verdict.verdict,
        'failures / messages': `${m.failures} / ${m.sent}`,
        'invalid compressed data': m['invalid compressed data'],
        'deflate negotiated': controls.deflateNegotiated,
        'continuation frames': controls.continuationFrames,
        'delivered = sent': controls.deliveredEqualsSent,
        'back to back': probe.backToBack,
        'overwritten fragments': probe.overwritten.fragmented + probe.overwritten.unfragmented,
        'differing hashes': probe.differing,
        'probe order': bisection.probes.includes(version) ? bisection.probes.indexOf(version) + 1 : null,
        why: verdict.why,
      };
    }),
    {
      caption: `${untested.length === 0 ? 'Every installed ws release' : `The ${result.runs.length} ws releases the binary search tested`}, oldest first: ${result.runs[0] ? describeSpec(result.runs[0].record.spec) : ''} (probe order: the releases a binary search looks at)`,
    },
  );
  const verdictOf = (v: string | null) => result.runs.find((r) => r.version === v)?.verdict.verdict;
  const check =
    untested.length === 0
      ? `the full table ${bisection.confirmed ? 'agrees' : 'does not confirm it on its own'}`
      : `the ${result.runs.length} releases tested ${bisection.confirmed ? 'agree' : 'do not confirm it on their own'}`;
  showFinding([
    bisection.finding,
    bisection.firstGood !== null
      ? `The binary search looked at ${bisection.probes.join(', ')} and names ${bisection.firstGood} (${verdictOf(bisection.firstGood)}) after ${bisection.lastBad} (${verdictOf(bisection.lastBad)}); ${check}.`
      : 'A binary search could not run on this table.',
    ...(untested.length > 0
      ? [
          `Quick mode tests only the releases a binary search picks, as git bisect would; ${untested.join(', ')} were not run (a full run tests all ${untested.length + result.runs.length}).`,
        ]
      : []),
  ]);
}

/** One installed file compared between two releases. */
export interface FileDiff {
  file: string;
  hunks: Hunk[];
  removed: number;
  added: number;
}

/** The last bad and first good release the bisection named, and their lib/ files compared. */
export interface ReleaseDiff {
  from: string;
  to: string;
  files: FileDiff[];
}

/** Compares every file under lib/ of the two installed releases, read from node_modules. */
export function releaseDiff(from: string, to: string): ReleaseDiff {
  const [a, b] = [wsRelease(from), wsRelease(to)];
  const names = [
    ...new Set([...fs.readdirSync(path.join(a.dir, 'lib')), ...fs.readdirSync(path.join(b.dir, 'lib'))]),
  ].sort();
  const read = (dir: string, name: string) => {
    const file = path.join(dir, 'lib', name);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  };
  return {
    from: from,
    to: to,
    files: names.map((name) => {
      const lines: DiffLine[] = diffLines(read(a.dir, name), read(b.dir, name));
      return {
        file: `lib/${name}`,
        hunks: diffHunks(lines),
        removed: lines.filter((l) => l.kind === 'removed').length,
        added: lines.filter((l) => l.kind === 'added').length,
      };
    }),
  };
}

/** The diff between the bisection's last bad and first good release, or null when it named none. */
export function bisectedDiff(result: ReleaseBisection): ReleaseDiff | null {
  const { lastBad, firstGood } = result.bisection;
  return lastBad !== null && firstGood !== null ? releaseDiff(lastBad, firstGood) : null;
}

/** A summary table of changed lines per file, then every changed file's hunks, changed lines highlighted. */
export function showReleaseDiff(diff: ReleaseDiff | null): void {
  if (diff === null) {
    showFinding('The bisection named no last bad and first good release, so there is no diff to show.');
    return;
  }
  const changed = diff.files.filter((f) => f.hunks.length > 0);
  showTable(
    diff.files.map((f) => ({ file: f.file, 'lines removed': f.removed, 'lines added': f.added })),
    {
      caption: `ws ${diff.from} → ${diff.to}: every file under lib/, read from the installed packages`,
    },
  );
  const note = (line: DiffLine) =>
    line.text.includes(BAD_LINE) || line.text.includes(FIXED_LINE) ? 'the line part 4 changes at run time' : undefined;
  const files: DiffFile[] = changed.map((f) => ({
    title: `${f.file} (ws ${diff.from} → ${diff.to})`,
    hunks: f.hunks,
    note: note,
  }));
  showHtml(
    diffHtml(files),
    changed.map((f) => `--- ${f.file} (${diff.from})\n+++ ${f.file} (${diff.to})\n${unifiedText(f.hunks)}`).join('\n'),
  );
  const total = changed.reduce((sum, f) => sum + f.removed + f.added, 0);
  showFinding(
    `${changed.length} of ${diff.files.length} files under lib/ changed between ${diff.from} and ${diff.to}, ${total} lines in all: ${changed.map((f) => `${f.file} (−${f.removed} +${f.added})`).join(', ')}.`,
  );
}
