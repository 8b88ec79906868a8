/**
 * Runs scenarios in a worker process (src/sweep/worker.ts) with a hard time limit: when a run
 * overstays it, the worker's whole process group (the worker and the load generator it forked) is
 * killed, the run rejects, and the next run gets a fresh worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ScenarioRecord, ScenarioSpec } from '../run/scenario';
import { formatDuration } from '../core/units';
import type { WorkerReply, WorkerRequest } from './worker';

const WORKER = path.join(__dirname, 'worker.js');
/** How long a closing worker gets to exit on its own before it is killed. */
const CLOSE_GRACE_MS = 5000;

/** Thrown when a run overstays its hard limit. */
export class RunTimeoutError extends Error {}

/** Live counts from the running scenario. */
export type RunProgress = Omit<Extract<WorkerReply, { type: 'progress' }>, 'type'>;

/** One worker at a time, started on first use and replaced after a kill. */
export class IsolatedScenarios {
  private child: ChildProcess | undefined;

  private worker(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    // Detached: the worker leads its own process group, so one kill reaches its load generator too.
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], detached: true });
    this.child = child;
    return child;
  }

  /** Kills the worker and everything it started. */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }

  /** Runs one scenario (not recorded by the worker); rejects on error, worker death or the limit. */
  run(
    spec: ScenarioSpec,
    opts: { limitMs: number; quick: boolean; onProgress?: (p: RunProgress) => void },
  ): Promise<ScenarioRecord> {
    const child = this.worker();
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        settle();
      };
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            new RunTimeoutError(`the run exceeded its hard limit of ${formatDuration(opts.limitMs)} and was killed`),
          ),
        );
        this.kill();
      }, opts.limitMs);
      const onMessage = (reply: WorkerReply) => {
        if (reply.type === 'progress') opts.onProgress?.(reply);
        else if (reply.type === 'done') finish(() => resolve(reply.record));
        else finish(() => reject(new Error(reply.error)));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.child === child) this.child = undefined;
        finish(() => reject(new Error(`the sweep worker exited (${signal ?? code}) during the run`)));
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ type: 'run', spec: spec, quick: opts.quick } satisfies WorkerRequest);
    });
  }

  /** Lets the worker exit (it exits when its channel closes); kills it if it does not. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.child = undefined;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    const timer = setTimeout(() => this.kill(), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}
