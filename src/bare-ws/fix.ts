/**
 * The one-line fix, applied at run time: ws 0.8.0's `Receiver.prototype.endPacket` resets the
 * fragmented-message pool with `reset(false)` (keep the buffer) at the end of every fragmented
 * message; ws 0.8.1 (ws PR #595) says `reset(true)` (a new buffer). The patched method is built
 * from the loaded method's own source with exactly that line changed, so what runs is the fix and
 * nothing else; no file is edited, and restore() puts the original function back.
 */
import path from 'node:path';
import { patchMethod, type Patch } from '../observe/patch';
import type { WsRelease } from './versions';

/** The line in the bad versions' endPacket. */
export const BAD_LINE = 'this.fragmentedBufferPool.reset(false)';
/** The same line in the first good version. */
export const FIXED_LINE = 'this.fragmentedBufferPool.reset(true)';

type Method = (...args: unknown[]) => unknown;

/** A release's Receiver prototype: the same module object its WebSocket uses (one require cache entry). */
export function receiverPrototype(release: WsRelease): Record<string, Method> {
  return (require(path.join(release.dir, 'lib', 'Receiver.js')) as { prototype: Record<string, Method> }).prototype;
}

/** The source text of a release's `Receiver.prototype.endPacket`, as loaded. */
export function endPacketSource(release: WsRelease): string {
  return receiverPrototype(release).endPacket.toString();
}

/** `source` with BAD_LINE replaced by FIXED_LINE; throws unless BAD_LINE occurs exactly once. */
export function fixedSource(source: string): string {
  const count = source.split(BAD_LINE).length - 1;
  if (count !== 1)
    throw new Error(
      `runtime fix: expected '${BAD_LINE}' once in endPacket, found it ${count} times: this release does not have the 0.8.0 line`,
    );
  return source.replace(BAD_LINE, FIXED_LINE);
}

/** The fix in place on a release, until restore(). */
export interface RuntimeFix {
  release: string;
  /** endPacket's source before and after the change. */
  before: string;
  after: string;
  restore(): void;
}

/**
 * Replaces the release's `Receiver.prototype.endPacket` with its own source, BAD_LINE changed to
 * FIXED_LINE. endPacket reaches everything through `this`, so recompiling it outside its module
 * loses nothing (a free variable would throw a ReferenceError on the first packet).
 */
export function applyRuntimeFix(release: WsRelease): RuntimeFix {
  const proto = receiverPrototype(release);
  let before = '';
  let after = '';
  const patch: Patch = patchMethod(proto, 'endPacket', (original) => {
    before = original.toString();
    after = fixedSource(before);
    // Compiled from source on purpose: the point is to run the release's own code with one line changed.
    return new Function(`return (${after});`)() as Method;
  });
  return { release: release.version, before, after, restore: () => patch.restore() };
}
