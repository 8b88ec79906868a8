/**
 * Chapter 3, origins: from the log line `transport error` to the zlib error under it, the way the
 * 2015 post went, but live and without editing any installed file. Source search replaces grep,
 * and runtime instrumentation (wrap a loaded method, then put the original back) replaces the
 * post's `console.log(err)` in engine.io.
 */
import path from 'node:path';
import { showLog, showTable, progress } from '../../show/display';
import { instrument, type Instrumentation } from '../../observe/instrument';
import { captureDebug, linesAround, POST_DISCONNECT_EXCERPT, type DebugLine } from '../../observe/debug-capture';
import { resolveParams, type Params, type RawParams, type StackName } from '../../core/params';
import {
  POST_INVALID_COMPRESSED_GREP,
  POST_ON_ERROR_ERR,
  POST_TRANSPORT_ERROR_GREP,
  POST_ZLIB_ERRORS,
  postPackagePath,
  sideOfPath,
  type PostGrepHit,
} from '../post-quotes';
import { FAILING_SCENARIO } from '../../traffic/presets';
import { cannotSayNoFailure, failureReasons } from '../../traffic/failure-rule';
import { INVALID_COMPRESSED_DATA } from '../../bare-ws/runner';
import type { Judgement } from '../../core/verdict';
import {
  existenceJudgement,
  NOT_SHOWN,
  secondsText,
  sendingText,
  untilFailure,
  untilFailureSpec,
  untilFailureSentence,
  type UntilFailure,
} from '../until-failure';
import { runScenario, type ScenarioRecord } from '../../traffic/scenario';
import {
  COPY_KINDS,
  functionSource,
  grouped,
  numbered,
  search,
  SHOWN_LINE_CHARS,
  stackScope,
  type CopyKind,
  type FunctionSource,
  type SearchHit,
} from '../../search';
import { loadStack } from '../../stacks';
import { stackPackageDirs } from '../../core/stack-catalog';
import { replaySteps } from '../../core/replay';
import { replayable } from '../replayable';
import { formatBytes } from '../../core/units';
import { plural, showFinding } from '../show-finding';

/** The stack the post ran: socket.io 1.3.7, engine.io 1.5.4, ws 0.8.0. */
export const ORIGINS_STACK: StackName = '2015';
/** The namespaces of the post's excerpt, rather than `*`: enough to find the disconnect. */
export const ORIGINS_DEBUG_NAMESPACES = 'engine:socket,socket.io:client,socket.io:socket';
/** `err` values kept from onError; later calls are only counted. */
const KEEP_ERRS = 50;
/** The function the post read after its second grep. */
const APPLY_EXTENSIONS = 'Receiver.prototype.applyExtensions';
const DECOMPRESS = 'PerMessageDeflate.prototype.decompress';

const step = replaySteps('origins');

/** Checks the notebook's parameters (the same model and errors as the CLI). */
export function originsParams(raw: RawParams): Params {
  return resolveParams(raw);
}

/** What this chapter does with the frame sizes it was given: nothing, and why, in a sentence. */
export function originsSizesSentence(params: Params): string {
  return (
    `This chapter does not depend on frame size (${params.frameSizes.length === 1 ? 'size' : 'sizes'} given: ${params.frameSizes.map(formatBytes).join(', ')}). ` +
    `It follows the error from the log line down to zlib through the installed code, and needs only a run that fails, so it runs the reproducer's ${formatBytes(FAILING_SCENARIO.frameSize)} frames whatever sizes are given; ` +
    'chapters 4, 5 and 6 answer per size.'
  );
}

/** Says that the chapter's trail does not depend on the sizes given. */
export function showOriginsSizes(params: Params): void {
  showFinding(originsSizesSentence(params));
}

// ---- source search ------------------------------------------------------------------------------

/** One search over the stack's six package folders, with its hits grouped by copy. */
export interface StackSearch {
  literal: string;
  stack: StackName;
  hits: SearchHit[];
  groups: Record<CopyKind, SearchHit[]>;
}

/** Searches the stack's installed packages for a literal, as the post's `grep -nHr` did. */
export function searchStack(literal: string, stack: StackName = ORIGINS_STACK): StackSearch {
  const hits = search({ literal: literal, ...stackScope(stack) });
  return { literal: literal, stack: stack, hits: hits, groups: grouped(hits) };
}

// A hit's file as the post's paths name it: the package, then the path inside it.
function packagePath(hit: SearchHit): string {
  return hit.package
    ? `${hit.package.name}/${path.relative(hit.package.dir, hit.file).split(path.sep).join('/')}`
    : hit.path;
}

/** The hits in reading order (server, client, bundle, docs, …), one row each. */
export function hitRows(found: StackSearch) {
  return COPY_KINDS.flatMap((kind) =>
    found.groups[kind].map((hit) => ({
      copy: kind,
      'file:line': `${hit.path.replace(/^node_modules\//, '')}:${hit.line}`,
      package: hit.package ? `${hit.package.name}@${hit.package.version}` : '',
      function: hit.enclosing ?? '',
      text: hit.text.trim(),
    })),
  );
}

/** How one of the post's grep lines compares with this install. */
export interface PostComparison {
  post: string;
  /** Hits here in the same file of the same package. */
  here: SearchHit[];
  sameLine: boolean;
}

/** Sets each of the post's grep lines beside this install's hits in the same package file. */
export function compareWithPost(
  found: StackSearch,
  post: readonly PostGrepHit[],
): { rows: PostComparison[]; onlyHere: SearchHit[] } {
  const matched = new Set<SearchHit>();
  const rows = post.map((line) => {
    const key = postPackagePath(line.path);
    const side = sideOfPath(line.path);
    // The same package file on the same side: ws's Receiver.js is both the server's and the client's.
    const sameFile = found.hits.filter((hit) => packagePath(hit) === key && sideOfPath(hit.path) === side);
    // Lines move between releases: a hit counts as this post line's when its text matches.
    const here = sameFile.filter((hit) => hit.text.trim() === line.text.trim());
    for (const hit of here) matched.add(hit);
    return { post: `${line.path}:${line.line}`, here: here, sameLine: here.some((hit) => hit.line === line.line) };
  });
  return { rows: rows, onlyHere: found.hits.filter((hit) => !matched.has(hit)) };
}

function comparisonRows(found: StackSearch, post: readonly PostGrepHit[]) {
  const { rows, onlyHere } = compareWithPost(found, post);
  return [
    ...rows.map((row) => ({
      'the post (2015)': row.post,
      here: row.here.map((hit) => `${hit.path.replace(/^node_modules\//, '')}:${hit.line}`).join('\n') || 'not found',
      copy: [...new Set(row.here.map((hit) => hit.copy))].join(', '),
      'same line': row.here.length === 0 ? '' : row.sameLine ? 'yes' : 'no',
    })),
    ...onlyHere.map((hit) => ({
      'the post (2015)': '',
      here: `${hit.path.replace(/^node_modules\//, '')}:${hit.line}`,
      copy: hit.copy,
      'same line': '',
    })),
  ];
}

function searchFinding(found: StackSearch, post: readonly PostGrepHit[]): string[] {
  const { rows, onlyHere } = compareWithPost(found, post);
  const files = new Set(found.hits.map((hit) => hit.file)).size;
  const byKind = COPY_KINDS.filter((kind) => found.groups[kind].length > 0)
    .map((kind) => `${kind} ${found.groups[kind].length}`)
    .join(', ');
  const functions = [
    ...new Set(found.groups.server.map((hit) => hit.enclosing).filter((name): name is string => name !== null)),
  ];
  const foundHere = rows.filter((row) => row.here.length > 0).length;
  const sameLine = rows.filter((row) => row.sameLine).length;
  const sentences = [
    `'${found.literal}' occurs on ${plural(found.hits.length, 'line')} in ${plural(files, 'file')} of the ${found.stack} stack's packages (${byKind}).`,
    functions.length > 0
      ? `On the server side it sits in ${functions.join(', ')}.`
      : 'No server-side function holds it.',
    `Of the post's ${post.length} grep lines, ${foundHere} are found here with the same text, ${sameLine} of them at the same line number;` +
      ` ${plural(onlyHere.length, 'hit')} here ${onlyHere.length === 1 ? 'has' : 'have'} no line in the post` +
      (onlyHere.length > 0
        ? ` (this project installs the client twice: inside socket.io and as socket.io-client, so its copies repeat).`
        : '.'),
  ];
  return sentences;
}

/** Step 1's search: `transport error` in the installed 2015 packages. */
export async function runTransportErrorSearch(params: Params): Promise<StackSearch> {
  return replayable(step('transport-error-search', params), async () => searchStack('transport error'));
}

/** Step 1: the hits by copy and beside the post's grep. */
export function showTransportErrorSearch(found: StackSearch): void {
  showTable(hitRows(found), { caption: `'transport error' in the installed ${found.stack} packages, server first` });
  showTable(comparisonRows(found, POST_TRANSPORT_ERROR_GREP), {
    caption: "The post's grep -nHr 'transport error' ./node_modules/ beside this search",
  });
  showFinding(searchFinding(found, POST_TRANSPORT_ERROR_GREP));
}

/** Step 3's search: the hits, and the server-side function the error is raised in (null when none is). */
export interface CompressedDataSearch {
  found: StackSearch;
  raisedIn: { hit: SearchHit; fn: FunctionSource } | null;
}

/** Step 3's search: `invalid compressed data` in the installed 2015 packages, and the function it sits in. */
export async function runInvalidCompressedDataSearch(params: Params): Promise<CompressedDataSearch> {
  return replayable(step('invalid-compressed-data-search', params), async () => {
    const found = searchStack('invalid compressed data');
    const hit = found.groups.server.find((h) => h.enclosing === APPLY_EXTENSIONS);
    return { found: found, raisedIn: hit ? { hit: hit, fn: functionSource(hit.file, APPLY_EXTENSIONS) } : null };
  });
}

/** Step 3: the hits beside the post's, then the function they sit in. */
export function showInvalidCompressedDataSearch(search: CompressedDataSearch): void {
  const { found, raisedIn } = search;
  showTable(hitRows(found), { caption: `'invalid compressed data' in the installed ${found.stack} packages` });
  showTable(comparisonRows(found, POST_INVALID_COMPRESSED_GREP), {
    caption: "The post's grep -nHr 'invalid compressed data' ./node_modules/ beside this search",
  });
  showFinding(searchFinding(found, POST_INVALID_COMPRESSED_GREP));
  if (!raisedIn) {
    showFinding(`No server-side hit sits in ${APPLY_EXTENSIONS}: the installed ws differs from the post's.`);
    return;
  }
  const { hit, fn } = raisedIn;
  showLog(numbered(fn), {
    summary: `${fn.name}, ${hit.path.replace(/^node_modules\//, '')} lines ${fn.startLine}–${fn.endLine} (ws@${hit.package?.version}), read from the installed file`,
    open: true,
  });
}

// ---- runtime instrumentation --------------------------------------------------------------------

/** engine.io's server Socket.prototype, from the stack's own engine.io copy. */
export function engineSocketPrototype(stack: StackName = ORIGINS_STACK): { onError: (err: unknown) => void } {
  loadStack(stack); // prepares debug capture before engine.io is first required
  const Socket = require(path.join(stackPackageDirs(stack)['engine.io'], 'lib', 'socket.js')) as {
    prototype: { onError: (err: unknown) => void };
  };
  return Socket.prototype;
}

/**
 * Wraps engine.io's `Socket.prototype.onError` to keep the `err` it receives. It must run before
 * clients connect: engine.io 1.5.4 binds `this.onError` to each socket's transport when the
 * socket is made, so a socket made earlier keeps calling the unwrapped method.
 */
export function instrumentOnError(stack: StackName = ORIGINS_STACK): Instrumentation {
  return instrument(engineSocketPrototype(stack), 'onError', {}, { keepCalls: KEEP_ERRS });
}

/** An `err` as onError received it. */
export interface CapturedErr {
  /** ms after sending started. */
  atMs: number;
  /** In the bracket form Node printed in 2015, e.g. `{ [Error: invalid compressed data] description: 1007 }`. */
  shown: string;
  message: string;
  /** The error's own fields other than its stack (`description`, `type`, …). */
  fields: Record<string, unknown>;
}

function ownFields(err: unknown): Record<string, unknown> {
  if (typeof err !== 'object' || err === null) return {};
  return Object.fromEntries(Object.entries(err).filter(([key]) => key !== 'stack'));
}

// Node 20's inspect prints the stack; the post's Node printed `{ [Error: msg] key: value }`, so
// that form is rebuilt here from the error's own fields for a like-for-like comparison.
function bracketForm(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const fields = Object.entries(ownFields(err)).map(
    ([key, value]) => `${key}: ${typeof value === 'string' ? `'${value}'` : String(value)}`,
  );
  return `{ [${err.name}: ${err.message}]${fields.length > 0 ? ` ${fields.join(', ')}` : ''} }`;
}

/** Whether each method the chapter wrapped is its original again. */
export interface RestoreCheck {
  method: string;
  wrappedDuringRun: boolean;
  restoredAfter: boolean;
}

/** What chapter 3's run observed. */
export interface OriginsRun {
  record: ScenarioRecord;
  /** Calls of onError during the run. */
  onErrorCalls: number;
  errs: CapturedErr[];
  /** The debug lines around the first `transport error`. */
  excerpt: DebugLine[];
  restore: RestoreCheck[];
}

/**
 * Step 2 and 4: runs the failing scenario on the 2015 stack with deflate on, with engine.io's onError
 * wrapped (and ws's decompress wrapped by the scenario itself), then restores both.
 */
export async function runOrigins(params: Params): Promise<OriginsRun> {
  const plan = untilFailure('origins', params.quick);
  return replayable(step('instrumented-run', { ...params, untilFailure: plan }), () => measureOrigins(params, plan));
}

/** Shows how long the instrumented run sends: until the first failure and a tail, at most a deadline. */
export function showOriginsPlan(params: Params): void {
  showFinding(untilFailureSentence('origins', params.quick, 'The instrumented run below sends'));
}

async function measureOrigins(params: Params, plan: UntilFailure): Promise<OriginsRun> {
  const stack = loadStack(ORIGINS_STACK);
  const socketProto = engineSocketPrototype(ORIGINS_STACK);
  const deflateProto = stack.serverPerMessageDeflate.prototype as { decompress: unknown };
  const originals = { onError: socketProto.onError, decompress: deflateProto.decompress };
  const wrapped = { onError: false, decompress: false };
  const bar = progress(
    `${ORIGINS_STACK}, deflate on, ${FAILING_SCENARIO.clients} clients × ${formatBytes(FAILING_SCENARIO.frameSize)} frames`,
    1,
  );
  const onError = instrumentOnError(ORIGINS_STACK);
  const debug = captureDebug(ORIGINS_DEBUG_NAMESPACES);
  let record: ScenarioRecord;
  try {
    record = await runScenario(
      { ...FAILING_SCENARIO, stack: ORIGINS_STACK, deflate: 'on', ...untilFailureSpec(plan), seed: params.seed },
      {
        quick: params.quick,
        onProgress: (p) => {
          wrapped.onError ||= socketProto.onError !== originals.onError;
          wrapped.decompress ||= deflateProto.decompress !== originals.decompress;
          bar.set(`${p.sent} sent, ${p.delivered} delivered, ${plural(p.failures, 'failure')}`);
        },
      },
    );
  } finally {
    onError.restore();
    debug.stop();
  }
  const result = record.result;
  bar.tick(1);
  bar.done(
    `${result.sent} sent, ${result.delivered} delivered, ${plural(result.serverDisconnects.length, 'server disconnect')}`,
  );
  const lines = debug.lines();
  const first = linesAround(lines)[0];
  return {
    record: record,
    onErrorCalls: onError.count(),
    errs: onError.calls().map((call) => {
      const err = call.args[0];
      return {
        atMs: call.t - result.sendWindow.start,
        shown: bracketForm(err),
        message: err instanceof Error ? err.message : String(err),
        fields: ownFields(err),
      };
    }),
    excerpt: first ? first.lines : [],
    restore: [
      {
        method: 'engine.io Socket.prototype.onError',
        wrappedDuringRun: wrapped.onError,
        restoredAfter: socketProto.onError === originals.onError,
      },
      {
        method: `ws ${DECOMPRESS}`,
        wrappedDuringRun: wrapped.decompress,
        restoredAfter: deflateProto.decompress === originals.decompress,
      },
    ],
  };
}

// A debug line may carry a whole frame (socket.io logs packets with their data): cut it for reading.
function clip(line: string): string {
  return line.length <= SHOWN_LINE_CHARS
    ? line
    : `${line.slice(0, SHOWN_LINE_CHARS)}… (${line.length.toLocaleString('en-US')} characters)`;
}

/** Step 2's output: the debug lines around the first disconnect, and what onError received. */
export function showOnErrorCapture(run: OriginsRun): void {
  const { result } = run.record;
  const excerpt = run.excerpt.map((line) => clip(`${line.namespace} ${line.message}`)).join('\n');
  showLog(excerpt || '(no transport error was logged in this run)', {
    summary: `debug lines around the first transport error (${ORIGINS_DEBUG_NAMESPACES})`,
    open: true,
  });
  showLog(POST_DISCONNECT_EXCERPT.map((line) => `${line.namespace} ${line.message}`).join('\n'), {
    summary: "the post's DEBUG=* excerpt (2015)",
  });
  const counts = new Map<string, { err: string; count: number; firstMs: number }>();
  for (const err of run.errs) {
    const row = counts.get(err.shown) ?? { err: err.shown, count: 0, firstMs: err.atMs };
    row.count++;
    counts.set(err.shown, row);
  }
  showTable(
    [...counts.values()].map((row) => ({
      'err, as onError received it': row.err,
      count: row.count,
      'first (ms after sending began)': row.firstMs,
    })),
    {
      caption: `engine.io Socket.prototype.onError, wrapped at run time: ${plural(run.onErrorCalls, 'call')} (first ${KEEP_ERRS} kept)`,
    },
  );
  const post = POST_ON_ERROR_ERR;
  const asPost = run.errs.filter(
    (err) =>
      err.message === post.message && Object.entries(post.fields).every(([key, value]) => err.fields[key] === value),
  );
  const extra = [...new Set(asPost.flatMap((err) => Object.keys(err.fields).filter((key) => !(key in post.fields))))];
  const reasons =
    Object.entries(failureReasons(result))
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(', ') || 'none';
  showFinding([
    `In ${sendingText(run.record.spec, result.loadMs, result.firstFailureMs)} of sending (${result.sent} frames sent, ${result.delivered} delivered), onError ran ${plural(run.onErrorCalls, 'time')};`,
    run.errs.length === 0
      ? `it never received an error, so the post's err is ${NOT_SHOWN}: ${notShownReason(run)}.`
      : `${asPost.length} of the ${run.errs.length} errors kept carry the post's message and fields (${post.printed})` +
        (extra.length > 0
          ? `; they also carry ${extra.join(', ')}, which the post's printout does not show.`
          : ', and nothing more.'),
    `Disconnects while sending: ${reasons}.`,
  ]);
}

/** Step 4's output: the zlib errors under `invalid compressed data`, counted by message, beside the post's. */
export function showZlibErrors(run: OriginsRun): void {
  const deflateFile = path.join(stackPackageDirs(ORIGINS_STACK).ws, 'lib', 'PerMessageDeflate.js');
  const fn = functionSource(deflateFile, DECOMPRESS);
  showLog(numbered(fn), {
    summary: `${fn.name} (ws@${run.record.stack.versions.ws}), where zlib's errors reach the callback: read from the installed file`,
  });
  const postMessages = POST_ZLIB_ERRORS.map((text) => /\[Error: ([^\]]+)\]/.exec(text)?.[1] ?? text);
  const rows = run.record.result.zlibErrors.map((e) => ({
    message: e.message,
    code: e.code ?? '',
    count: e.count,
    'named in the post': postMessages.includes(e.message) ? 'yes' : '',
  }));
  showTable(rows, {
    caption: `Errors zlib handed to the server's ${DECOMPRESS} in this run (the scenario wraps it for the run, then restores it)`,
  });
  const total = rows.reduce((sum, row) => sum + row.count, 0);
  const codes = [...new Set(rows.map((row) => String(row.code)))];
  const seenOfPost = postMessages.filter((message) => rows.some((row) => row.message === message));
  showFinding(
    total === 0
      ? `zlib reported no error to decompress in this run, so its error is ${NOT_SHOWN}: ${notShownReason(run)}.`
      : [
          `zlib reported ${plural(total, 'error')} of ${plural(rows.length, 'kind')}, with code ${codes.join(', ')}.`,
          `Of the two the post quotes (${postMessages.join(', ')}), ${seenOfPost.length === 0 ? 'neither' : seenOfPost.join(' and ')} ${seenOfPost.length === 1 ? 'was' : 'were'} seen here.`,
        ],
  );
}

/** Why the run shows no error underneath: a deadline that passed with no failure, a run that could not have shown one, or a failure of another kind. */
export function notShownReason(run: OriginsRun): string {
  const { result, spec } = run.record;
  const cannotSay = cannotSayNoFailure(result);
  if (cannotSay !== null) return `the run could not have shown it (${cannotSay})`;
  if (result.failures > 0)
    return `the run failed ${plural(result.failures, 'time')}, none of them with "${INVALID_COMPRESSED_DATA}" underneath`;
  return `${spec.stack} did not fail within ${secondsText(spec.duration)}`;
}

/** Counts of `invalid compressed data` closes underneath the run's disconnects. */
function invalidCompressedCount(run: OriginsRun): number {
  return Object.entries(run.record.result.underlyingErrors)
    .filter(([error]) => error.includes(INVALID_COMPRESSED_DATA))
    .reduce((sum, [, count]) => sum + count, 0);
}

/**
 * The post's origin as an existence claim: one session closed with `invalid compressed data`
 * (1007), with zlib's Z_DATA_ERROR in the server's decompress and deflate negotiated, settles it.
 */
export function originsJudgement(run: OriginsRun): Judgement {
  const { result } = run.record;
  const invalid = invalidCompressedCount(run);
  const zData = result.zlibErrors.filter((e) => e.code === 'Z_DATA_ERROR').reduce((sum, e) => sum + e.count, 0);
  const shown = invalid > 0 && zData > 0 && result.controls.deflateNegotiated;
  const basis = shown
    ? `the server closed ${plural(invalid, 'session')} with "${INVALID_COMPRESSED_DATA}" (1007) under "transport error", zlib handed decompress ${plural(zData, 'Z_DATA_ERROR')}, and onError ran ${plural(run.onErrorCalls, 'time')}, over connections that negotiated permessage-deflate`
    : invalid > 0
      ? `${plural(invalid, 'session')} closed with "${INVALID_COMPRESSED_DATA}", but ${zData === 0 ? 'zlib reported no Z_DATA_ERROR' : 'deflate was not negotiated'}`
      : notShownReason(run);
  return existenceJudgement(
    `Under "transport error" lies ws's "${INVALID_COMPRESSED_DATA}" (1007), from zlib's Z_DATA_ERROR`,
    { shown: shown, basis: basis },
    run.record.quick ? 'quick' : 'full',
    `rerun chapter 3 (npm run report -- --only origins); a full run waits up to ${secondsText(untilFailure('origins', false).deadlineMs)}`,
  );
}

/** Step 5's output: each wrapped method, and whether it is the original again. */
export function showRestored(run: OriginsRun): void {
  showTable(
    run.restore.map((check) => ({
      method: check.method,
      'wrapped during the run': check.wrappedDuringRun ? 'yes' : 'no',
      'original again after': check.restoredAfter ? 'yes' : 'no',
    })),
    { caption: 'Instrumentation this run installed, checked by identity against the functions loaded before it' },
  );
  const bad = run.restore.filter((check) => !check.restoredAfter || !check.wrappedDuringRun);
  showFinding(
    bad.length === 0
      ? 'Every wrapped method was in place while the clients ran and is the loaded original again, so running this chapter again starts from the same functions.'
      : `Not as expected: ${bad.map((check) => check.method).join(', ')}.`,
  );
}
