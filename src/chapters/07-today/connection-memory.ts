/**
 * What one socket.io connection costs the server's process, with permessage-deflate on or off.
 * Each measurement starts a fresh server process (src/chapters/07-today/memory-server.ts), so its memory holds
 * nothing but the server, and holds the connections open from another process
 * (src/chapters/07-today/held-clients.ts). The server samples its memory after a full garbage collection at three
 * points: before the connections (after one warm-up connection has come and gone, so first-use
 * costs are not billed to them), with the connections idle, and after each connection has
 * exchanged one message each way (which is when ws creates its zlib streams).
 */
import path from 'node:path';
import { ChildHost } from '../../core/child-host';
import type { HeldReply, HeldRequest } from './held-clients';
import { CONNECT_DEADLINE_MS } from '../../core/timing';
import type { MemorySample, ServerReply, ServerRequest } from './memory-server';
import { KiB, type DeflateMode, type StackName } from '../../core/params';
import { newRecordId, recordEnvelope, writeRunRecord, type RecordBase, type RecordOption } from '../../core/records';

export type { MemorySample } from './memory-server';

/** The stack measured. */
export const MEMORY_STACK: StackName = 'today';
/** Bytes each connection sends, and gets back, in its one exchange: above ws's 1024-byte threshold. */
export const EXCHANGE_BYTES = 16 * KiB;
/** Most connections one measurement holds: enough for the chapter's 100, bounded for a 2-core machine. */
export const MAX_CONNECTIONS = 1000;
/** A step of a child (start, open, exchange, sample, close) that takes longer than this fails the measurement. */
const STEP_LIMIT_MS = CONNECT_DEADLINE_MS + 5_000;
const HELD_CLIENTS = path.join(__dirname, 'held-clients.js');
const MEMORY_SERVER = path.join(__dirname, 'memory-server.js');

/** One measurement's settings. */
export interface ConnectionMemorySpec {
  deflate: DeflateMode;
  connections: number;
  exchangeBytes: number;
  seed: number;
}

/** One measurement, as written to `<data dir>/connection-memory/`. */
export interface ConnectionMemoryRecord extends RecordBase {
  kind: 'connection-memory';
  spec: ConnectionMemorySpec;
  versions: Record<string, string>;
  samples: { baseline: MemorySample; idle: MemorySample; exchanged: MemorySample };
  /** (sample − baseline) / connections, bytes. */
  perConnection: { idle: MemorySample; exchanged: MemorySample };
  /** zlib streams the server had created by each sample (cumulative, warm-up included). */
  zlibStreams: { baseline: number; idle: number; exchanged: number };
  /** Handshakes seen (warm-up included), how many accepted permessage-deflate, and the distinct answers. */
  handshakes: { total: number; deflate: number; answers: string[] };
  /** Client messages sent compressed (RSV1): the proof that deflate was in use when on. */
  compressedMessages: number;
}

function perConnection(from: MemorySample, to: MemorySample, n: number): MemorySample {
  return {
    rss: (to.rss - from.rss) / n,
    heapUsed: (to.heapUsed - from.heapUsed) / n,
    external: (to.external - from.external) / n,
  };
}

/** A child spoken to one request at a time; a step with no reply within STEP_LIMIT_MS fails (the child is ended in a `finally`). */
function child<Request extends { type: string }, Reply extends { type: string }>(
  name: string,
  file: string,
  execArgv: string[],
): ChildHost<Request, Reply> {
  return new ChildHost<Request, Reply>(file, {
    name: name,
    execArgv: execArgv,
    exitMessage: (code, signal) => `the ${name} process exited (${signal ?? code}) before replying`,
  });
}

/** Every step: a step that fails leaves the child to the `finally` that ends it. */
const STEP = { limitMs: STEP_LIMIT_MS, atLimit: 'keep' } as const;

type HeldClients = ChildHost<HeldRequest, HeldReply>;

/**
 * Measures the server's memory per connection for each setting in turn (a fresh server process
 * each, one held-clients process for all); always tears down; writes one record per setting
 * unless told not to.
 */
export async function measureConnectionMemory(
  specs: readonly ConnectionMemorySpec[],
  options: { record?: RecordOption; quick?: boolean; onMeasured?: (record: ConnectionMemoryRecord) => void } = {},
): Promise<ConnectionMemoryRecord[]> {
  for (const spec of specs) {
    if (!Number.isInteger(spec.connections) || spec.connections < 1 || spec.connections > MAX_CONNECTIONS) {
      throw new Error(
        `connection memory: ${spec.connections} connections: use a whole number from 1 to ${MAX_CONNECTIONS}`,
      );
    }
    if (!Number.isInteger(spec.exchangeBytes) || spec.exchangeBytes < 1) {
      throw new Error(
        `connection memory: exchangeBytes ${spec.exchangeBytes}: use a whole number of bytes, at least 1`,
      );
    }
  }
  const held: HeldClients = child('held clients', HELD_CLIENTS, []);
  const records: ConnectionMemoryRecord[] = [];
  try {
    for (const spec of specs) {
      const record = await measureOne(spec, held, options.quick ?? false);
      await writeRunRecord(record, options.record);
      records.push(record);
      options.onMeasured?.(record);
    }
  } finally {
    await held.close(STEP_LIMIT_MS, { type: 'exit' });
  }
  return records;
}

async function measureOne(
  spec: ConnectionMemorySpec,
  held: HeldClients,
  quick: boolean,
): Promise<ConnectionMemoryRecord> {
  const startedAt = new Date().toISOString();
  const server = child<ServerRequest, ServerReply>('memory server', MEMORY_SERVER, ['--expose-gc']);
  try {
    const { url, versions } = await server.ask(
      { type: 'start', stack: MEMORY_STACK, deflate: spec.deflate },
      'started',
      STEP,
    );
    // Warm-up: one connection through every step, so code paths run once before the baseline.
    await held.ask({ type: 'open', stack: MEMORY_STACK, url: url, count: 1 }, 'opened', STEP);
    await held.ask({ type: 'exchange', bytes: spec.exchangeBytes, seed: spec.seed }, 'exchanged', STEP);
    await held.ask({ type: 'close-all' }, 'closed', STEP);
    const baseline = await server.ask({ type: 'sample' }, 'sampled', STEP);
    await held.ask({ type: 'open', stack: MEMORY_STACK, url: url, count: spec.connections }, 'opened', STEP);
    const idle = await server.ask({ type: 'sample' }, 'sampled', STEP);
    await held.ask({ type: 'exchange', bytes: spec.exchangeBytes, seed: spec.seed }, 'exchanged', STEP);
    const exchanged = await server.ask({ type: 'sample' }, 'sampled', STEP);
    await held.ask({ type: 'close-all' }, 'closed', STEP);
    const stopped = await server.ask({ type: 'stop' }, 'stopped', STEP);
    return {
      ...recordEnvelope({
        kind: 'connection-memory',
        id: newRecordId(`memory-${spec.deflate}-${spec.connections}-`),
        startedAt,
        quick: quick,
      }),
      spec,
      versions,
      samples: { baseline: baseline.sample, idle: idle.sample, exchanged: exchanged.sample },
      perConnection: {
        idle: perConnection(baseline.sample, idle.sample, spec.connections),
        exchanged: perConnection(baseline.sample, exchanged.sample, spec.connections),
      },
      zlibStreams: { baseline: baseline.zlibStreams, idle: idle.zlibStreams, exchanged: exchanged.zlibStreams },
      handshakes: { total: stopped.handshakes, deflate: stopped.deflateHandshakes, answers: stopped.answers },
      compressedMessages: stopped.compressedMessages,
    };
  } finally {
    await server.close(STEP_LIMIT_MS, { type: 'stop' });
  }
}
