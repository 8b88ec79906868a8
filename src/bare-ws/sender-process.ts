/**
 * The bare-ws engine's sender process: runs the bare clients (./senders) in their own process, so
 * that CPU load added to the server's process does not slow the clients, and the server's event
 * loop only does server work. One process serves a series of runs, one at a time (starting a
 * process per run costs more than a short run), and keeps the last message set it was sent.
 * Driven over the IPC channel by ./run.
 */
import { ChildHost, serveParent } from '../core/child-host';
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
  // 'advanced' serialization carries message bodies as bytes, not as JSON arrays of numbers.
  private readonly host = new ChildHost<SenderRequest, SenderReply>(__filename, {
    name: 'the sender process',
    serialization: 'advanced',
    failedMessage: (error) => `sender process: ${error}`,
  });
  private bodiesKey?: string;

  /** Starts one run; `onStart` gets the epoch ms of the first tick. Throws if a run is already going or the process is gone. */
  run(
    spec: SenderSpec,
    url: string,
    bodiesKey: string,
    bodies: readonly Buffer[],
    limitMs: number,
    onStart: (t: number) => void,
  ): SenderRun {
    if (this.host.busy) throw new Error('sender host: a run is already going: wait for its result first');
    if (this.host.ended) throw new Error(`sender host: ${this.host.ended}; start a new host`);
    const fresh = this.bodiesKey !== bodiesKey;
    this.bodiesKey = bodiesKey;
    const request: SenderRequest = {
      type: 'start',
      spec,
      url,
      bodiesKey,
      ...(fresh ? { bodies: [...bodies] } : {}),
    };
    const reply = this.host.ask(request, 'done', {
      limitMs: limitMs,
      limitError: () => new Error(`a run did not finish within ${limitMs} ms and the sender process was killed`),
      progress: { started: (started) => onStart(started.t) },
    });
    return {
      result: reply.then((done) => done.result),
      stop: () => this.host.post({ type: 'stop' }),
    };
  }

  /** Asks the process to leave and waits for it (killing it after EXIT_WAIT_MS); safe to call twice. */
  close(): Promise<void> {
    return this.host.close(EXIT_WAIT_MS, { type: 'exit' });
  }
}

if (require.main === module) {
  let stop: AbortController | undefined;
  let cached: { key: string; bodies: Buffer[] } | undefined;
  serveParent<SenderRequest, SenderReply>(async (request, parent) => {
    if (request.type === 'exit') return parent.leave();
    if (request.type === 'stop') return stop?.abort();
    if (request.bodies)
      cached = {
        key: request.bodiesKey,
        bodies: request.bodies.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
      };
    if (cached?.key !== request.bodiesKey)
      return { type: 'failed', error: `no messages for ${request.bodiesKey}: the host did not send them` };
    const run = new AbortController();
    stop = run;
    const result = await runSenders(request.spec, request.url, cached.bodies, run.signal, (t) => {
      void parent.send({ type: 'started', t });
    });
    return { type: 'done', result };
  });
}
