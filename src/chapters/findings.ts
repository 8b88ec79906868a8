/**
 * The report's opening findings. Each chapter's notebook ends with one call that hands a few of
 * its measured numbers to the report (src/chapters/report-findings.ts writes them as JSON beside
 * the executed notebook); here those numbers become sentences, each linking to the chapter that
 * holds its evidence. Pure: no I/O beyond reading one file, so every wording is unit-tested.
 */
import fs from 'node:fs';
import { escapeText } from '../show/fragments';
import { formatBytes } from '../core/units';
import { NamedError } from '../core/errors';
import { intervalText, verdictText, type ClaimVerdict, type Judgement } from '../core/verdict';
import type { Interval } from '../core/stats';
import { rateNumber } from '../traffic/rates';
import { NOT_SHOWN } from './until-failure';

/** Environment variable naming the file a chapter's findings go to; unset outside the report. */
export const FINDINGS_FILE_ENV = 'DEFLATE_LAB_FINDINGS_FILE';

/** The claims a chapter judged, each holds, does not hold or not settled, from a quick or a full run (absent in older findings files). */
export interface Judged {
  judgements?: Judgement[];
}

/** One run's outcome, as the findings need it. */
export interface RunTally {
  sent: number;
  delivered: number;
  failures: number;
  deflateNegotiated: boolean;
}

/** One frame size's run. */
export interface FrameTally extends RunTally {
  frameSize: number;
}

/** Chapter 0: the machinery on today's stack. */
export interface HarnessFindings extends Judged {
  kind: 'harness';
  versions: string;
  /** The server's maxHttpBufferSize: a larger frame is refused by design (chapter 7's cliff). */
  limit: number;
  runs: FrameTally[];
}

/** Chapter 1: who lost their socket on the 2015 stack. */
export interface SymptomFindings extends Judged {
  kind: 'symptom';
  versions: string;
  sendSeconds: number;
  imagePages: number;
  /** Mean characters per image message. */
  imageMessageChars: number | null;
  /** Image pages' failing disconnects while sending. */
  imageDisconnects: number;
  /** …and after sending stopped, while the server still read their backlog (absent in older findings). */
  imageLaterDisconnects?: number;
  imageIds: number;
  /** How long the pages could send before the run counted as not failing (absent in older findings: a fixed window). */
  deadlineSeconds?: number;
  /** Seconds from the start of sending to the first failure; null when none (absent in older findings). */
  firstFailureSeconds?: number | null;
  chatSent: number;
  chatAcked: number;
  chatDisconnects: number;
  deflateNegotiated: boolean;
}

/** Chapter 2: what DEBUG=* showed. */
export interface DebugFindings extends Judged {
  kind: 'debug';
  lines: number;
  transportErrors: number;
  /** Lines that name the error underneath ("invalid compressed data"). */
  namingUnderlying: number;
  failures: number;
  /** How long the run could send before it counted as not failing (absent in older findings). */
  deadlineSeconds?: number;
}

/** Chapter 3: the error underneath `transport error`. */
export interface OriginsFindings extends Judged {
  kind: 'origins';
  onErrorCalls: number;
  invalidCompressedData: number;
  /** zlib's errors in the server's inflate, most frequent first. */
  zlibErrors: Array<{ message: string; count: number }>;
  /** Failures the run counted, and how long it could send before it counted as not failing (both absent in older findings). */
  failures?: number;
  deadlineSeconds?: number;
}

/** Chapter 4: the post's fix (deflate off): its claims judged, and the load pairs' tallies at one size. */
export interface DeflateOffFindings extends Judged {
  kind: 'deflate-off';
  /** The frame size the figures below were measured at. */
  frameSize: number;
  repeats: number;
  on: RunTally;
  off: RunTally;
}

/** Chapter 5: one cell of the main chart with its disconnect rate per connection-hour. */
export interface SweepRateCell {
  frameSize: number;
  disconnects: number;
  connectionHours: number;
  runs: number;
  /** disconnects ÷ connectionHours, with its 95% interval (one-sided for a zero). */
  rate: number;
  interval: Interval;
  /** Why the count is not settled (fewer than 5 runs, over-dispersed); null when it is. A zero always is. */
  unsettled: string | null;
}

/** Chapter 5: one stack and deflate setting across the sweep. */
export interface SweepGroup {
  stack: string;
  deflate: string;
  runs: number;
  /** The main chart's cells of this stack and setting, smallest frame first (absent in findings written before rates). */
  cells?: SweepRateCell[];
  /** In findings written before rates: runs with a disconnect, and the smallest frame size with one. */
  runsWithDisconnects?: number;
  smallestFailingFrame?: number | null;
}

/** Chapter 5: deflate on vs off across frame sizes. */
export interface SweepFindings extends Judged {
  kind: 'sweep';
  source: 'recorded' | 'live';
  /** The newest record's start, for a recorded sweep. */
  recordedUntil: string | null;
  /** The main chart's payload and loads, in words (absent in findings written before rates). */
  selection?: string;
  groups: SweepGroup[];
}

/** Chapter 6: the bisection and the causal proof. */
export interface RootCauseFindings extends Judged {
  kind: 'root-cause';
  installed: string;
  releases: number;
  bad: number;
  good: number;
  lastBad: string | null;
  firstGood: string | null;
  asInstalled: RunTally | null;
  withFix: RunTally | null;
  unfragmented: RunTally | null;
  patchMatchesFirstGood: boolean | null;
  /** On the installed release: compressed fragments queued for zlib, and how many a new pool slice was handed out over. */
  queuedFragments: number | null;
  overwrittenFragments: number | null;
  /** The fix's claim, judged from the interval (also among `judgements`); absent in older findings. */
  fix?: Judgement;
}

/** Chapter 7: one option for a user's frame size. */
export interface AdviceTally extends RunTally {
  frameSize: number;
  option: string;
  /** Its claim (it carries every frame without a failure), judged; absent in older findings files. */
  verdict?: ClaimVerdict;
}

/** Chapter 7: today's defaults, the maxHttpBufferSize cliff, and what to set. */
export interface TodayFindings extends Judged {
  kind: 'today';
  versions: string;
  deflateByDefault: 'on' | 'off' | null;
  limit: number;
  largestDelivered: number | null;
  smallestFailed: number | null;
  failedReason: string | null;
  advice: AdviceTally[];
}

/** One row of chapter 9: its subject and the sentence its own describe function worded from its measurements. */
export interface HistoryRowFinding {
  row: number;
  subject: string;
  sentence: string;
}

/** Chapter 9: the decade after 2015, one sentence per row that ran. */
export interface HistoryFindings extends Judged {
  kind: 'history';
  rows: HistoryRowFinding[];
}

/** What one chapter hands to the report. */
export type ChapterFindings =
  | HarnessFindings
  | SymptomFindings
  | DebugFindings
  | OriginsFindings
  | DeflateOffFindings
  | SweepFindings
  | RootCauseFindings
  | TodayFindings
  | HistoryFindings;

const KINDS: ReadonlyArray<ChapterFindings['kind']> = [
  'harness',
  'symptom',
  'debug',
  'origins',
  'deflate-off',
  'sweep',
  'root-cause',
  'today',
  'history',
];

/** Thrown when a findings file is not a findings record. */
export class FindingsFileError extends NamedError {}

/** Reads a chapter's findings file; null when the chapter wrote none. */
export function readFindingsFile(file: string): ChapterFindings | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FindingsFileError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (!KINDS.includes(kind as ChapterFindings['kind'])) {
    throw new FindingsFileError(`${file}: unknown findings kind ${JSON.stringify(kind)}`);
  }
  return value as ChapterFindings;
}

// ---- wording ----------------------------------------------------------------------------------

const n = (value: number): string => value.toLocaleString('en-US');
const times = (count: number, noun: string, nouns = `${noun}s`): string => `${n(count)} ${count === 1 ? noun : nouns}`;
/** `64 KiB` for a whole number of KiB, `999,000-character` otherwise (a limit sits between such sizes). */
const frame = (bytes: number): string => (bytes % 1024 === 0 ? formatBytes(bytes) : `${n(bytes)}-character`);
/** `a`, `a and b`, `a, b and c`. */
function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `all 40 delivered` / `38 of 40 delivered`. */
function delivered(tally: RunTally): string {
  return tally.delivered === tally.sent
    ? `all ${n(tally.sent)} delivered`
    : `${n(tally.delivered)} of ${n(tally.sent)} delivered`;
}

/** Whether a zero-failure count may be read as "no failure": something was sent, all arrived, deflate as expected. */
function provenZero(tally: RunTally, deflate: boolean): boolean {
  return (
    tally.failures === 0 && tally.sent > 0 && tally.delivered === tally.sent && tally.deflateNegotiated === deflate
  );
}

function sum(tallies: readonly RunTally[]): RunTally {
  return {
    sent: tallies.reduce((total, t) => total + t.sent, 0),
    delivered: tallies.reduce((total, t) => total + t.delivered, 0),
    failures: tallies.reduce((total, t) => total + t.failures, 0),
    deflateNegotiated: tallies.length > 0 && tallies.every((t) => t.deflateNegotiated),
  };
}

function harnessSentences(f: HarnessFindings): string[] {
  const within = f.runs.filter((run) => run.frameSize <= f.limit);
  const over = f.runs.filter((run) => run.frameSize > f.limit);
  const sizes = (runs: readonly FrameTally[]): string => list(runs.map((run) => frame(run.frameSize)));
  const total = sum(within);
  // The judged claim (absent in older findings files) also needs every run to have met its load.
  const judged = f.judgements?.[0]?.verdict ?? 'holds';
  const clean = within.length > 0 && provenZero(total, total.deflateNegotiated) && judged === 'holds';
  const head = clean
    ? `The harness works: on ${f.versions}, ${sizes(within)} frames had ${n(total.sent)} sent, ${delivered(total)}, and no failure`
    : within.length === 0
      ? `The harness ran no frame within ${f.versions}'s ${n(f.limit)}-byte maxHttpBufferSize`
      : `The harness did not run clean on ${f.versions}: ${sizes(within)} frames had ${times(total.failures, 'failure')}, ${delivered(total)}; read later numbers with care`;
  if (over.length === 0) return [`${head}.`];
  const refused = sum(over);
  const tail =
    refused.delivered === 0
      ? `${sizes(over)} frames, over the ${n(f.limit)}-byte maxHttpBufferSize, were refused as designed (${n(refused.sent)} sent, none delivered)`
      : `${sizes(over)} frames, over the ${n(f.limit)}-byte maxHttpBufferSize, still had ${delivered(refused)}`;
  return [`${head}; ${tail}.`];
}

function symptomSentences(f: SymptomFindings): string[] {
  const size = f.imageMessageChars === null ? '' : ` of about ${formatBytes(f.imageMessageChars)}`;
  const pages = times(f.imagePages, 'Chromium page');
  const chat =
    f.chatDisconnects === 0 && f.chatSent > 0 && f.chatAcked === f.chatSent
      ? `a chat page on the same server kept its socket (all ${n(f.chatSent)} lines acknowledged)`
      : `a chat page on the same server lost its socket ${times(f.chatDisconnects, 'time')} (${n(f.chatAcked)} of ${n(f.chatSent)} acknowledged)`;
  const negotiated = f.deflateNegotiated
    ? 'with permessage-deflate negotiated'
    : 'without permessage-deflate negotiated';
  const lost = f.imageDisconnects + (f.imageLaterDisconnects ?? 0);
  if (lost > 0) {
    const first =
      f.firstFailureSeconds === undefined || f.firstFailureSeconds === null
        ? ''
        : `, the first failure at ${f.firstFailureSeconds} s,`;
    return [
      `What broke in 2015: on ${f.versions}, ${pages} streaming images${size} ${negotiated} lost their socket ${times(lost, 'time')} in ${f.sendSeconds} s of sending${first} and came back under ${times(f.imageIds, 'socket id')}, while ${chat}.`,
    ];
  }
  return [
    `The 2015 failure was ${NOT_SHOWN}: on ${f.versions}, ${pages} streaming images${size} ${negotiated} did not lose their socket within ${f.deadlineSeconds ?? f.sendSeconds} s, and ${chat}.`,
  ];
}

function debugSentences(f: DebugFindings): string[] {
  if (f.transportErrors > 0) {
    return [
      `DEBUG=* showed what the 2015 post saw: ${times(f.transportErrors, '"transport error" line')} among ${n(f.lines)} captured, and ${f.namingUnderlying === 0 ? 'not one naming the error underneath, "invalid compressed data"' : `${times(f.namingUnderlying, 'line')} naming the error underneath, "invalid compressed data"`}.`,
    ];
  }
  const why =
    f.failures > 0
      ? `the run failed ${times(f.failures, 'time')}, but none of the ${n(f.lines)} captured lines is one`
      : f.deadlineSeconds === undefined
        ? `2015 did not fail in this run (${n(f.lines)} lines captured)`
        : `2015 did not fail within ${f.deadlineSeconds} s (${n(f.lines)} lines captured)`;
  return [`The DEBUG=* "transport error" of the 2015 post was ${NOT_SHOWN}: ${why}.`];
}

function originsSentences(f: OriginsFindings): string[] {
  const zlib = f.zlibErrors.map((e) => `${e.message} ×${n(e.count)}`).join(', ');
  if (f.invalidCompressedData > 0) {
    return [
      `Underneath "transport error" was ws's "invalid compressed data" (close code 1007), ${times(f.invalidCompressedData, 'time')}, raised when zlib's inflate refused the bytes${zlib === '' ? '' : ` (${zlib})`}; engine.io's onError was called ${times(f.onErrorCalls, 'time')}.`,
    ];
  }
  const why =
    f.failures !== undefined && f.failures > 0
      ? `the run failed ${times(f.failures, 'time')}, none of them with it underneath`
      : f.deadlineSeconds === undefined
        ? '2015 did not fail in this run'
        : `2015 did not fail within ${f.deadlineSeconds} s`;
  return [
    `The "invalid compressed data" under "transport error" was ${NOT_SHOWN}: ${why} (engine.io's onError called ${times(f.onErrorCalls, 'time')}${zlib === '' ? '' : `; zlib: ${zlib}`}).`,
  ];
}

/** `With deflate off, …: holds (full run), from ….`: a judged claim, its basis and, if not settled, what would settle it. */
function judgedSentence(j: Judgement): string {
  const finer = j.finer !== undefined && j.finer !== j.verdict ? `, ${j.finer}` : '';
  const settle = j.toSettle === undefined ? '' : ` To settle it: ${j.toSettle}.`;
  return `${j.claim.charAt(0).toUpperCase()}${j.claim.slice(1)}: ${verdictText(j)}${finer}, from ${j.basis}.${settle}`;
}

/** The disconnect claim first, then the others together: each worded from its judgement, never from a point estimate. */
function deflateOffSentences(f: DeflateOffFindings): string[] {
  const [disconnects, ...others] = f.judgements ?? [];
  if (disconnects === undefined) {
    // A findings file from before the claims were judged from intervals: its counts, and no verdict.
    return [
      `With ${frame(f.frameSize)} frames, deflate on had ${times(f.on.failures, 'failure')} over ${times(f.repeats, 'repeat')} and deflate off ${times(f.off.failures, 'failure')} (${delivered(f.off)}); that run judged no claim from an interval, so no verdict is given here: run chapter 4 again for one.`,
    ];
  }
  return [judgedSentence(disconnects), ...(others.length > 0 ? [others.map(judgedSentence).join(' ')] : [])];
}

/** `9,500 per connection-hour (95%: 7,780–11,500; 3 runs, not settled) at 256 KiB`. */
function sweepRate(cell: SweepRateCell): string {
  const settled = cell.unsettled === null ? '' : ', not settled';
  return `${rateNumber(cell.rate)} per connection-hour (${intervalText(cell.interval)}; ${times(cell.runs, 'run')}${settled}) at ${frame(cell.frameSize)}`;
}

/** Zero cells as their bounds: `at most 180 per connection-hour (one-sided 95%)`, a range when their exposures differ. */
function sweepBounds(cells: readonly SweepRateCell[]): string {
  const highs = cells.map((c) => c.interval.high);
  const [low, high] = [rateNumber(Math.min(...highs)), rateNumber(Math.max(...highs))];
  return `at most ${low === high ? low : `${low} to ${high}`} per connection-hour${cells.length > 1 ? ' in each cell' : ''} (one-sided 95%)`;
}

/** The rates of one stack and setting: each cell with a disconnect, then the zeros' bounds and sizes. */
function sweepGroupRates(cells: readonly SweepRateCell[]): string {
  const hit = cells.filter((c) => c.disconnects > 0);
  const zeros = cells.filter((c) => c.disconnects === 0);
  const parts = hit.map(sweepRate);
  if (zeros.length > 0) parts.push(`${sweepBounds(zeros)} at ${list(zeros.map((c) => frame(c.frameSize)))}`);
  return parts.join(', ');
}

function sweepSentences(f: SweepFindings): string[] {
  const source =
    f.source === 'live'
      ? 'measured live in this run'
      : `recorded${f.recordedUntil ? ` up to ${f.recordedUntil.slice(0, 10)}` : ''}`;
  const groups = f.groups.filter((g) => g.runs > 0);
  if (groups.length === 0) return [`The sweep across frame sizes (${source}) had no completed run.`];
  if (groups.some((g) => g.cells === undefined)) return olderSweepSentences(source, groups);
  const cellsOf = (g: SweepGroup) => g.cells ?? [];
  const hit = groups.filter((g) => cellsOf(g).some((c) => c.disconnects > 0));
  const quiet = groups.filter((g) => !hit.includes(g) && cellsOf(g).length > 0);
  const parts = hit.map((g) => `${g.stack} deflate ${g.deflate}: ${sweepGroupRates(cellsOf(g))}`);
  if (quiet.length > 0)
    parts.push(
      `${list(quiet.map((g) => `${g.stack} deflate ${g.deflate}`))}: no disconnect, ${sweepBounds(quiet.flatMap(cellsOf))}`,
    );
  const what = f.selection ? `; ${f.selection}` : '';
  return [`Disconnects per connection-hour of sending across frame sizes (${source}${what}): ${parts.join('; ')}.`];
}

/** A findings file written before rates: it holds run counts only, and says so. */
function olderSweepSentences(source: string, groups: readonly SweepGroup[]): string[] {
  const parts = groups.map((g) => {
    const where = g.smallestFailingFrame ? `, from ${formatBytes(g.smallestFailingFrame)} up` : '';
    return `${g.stack} deflate ${g.deflate}: ${n(g.runsWithDisconnects ?? 0)} of ${times(g.runs, 'run')} with disconnects${where}`;
  });
  return [
    `Across frame sizes (${source}; a findings file from before rates, with run counts only): ${parts.join('; ')}.`,
  ];
}

function rootCauseSentences(f: RootCauseFindings): string[] {
  const sentences: string[] = [];
  const pool =
    f.overwrittenFragments === null || f.queuedFragments === null
      ? ''
      : f.overwrittenFragments > 0
        ? `on ws ${f.installed} the buffer pool handed out new slices over ${times(f.overwrittenFragments, 'compressed fragment')} still queued for zlib (of ${n(f.queuedFragments)} queued), and `
        : `on ws ${f.installed} the probe saw no pool slice handed out over a queued fragment (${n(f.queuedFragments)} queued), and `;
  if (f.lastBad !== null && f.firstGood !== null) {
    sentences.push(
      `Why: ${pool}bisecting ${times(f.releases, 'ws release')} (${n(f.bad)} failing, ${n(f.good)} clean) puts the change between ws ${f.lastBad} and ${f.firstGood}.`,
    );
  } else {
    sentences.push(
      `Why is open in this run: ${pool}the bisection over ${times(f.releases, 'ws release')} (${n(f.bad)} failing, ${n(f.good)} clean) could not name a first good release.`,
    );
  }
  const same = f.patchMatchesFirstGood ? ` (the patched line's source is ws ${f.firstGood}'s)` : '';
  if (f.fix) {
    sentences.push(`The fix${same}: "${f.fix.claim}" ${verdictText(f.fix)}, from ${f.fix.basis}.`);
  } else if (f.withFix && f.asInstalled) {
    // Findings from before verdicts: the counts, and no verdict that they were not judged for.
    sentences.push(
      `The one-line fix applied at run time to ws ${f.installed}${same} had ${times(f.withFix.failures, 'failure')} (${delivered(f.withFix)}), ${n(f.asInstalled.failures)} as installed; this older run was not judged from intervals.`,
    );
  }
  return sentences;
}

function todaySentences(f: TodayFindings): string[] {
  const deflate =
    f.deflateByDefault === null
      ? 'a deflate default not observed'
      : f.deflateByDefault === 'off'
        ? 'no deflate by default'
        : 'deflate on by default';
  const cliff =
    f.smallestFailed === null
      ? `every frame up to ${f.largestDelivered === null ? '?' : n(f.largestDelivered)} characters arrived under its ${n(f.limit)}-byte maxHttpBufferSize`
      : `its ${n(f.limit)}-byte maxHttpBufferSize is today's cliff: frames ${f.largestDelivered === null ? '' : `up to ${n(f.largestDelivered)} characters arrived, but `}from ${n(f.smallestFailed)} the server closed the connection (${f.failedReason ?? 'no reason recorded'})`;
  const sizes = [...new Set(f.advice.map((a) => a.frameSize))].sort((a, b) => b - a);
  const largest = sizes[0];
  let set = '';
  if (largest !== undefined) {
    const options = f.advice.filter((a) => a.frameSize === largest);
    // Each option's judged verdict; an older findings file has none, and its clean runs read as holding.
    const verdictOf = (a: AdviceTally): ClaimVerdict =>
      a.verdict ?? (provenZero(a, a.deflateNegotiated) ? 'holds' : 'does not hold');
    const named = (verdict: ClaimVerdict) => options.filter((a) => verdictOf(a) === verdict).map((a) => a.option);
    const [clean, failing, open] = [named('holds'), named('does not hold'), named('not settled')];
    const unsettled = open.length > 0 ? `; for ${list(open)} this run cannot say (not settled)` : '';
    set =
      clean.length > 0
        ? ` What to set: for ${frame(largest)} frames, ${clean.join(' or ')} delivered every frame${failing.length > 0 ? `; ${list(failing)} did not` : ''}${unsettled}.`
        : failing.length > 0
          ? ` None of the options tried (${failing.join(', ')}) delivered every ${frame(largest)} frame${unsettled}.`
          : ` No option tried settled whether it delivers every ${frame(largest)} frame${unsettled}.`;
  }
  return [`Today, ${f.versions} negotiates ${deflate}, and ${cliff}.${set}`];
}

/** Chapter 9's rows, each as its row's own wording gave it. */
function historySentences(f: HistoryFindings): string[] {
  return f.rows.map((r) => `Since 2015, ${r.subject} (row ${r.row}): ${r.sentence}`);
}

/** The sentences a chapter's numbers give, worded from those numbers. */
export function findingSentences(findings: ChapterFindings): string[] {
  switch (findings.kind) {
    case 'harness':
      return harnessSentences(findings);
    case 'symptom':
      return symptomSentences(findings);
    case 'debug':
      return debugSentences(findings);
    case 'origins':
      return originsSentences(findings);
    case 'deflate-off':
      return deflateOffSentences(findings);
    case 'sweep':
      return sweepSentences(findings);
    case 'root-cause':
      return rootCauseSentences(findings);
    case 'today':
      return todaySentences(findings);
    case 'history':
      return historySentences(findings);
  }
}

/** What the findings need to know of a chapter's line in the report. */
export interface FindingsSource {
  number: number;
  slug: string;
  title: string;
  status: string;
  ranAt: string;
  /** Kept from an earlier run (`--only` named other chapters). */
  kept: boolean;
  findings: ChapterFindings | null;
  /** One line on why the chapter failed, when it did. */
  failure: string | null;
}

/** One sentence of the findings, with the chapter that holds its evidence. */
export interface Finding {
  number: number;
  slug: string;
  text: string;
}

const runOf = (ranAt: string): string => `${ranAt.slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The findings, in chapter order: a chapter's sentences, a note when they come from an earlier
 * run, and one sentence for a chapter that failed (its numbers are then missing or suspect).
 * A chapter that ran cleanly without handing numbers over adds nothing.
 */
export function reportFindings(sources: readonly FindingsSource[]): Finding[] {
  const found: Finding[] = [];
  for (const source of [...sources].sort((a, b) => a.number - b.number)) {
    const add = (text: string) => found.push({ number: source.number, slug: source.slug, text: text });
    const chapter = `chapter ${source.number} (${source.title})`;
    if (source.status !== 'ok') {
      const why = source.failure ? `: ${source.failure}` : '';
      add(
        `${chapter.charAt(0).toUpperCase()}${chapter.slice(1)} failed in the run of ${runOf(source.ranAt)} (${source.status}${why})${source.findings ? ', so its numbers below may be incomplete' : ', so this report has no finding from it'}.`,
      );
    }
    if (!source.findings) continue;
    const sentences = findingSentences(source.findings);
    if (source.kept && sentences.length > 0) {
      sentences[0] = `From the earlier run of ${runOf(source.ranAt)} (this run did not repeat chapter ${source.number}): ${sentences[0]}`;
    }
    for (const sentence of sentences) add(sentence);
  }
  return found;
}

/** The findings as a list of linked sentences; `href` gives each chapter's evidence link. */
export function findingsHtml(findings: readonly Finding[], href: (finding: Finding) => string): string {
  if (findings.length === 0) return '<p class="dl-empty">No chapter handed its numbers to the report in this run.</p>';
  const items = findings.map(
    (f) =>
      `<li>${escapeText(f.text)} <a class="dl-evidence" href="${escapeText(href(f))}">(chapter ${f.number})</a></li>`,
  );
  return `<ol class="dl-findings">${items.join('')}</ol>`;
}
