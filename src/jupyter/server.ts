/**
 * Jupyter Notebook for people (`npm run notebook`): Debian's notebook server on loopback only,
 * with a generated token, the project's kernel, and notebooks/ as its root. Started here and
 * waited on until it answers, so a caller (the CLI, the safety test) gets a server that is up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { InputError } from '../core/errors';
import { LOOPBACK, PortInUseError } from '../core/net';
import { NOTEBOOKS_DIR, SYSTEM_PYTHON } from '../core/paths';
import { jupyterEnv } from './env';

/** The port `npm run notebook` asks for unless told otherwise (Jupyter's own default). */
export const NOTEBOOK_PORT = 8888;

// Start-up reads every kernel spec and the notebook dir; well under this even on a busy machine.
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running notebook server. */
export interface NotebookServer {
  /** The URL to open, token included. */
  url: string;
  token: string;
  port: number;
  pid: number;
  /** Settles with the exit code when the server exits, for whatever reason. */
  exited: Promise<number | null>;
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Resolves if nothing listens on LOOPBACK:port; a one-line PortInUseError otherwise. */
export async function assertPortFree(port: number): Promise<void> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(
              `port ${port} on ${LOOPBACK} is in use: pass --port with a free port, e.g. --port ${port + 1}`,
            )
          : error,
      ),
    );
    probe.listen(port, LOOPBACK, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Thrown when the folder to serve is missing. */
export class NotebookDirError extends InputError {}

/** Starts Jupyter Notebook on LOOPBACK:port with a fresh token; resolves once it answers. */
export async function startNotebookServer(
  options: { port?: number; notebookDir?: string } = {},
): Promise<NotebookServer> {
  const port = options.port ?? NOTEBOOK_PORT;
  const notebookDir = options.notebookDir ?? NOTEBOOKS_DIR;
  if (!fs.statSync(notebookDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new NotebookDirError(`${notebookDir} is not a folder: run from a checkout that has notebooks/`);
  }
  await assertPortFree(port);
  const token = randomBytes(24).toString('hex');
  const child = spawn(
    SYSTEM_PYTHON,
    [
      '-m',
      'notebook',
      '--no-browser',
      `--ip=${LOOPBACK}`,
      `--port=${port}`,
      // Never drift to another port silently: the printed URL must be the one in use.
      '--port-retries=0',
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${notebookDir}`,
      // Only the project's kernels, not the Python one the server would add by default.
      '--KernelSpecManager.ensure_native_kernel=False',
      // Containers often run everything as root, and the server refuses to start as root
      // without this; it binds loopback and wants the token either way.
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    { env: jupyterEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let log = '';
  const keep = (text: string): void => {
    log = (log + text).slice(-4000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  };

  const base = `http://${LOOPBACK}:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(
        `jupyter notebook exited with code ${child.exitCode}: ${log.trim().split('\n').slice(-3).join(' | ')}`,
      );
    try {
      const response = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `jupyter notebook did not answer on ${base} within ${READY_TIMEOUT_MS / 1000} s: ${log.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url: `${base}/tree?token=${token}`,
    token: token,
    port: port,
    pid: child.pid as number,
    exited: exited,
    stop: stop,
  };
}
