/**
 * Re-rendering from recorded runs: `npm run report -- --from-data DIR` sets one environment
 * variable for the kernels, and a chapter asks `fromDataDir()` whether to read records instead of
 * measuring. The variable's name lives here only.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Environment variable naming the data dir to replay; unset means measure anew. */
export const FROM_DATA_ENV = 'DEFLATE_LAB_FROM_DATA';

/** The data dir a chapter should read recorded runs from, or undefined to measure. */
export function fromDataDir(): string | undefined {
  const dir = process.env[FROM_DATA_ENV];
  return dir ? path.resolve(dir) : undefined;
}

/** Thrown when a replay dir cannot be read; the message says what to pass instead. */
export class ReplayDirError extends Error {}

/** Checks that DIR is a readable folder before any kernel starts. */
export function assertReplayDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    if (!fs.statSync(resolved).isDirectory()) throw new Error('not a directory');
    fs.accessSync(resolved, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new ReplayDirError(`--from-data: ${dir} is not a readable folder: pass a data dir written by an earlier run (e.g. data/)`);
  }
  return resolved;
}
