/**
 * The reproducer's forked sender process: runs the bare clients (./senders) in their own process,
 * so that CPU load added to the server's process does not slow the clients, and the server's
 * event loop only does server work. Driven over the IPC channel by ./run.
 */
import { fork } from 'node:child_process';
import { runSenders, type SenderResult, type SenderSpec } from './senders';

/** Parent → child: start sending, or end the send window early. */
export type SenderRequest = { type: 'start'; spec: SenderSpec; url: string; bodies: Uint8Array[] } | { type: 'stop' };

/** Child → parent messages. */
export type SenderReply =
  | { type: 'started'; t: number }
  | { type: 'done'; result: SenderResult }
  | { type: 'failed'; error: string };

/** A running sender process. */
export interface SenderProcess {
  /** Resolves with the senders' result; rejects if the process fails or outlives `limitMs`. */
  result: Promise<SenderResult>;
  /** Ends the send window early (the senders still close cleanly). */
  stop(): void;
}

/** Forks the sender process and starts it; `onStart` gets the epoch ms of the first tick. */
export function forkSenders(spec: SenderSpec, url: string, bodies: readonly Buffer[], limitMs: number, onStart: (t: number) => void): SenderProcess {
  // 'advanced' serialization carries the message bodies as bytes, not as JSON arrays of numbers.
  const child = fork(__filename, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], serialization: 'advanced' });
  const result = new Promise<SenderResult>((resolve, reject) => {
    let settled = false;
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`sender process did not finish within ${limitMs} ms and was killed`)));
    }, limitMs);
    function finish(fn: () => void) {
      if (settled) return;
      settled = true;
      clearTimeout(kill);
      fn();
    }
    child.on('message', (reply: SenderReply) => {
      if (reply.type === 'started') onStart(reply.t);
      else if (reply.type === 'done') finish(() => resolve(reply.result));
      else finish(() => reject(new Error(`sender process: ${reply.error}`)));
    });
    child.on('exit', (code, signal) => finish(() => reject(new Error(`sender process exited (${signal ?? code}) before reporting`))));
    child.on('error', (error) => finish(() => reject(error)));
  });
  // The process must be gone before the result is used: nothing may outlive a run.
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  child.send({ type: 'start', spec, url, bodies: [...bodies] } satisfies SenderRequest);
  return {
    result: result.finally(() => exited),
    stop: () => {
      if (child.connected) child.send({ type: 'stop' } satisfies SenderRequest);
    },
  };
}

if (require.main === module) {
  const send = (reply: SenderReply) => process.send?.(reply);
  const stop = new AbortController();
  process.on('message', (request: SenderRequest) => {
    if (request.type === 'stop') return stop.abort();
    const bodies = request.bodies.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    runSenders(request.spec, request.url, bodies, stop.signal, (t) => send({ type: 'started', t }))
      .then((result) => send({ type: 'done', result }))
      .catch((error: Error) => send({ type: 'failed', error: error.message }))
      .finally(() => process.disconnect?.());
  });
}
