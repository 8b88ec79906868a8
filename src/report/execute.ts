/**
 * Executing one notebook: spawns scripts/nbrun.py (Debian's nbclient under /usr/bin/python3) with
 * the project's Jupyter environment, the time limits and the injected parameters, and returns
 * what nbrun measured. The time limits are defined here and nowhere else.
 */
import path from 'node:path';
import { assertKernelInstalled, KERNEL_NAME } from '../jupyter/env';
import { LOOPBACK } from '../core/net';
import { PROJECT_ROOT } from '../core/paths';
import { lastJsonLine, runScript } from './python';
import { NamedError } from '../core/errors';

/** Time limits for one notebook, in ms. */
export interface RunLimits {
  /** A single cell; on expiry the kernel is killed and the cell named. */
  cellTimeoutMs: number;
  /** The whole notebook from kernel start, rerun included. */
  notebookTimeoutMs: number;
  /** Until the kernel answers its first request. */
  startupTimeoutMs: number;
  /** For the kernel to exit once asked; a kernel still alive after it has something left open. */
  shutdownGraceMs: number;
}

/** Limits for a full report: a sweep cell may take minutes, a hang must not take the evening. */
export const FULL_LIMITS: RunLimits = { cellTimeoutMs: 300_000, notebookTimeoutMs: 900_000, startupTimeoutMs: 60_000, shutdownGraceMs: 3000 };
/** Limits for `--quick`: the whole quick report aims at about 3 minutes, so a hang is cut early. */
export const QUICK_LIMITS: RunLimits = { ...FULL_LIMITS, cellTimeoutMs: 60_000, notebookTimeoutMs: 180_000 };
/** Accepted range for `--cell-timeout` and `--notebook-timeout`, in ms. */
export const LIMIT_BOUNDS = { min: 1000, max: 2 * 3_600_000 } as const;

// Beyond nbrun's own deadline, how long before nbrun itself is stopped.
const BACKSTOP_GRACE_MS = 30_000;

/** How one execution ended. */
export type RunStatus = 'ok' | 'error' | 'timeout' | 'dead' | 'no-start';

/** Where and why a notebook failed. */
export interface RunFailure {
  /** 1 for the first pass, 2 for the rerun pass, 0 when no cell ran. */
  pass: number;
  /** `cell 4` (counted in the source notebook), `injected-parameters`, or null. */
  cell: string | null;
  /** `notebooks/<chapter>.ipynb cell 4 \`first line\``. */
  where: string;
  /** The real error text (tslab's stderr), or the timeout. */
  message: string;
}

/** What nbrun.py measured for one notebook. */
export interface NotebookRun {
  notebook: string;
  /** The executed copy, or null when nothing ran. */
  output: string | null;
  status: RunStatus;
  /** The kernel's process id (gone by the time this is read: the kernel is shut down or killed). */
  kernelPid: number | null;
  /** From launching the kernel until it answered (a failed first start included). */
  kernelStartMs: number | null;
  /** Why each earlier start failed, when the kernel answered only on a later one (see nbrun.py). */
  kernelStartRetries: string[];
  /** All cells, first pass. */
  runMs: number | null;
  /** All cells again in the same kernel, when asked for. */
  rerunMs: number | null;
  /** Everything, from nbrun's start to the kernel's shutdown. */
  wallMs: number | null;
  /** The kernel process's peak resident set (VmHWM). */
  peakRssKiB: number | null;
  /** `clean` when the kernel exited on request, `forced` when it had to be killed (something left open). */
  shutdown: 'clean' | 'forced' | null;
  shutdownMs: number | null;
  cellMs: Array<{ cell: string; ms: number }>;
  failure: RunFailure | null;
}

/** Thrown when nbrun rejects its input (no such notebook, no `parameters` cell, unknown kernel). */
export class NotebookInputError extends NamedError {}

/** What to execute and how. */
export interface ExecuteOptions {
  notebook: string;
  /** Where the executed copy goes. */
  output: string;
  /** Source of the `injected-parameters` cell (see inject.ts). */
  injectSource?: string;
  /** Run every cell a second time in the same kernel (the rerun check). */
  rerun?: boolean;
  limits: RunLimits;
  /** Extra environment for the kernel (data dir, replay dir). */
  env?: Record<string, string>;
}

const seconds = (ms: number): string => String(ms / 1000);

/** Executes a notebook in a fresh kernel; resolves with nbrun's measurements, whatever the cells did. */
export async function executeNotebook(options: ExecuteOptions): Promise<NotebookRun> {
  assertKernelInstalled();
  const { limits } = options;
  // Named relative to the project (nbrun runs there), so messages read `notebooks/05-sweep.ipynb cell 4`.
  const relative = path.relative(PROJECT_ROOT, path.resolve(options.notebook));
  const args: string[] = [
    relative.startsWith('..') ? path.resolve(options.notebook) : relative,
    '--output', path.resolve(options.output),
    '--kernel', KERNEL_NAME,
    '--ip', LOOPBACK,
    '--cell-timeout', seconds(limits.cellTimeoutMs),
    '--notebook-timeout', seconds(limits.notebookTimeoutMs),
    '--startup-timeout', seconds(limits.startupTimeoutMs),
    '--shutdown-grace', seconds(limits.shutdownGraceMs),
  ];
  if (options.injectSource !== undefined) args.push('--inject-source', options.injectSource);
  if (options.rerun) args.push('--rerun');

  // nbrun enforces the limits itself and kills a hung kernel; this outer bound only fires if
  // nbrun itself hangs, and its SIGTERM handler then kills the kernel.
  const bound = limits.startupTimeoutMs + limits.notebookTimeoutMs + limits.shutdownGraceMs + BACKSTOP_GRACE_MS;
  const result = await runScript('nbrun.py', args, { timeoutMs: bound, env: options.env });
  const summary = lastJsonLine<Omit<NotebookRun, 'status'> & { status: RunStatus | 'bad-input' }>(result, `nbrun.py for ${options.notebook}`);
  if (summary.status === 'bad-input') throw new NotebookInputError(summary.failure?.message ?? result.stderr.trim());
  return {
    ...summary,
    status: summary.status,
    kernelPid: summary.kernelPid ?? null,
    kernelStartMs: summary.kernelStartMs ?? null,
    kernelStartRetries: summary.kernelStartRetries ?? [],
    runMs: summary.runMs ?? null,
    rerunMs: summary.rerunMs ?? null,
    wallMs: summary.wallMs ?? null,
    peakRssKiB: summary.peakRssKiB ?? null,
    shutdown: summary.shutdown ?? null,
    shutdownMs: summary.shutdownMs ?? null,
    cellMs: summary.cellMs ?? [],
  };
}

/** The one line of a failure worth showing first: the error's own line, not the source echo above it. */
export function failureHeadline(failure: RunFailure): string {
  const lines = failure.message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const errorLine = lines.find((line) => /^([A-Z]\w*)?(Error|Exception)\b.*:/.test(line) || /^\d+:\d+ - /.test(line));
  return errorLine ?? lines[0] ?? '';
}
