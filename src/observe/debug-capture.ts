/**
 * Captures what the stacks log through `debug`, in process, for every copy of `debug` they load,
 * as structured lines (time, namespace, message, copy).
 *
 * The 2015 copies (0.7.4, 1.0.x, 2.1.0) decide whether a logger is on once, when it is created at
 * module load, so `enable()` later does nothing for them. Instead, before a stack is first
 * required, `prepareDebugCapture()` replaces each such copy's exports in `require.cache` with a
 * factory whose loggers consult the live capture state on every call: silent and free while no
 * capture runs (no formatting, no writes), captured while one does, whatever DEBUG said at
 * creation. debug 4 re-reads its namespaces on every call, so it is switched through its own API
 * (`enable`, `log`, `formatArgs`) only while a capture runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { PROJECT_ROOT } from '../core/paths';
import { STACK_2015_WS081_DIR } from '../core/stack-catalog';
import { NamedError } from '../core/errors';

/**
 * How a copy of `debug` writes: 0.x calls `console.error` itself; 1.x–2.x write through
 * `exports.log` (both decide on/off at logger creation); 4.x writes through `createDebug.log` and
 * decides on every call.
 */
export type DebugApi = 'console.error' | 'exports.log' | 'createDebug.log';

/** One installed copy of `debug`. */
export interface DebugCopy {
  version: string;
  /** The copy's package folder. */
  dir: string;
  /** The file `require('debug')` resolves to: the `require.cache` entry that gets replaced. */
  main: string;
  /** Version and where the copy is installed, e.g. `debug@1.0.3 (socket.io-2015/engine.io)`. */
  label: string;
  api: DebugApi;
  /** Packages that require this copy (`name@version`); empty for a copy found only in `require.cache`. */
  dependents: string[];
}

/** One captured `debug` call. */
export interface DebugLine {
  /** When it was logged, ms since the epoch. */
  t: number;
  namespace: string;
  /** The message with its `%s`/`%d`/`%j`/`%o` arguments applied the way that copy applies them. */
  message: string;
  /** The copy's label, e.g. `debug@2.1.0 (socket.io-2015)`. */
  copy: string;
}

/** A running capture. */
export interface DebugCapture {
  /** The namespaces asked for, in `DEBUG` syntax. */
  readonly namespaces: string;
  /** The lines captured so far (a copy). */
  lines(): DebugLine[];
  /** Lines not kept because the capture reached its `maxLines`. */
  dropped(): number;
  /** Ends the capture (idempotent) and returns its lines. */
  stop(): DebugLine[];
}

export interface CaptureOptions {
  /** Also write each captured line to stderr. Off by default: a capture only records. */
  echo?: boolean;
  /** Lines kept before further ones are only counted. */
  maxLines?: number;
}

/** Lines one capture keeps by default: bounds memory when `*` runs through a long scenario. */
export const DEFAULT_MAX_LINES = 100_000;

/** What the 2015 post saw around each disconnect with `DEBUG=*` (namespace, then message). */
export const POST_DISCONNECT_EXCERPT: ReadonlyArray<Readonly<Pick<DebugLine, 'namespace' | 'message'>>> = [
  { namespace: 'engine:socket', message: 'transport error' },
  { namespace: 'socket.io:client', message: 'client close with reason transport error' },
  { namespace: 'socket.io:socket', message: 'closing socket - reason transport error' },
  { namespace: 'socket.io:client', message: 'ignoring remove for <id>' },
];

/** Thrown when a copy that fixes its state at logger creation was loaded before it was prepared. */
export class DebugNotPreparedError extends NamedError {}

/** Marks a factory installed by this module; holds the DebugCopy it stands for. */
const PREPARED = Symbol.for('deflate-lab.debug-capture.prepared');

interface CaptureState {
  readonly namespaces: string;
  readonly wants: (namespace: string) => boolean;
  readonly echo: boolean;
  readonly maxLines: number;
  readonly lines: DebugLine[];
  dropped: number;
}

/** The parts of a debug 4 module this file touches. */
interface CreateDebug {
  namespaces?: string;
  enable(namespaces: string | undefined): void;
  save(namespaces: string | undefined): void;
  log: (...args: unknown[]) => void;
  formatArgs: (args: unknown[]) => void;
}

interface LiveCopy {
  copy: DebugCopy;
  module: CreateDebug;
  /** Namespaces to return to when no capture runs: none once prepared, else what the copy had. */
  idle: string | undefined;
  /** The copy's own log and formatArgs while a capture has them replaced. */
  saved?: Pick<CreateDebug, 'log' | 'formatArgs'>;
}

const active = new Set<CaptureState>();
/** Every copy this process prepared or found, keyed by main file. */
const copies = new Map<string, DebugCopy>();
const liveCopies = new Map<string, LiveCopy>();
/** The main file of every copy a prepareDebugCapture() call reached, prepared in time or not. */
const stackCopyMains = new Set<string>();

/** The folder holding the stacks that have their own install (`2015-ws081`). */
const OWN_INSTALLS_DIR = path.dirname(STACK_2015_WS081_DIR);

/** Where a copy sits, without the `node_modules` segments: `socket.io-2015/engine.io`, `2015-ws081`, `top level`. */
function locationLabel(copyDir: string): string {
  const holder = path.dirname(path.dirname(copyDir));
  const inside = (base: string) => {
    const relative = path.relative(base, holder);
    return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative;
  };
  const relative = inside(OWN_INSTALLS_DIR) ?? inside(PROJECT_ROOT);
  if (relative === undefined) return holder;
  const parts = relative.split(path.sep).filter((part) => part !== 'node_modules' && part !== '');
  return parts.length > 0 ? parts.join('/') : 'top level';
}

function readManifest(dir: string): {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
} {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

function apiOf(version: string, dir: string): DebugApi {
  const major = Number.parseInt(version, 10);
  if (major === 0) return 'console.error';
  if (major === 1 || major === 2) return 'exports.log';
  if (major === 4) return 'createDebug.log';
  throw new Error(
    `debug capture: debug@${version} at ${dir} is a version this module does not handle; add its API to src/observe/debug-capture.ts`,
  );
}

function describeCopy(dir: string, dependents: string[]): DebugCopy {
  const real = fs.realpathSync(dir);
  const { version } = readManifest(real);
  return {
    version,
    dir: real,
    main: require.resolve(real),
    label: `debug@${version} (${locationLabel(real)})`,
    api: apiOf(version, real),
    dependents,
  };
}

// Hand-rolled instead of require.resolve('<dep>/package.json'): packages with an `exports` map
// (socket.io 4, engine.io 6) refuse that subpath. This is Node's node_modules lookup, folder by folder.
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Every copy of `debug` reachable through the dependencies of these package folders. */
export function findDebugCopies(rootDirs: string[]): DebugCopy[] {
  const dependents = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const root of rootDirs) {
    if (!fs.existsSync(path.join(root, 'package.json'))) {
      throw new Error(
        `debug capture: ${root} has no package.json; pass package folders, e.g. Object.values(stackPackageDirs(stack))`,
      );
    }
    queue.push(fs.realpathSync(root));
  }
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = readManifest(dir);
    // Optional native add-ons (bufferutil 1.x for ws 0.8) may be absent: they were never loaded either.
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      const found = resolvePackageDir(name, dir);
      if (!found) continue;
      const depDir = fs.realpathSync(found);
      if (name === 'debug') {
        const users = dependents.get(depDir) ?? new Set<string>();
        users.add(`${manifest.name}@${manifest.version}`);
        dependents.set(depDir, users);
      }
      queue.push(depDir);
    }
  }
  return [...dependents].map(([dir, users]) => describeCopy(dir, [...users]));
}

function isPrepared(moduleExports: unknown): boolean {
  return typeof moduleExports === 'function' && PREPARED in moduleExports;
}

function notPreparedError(copy: DebugCopy): DebugNotPreparedError {
  return new DebugNotPreparedError(
    `debug capture: ${copy.label} was loaded before prepareDebugCapture(), and its loggers fixed their on/off state when created; ` +
      'restart the kernel (or process) and let the stack loader call prepareDebugCapture() before it first requires the stack',
  );
}

// A namespace list in DEBUG syntax: comma or space separated, `*` wildcards, `-` to skip.
function namespaceMatcher(namespaces: string): (namespace: string) => boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  const parts = namespaces.split(/[\s,]+/).filter(Boolean);
  const names = parts.filter((part) => !part.startsWith('-')).map(toRegExp);
  const skips = parts.filter((part) => part.startsWith('-')).map((part) => toRegExp(part.slice(1)));
  const decided = new Map<string, boolean>();
  return (namespace) => {
    let wanted = decided.get(namespace);
    if (wanted === undefined) {
      wanted = !skips.some((re) => re.test(namespace)) && names.some((re) => re.test(namespace));
      decided.set(namespace, wanted);
    }
    return wanted;
  };
}

function wantedByAny(namespace: string): boolean {
  for (const capture of active) if (capture.wants(namespace)) return true;
  return false;
}

// The message is formatted at most once per call, and only when some capture wants the namespace.
function deliver(copy: string, namespace: string, format: () => string): void {
  const t = Date.now();
  let message: string | undefined;
  for (const capture of active) {
    if (!capture.wants(namespace)) continue;
    message ??= format();
    if (capture.lines.length < capture.maxLines) capture.lines.push({ t, namespace, message, copy });
    else capture.dropped++;
    if (capture.echo) process.stderr.write(`${new Date(t).toISOString()} ${namespace} ${message} [${copy}]\n`);
  }
}

function coerce(value: unknown): unknown {
  return value instanceof Error ? value.stack || value.message : value;
}

// debug 0.7.x prefixes the (coerced, stringified) first argument and hands everything to
// console.error, so the rest of the formatting is util.format's.
function formatConsoleError(args: unknown[]): string {
  if (args.length === 0) return '';
  return util.format(String(coerce(args[0])), ...args.slice(1));
}

type Formatter = (this: { useColors: boolean; namespace: string }, value: unknown) => string;

// debug 1.x–2.x: non-string first arguments go through %o; the copy's own `formatters` replace
// their %-tokens in place; util.format (inside its `log`) does the remaining %s/%d/%j and %%.
function formatExportsLog(formatters: Record<string, Formatter>, namespace: string, input: unknown[]): string {
  let args = [...input];
  args[0] = coerce(args[0]);
  if (typeof args[0] !== 'string') args = ['%o', ...args];
  const self = { useColors: false, namespace };
  let index = 0;
  args[0] = (args[0] as string).replace(/%([a-z%])/g, (match, format: string) => {
    if (match === '%%') return match;
    index++;
    const formatter = formatters[format];
    if (typeof formatter !== 'function') return match;
    const value = args[index];
    args.splice(index, 1);
    index--;
    return formatter.call(self, value);
  });
  return util.format(...(args as [string, ...unknown[]]));
}

function capturingFactory(
  copy: DebugCopy,
  original: { formatters?: Record<string, Formatter> },
): (namespace: string) => unknown {
  const formatters = original.formatters ?? {};
  const createLogger = (namespace: string) => {
    // Called on every log statement of the stack: with no capture running it returns at once.
    const logger = (...args: unknown[]) => {
      if (active.size === 0 || !wantedByAny(namespace)) return;
      deliver(copy.label, namespace, () =>
        copy.api === 'console.error' ? formatConsoleError(args) : formatExportsLog(formatters, namespace, args),
      );
    };
    Object.defineProperty(logger, 'enabled', {
      get: () => active.size > 0 && wantedByAny(namespace),
      enumerable: true,
    });
    Object.defineProperty(logger, 'namespace', { value: namespace, enumerable: true });
    return logger;
  };
  Object.defineProperty(createLogger, PREPARED, { value: copy });
  return createLogger;
}

function prepareFixedCopy(copy: DebugCopy): void {
  const cached = require.cache[copy.main];
  if (cached) {
    if (isPrepared(cached.exports)) return;
    throw notPreparedError(copy);
  }
  // Loading the copy itself is harmless (it only reads DEBUG); nothing of the stack holds it yet.
  const original = require(copy.main) as { formatters?: Record<string, Formatter> };
  const entry = require.cache[copy.main];
  if (!entry) throw new Error(`debug capture: ${copy.main} did not enter require.cache; is the module system patched?`);
  entry.exports = capturingFactory(copy, original);
}

// debug 4's `enable` also writes process.env.DEBUG, which child processes (stack servers,
// browsers) would inherit: switch it without that side effect.
function switchLive(live: LiveCopy, namespaces: string | undefined): void {
  const save = live.module.save;
  live.module.save = () => {};
  try {
    live.module.enable(namespaces);
  } finally {
    live.module.save = save;
  }
}

// Positive patterns only: each capture applies its own skips, so one capture's `-x` cannot hide
// lines from another.
function unionOfActive(): string {
  const names = new Set<string>();
  for (const capture of active) {
    for (const part of capture.namespaces.split(/[\s,]+/)) if (part && !part.startsWith('-')) names.add(part);
  }
  return [...names].join(',');
}

function applyLive(live: LiveCopy): void {
  if (active.size === 0) {
    if (live.saved) Object.assign(live.module, live.saved);
    live.saved = undefined;
    switchLive(live, live.idle);
    return;
  }
  if (!live.saved) {
    live.saved = { log: live.module.log, formatArgs: live.module.formatArgs };
    const label = live.copy.label;
    // debug 4 has applied its formatters by the time it calls log; formatArgs would only add the
    // date or colour prefix, so it is skipped and the rest is util.format, as its own log does.
    live.module.formatArgs = () => {};
    live.module.log = function (this: { namespace: string }, ...args: unknown[]) {
      deliver(label, this.namespace, () => util.stripVTControlCharacters(util.format(...args)));
    };
  }
  switchLive(live, unionOfActive());
}

function registerLive(copy: DebugCopy, prepared: boolean): void {
  const existing = liveCopies.get(copy.main);
  if (existing) {
    if (prepared) existing.idle = '';
    applyLive(existing);
    return;
  }
  const module = require(copy.main) as CreateDebug;
  const live: LiveCopy = { copy, module, idle: prepared ? '' : module.namespaces };
  liveCopies.set(copy.main, live);
  applyLive(live);
}

/**
 * Arranges that every `debug` logger the packages under `rootDirs` create from now on can be
 * captured, whatever DEBUG says. Call it before the stack is first required; it throws
 * DebugNotPreparedError if a copy that decides at creation was already loaded. Idempotent.
 * Prepared copies log only into captures (never to stderr on their own).
 */
export function prepareDebugCapture(rootDirs: string[]): DebugCopy[] {
  const found = findDebugCopies(rootDirs);
  for (const copy of found) stackCopyMains.add(copy.main);
  const fixed = found.filter((copy) => copy.api !== 'createDebug.log');
  // Check every copy before replacing any, so a late call changes nothing.
  const late = fixed.find((copy) => require.cache[copy.main] && !isPrepared(require.cache[copy.main]?.exports));
  if (late) throw notPreparedError(late);
  for (const copy of found) {
    if (copy.api === 'createDebug.log') registerLive(copy, true);
    else prepareFixedCopy(copy);
    copies.set(copy.main, copy);
  }
  return found;
}

/** The copies of `debug` prepared or met so far in this process. */
export function knownDebugCopies(): DebugCopy[] {
  return [...copies.values()];
}

const DEBUG_MAIN = /^(.*[\\/]node_modules[\\/]debug)[\\/][^\\/]+(?:[\\/][^\\/]+)?\.js$/;

// Copies loaded by anything, prepared or not: an unprepared stack copy that decides at creation
// would capture nothing, so it is an error; a debug 4 copy is hooked through its own API. A copy no
// stack reaches (stdlib's debug 2.6, loaded by the statistics module) logs nothing a capture
// wants, and is left alone.
function surveyLoadedCopies(): void {
  const unprepared: DebugCopy[] = [];
  for (const [file, entry] of Object.entries(require.cache)) {
    if (copies.has(file)) continue;
    const match = DEBUG_MAIN.exec(file);
    if (!match || !fs.existsSync(path.join(match[1], 'package.json'))) continue;
    if (require.resolve(match[1]) !== file) continue;
    const copy = describeCopy(match[1], []);
    if (copy.api === 'createDebug.log') {
      copies.set(file, copy);
      registerLive(copy, false);
    } else if (isPrepared(entry?.exports)) {
      copies.set(file, copy);
    } else if (stackCopyMains.has(file)) {
      unprepared.push(copy);
    }
  }
  if (unprepared.length > 0) {
    throw new DebugNotPreparedError(
      `${notPreparedError(unprepared[0]).message} (not prepared: ${unprepared.map((copy) => copy.label).join(', ')})`,
    );
  }
}

/**
 * Starts capturing the namespaces given in DEBUG syntax (`*`, `engine:*,socket.io:*`, `-x` to
 * skip) from every prepared copy and every loaded debug 4 copy. Throws if a loaded copy was not
 * prepared in time.
 */
export function captureDebug(namespaces = '*', options: CaptureOptions = {}): DebugCapture {
  surveyLoadedCopies();
  const state: CaptureState = {
    namespaces,
    wants: namespaceMatcher(namespaces),
    echo: options.echo ?? false,
    maxLines: options.maxLines ?? DEFAULT_MAX_LINES,
    lines: [],
    dropped: 0,
  };
  active.add(state);
  for (const live of liveCopies.values()) applyLive(live);
  return {
    namespaces,
    lines: () => [...state.lines],
    dropped: () => state.dropped,
    stop: () => {
      if (active.delete(state)) for (const live of liveCopies.values()) applyLive(live);
      return [...state.lines];
    },
  };
}

/** Whether any capture is running: a CPU measurement should refuse to run while one is. */
export function isDebugCaptureActive(): boolean {
  return active.size > 0;
}

/** Whether a line is the first of the post's disconnect excerpt: engine.io's `transport error`. */
export function isTransportError(line: DebugLine): boolean {
  const mark = POST_DISCONNECT_EXCERPT[0];
  return line.namespace === mark.namespace && line.message === mark.message;
}

/** A run of consecutive lines around one or more marked lines. */
export interface DebugWindow {
  /** Index of the window's first line in the input. */
  start: number;
  lines: DebugLine[];
  /** Indexes, within `lines`, of the lines the predicate marked. */
  marks: number[];
}

/**
 * The lines around each line the predicate marks (by default engine.io's `transport error`),
 * `before` lines ahead and `after` lines behind; overlapping windows are merged.
 */
export function linesAround(
  lines: DebugLine[],
  isMark: (line: DebugLine) => boolean = isTransportError,
  before = 3,
  after = 6,
): DebugWindow[] {
  const windows: Array<{ start: number; end: number; marks: number[] }> = [];
  lines.forEach((line, index) => {
    if (!isMark(line)) return;
    const start = Math.max(0, index - before);
    const end = Math.min(lines.length, index + after + 1);
    const last = windows[windows.length - 1];
    if (last && start <= last.end) {
      last.end = Math.max(last.end, end);
      last.marks.push(index);
    } else {
      windows.push({ start, end, marks: [index] });
    }
  });
  return windows.map(({ start, end, marks }) => ({
    start,
    lines: lines.slice(start, end),
    marks: marks.map((mark) => mark - start),
  }));
}
