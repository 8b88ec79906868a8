/**
 * Runtime patching: replace a method on a loaded object (usually a prototype, such as ws 0.8.0's
 * `Receiver.prototype.endPacket`) with another implementation, and put the exact original back.
 * node_modules is never edited. Where instrument() (./instrument) observes a method and calls the
 * original, this changes what the method does.
 *
 * The guarantees match instrument()'s: a rerun in the same kernel never stacks patches (patching
 * an already patched method builds the new replacement from the true original), restore() puts
 * back the same function object (or removes the own property when the method was inherited), a
 * superseded handle's restore() does nothing, and restoring twice is safe.
 */

/** A method being replaced. */
export interface Patch {
  /** `<constructor name>.<method>`, e.g. `Receiver.endPacket`. */
  readonly label: string;
  /** The method as it was before any patch (the function restore() puts back). */
  readonly original: (...args: unknown[]) => unknown;
  /** Puts the original back; a no-op for a superseded handle, and safe to call twice. */
  restore(): void;
}

interface PatchState {
  target: object;
  method: string;
  original: (...args: unknown[]) => unknown;
  ownDescriptor: PropertyDescriptor | undefined;
  replacement: (...args: unknown[]) => unknown;
  handle: Patch | undefined;
}

// Symbol.for, so that a patch is recognised even if this module were loaded twice.
const STATE = Symbol.for('deflate-lab.patch.state');
const active = new Set<PatchState>();

function stateOf(value: unknown): PatchState | undefined {
  return typeof value === 'function' ? (value as { [STATE]?: PatchState })[STATE] : undefined;
}

function labelOf(target: object, method: string): string {
  const owner = typeof target === 'function' ? target : (target as { constructor?: { name?: string } }).constructor;
  return `${owner?.name || 'object'}.${method}`;
}

function uninstall(state: PatchState): void {
  if (!active.delete(state)) return;
  // If someone replaced our replacement meanwhile, theirs stays.
  if (Object.getOwnPropertyDescriptor(state.target, state.method)?.value !== state.replacement) return;
  if (state.ownDescriptor) Object.defineProperty(state.target, state.method, state.ownDescriptor);
  else delete (state.target as Record<string, unknown>)[state.method];
}

/**
 * Replaces `target[method]` with `make(original)` until restore(). `make` always receives the
 * unpatched method, also when an earlier patch of the same method is still in place.
 */
export function patchMethod(
  target: object,
  method: string,
  make: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
): Patch {
  const label = labelOf(target, method);
  const ownDescriptor = Object.getOwnPropertyDescriptor(target, method);
  const previous = stateOf(ownDescriptor?.value);
  if (previous && active.has(previous)) uninstall(previous);
  const descriptor = Object.getOwnPropertyDescriptor(target, method);
  if (descriptor && !('value' in descriptor))
    throw new Error(`patch: ${label} is an accessor, not a method; patch the function it returns instead`);
  const original = (target as Record<string, unknown>)[method];
  if (typeof original !== 'function')
    throw new Error(`patch: ${label} is not a function (got ${typeof original}); check the target and the method name`);
  if (stateOf(original))
    throw new Error(`patch: ${label} is still patched from another target; restore that patch first`);
  if (descriptor && !descriptor.configurable && !descriptor.writable)
    throw new Error(`patch: ${label} is read-only and cannot be replaced`);
  const replacement = make(original as PatchState['original']);
  if (typeof replacement !== 'function') throw new Error(`patch: the replacement for ${label} is not a function`);
  const state: PatchState = {
    target,
    method,
    original: original as PatchState['original'],
    ownDescriptor: descriptor,
    replacement,
    handle: undefined,
  };
  Object.defineProperty(replacement, STATE, { value: state, configurable: true });
  Object.defineProperty(target, method, {
    value: replacement,
    writable: true,
    configurable: true,
    enumerable: descriptor?.enumerable ?? false,
  });
  active.add(state);
  const handle: Patch = {
    label,
    original: state.original,
    restore: () => {
      if (state.handle === handle) uninstall(state);
    },
  };
  state.handle = handle;
  return handle;
}

/** Restores every method still patched in this process; for a `finally`. */
export function restoreAllPatches(): void {
  for (const state of [...active]) uninstall(state);
}
