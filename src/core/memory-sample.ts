/**
 * A process's own memory after a full garbage collection: what a server child reports when asked
 * how much its connections cost (chapter 7's and chapter 9's memory servers). The process must run
 * with --expose-gc.
 */
import { sleep } from './timing';

/** process.memoryUsage() figures, bytes. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** Memory outside the JS heap that V8 is told about (Buffers among it). */
  external: number;
}

/** Pause between the two collections of a sample, so closes and frees in flight settle. */
const SETTLE_MS = 100;

/** The gc function --expose-gc gives; throws, naming the flag, when the process was started without it. */
export function exposedGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("started without --expose-gc: fork it with execArgv ['--expose-gc']");
  return gc;
}

/** Collects, lets frees in flight settle for `settleMs`, and collects again. */
export async function collectTwice(gc: () => void, settleMs: number): Promise<void> {
  gc();
  await sleep(settleMs);
  gc();
}

/** Collects twice (see collectTwice), then reads the process's memory. */
export async function sampleAfterGc(gc: () => void = exposedGc()): Promise<MemorySample> {
  await collectTwice(gc, SETTLE_MS);
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}
