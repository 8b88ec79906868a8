/**
 * Open-file limits for child processes that hold thousands of sockets. A Node process cannot raise
 * its own limit (Node has no setrlimit), so such a child is started through util-linux's `prlimit`,
 * which sets the limit and execs Node in its place. Raising a soft limit up to the hard limit needs
 * no privilege; the hard limit itself is the ceiling.
 */
import fs from 'node:fs';

/** The program and leading arguments that start Node with an open-file limit of `limit` (soft and hard). */
export function fileLimitArgs(limit: number): { execPath: string; argv: string[] } {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`file limit ${limit}: use a whole number, at least 1`);
  return { execPath: 'prlimit', argv: [`--nofile=${limit}:${limit}`, process.execPath] };
}

/** This process's hard open-file limit, read from /proc (Infinity when unlimited; null off Linux). */
export function hardFileLimit(): number | null {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    if (hard === undefined) return null;
    return hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return null;
  }
}
