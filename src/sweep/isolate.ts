/**
 * Runs scenarios in a worker process (src/sweep/worker.ts) with a hard time limit: when a run
 * overstays it, the worker's whole process group (the worker and the load generator it forked) is
 * killed, the run rejects, and the next run gets a fresh worker.
 */
import path from 'node:path';
import { ChildHost } from '../core/child-host';
import type { ScenarioRecord, ScenarioSpec } from '../traffic/scenario';
import { formatDuration } from '../core/units';
import type { WorkerReply, WorkerRequest } from './worker';
import { NamedError } from '../core/errors';

const WORKER = path.join(__dirname, 'worker.js');
/** How long a closing worker gets to exit on its own before it is killed. */
const CLOSE_GRACE_MS = 5000;

/** Thrown when a run overstays its hard limit. */
export class RunTimeoutError extends NamedError {}

/** Live counts from the running scenario. */
export type RunProgress = Omit<Extract<WorkerReply, { type: 'progress' }>, 'type'>;

/** One worker at a time, started on first use and replaced after a kill. */
export class IsolatedScenarios {
  private host: ChildHost<WorkerRequest, WorkerReply> | undefined;

  private worker(): ChildHost<WorkerRequest, WorkerReply> {
    if (this.host && this.host.ended === undefined) return this.host;
    // A group of its own: the worker leads it, so one kill reaches its load generator too.
    this.host = new ChildHost<WorkerRequest, WorkerReply>(WORKER, {
      name: 'the sweep worker',
      group: true,
      exitMessage: (code, signal) => `the sweep worker exited (${signal ?? code}) during the run`,
      failedMessage: (error) => error,
    });
    return this.host;
  }

  /** Kills the worker and everything it started. */
  kill(): void {
    const host = this.host;
    this.host = undefined;
    host?.kill();
  }

  /** Runs one scenario (not recorded by the worker); rejects on error, worker death or the limit. */
  async run(
    spec: ScenarioSpec,
    opts: { limitMs: number; quick: boolean; onProgress?: (p: RunProgress) => void },
  ): Promise<ScenarioRecord> {
    const reply = await this.worker().ask({ type: 'run', spec: spec, quick: opts.quick }, 'done', {
      limitMs: opts.limitMs,
      limitError: () =>
        new RunTimeoutError(`the run exceeded its hard limit of ${formatDuration(opts.limitMs)} and was killed`),
      progress: { progress: (p) => opts.onProgress?.(p) },
    });
    return reply.record;
  }

  /** Lets the worker exit (it exits when its channel closes); kills it if it does not. */
  async close(): Promise<void> {
    const host = this.host;
    this.host = undefined;
    await host?.close(CLOSE_GRACE_MS);
  }
}
