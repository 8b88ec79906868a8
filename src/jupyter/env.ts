/**
 * The Jupyter side of the project's edge: which kernel, where its spec lives, and the environment
 * every Jupyter process (the notebook runner, `npm run notebook`) starts with.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JUPYTER_DIR, SCRIPTS_DIR } from '../core/paths';
import { InputError } from '../core/errors';

/** The kernel every notebook runs on, registered by scripts/setup under .jupyter/. */
export const KERNEL_NAME = 'tslab';

/** Where Jupyter looks for the project's kernel specs (JUPYTER_PATH). */
export const JUPYTER_PATH = path.join(JUPYTER_DIR, 'share', 'jupyter');

/** The kernel spec file scripts/setup writes. */
export function kernelSpecFile(): string {
  return path.join(JUPYTER_PATH, 'kernels', KERNEL_NAME, 'kernel.json');
}

/** Thrown when the kernel spec is missing; the message says how to fix it. */
export class KernelMissingError extends InputError {}

/** Checks, without starting anything, that the tslab kernel is registered and its binary exists. */
export function assertKernelInstalled(spec: string = kernelSpecFile()): void {
  const fix = `run  sh ${path.join(SCRIPTS_DIR, 'setup')}  to register it`;
  let argv: string[];
  try {
    argv = (JSON.parse(fs.readFileSync(spec, 'utf8')) as { argv: string[] }).argv;
  } catch {
    throw new KernelMissingError(`the ${KERNEL_NAME} kernel spec is missing (${spec}): ${fix}`);
  }
  if (!Array.isArray(argv) || !fs.existsSync(argv[0] ?? '')) {
    throw new KernelMissingError(`the ${KERNEL_NAME} kernel spec points at a missing binary (${argv?.[0]}): ${fix}`);
  }
}

/**
 * Environment for Jupyter processes. Config, data and runtime dirs are project-local, so a
 * user's ~/.jupyter config (which could, say, set ip=0.0.0.0) never applies and no connection
 * files land in ~/.local. `node` must be on PATH: tslab's launcher is `#!/usr/bin/env node`.
 */
export function jupyterEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUPYTER_PATH: JUPYTER_PATH,
    JUPYTER_CONFIG_DIR: path.join(JUPYTER_DIR, 'config'),
    JUPYTER_DATA_DIR: path.join(JUPYTER_DIR, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(JUPYTER_DIR, 'runtime'),
    PATH: [path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter),
    ...extra,
  };
}
