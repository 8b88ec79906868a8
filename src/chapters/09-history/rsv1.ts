/**
 * Chapter 9, row 4: RSV1 misuse against bare ws servers with no 'error' listener (websockets/ws
 * #1140, #1191, #1238). `runRsv1` measures (src/history/rsv1.ts) or replays; `showRsv1` shows the
 * runs, the bisections and the sentence `describeRsv1` words from them.
 */
import { MISUSE_SPECS, RSV1_MISUSES, type Rsv1Misuse } from '../../clients/crafted-frames';
import { compareVersions } from '../../core/version-cache';
import {
  behaviourOf,
  closeWords,
  measureRsv1,
  releaseBehaviour,
  RSV1_MAJORS,
  runBlockers,
  type MisuseRun,
  type Rsv1Plan,
  type Rsv1Result,
} from '../../history/rsv1';
import { progress, showChart, showTable, showText } from '../../show/display';
import { formatDuration } from '../../core/units';
import { replayable } from '../replayable';
import { step } from './step';

/**
 * Quick mode's pair: the last release that cut the connection without a close frame and the first
 * that sent close 1002 again, as the full chapter's bisection found them (7.4.6 and 7.5.0).
 */
export const RSV1_QUICK_PAIR = ['7.4.6', '7.5.0'] as const;

/** What the public reports say, to set beside the measurement: the oldest release they show crashing. */
export const RSV1_REPORTS = {
  crashFrom: '3.0.0',
  crashReport: 'websockets/ws#1140, 2017, on ws 3.0.0; websockets/ws#1191 the same summer',
} as const;

/**
 * Quick: the pair, once each; full: every major twice, and every change bisected. Releases a reader
 * named join the releases measured, in semver order.
 */
export function rsv1Plan(quick: boolean, named: readonly string[] = []): Rsv1Plan {
  const releases = (base: readonly string[]) => [...new Set([...base, ...named])].sort(compareVersions);
  return quick
    ? { majors: releases(RSV1_QUICK_PAIR), misuses: [...RSV1_MISUSES], repeats: 1, bisect: false }
    : { majors: releases(RSV1_MAJORS), misuses: [...RSV1_MISUSES], repeats: 2, bisect: true };
}

/** Measures row 4 (or replays it under --from-data), with a progress line. */
export async function runRsv1(params: { quick: boolean; named?: readonly string[] }): Promise<Rsv1Result> {
  const plan = rsv1Plan(params.quick, params.named);
  return replayable(step('rsv1', { quick: params.quick, ...plan }), async () => {
    const bar = progress('RSV1 misuse runs (one server process each)');
    try {
      return await measureRsv1(plan, (run) => bar.tick(1, `ws ${run.version}, ${run.misuse}: ${closeWords(run)}`));
    } finally {
      bar.done();
    }
  });
}

/** One table line per run. */
export function rsv1Rows(runs: readonly MisuseRun[]) {
  return runs.map((run) => ({
    ws: run.version,
    misuse: MISUSE_SPECS[run.misuse].words,
    'deflate answer': run.deflateAnswer || 'none',
    'well-formed delivered': run.wellFormedDelivered,
    'client heard': closeWords(run),
    'server process': run.crashed ? 'crashed' : 'kept running',
    'uncaught exception': run.crashError || '–',
    'could not say': runBlockers(run).join('; ') || '–',
    ms: run.ms,
  }));
}

const grouped = (result: Rsv1Result, misuse: Rsv1Misuse) =>
  result.majors.map((version) => ({
    version: version,
    runs: result.runs.filter((r) => r.version === version && r.misuse === misuse),
  }));

/** `close 1002 from ws 1.1.5 to 2.3.1, ... ` for one misuse: neighbouring releases with the same close, joined. */
export function closeTimeline(result: Rsv1Result, misuse: Rsv1Misuse): string {
  const spans: Array<{ words: string; from: string; to: string }> = [];
  for (const { version, runs } of grouped(result, misuse)) {
    const words = releaseBehaviour(runs) === undefined ? 'nothing conclusive' : closeWords(runs[0]);
    const last = spans[spans.length - 1];
    if (last?.words === words) last.to = version;
    else spans.push({ words: words, from: version, to: version });
  }
  return spans
    .map((s) => `${s.words} ${s.from === s.to ? `from ws ${s.from}` : `from ws ${s.from} to ${s.to}`}`)
    .join(', then ');
}

function crashSentence(result: Rsv1Result, conclusive: MisuseRun[]): string {
  const crashed = conclusive.filter((r) => r.crashed);
  const versions = [...new Set(conclusive.map((r) => r.version))];
  if (conclusive.length === 0) return 'No run could say what the server did.';
  const span = versions.length > 1 ? `ws ${versions[0]} to ${versions[versions.length - 1]}` : `ws ${versions[0]}`;
  if (crashed.length === conclusive.length)
    return `With no 'error' listener on its sockets, the server process died of an uncaught exception in every run (${crashed.length} of ${conclusive.length}, ${span}, ${result.misuses.length} misuses), each right after a well-formed message on the same connection had been delivered.`;
  const survivors = [...new Set(conclusive.filter((r) => !r.crashed).map((r) => `ws ${r.version} (${r.misuse})`))];
  return `With no 'error' listener on its sockets, the server process died of an uncaught exception in ${crashed.length} of ${conclusive.length} runs (${span}); it kept running in ${survivors.join(', ')}.`;
}

function bisectionSentences(result: Rsv1Result): string[] {
  const byBracket = new Map<string, Rsv1Result['bisections']>();
  for (const b of result.bisections)
    byBracket.set(`${b.from} ${b.to}`, [...(byBracket.get(`${b.from} ${b.to}`) ?? []), b]);
  return [...byBracket.values()].map((list) => {
    const first = list[0];
    const agree = list.every(
      (b) =>
        b.bisection.confirmed &&
        b.bisection.firstGood === first.bisection.firstGood &&
        b.bisection.lastBad === first.bisection.lastBad,
    );
    const between = `Between ws ${first.from} and ${first.to} (${first.candidates.length} published releases, ${list.map((b) => b.misuse).join(', ')})`;
    if (agree)
      return `${between}, the bisection puts the change at ws ${first.bisection.firstGood}: ws ${first.bisection.lastBad} still gave "${first.oldBehaviour}", ws ${first.bisection.firstGood} gave "${first.newBehaviour}", for ${list.length === 1 ? 'that misuse' : `all ${list.length} misuses`}.`;
    return `${between}: ${list.map((b) => `${b.misuse}: ${b.bisection.finding}`).join(' ')}`;
  });
}

function reportSentence(result: Rsv1Result, conclusive: MisuseRun[]): string {
  const crashedVersions = [...new Set(conclusive.filter((r) => r.crashed).map((r) => r.version))].sort(compareVersions);
  const reported = RSV1_REPORTS.crashFrom;
  const said = `The public reports show the crash from ws ${reported} (${RSV1_REPORTS.crashReport})`;
  const oldest = crashedVersions[0];
  const changes =
    result.bisections.length > 0 ? ' They name no release for the close frame; the bisections above do.' : '';
  if (oldest === undefined) return `${said}; no run here crashed.${changes}`;
  if (compareVersions(oldest, reported) < 0)
    return `${said}; it is older than that: ws ${oldest} crashes the same way.${changes}`;
  if (compareVersions(result.majors[0], reported) > 0)
    return `${said}; this run starts at ws ${result.majors[0]}, so it cannot say how old the crash is.${changes}`;
  return `${said}; the oldest release that crashed here is ws ${oldest}${oldest === reported ? ', which agrees' : ', which disagrees'}.${changes}`;
}

/** Words row 4 from its runs: the crash, what the client heard release by release, the bisections, the reports beside them. */
export function describeRsv1(result: Rsv1Result): string {
  const conclusive = result.runs.filter((r) => behaviourOf(r) !== undefined);
  const blocked = result.runs.length - conclusive.length;
  const sentences = [crashSentence(result, conclusive)];
  const timelines = result.misuses.map((m) => closeTimeline(result, m));
  if (timelines.every((t) => t === timelines[0]))
    sentences.push(
      `For ${result.misuses.length === 1 ? 'the misuse' : `all ${result.misuses.length} misuses`}, the client heard ${timelines[0]}.`,
    );
  else
    sentences.push(...result.misuses.map((m, i) => `For ${MISUSE_SPECS[m].words}, the client heard ${timelines[i]}.`));
  sentences.push(...bisectionSentences(result));
  if (blocked > 0) sentences.push(`${blocked} of ${result.runs.length} runs could not say (see the table).`);
  sentences.push(reportSentence(result, conclusive));
  return sentences.join(' ');
}

/** Shows the runs, a grid of what the client heard, the bisections and the finding. */
export async function showRsv1(result: Rsv1Result): Promise<void> {
  const total = result.runs.reduce((sum, r) => sum + r.ms, 0);
  showTable(rsv1Rows(result.runs), {
    caption: `RSV1 misuse against bare ws servers (no 'error' listener, one process per run, ${result.repeats} run${result.repeats === 1 ? '' : 's'} per release and misuse; ${formatDuration(total)} for the majors' runs)`,
  });
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: {
        values: result.runs.map((r) => ({ ws: r.version, misuse: r.misuse, heard: closeWords(r), crashed: r.crashed })),
      },
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'ws', type: 'ordinal', sort: [...result.majors], title: 'ws release' },
        y: { field: 'misuse', type: 'nominal' },
        color: { field: 'heard', type: 'nominal', title: 'the client heard' },
      },
    },
    { caption: 'What the client heard after each misuse, by ws release (measured in this run)' },
  );
  if (result.bisections.length > 0)
    showTable(
      result.bisections.map((b) => ({
        misuse: b.misuse,
        between: `${b.from} … ${b.to}`,
        candidates: b.candidates.length,
        before: b.oldBehaviour,
        after: b.newBehaviour,
        probed: b.bisection.probes.join(', '),
        'last old': b.bisection.lastBad ?? '–',
        'first new': b.bisection.firstGood ?? '–',
        confirmed: b.bisection.confirmed,
      })),
      { caption: 'Bisections over the committed candidates (every published ws release in the range)' },
    );
  showText(describeRsv1(result), { title: 'what the runs show' });
}
