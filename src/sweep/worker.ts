/**
 * The sweep's worker process: runs one scenario at a time for src/sweep/isolate.ts, which can kill
 * it (and the load generator it forks) when a run overstays its hard limit. The server's CPU and
 * memory are then this process's alone, and a hung run cannot leave a server behind in the caller.
 */
import { serveParent } from '../core/child-host';
import { runScenario, type ScenarioRecord, type ScenarioSpec } from '../traffic/scenario';

/** Parent → worker. */
export interface WorkerRequest {
  type: 'run';
  spec: ScenarioSpec;
  quick: boolean;
}

/** Worker → parent. */
export type WorkerReply =
  | { type: 'progress'; elapsedMs: number; sent: number; delivered: number; failures: number }
  | { type: 'done'; record: ScenarioRecord }
  | { type: 'failed'; error: string };

if (require.main === module) {
  // The parent is gone (killed, or it closed us): nothing is left to report to.
  serveParent<WorkerRequest, WorkerReply>(
    (request, parent) =>
      runScenario(request.spec, {
        record: false,
        quick: request.quick,
        onProgress: (p) => void parent.send({ type: 'progress', ...p }),
      }).then(
        (record) => ({ type: 'done', record: record }),
        (error: Error) => ({ type: 'failed', error: error.message.split('\n')[0] }),
      ),
    { exitWithParent: true },
  );
}
