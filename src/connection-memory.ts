/**
 * What one socket.io connection costs the server's process, with permessage-deflate on or off.
 * The server runs here; its clients are held open by a child process (src/held-clients.ts), so
 * every byte this process gains is the server's. Memory is sampled after a full garbage
 * collection at three points: before the connections (after one warm-up connection has come and
 * gone, so first-use costs are not billed to them), with the connections idle, and after each
 * connection has exchanged one message each way (which is when ws creates its zlib streams).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { EXCHANGE_EVENT, type HeldReply, type HeldRequest } from './held-clients';
import { CONNECT_DEADLINE_MS } from './load';
import { runMeta } from './meta';
import { acceptsDeflate, WireObserver } from './observe/wire';
import { KiB, type DeflateMode, type StackName } from './params';
import { newRecordId, writeRecord, type RecordBase } from './records';
import { loadStack } from './stacks';

/** The stack measured. */
export const MEMORY_STACK: StackName = 'today';
/** Bytes each connection sends, and gets back, in its one exchange: above ws's 1024-byte threshold. */
export const EXCHANGE_BYTES = 16 * KiB;
/** Pause after a collection before sampling, so freed pages and finished closes settle. */
const SETTLE_MS = 100;
/** A step of the child (open, exchange, close) that takes longer than this fails the measurement. */
const STEP_LIMIT_MS = CONNECT_DEADLINE_MS + 5_000;
const HELD_CLIENTS = path.join(__dirname, 'held-clients.js');

/** One measurement's settings. */
export interface ConnectionMemorySpec {
  deflate: DeflateMode;
  connections: number;
  exchangeBytes: number;
  seed: number;
}

/** process.memoryUsage() figures, bytes. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** Memory outside the JS heap that V8 is told about (zlib's streams among it). */
  external: number;
}

/** One measurement, as written to `<data dir>/connection-memory/`. */
export interface ConnectionMemoryRecord extends RecordBase {
  kind: 'connection-memory';
  spec: ConnectionMemorySpec;
  versions: Record<string, string>;
  samples: { baseline: MemorySample; idle: MemorySample; exchanged: MemorySample };
  /** (sample − baseline) / connections, bytes. */
  perConnection: { idle: MemorySample; exchanged: MemorySample };
  /** Handshakes seen (warm-up included) and how many accepted permessage-deflate. */
  handshakes: { total: number; deflate: number };
  /** Client messages sent compressed (RSV1): the proof that deflate was in use when on. */
  compressedMessages: number;
}

// Hand-rolled because a kernel cannot be started with --expose-gc: the flag is set at run time
// and the gc function taken from a fresh context, once per process.
let collect: (() => void) | undefined;
function fullGc(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
  collect();
}

async function sample(): Promise<MemorySample> {
  fullGc();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  fullGc();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

function perConnection(from: MemorySample, to: MemorySample, n: number): MemorySample {
  return { rss: (to.rss - from.rss) / n, heapUsed: (to.heapUsed - from.heapUsed) / n, external: (to.external - from.external) / n };
}

/** The child's side of the conversation: one request, one reply, each bounded. */
class HeldClients {
  private readonly child: ChildProcess;
  private waiting: { resolve: (reply: HeldReply) => void; reject: (error: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor() {
    this.child = fork(HELD_CLIENTS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    this.child.on('message', (reply: HeldReply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (!waiting) return;
      if (reply.type === 'failed') waiting.reject(new Error(`held clients: ${reply.error}`));
      else waiting.resolve(reply);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`the held-clients process exited (${signal ?? code}) before replying`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
  }

  ask(request: HeldRequest): Promise<HeldReply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<HeldReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`held clients: '${request.type}' got no reply within ${STEP_LIMIT_MS} ms`)), STEP_LIMIT_MS);
      this.waiting = {
        resolve: (reply) => { clearTimeout(timer); resolve(reply); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
      this.child.send(request);
    });
  }

  /** Asks the child to close its connections and exit; kills it if it has not within the step limit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies HeldRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STEP_LIMIT_MS);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Measures the server's memory per connection for each setting in turn, with one held-clients
 * process for all of them; always tears down; writes one record per setting unless told not to.
 */
export async function measureConnectionMemory(
  specs: readonly ConnectionMemorySpec[],
  options: { record?: boolean | string; quick?: boolean; onMeasured?: (record: ConnectionMemoryRecord) => void } = {},
): Promise<ConnectionMemoryRecord[]> {
  const held = new HeldClients();
  const records: ConnectionMemoryRecord[] = [];
  try {
    for (const spec of specs) {
      const record = await measureOne(spec, held, options.quick ?? false);
      if (options.record !== false) await writeRecord(record, typeof options.record === 'string' ? options.record : undefined);
      records.push(record);
      options.onMeasured?.(record);
    }
  } finally {
    await held.stop();
  }
  return records;
}

async function measureOne(spec: ConnectionMemorySpec, held: HeldClients, quick: boolean): Promise<ConnectionMemoryRecord> {
  const startedAt = new Date().toISOString();
  const stack = loadStack(MEMORY_STACK);
  const server = await stack.createServer({ deflate: spec.deflate });
  const wire = new WireObserver(server.http);
  server.onConnection((socket) => {
    socket.on(EXCHANGE_EVENT, (data: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(data);
    });
  });
  let samples: ConnectionMemoryRecord['samples'];
  try {
    // Warm-up: one connection through every step, so code paths run once before the baseline.
    await held.ask({ type: 'open', stack: MEMORY_STACK, url: server.url, count: 1 });
    await held.ask({ type: 'exchange', bytes: spec.exchangeBytes, seed: spec.seed });
    await held.ask({ type: 'close-all' });
    const baseline = await sample();
    await held.ask({ type: 'open', stack: MEMORY_STACK, url: server.url, count: spec.connections });
    const idle = await sample();
    await held.ask({ type: 'exchange', bytes: spec.exchangeBytes, seed: spec.seed });
    const exchanged = await sample();
    samples = { baseline, idle, exchanged };
    await held.ask({ type: 'close-all' });
  } finally {
    wire.detach();
    await server.close();
  }
  const handshakes = wire.handshakes();
  return {
    schema: 1,
    kind: 'connection-memory',
    id: newRecordId(`memory-${spec.deflate}-${spec.connections}-`),
    startedAt,
    endedAt: new Date().toISOString(),
    quick: quick,
    meta: runMeta(),
    spec,
    versions: stack.versions,
    samples,
    perConnection: {
      idle: perConnection(samples.baseline, samples.idle, spec.connections),
      exchanged: perConnection(samples.baseline, samples.exchanged, spec.connections),
    },
    handshakes: { total: handshakes.length, deflate: handshakes.filter((h) => acceptsDeflate(h.answer)).length },
    compressedMessages: wire.totals().compressedMessages,
  };
}
