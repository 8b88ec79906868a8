/**
 * Runtime instrumentation: wrap a method on a loaded object (usually a prototype, such as
 * engine.io's `Socket.prototype.onError` or ws's `PerMessageDeflate.prototype.decompress`),
 * record its calls, and put the exact original back. node_modules is never edited.
 *
 * A rerun in the same kernel must not stack wrappers: instrumenting a method that already holds
 * one of these wrappers swaps the hooks of that wrapper instead of wrapping it again.
 */

/** What to run around each call. Hooks run inline, in the instrumented code's own turn. */
export interface InstrumentHooks {
  before?(args: unknown[], self: unknown): void;
  after?(result: unknown, args: unknown[], self: unknown): void;
  /** Position of a node-style callback argument whose `(err, value)` is observed and recorded. */
  callbackArg?: number;
  callback?(err: unknown, value: unknown, args: unknown[], self: unknown): void;
}

export interface InstrumentOptions {
  /** Calls kept with their arguments and results; later calls are only counted. */
  keepCalls?: number;
  /** Errors kept (thrown, or passed to the callback); later ones are only counted. */
  keepErrors?: number;
}

/** One recorded call. */
export interface InstrumentedCall {
  /** When the call started, ms since the epoch. */
  t: number;
  args: unknown[];
  result?: unknown;
  threw?: unknown;
  /** What the callback argument received, once it has run. */
  callback?: { err: unknown; value: unknown };
}

/** An error the method threw or passed to its callback. */
export interface InstrumentedError {
  t: number;
  error: unknown;
  via: 'throw' | 'callback';
}

/** A method being instrumented. */
export interface Instrumentation {
  /** `<constructor name>.<method>`, e.g. `PerMessageDeflate.decompress`. */
  readonly label: string;
  /** The first `keepCalls` calls. */
  calls(): InstrumentedCall[];
  /** Every call since this handle was made. */
  count(): number;
  /** The first `keepErrors` errors. */
  errors(): InstrumentedError[];
  /** Every error since this handle was made. */
  errorCount(): number;
  /**
   * Puts the original method back (the same function object). A no-op for a handle that a later
   * `instrument()` of the same method replaced, and safe to call twice.
   */
  restore(): void;
}

/** Calls kept per handle by default: the arguments may be large buffers. */
export const DEFAULT_KEEP_CALLS = 100;
/** Errors kept per handle by default. */
export const DEFAULT_KEEP_ERRORS = 10_000;

interface Recorder {
  calls: InstrumentedCall[];
  count: number;
  errors: InstrumentedError[];
  errorCount: number;
  keepCalls: number;
  keepErrors: number;
}

interface WrapperState {
  target: object;
  method: string;
  original: (...args: unknown[]) => unknown;
  /** The property as it was on `target` itself; undefined when the method was inherited. */
  ownDescriptor: PropertyDescriptor | undefined;
  wrapper: (...args: unknown[]) => unknown;
  hooks: InstrumentHooks;
  recorder: Recorder;
  /** The handle currently driving this wrapper; older ones are superseded. */
  handle: Instrumentation | undefined;
  /** False once restored: references taken meanwhile (e.g. `fn.bind(socket)`) then just pass through. */
  installed: boolean;
}

// Symbol.for, so that a wrapper is recognised even if this module were loaded twice.
const STATE = Symbol.for('deflate-lab.instrument.state');
const installed = new Set<WrapperState>();

function stateOf(value: unknown): WrapperState | undefined {
  return typeof value === 'function' ? (value as { [STATE]?: WrapperState })[STATE] : undefined;
}

function recordError(recorder: Recorder, error: unknown, via: InstrumentedError['via'], t: number): void {
  recorder.errorCount++;
  if (recorder.errors.length < recorder.keepErrors) recorder.errors.push({ t, error, via });
}

function makeWrapper(state: Omit<WrapperState, 'wrapper'>): WrapperState {
  const full = state as WrapperState;
  full.wrapper = function instrumented(this: unknown, ...args: unknown[]): unknown {
    if (!full.installed) return full.original.apply(this, args);
    const { hooks, recorder } = full;
    const t = Date.now();
    const call: InstrumentedCall = { t, args: [...args] };
    recorder.count++;
    if (recorder.calls.length < recorder.keepCalls) recorder.calls.push(call);
    hooks.before?.(call.args, this);
    const index = hooks.callbackArg;
    if (index !== undefined && typeof args[index] === 'function') {
      const callback = args[index] as (...values: unknown[]) => unknown;
      const self = this;
      args[index] = function observedCallback(this: unknown, err: unknown, value: unknown, ...rest: unknown[]) {
        call.callback = { err, value };
        if (err) recordError(recorder, err, 'callback', t);
        hooks.callback?.(err, value, call.args, self);
        return callback.call(this, err, value, ...rest);
      };
    }
    let result: unknown;
    try {
      result = full.original.apply(this, args);
    } catch (error) {
      call.threw = error;
      recordError(recorder, error, 'throw', t);
      throw error;
    }
    call.result = result;
    hooks.after?.(result, call.args, this);
    return result;
  };
  Object.defineProperty(full.wrapper, STATE, { value: full });
  return full;
}

function labelOf(target: object, method: string): string {
  const owner = typeof target === 'function' ? target : (target as { constructor?: { name?: string } }).constructor;
  return `${owner?.name || 'object'}.${method}`;
}

function uninstall(state: WrapperState): void {
  if (!state.installed) return;
  state.installed = false;
  installed.delete(state);
  // If someone wrapped our wrapper meanwhile, theirs stays; ours now only passes through.
  if (Object.getOwnPropertyDescriptor(state.target, state.method)?.value !== state.wrapper) return;
  if (state.ownDescriptor) Object.defineProperty(state.target, state.method, state.ownDescriptor);
  else delete (state.target as Record<string, unknown>)[state.method];
}

/** Wraps `target[method]` to record its calls (and its callback's outcome) until `restore()`. */
export function instrument(
  target: object,
  method: string,
  hooks: InstrumentHooks = {},
  options: InstrumentOptions = {},
): Instrumentation {
  const label = labelOf(target, method);
  const recorder: Recorder = {
    calls: [],
    count: 0,
    errors: [],
    errorCount: 0,
    keepCalls: options.keepCalls ?? DEFAULT_KEEP_CALLS,
    keepErrors: options.keepErrors ?? DEFAULT_KEEP_ERRORS,
  };
  const ownDescriptor = Object.getOwnPropertyDescriptor(target, method);
  let state = stateOf(ownDescriptor?.value);
  if (state?.installed) {
    state.hooks = hooks;
    state.recorder = recorder;
  } else {
    if (ownDescriptor && !('value' in ownDescriptor))
      throw new Error(`instrument: ${label} is an accessor, not a method; instrument the function it returns instead`);
    const original = (target as Record<string, unknown>)[method];
    if (typeof original !== 'function')
      throw new Error(
        `instrument: ${label} is not a function (got ${typeof original}); check the target and the method name`,
      );
    if (ownDescriptor && !ownDescriptor.configurable && !ownDescriptor.writable)
      throw new Error(`instrument: ${label} is read-only and cannot be wrapped`);
    state = makeWrapper({
      target,
      method,
      original: original as WrapperState['original'],
      ownDescriptor,
      hooks,
      recorder,
      handle: undefined,
      installed: true,
    });
    Object.defineProperty(target, method, {
      value: state.wrapper,
      writable: true,
      configurable: true,
      enumerable: ownDescriptor?.enumerable ?? false,
    });
    installed.add(state);
  }
  const current = state;
  const handle: Instrumentation = {
    label,
    calls: () => [...recorder.calls],
    count: () => recorder.count,
    errors: () => [...recorder.errors],
    errorCount: () => recorder.errorCount,
    restore: () => {
      if (current.handle === handle) uninstall(current);
    },
  };
  current.handle = handle;
  return handle;
}

/** Restores every method still instrumented in this process; for a `finally`. */
export function restoreAll(): void {
  for (const state of [...installed]) uninstall(state);
}

/** One row of an error table. */
export interface ErrorCount {
  message: string;
  /** zlib's code (`Z_DATA_ERROR`), or engine.io's `description` (1007), when the error has one. */
  code?: string | number;
  count: number;
}

/** Counts errors by message and code, most frequent first. */
export function countErrors(errors: ReadonlyArray<InstrumentedError>): ErrorCount[] {
  const rows = new Map<string, ErrorCount>();
  for (const { error } of errors) {
    const { message, code, description } = (error ?? {}) as {
      message?: unknown;
      code?: unknown;
      description?: unknown;
    };
    const tag = code ?? description;
    const row: ErrorCount = { message: typeof message === 'string' ? message : String(error), count: 0 };
    if (typeof tag === 'string' || typeof tag === 'number') row.code = tag;
    const key = `${row.message}\u0000${row.code ?? ''}`;
    const counted = rows.get(key) ?? row;
    counted.count++;
    rows.set(key, counted);
  }
  return [...rows.values()].sort((a, b) => b.count - a.count || a.message.localeCompare(b.message));
}
