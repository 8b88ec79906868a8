/**
 * This process's CPU time from /proc, split by thread: the main thread (JavaScript: framing,
 * parsing, the application) and every other thread (libuv's pool, where zlib inflates and
 * deflates, and V8's helpers). Hand-written: pidusage and the like read whole processes only, and
 * the split is the point. Linux only; elsewhere it reads null.
 */
import fs from 'node:fs';

/** CPU time used so far, ms: all threads (exited ones included) and the main thread alone. */
export interface ProcessCpu {
  totalMs: number;
  mainThreadMs: number;
}

/**
 * The unit /proc counts CPU time in (USER_HZ). The kernel fixes it at 100 on every architecture
 * Node 20 runs on under Linux (only alpha and ia64 differ), so it is a constant rather than a
 * `getconf CLK_TCK` spawn: a synchronous spawn in the middle of a measured run shifts its timing.
 */
export const PROC_TICKS_PER_SECOND = 100;

/** How far apart the total and the main thread's readings can be with nothing between them (see cpuBetween). */
export const SPLIT_RESOLUTION_MS = (2 * 1000) / PROC_TICKS_PER_SECOND;

/** utime + stime of a /proc stat line, in clock ticks (fields 14 and 15; the name in field 2 may hold spaces). */
function statTicks(line: string): number {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** This process's CPU time now, or null where /proc cannot tell (not Linux). */
export function readProcessCpu(): ProcessCpu | null {
  try {
    const msPerTick = 1000 / PROC_TICKS_PER_SECOND;
    const total = statTicks(fs.readFileSync('/proc/self/stat', 'utf8'));
    const main = statTicks(fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
    return { totalMs: total * msPerTick, mainThreadMs: main * msPerTick };
  } catch {
    return null;
  }
}

/**
 * CPU used between two readings, ms: all threads, the main thread, and the others (total less main).
 * The split is good to about two ticks (SPLIT_RESOLUTION_MS): the process's and the main thread's
 * files are read one after the other, and each rounds its user and system times down to whole
 * ticks, so with the other threads idle `otherThreadsMs` can read -10 or -20.
 */
export function cpuBetween(
  start: ProcessCpu,
  end: ProcessCpu,
): { totalMs: number; mainThreadMs: number; otherThreadsMs: number } {
  const totalMs = end.totalMs - start.totalMs;
  const mainThreadMs = end.mainThreadMs - start.mainThreadMs;
  return { totalMs: totalMs, mainThreadMs: mainThreadMs, otherThreadsMs: totalMs - mainThreadMs };
}
