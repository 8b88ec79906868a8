/**
 * A forked Node child spoken to over IPC, one request at a time, from both ends. The parent's
 * ChildHost sends a typed request and awaits the typed reply (settled once: by the reply, a
 * 'failed' reply, the child's exit or error, or the caller's limit), and close() ends the child
 * and resolves once it has exited. The child's serveParent() answers those requests. Every
 * message of the host's errors can be worded by its caller, so each keeps the wording its records
 * and tests already hold.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileLimitArgs } from './file-limit';

/** What every reply union may hold: the child's own account of a request it could not serve. */
interface FailedReply {
  type: 'failed';
  error: string;
}

/** How the child is started and how its errors read. */
export interface ChildOptions {
  /** Names the child in the default messages: 'the sink', 'held clients'. */
  name: string;
  /** Node flags for the child (default none: it must not inherit the parent's --inspect or --test). */
  execArgv?: string[];
  /** 'advanced' carries Buffers and typed arrays as bytes rather than as JSON arrays of numbers. */
  serialization?: 'json' | 'advanced';
  /** Leads a process group of its own, so kill() also reaches whatever the child forked. */
  group?: boolean;
  /**
   * Starts the child through `prlimit --nofile=N:N` with this open-file limit: a Node process cannot
   * raise its own, and a child holding thousands of sockets needs more than the default may be.
   */
  fileLimit?: number;
  /** 'pipe' keeps the child's stderr off the parent's (read it from `child.stderr`): a child expected to crash. */
  stderr?: 'inherit' | 'pipe';
  /** Variables set (a string) or removed (undefined) in the child's environment only, e.g. an allocator's. */
  env?: Record<string, string | undefined>;
  /** Why a pending request fails when the child exits; default `<name> exited (<signal or code>)`. */
  exitMessage?: (code: number | null, signal: NodeJS.Signals | null) => string;
  /** The error of a `{ type: 'failed', error }` reply; default `<name>: <error>`. */
  failedMessage?: (error: string) => string;
}

/** This process's environment with `changes` applied: a string sets a variable, undefined removes it. */
function childEnv(changes: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Replies the child sends while it works (ticks, progress), by type: handed over, not awaited. */
type ProgressHandlers<Reply extends { type: string }> = {
  [K in Reply['type']]?: (reply: Extract<Reply, { type: K }>) => void;
};

/** One request's limit, progress and wording. */
export interface AskOptions<Reply extends { type: string }> {
  /** No answer within this many ms fails the request. */
  limitMs: number;
  /**
   * At the limit, 'kill' (default) kills the child (its group too) and marks the host ended;
   * 'keep' leaves it running, for a step the caller gives up on and then closes the child anyway.
   */
  atLimit?: 'kill' | 'keep';
  /** The limit's error; default `<name>: '<request>' got no reply within <limitMs> ms`. */
  limitError?: () => Error;
  progress?: ProgressHandlers<Reply>;
  /** Overrides the host's exitMessage for this request. */
  exitMessage?: (code: number | null, signal: NodeJS.Signals | null) => string;
  /** The error when a reply of another type comes; default names both types. */
  unexpectedMessage?: string;
}

interface Pending<Reply> {
  reply(reply: Reply): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  fail(error: Error): void;
}

/** A forked child with one request at most in flight; close() it in a `finally`. */
export class ChildHost<Request extends { type: string }, Reply extends { type: string }> {
  /** The process itself, for what only the caller does with it (pin it, aim a fault at it). */
  readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private pending: Pending<Reply> | undefined;
  private endedBecause: string | undefined;

  constructor(
    modulePath: string,
    private readonly options: ChildOptions,
  ) {
    // prlimit sets the limit and execs Node in its place, so the pid and the IPC channel stay the child's.
    const limited = options.fileLimit === undefined ? undefined : fileLimitArgs(options.fileLimit);
    this.child = fork(modulePath, [], {
      stdio: ['ignore', 'inherit', options.stderr ?? 'inherit', 'ipc'],
      execArgv: [...(limited?.argv ?? []), ...(options.execArgv ?? [])],
      ...(limited ? { execPath: limited.execPath } : {}),
      ...(options.serialization ? { serialization: options.serialization } : {}),
      ...(options.group ? { detached: true } : {}),
      ...(options.env ? { env: childEnv(options.env) } : {}),
    });
    this.exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (reply: Reply) => this.pending?.reply(reply));
    this.child.once('exit', (code, signal) => {
      this.endedBecause ??= this.exitMessage(code, signal);
      this.pending?.exit(code, signal);
    });
    // Without a listener, a failed fork or kill would throw in the parent.
    this.child.on('error', (error) => {
      this.endedBecause ??= `${options.name} failed: ${error.message}`;
      this.pending?.fail(error);
    });
  }

  /** Why the child takes no more requests (it exited, failed, was killed or closed); undefined while it does. */
  get ended(): string | undefined {
    return this.endedBecause;
  }

  /** Whether a request waits for its answer. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Sends a message that wants no answer (a 'stop'); dropped when the child is already leaving. */
  post(message: Request): void {
    if (this.child.connected) this.child.send(message, () => undefined);
  }

  /**
   * Sends `request` and resolves with the reply of type `expect`, passing progress replies on the
   * way. Without a request it awaits a message the child sends unasked ('listening'): ask in the
   * tick that created the host, as a message nobody awaits is dropped.
   */
  ask<T extends Reply['type']>(
    request: Request | undefined,
    expect: T,
    options: AskOptions<Reply>,
  ): Promise<Extract<Reply, { type: T }>> {
    const name = this.options.name;
    const asked = request ? `'${request.type}'` : `'${expect}'`;
    return new Promise((resolve, reject) => {
      if (this.endedBecause !== undefined) return reject(new Error(this.endedBecause));
      if (this.pending) return reject(new Error(`${name}: ${asked} sent while a request still waits for its answer`));
      const settle = (done: () => void) => {
        clearTimeout(timer);
        this.pending = undefined;
        done();
      };
      const timer = setTimeout(() => {
        const error =
          options.limitError?.() ?? new Error(`${name}: ${asked} got no reply within ${options.limitMs} ms`);
        settle(() => reject(error));
        if ((options.atLimit ?? 'kill') === 'kill') {
          this.endedBecause ??= error.message;
          this.signalKill();
        }
      }, options.limitMs);
      const pending: Pending<Reply> = {
        reply: (reply) => {
          const progress = options.progress?.[reply.type as Reply['type']] as ((r: Reply) => void) | undefined;
          if (progress) return progress(reply);
          if (reply.type === 'failed')
            return settle(() => reject(new Error(this.failedMessage((reply as unknown as FailedReply).error))));
          if (reply.type !== expect) {
            const message =
              options.unexpectedMessage ?? `${name}: expected '${expect}' after ${asked}, got '${reply.type}'`;
            return settle(() => reject(new Error(message)));
          }
          settle(() => resolve(reply as Extract<Reply, { type: T }>));
        },
        exit: (code, signal) =>
          settle(() => reject(new Error((options.exitMessage ?? this.exitMessage.bind(this))(code, signal)))),
        fail: (error) => settle(() => reject(error)),
      };
      this.pending = pending;
      if (request)
        this.child.send(request, (error) => {
          if (error && this.pending === pending)
            pending.fail(new Error(`${name}: could not send '${request.type}': ${error.message}`));
        });
    });
  }

  /** Kills the child at once (SIGKILL; its whole group when `group`); its exit fails a pending request. */
  kill(): void {
    this.endedBecause ??= `${this.options.name} was killed`;
    this.signalKill();
  }

  /**
   * Asks the child to leave, kills it if it has not within `graceMs`, and resolves once it has
   * exited. `leave` is a last request, SIGTERM, or (default) closing the channel, which the
   * children here take as their cue to exit. Safe to call twice, and after the child has gone.
   */
  async close(graceMs: number, leave: Request | 'disconnect' | 'SIGTERM' = 'disconnect'): Promise<void> {
    const child = this.child;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      // The child may be leaving already (its last reply was its last word): a failed send is expected then.
      if (leave === 'SIGTERM') child.kill('SIGTERM');
      else if (child.connected) {
        if (leave === 'disconnect') child.disconnect();
        else child.send(leave, () => undefined);
      }
      const timer = setTimeout(() => this.signalKill(), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.endedBecause ??= `${this.options.name} was closed`;
  }

  private signalKill(): void {
    const child = this.child;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    if (this.options.group) {
      try {
        process.kill(-child.pid, 'SIGKILL');
        return;
      } catch {
        // The group is gone already: the child alone, then.
      }
    }
    child.kill('SIGKILL');
  }

  private exitMessage(code: number | null, signal: NodeJS.Signals | null): string {
    return this.options.exitMessage?.(code, signal) ?? `${this.options.name} exited (${signal ?? code})`;
  }

  private failedMessage(error: string): string {
    return this.options.failedMessage?.(error) ?? `${this.options.name}: ${error}`;
  }
}

/** The child's end of the channel. */
export interface Parent<Reply> {
  /** Sends to the parent; resolves once written (or not writable), so a last reply survives a leave() right after. */
  send(reply: Reply): Promise<void>;
  /** Closes the channel, if still open: the parent sees this child leave. */
  leave(): void;
}

/**
 * The child's half of a ChildHost: calls `handle` for each request and sends the reply it returns
 * (none for requests that want none); a request it throws on is answered `{ type: 'failed', error }`.
 * `inOrder` handles each request only after the one before has finished; `exitWithParent` exits
 * when the channel closes, as a child whose parent is gone (killed, say) has no one left to answer.
 */
export function serveParent<Request, Reply extends { type: string }>(
  handle: (request: Request, parent: Parent<Reply>) => Reply | void | Promise<Reply | void>,
  options: { inOrder?: boolean; exitWithParent?: boolean } = {},
): Parent<Reply> {
  const send = (message: Reply | FailedReply) =>
    new Promise<void>((resolve) =>
      process.send ? process.send(message, undefined, undefined, () => resolve()) : resolve(),
    );
  // The parent may have closed the channel first (close() after the last reply): disconnecting
  // twice would throw.
  const leave = () => {
    if (process.connected) process.disconnect?.();
  };
  const parent: Parent<Reply> = { send: send, leave: leave };
  if (options.exitWithParent) process.once('disconnect', () => process.exit(0));
  const serve = async (request: Request) => {
    try {
      const reply = await handle(request, parent);
      if (reply) await parent.send(reply);
    } catch (error) {
      await send({ type: 'failed', error: (error as Error).message });
    }
  };
  let queue = Promise.resolve();
  process.on('message', (request: Request) => {
    if (options.inOrder) queue = queue.then(() => serve(request));
    else void serve(request);
  });
  return parent;
}
