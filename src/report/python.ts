/**
 * Running the project's Python helpers (scripts/*.py) under Debian's interpreter, where the
 * Jupyter modules are, with the project's Jupyter environment and a bound on time.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { jupyterEnv } from '../jupyter/env';
import { PROJECT_ROOT, SCRIPTS_DIR, SYSTEM_PYTHON } from '../core/paths';

// After SIGTERM, how long a script has to clean up (nbrun kills its kernel) before SIGKILL.
const KILL_AFTER_TERM_MS = 5_000;

/** What a script left behind. */
export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Whether the time bound stopped it. */
  timedOut: boolean;
}

/** Runs scripts/<name> in the project root with args; stdin gets `input`; stopped (SIGTERM, then SIGKILL) after `timeoutMs`. */
export async function runScript(
  name: string,
  args: readonly string[],
  options: { input?: string; timeoutMs: number; env?: Record<string, string> },
): Promise<ScriptResult> {
  const child = spawn(SYSTEM_PYTHON, [path.join(SCRIPTS_DIR, name), ...args], {
    cwd: PROJECT_ROOT,
    env: jupyterEnv(options.env),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  if (options.input !== undefined) child.stdin?.end(options.input);

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const bound = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_TERM_MS);
  }, options.timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    });
    return { code: code, stdout: stdout, stderr: stderr, timedOut: timedOut };
  } finally {
    clearTimeout(bound);
    clearTimeout(killTimer);
  }
}

/** The last line of a script's stdout, parsed as JSON (the helpers print their result there). */
export function lastJsonLine<T>(result: ScriptResult, what: string): T {
  const last = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    const why = result.timedOut ? 'stopped at its time limit' : `exited with code ${result.code}`;
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${what} ${why} without a result: ${tail || 'no output'}`);
  }
}
