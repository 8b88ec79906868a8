/**
 * The reproducer's sender process: runs the bare clients (./senders) in their own process, so
 * that CPU load added to the server's process does not slow the clients, and the server's event
 * loop only does server work. One process serves a series of runs, one at a time (starting a
 * process per run costs more than a short run), and keeps the last message set it was sent.
 * Driven over the IPC channel by ./run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { runSenders, type SenderResult, type SenderSpec } from './senders';

/** Parent → child: start a run (with its messages unless they are the ones sent last), end its window early, or leave. */
export type SenderRequest =
  | { type: 'start'; spec: SenderSpec; url: string; bodiesKey: string; bodies?: Uint8Array[] }
  | { type: 'stop' }
  | { type: 'exit' };

/** Child → parent messages. */
export type SenderReply =
  { type: 'started'; t: number } | { type: 'done'; result: SenderResult } | { type: 'failed'; error: string };

/** One run on a sender host. */
export interface SenderRun {
  /** Resolves with the senders' result; rejects if the run fails or outlives its limit (the host is then killed). */
  result: Promise<SenderResult>;
  /** Ends the send window early; the clients then cut their connections instead of closing cleanly. */
  stop(): void;
}

/** How long close() waits for the process to leave before it is killed. */
const EXIT_WAIT_MS = 5_000;

/** A forked sender process; close() it in a `finally`. */
export class SenderHost {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private busy = false;
  private dead?: string;
  private bodiesKey?: string;

  constructor() {
    // 'advanced' serialization carries message bodies as bytes, not as JSON arrays of numbers.
    this.child = fork(__filename, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
      serialization: 'advanced',
    });
    this.exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('exit', (code, signal) => {
      this.dead ??= `the sender process exited (${signal ?? code})`;
    });
    this.child.on('error', (error) => {
      this.dead ??= `the sender process failed: ${error.message}`;
    });
  }

  /** Starts one run; `onStart` gets the epoch ms of the first tick. Throws if a run is already going or the process is gone. */
  run(
    spec: SenderSpec,
    url: string,
    bodiesKey: string,
    bodies: readonly Buffer[],
    limitMs: number,
    onStart: (t: number) => void,
  ): SenderRun {
    if (this.busy) throw new Error('sender host: a run is already going: wait for its result first');
    if (this.dead) throw new Error(`sender host: ${this.dead}; start a new host`);
    this.busy = true;
    const child = this.child;
    const result = new Promise<SenderResult>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(kill);
        child.removeListener('message', onMessage);
        child.removeListener('exit', onExit);
        this.busy = false;
        fn();
      };
      const kill = setTimeout(() => {
        this.dead = `a run did not finish within ${limitMs} ms and the sender process was killed`;
        child.kill('SIGKILL');
        finish(() => reject(new Error(this.dead)));
      }, limitMs);
      const onMessage = (reply: SenderReply) => {
        if (reply.type === 'started') onStart(reply.t);
        else if (reply.type === 'done') finish(() => resolve(reply.result));
        else finish(() => reject(new Error(`sender process: ${reply.error}`)));
      };
      const onExit = () => finish(() => reject(new Error(this.dead ?? 'the sender process exited during a run')));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    const fresh = this.bodiesKey !== bodiesKey;
    this.bodiesKey = bodiesKey;
    child.send({
      type: 'start',
      spec,
      url,
      bodiesKey,
      ...(fresh ? { bodies: [...bodies] } : {}),
    } satisfies SenderRequest);
    return {
      result: result,
      stop: () => {
        if (child.connected) child.send({ type: 'stop' } satisfies SenderRequest);
      },
    };
  }

  /** Asks the process to leave and waits for it (killing it after EXIT_WAIT_MS); safe to call twice. */
  async close(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'exit' } satisfies SenderRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WAIT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    this.dead ??= 'the host was closed';
  }
}

if (require.main === module) {
  const send = (reply: SenderReply) => process.send?.(reply);
  let stop: AbortController | undefined;
  let cached: { key: string; bodies: Buffer[] } | undefined;
  process.on('message', (request: SenderRequest) => {
    if (request.type === 'exit') return process.disconnect?.();
    if (request.type === 'stop') return stop?.abort();
    if (request.bodies)
      cached = {
        key: request.bodiesKey,
        bodies: request.bodies.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
      };
    if (cached?.key !== request.bodiesKey)
      return send({ type: 'failed', error: `no messages for ${request.bodiesKey}: the host did not send them` });
    const run = new AbortController();
    stop = run;
    runSenders(request.spec, request.url, cached.bodies, run.signal, (t) => send({ type: 'started', t }))
      .then((result) => send({ type: 'done', result }))
      .catch((error: Error) => send({ type: 'failed', error: error.message }));
  });
}
