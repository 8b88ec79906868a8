/**
 * Chapter 2, the DEBUG trail: the post restarted its server with `DEBUG=*` and read the lines
 * around each disconnect. Here every copy of `debug` the 2015 stack loads logs into a capture in
 * this kernel while chapter 1's load runs, and the lines around each engine.io `transport error`
 * are set beside the post's excerpt.
 */
import { showLog, showTable } from '../../show/display';
import {
  isTransportError,
  knownDebugCopies,
  linesAround,
  POST_DISCONNECT_EXCERPT,
  type DebugCopy,
} from '../../observe/debug-capture';
import { DEFAULT_MAX_MESSAGE_CHARS, startDebugLog, type LoggedLine } from '../../observe/debug-log';
import type { Params, RawParams } from '../../core/params';
import { cannotSayNoFailure } from '../../traffic/failure-rule';
import { replaySteps } from '../../core/replay';
import { replayable } from '../replayable';
import type { ScenarioRecord, ScenarioSpec } from '../../traffic/scenario';
import { loadStack } from '../../stacks';
import { plural, showFinding } from '../show-finding';
import {
  measureSymptom,
  SYMPTOM_STACK,
  symptomParams,
  symptomSpec,
  unfragmentedSentence,
  type SymptomClient,
  SYMPTOM_BURST,
} from '../symptom-run';
import {
  deadlinePassedSentence,
  existenceJudgement,
  NOT_SHOWN,
  secondsText,
  untilFailure,
  untilFailureSentence,
} from '../until-failure';
import type { Judgement } from '../../core/verdict';

/** The post's setting: every namespace. */
export const DEBUG_NAMESPACES = '*';
/** Lines kept; a full-mode run logs a few thousand, and the whole log goes into the notebook. */
export const DEBUG_MAX_LINES = 50_000;
/** Lines shown before and after each `transport error`. */
const BEFORE = 3;
const AFTER = 8;

const step = replaySteps('debug');
/** How far after a `transport error` the post's next lines are looked for. */
const EXCERPT_REACH = 30;
/** Disconnects shown line by line; the rest are in the full log. */
const WINDOWS_SHOWN = 3;
/** Characters of a message shown in the tables around a disconnect (the full log keeps more). */
const TABLE_MESSAGE_CHARS = 80;

/** Checks the notebook's parameters (the same as chapter 1's). */
export function debugParams(raw: RawParams): Params {
  return symptomParams(raw);
}

/**
 * Quick mode: the Node fragmenting client, with the reproducer's burst for the send backlog the
 * failure needs (symptom-run's SYMPTOM_BURST), as chapter 1 runs it; full: Chromium pages as in the post.
 */
export function debugClient(params: Params): SymptomClient {
  return params.quick ? 'fragmenting' : 'browser';
}

/** One run with every namespace captured. */
export interface DebugRun {
  record: ScenarioRecord;
  lines: LoggedLine[];
  /** Lines past DEBUG_MAX_LINES, counted only. */
  dropped: number;
  /** Every copy of `debug` prepared in this process. */
  copies: DebugCopy[];
}

/**
 * Runs chapter 1's load on the 2015 stack with `DEBUG=*` captured in this kernel, and records the
 * run with its log. The capture formats every packet the stack logs, which costs the server CPU:
 * this run's CPU figures are never shown. Under `--from-data` it replays the latest recorded trail
 * of the same parameters instead.
 */
export async function runDebugTrail(params: Params): Promise<DebugRun> {
  const client = debugClient(params);
  const plan = untilFailure('debug', params.quick);
  return replayable(step('trail', { ...params, untilFailure: plan, burst: SYMPTOM_BURST[client] }), () =>
    measureDebugTrail(symptomSpec(params, client, plan), params.quick),
  );
}

async function measureDebugTrail(spec: ScenarioSpec, quick: boolean): Promise<DebugRun> {
  // Loading the stack prepares its copies of debug; a capture before that would refuse to start.
  loadStack(SYMPTOM_STACK);
  const log = startDebugLog(DEBUG_NAMESPACES, { maxLines: DEBUG_MAX_LINES });
  let record: ScenarioRecord;
  try {
    // Recorded with its log as this chapter's step, not alone: chapter 1 must not pick up a run made under `*`.
    record = await measureSymptom(spec, { quick: quick, record: false });
  } finally {
    log.stop();
  }
  const lines = log.stop();
  // socket.io logs as its server starts: an empty capture means the capture is broken, not quiet.
  if (lines.length === 0)
    throw new Error(
      'the DEBUG=* capture recorded no line: restart the kernel so the stack is loaded after prepareDebugCapture()',
    );
  return { record: record, lines: lines, dropped: log.dropped(), copies: knownDebugCopies() };
}

function rel(run: DebugRun, t: number): number {
  return t - run.record.result.sendWindow.start;
}

function excerptPattern(message: string): RegExp {
  return new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('<id>', '\\S+')}$`);
}

/** For one `transport error`, where each line of the post's excerpt came next (in order), if it did. */
export interface ExcerptMatch {
  /** Index of the `transport error` line in the log. */
  at: number;
  /** Per excerpt line: index in the log, or null when it did not follow within reach. */
  found: Array<number | null>;
}

/** Finds the post's excerpt after every `transport error` in the log. */
export function matchExcerpt(lines: readonly LoggedLine[]): ExcerptMatch[] {
  const patterns = POST_DISCONNECT_EXCERPT.map((e) => ({ namespace: e.namespace, re: excerptPattern(e.message) }));
  const matches: ExcerptMatch[] = [];
  lines.forEach((line, at) => {
    if (!isTransportError(line)) return;
    const found: Array<number | null> = [at];
    let from = at + 1;
    for (const pattern of patterns.slice(1)) {
      let hit: number | null = null;
      for (let i = from; i < Math.min(lines.length, at + 1 + EXCERPT_REACH); i++) {
        if (lines[i].namespace === pattern.namespace && pattern.re.test(lines[i].message)) {
          hit = i;
          break;
        }
      }
      found.push(hit);
      if (hit !== null) from = hit + 1;
    }
    matches.push({ at: at, found: found });
  });
  return matches;
}

/** The post's excerpt beside the first live disconnect's lines. */
export function excerptRows(run: DebugRun) {
  const first = matchExcerpt(run.lines)[0];
  return POST_DISCONNECT_EXCERPT.map((post, k) => {
    const index = first?.found[k] ?? null;
    const live = index === null ? undefined : run.lines[index];
    return {
      'the post (2015)': `${post.namespace} ${post.message}`,
      // Without any transport error there is nothing to set beside the post: not shown, not "not found".
      'this run': live ? `${live.namespace} ${live.message}` : first ? '(not found)' : `(${NOT_SHOWN})`,
      'ms after transport error': live && first ? live.t - run.lines[first.at].t : null,
      copy: live?.copy ?? '',
    };
  });
}

/** Shows the excerpt table. */
export function showExcerpt(run: DebugRun): void {
  showTable(excerptRows(run), {
    caption: "The post's DEBUG=* excerpt, line by line, beside this run's first disconnect",
  });
}

/** The findings about the trail, worded from the log and the record. */
export function debugFindings(run: DebugRun): string[] {
  const matches = matchExcerpt(run.lines);
  const complete = matches.filter((m) => m.found.every((i) => i !== null)).length;
  const serverTransportErrors = run.record.result.serverDisconnects.filter(
    (d) => d.reason === 'transport error',
  ).length;
  const sentences = [
    `The capture holds ${plural(run.lines.length, 'line')} from ${plural(new Set(run.lines.map((l) => l.copy)).size, 'copy', 'copies')} of debug` +
      `${run.dropped > 0 ? ` (${run.dropped} more past the limit, counted only)` : ''}.`,
  ];
  if (matches.length === 0) {
    sentences.push(noTransportErrorSentence(run));
    const unfragmented = unfragmentedSentence(run.record);
    if (unfragmented !== null) sentences.push(unfragmented);
  } else {
    sentences.push(
      `engine:socket logged "transport error" ${plural(matches.length, 'time')}; the server closed ${plural(serverTransportErrors, 'session')} with the reason "transport error".`,
    );
    sentences.push(
      `${complete} of ${matches.length} were followed, in the post's order and within ${EXCERPT_REACH} lines, by all four lines of its excerpt.`,
    );
  }
  return sentences;
}

/**
 * The trail without a `transport error`, said as what it is: a deadline that passed with no
 * failure, a failure the log did not name, or a run that could not have shown one; never a result.
 */
function noTransportErrorSentence(run: DebugRun): string {
  const { result, spec } = run.record;
  // "No line appeared" says something only about a run that sent with deflate on.
  const cannotSay = cannotSayNoFailure(result);
  if (cannotSay !== null)
    return `No engine:socket "transport error" line appeared, and the run could not have shown the failure (${cannotSay}); the trail below has no failure in it.`;
  if (result.failures > 0)
    return `The run failed ${plural(result.failures, 'time')} (${Object.keys(result.serverReasons).join(', ') || 'on the client side'}), but engine:socket logged no "transport error" line.`;
  return deadlinePassedSentence(spec.stack, spec.duration, 'the trail below has no failure in it');
}

/** Shows how long the trail's run sends: until the first failure and a tail, at most a deadline. */
export function showDebugPlan(params: Params): void {
  showFinding(
    untilFailureSentence(
      'debug',
      params.quick,
      params.quick
        ? `The Node client, ${SYMPTOM_BURST.fragmenting} messages back to back per tick, sends`
        : 'The Chromium pages send',
    ),
  );
}

/**
 * The post's trail as an existence claim: one engine:socket `transport error` line, at a session
 * the server closed with that reason over a connection that negotiated deflate, settles it.
 */
export function debugJudgement(run: DebugRun): Judgement {
  const matches = matchExcerpt(run.lines);
  const { result } = run.record;
  const closed = result.serverDisconnects.filter((d) => d.reason === 'transport error').length;
  const complete = matches.filter((m) => m.found.every((i) => i !== null)).length;
  const shown = matches.length > 0 && closed > 0 && result.controls.deflateNegotiated;
  const basis = shown
    ? `engine:socket logged "transport error" ${plural(matches.length, 'time')}, the server closed ${plural(closed, 'session')} with that reason over connections that negotiated permessage-deflate, and ${complete} of ${matches.length} were followed by all four lines of the post's excerpt`
    : noTransportErrorSentence(run).replace(/\.$/, '');
  return existenceJudgement(
    'DEBUG=* shows engine.io\'s "transport error" at the disconnect, as the post saw',
    { shown: shown, basis: basis },
    run.record.quick ? 'quick' : 'full',
    `rerun chapter 2 (npm run report -- --only debug); a full run waits up to ${secondsText(untilFailure('debug', false).deadlineMs)}`,
  );
}

/** Shows the findings. */
export function showDebugFindings(run: DebugRun): void {
  showFinding(debugFindings(run));
}

/** The lines around each disconnect, as tables (the first few; all of them are in the full log). */
export function showDisconnectWindows(run: DebugRun): void {
  const windows = linesAround(run.lines, isTransportError, BEFORE, AFTER);
  for (const window of windows.slice(0, WINDOWS_SHOWN)) {
    const rows = window.lines.map((line, i) => ({
      '': window.marks.includes(i) ? '▶' : '',
      'ms since sending started': rel(run, line.t),
      namespace: line.namespace,
      message:
        line.message.length > TABLE_MESSAGE_CHARS ? `${line.message.slice(0, TABLE_MESSAGE_CHARS)}…` : line.message,
      copy: line.copy,
    }));
    showTable(rows, {
      caption: `Around the disconnect at ${(rel(run, window.lines[window.marks[0]].t) / 1000).toFixed(2)} s`,
    });
  }
  if (windows.length > WINDOWS_SHOWN)
    showFinding(`${windows.length - WINDOWS_SHOWN} more disconnects are in the full log below.`);
  if (windows.length === 0)
    showFinding('No transport error was logged in this run, so there is no disconnect to show.');
}

/** Per copy of debug: where it is, how it writes, who uses it, and what it logged in this run. */
export function copyRows(run: DebugRun) {
  return run.copies.map((copy) => ({
    copy: copy.label,
    'decides on/off': copy.api === 'createDebug.log' ? 'at every call' : 'when a logger is created',
    'used by': copy.dependents.join(', '),
    'lines in this run': run.lines.filter((l) => l.copy === copy.label).length,
  }));
}

/** Per namespace: lines, and how many were packet dumps cut short. */
export function namespaceRows(run: DebugRun) {
  const by = new Map<string, { namespace: string; copy: string; lines: number; cut: number }>();
  for (const line of run.lines) {
    const key = `${line.namespace}\u0000${line.copy}`;
    const row = by.get(key) ?? { namespace: line.namespace, copy: line.copy, lines: 0, cut: 0 };
    row.lines++;
    if (line.cut > 0) row.cut++;
    by.set(key, row);
  }
  return [...by.values()].sort((a, b) => b.lines - a.lines);
}

/** Shows which copies and namespaces wrote the log. */
export function showDebugSources(run: DebugRun): void {
  showTable(copyRows(run), { caption: 'Copies of debug prepared in this kernel' });
  showTable(namespaceRows(run), {
    caption: `Lines per namespace (cut: messages longer than ${DEFAULT_MAX_MESSAGE_CHARS} characters, shortened as they came)`,
  });
}

/** Shows the whole log, collapsed. */
export function showFullLog(run: DebugRun): void {
  const cut = run.lines.filter((l) => l.cut > 0).length;
  const text = run.lines.map(
    (l) => `${String(rel(run, l.t)).padStart(7)} ms  ${l.namespace}  ${l.message}  [${l.copy}]`,
  );
  showLog(text, {
    summary:
      `The full DEBUG=* log: ${plural(run.lines.length, 'line')}, ${cut} cut to ${DEFAULT_MAX_MESSAGE_CHARS} characters` +
      `${run.dropped > 0 ? `, ${run.dropped} past the limit not kept` : ''} (click to open)`,
  });
}
