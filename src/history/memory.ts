/**
 * Measures one cell of the memory row (src/history/memory-plan.ts) once: a fresh socket.io server
 * in its own process (src/history/memory-server.ts) and the connections in another
 * (src/history/memory-clients.ts), both started through prlimit. The server samples its memory after
 * a full garbage collection: once after a warm-up connection has come and gone (the baseline), then
 * at each connection count with the connections idle, and again after each of them received its
 * one message. The per-connection figure is the slope between the first and the last count.
 */
import path from 'node:path';
import { ChildHost } from '../core/child-host';
import type { MemorySample } from '../core/memory-sample';
import { newRecordId, recordEnvelope, type RecordBase } from '../core/records';
import { assertMeasuring } from '../core/replay';
import { watchMachineLoad } from '../core/machine-load';
import { CONNECT_DEADLINE_MS } from '../core/timing';
import { ensureVersion } from '../core/version-cache';
import {
  cellName,
  expectedDeflate,
  fileLimitFor,
  HISTORY_MEMORY_KIND,
  memoryRunKey,
  serverOptions,
  type MemoryCell,
  type MemoryPlan,
} from './memory-plan';
import type { MemoryServerReply, MemoryServerRequest } from './memory-server';
import type { ClientTally, MemoryClientsReply, MemoryClientsRequest } from './memory-clients';

const MEMORY_SERVER = path.join(__dirname, 'memory-server.js');
const MEMORY_CLIENTS = path.join(__dirname, 'memory-clients.js');
/** A step that is not one of the timed ones below (start, sample, send, stop) must answer within this. */
const STEP_MS = CONNECT_DEADLINE_MS + 5_000;
/** Opening connections: the base step time, and this much more per connection. */
const OPEN_MS_PER_CONNECTION = 10;

/** One connection count of a measurement. */
export interface MemoryStep {
  connections: number;
  /** With the connections open and idle. */
  idle: MemorySample;
  /** After every connection received its message. */
  messaged: MemorySample;
  /** Sockets the server's default namespace held at the second sample. */
  serverSockets: number;
  /** What the clients saw: connected, received, the server's handshake answers, wire bytes. */
  clients: ClientTally;
}

/** One cell measured once, as written to `<data dir>/history-memory/`. */
export interface HistoryMemoryRecord extends RecordBase {
  kind: typeof HISTORY_MEMORY_KIND;
  /** The cell and the plan's fixed parameters (memoryRunKey): records of the same key are repeats. */
  runKey: string;
  repeat: number;
  cell: MemoryCell;
  counts: number[];
  messageBytes: number;
  seed: number;
  /** The options passed to socket.io, and the engine's deflate setting as it took effect. */
  serverOptions: object;
  perMessageDeflate: unknown;
  /** The open-file limit the children were started with, and the one the server read back from /proc. */
  fileLimit: number;
  serverFileLimit: number | null;
  versions: Record<string, string>;
  baseline: MemorySample;
  steps: MemoryStep[];
  /** Bytes per connection: the slope of RSS and heapUsed after the message, first count to last. */
  perConnection: { rss: number; heapUsed: number };
}

/** The slope between the first and last step's samples after the message, bytes per connection. */
export function slopeOf(steps: readonly Pick<MemoryStep, 'connections' | 'messaged'>[]): {
  rss: number;
  heapUsed: number;
} {
  const first = steps[0];
  const last = steps[steps.length - 1];
  const n = last.connections - first.connections;
  return {
    rss: (last.messaged.rss - first.messaged.rss) / n,
    heapUsed: (last.messaged.heapUsed - first.messaged.heapUsed) / n,
  };
}

type Server = ChildHost<MemoryServerRequest, MemoryServerReply>;
type Clients = ChildHost<MemoryClientsRequest, MemoryClientsReply>;

function openMs(connections: number): number {
  return STEP_MS + connections * OPEN_MS_PER_CONNECTION;
}

/** Opens `count` more connections, sends each new one its message, and samples before and after. */
async function stepTo(
  connections: number,
  held: number,
  plan: Pick<MemoryPlan, 'messageBytes' | 'seed'>,
  server: Server,
  clients: Clients,
  url: string,
): Promise<MemoryStep> {
  const more = connections - held;
  await clients.ask({ type: 'open', url: url, count: more, limitMs: openMs(more) }, 'opened', {
    limitMs: openMs(more) + STEP_MS,
  });
  const idle = await server.ask({ type: 'sample' }, 'sampled', { limitMs: STEP_MS });
  await server.ask({ type: 'send', bytes: plan.messageBytes, seed: plan.seed }, 'sent', { limitMs: STEP_MS });
  const { tally } = await clients.ask(
    { type: 'await-messages', bytes: plan.messageBytes, seed: plan.seed, limitMs: openMs(more) },
    'received',
    { limitMs: openMs(more) + STEP_MS },
  );
  const messaged = await server.ask({ type: 'sample' }, 'sampled', { limitMs: STEP_MS });
  return {
    connections: connections,
    idle: idle.sample,
    messaged: messaged.sample,
    serverSockets: messaged.sockets,
    clients: tally,
  };
}

/**
 * Measures `cell` once at every count of `plan` and returns its record (the caller writes it).
 * Installs the release on demand when it is not cached; both children end in a `finally`.
 */
export async function measureMemoryCell(
  cell: MemoryCell,
  repeat: number,
  plan: Omit<MemoryPlan, 'cells' | 'repeats'>,
  options: { quick?: boolean; onStep?: (connections: number) => void } = {},
): Promise<HistoryMemoryRecord> {
  assertMeasuring(`the memory servers of ${cellName(cell)}`);
  await ensureVersion('socket.io', cell.socketio);
  const startedAt = new Date().toISOString();
  const load = watchMachineLoad();
  const fileLimit = fileLimitFor(plan.counts[plan.counts.length - 1]);
  const server: Server = new ChildHost(MEMORY_SERVER, {
    name: 'memory server',
    execArgv: ['--expose-gc'],
    fileLimit: fileLimit,
  });
  const clients: Clients = new ChildHost(MEMORY_CLIENTS, { name: 'memory clients', fileLimit: fileLimit });
  try {
    const options_ = serverOptions(cell);
    const started = await server.ask({ type: 'start', socketio: cell.socketio, options: options_ }, 'started', {
      limitMs: STEP_MS,
    });
    // Warm-up: one connection through every step, so first-use costs are not billed to the counts.
    await stepTo(1, 0, plan, server, clients, started.url);
    await clients.ask({ type: 'close-all' }, 'closed', { limitMs: STEP_MS });
    const baseline = await server.ask({ type: 'sample' }, 'sampled', { limitMs: STEP_MS });
    const steps: MemoryStep[] = [];
    for (const connections of plan.counts) {
      steps.push(await stepTo(connections, steps.at(-1)?.connections ?? 0, plan, server, clients, started.url));
      options.onStep?.(connections);
    }
    await server.ask({ type: 'stop' }, 'stopped', { limitMs: STEP_MS });
    return {
      ...recordEnvelope({
        kind: HISTORY_MEMORY_KIND,
        id: newRecordId(`${cellName(cell)}-r${repeat}-`),
        startedAt: startedAt,
        quick: options.quick ?? false,
        machineLoad: load,
      }),
      runKey: memoryRunKey(cell, plan),
      repeat: repeat,
      cell: cell,
      counts: [...plan.counts],
      messageBytes: plan.messageBytes,
      seed: plan.seed,
      serverOptions: options_,
      perMessageDeflate: started.perMessageDeflate,
      fileLimit: fileLimit,
      serverFileLimit: started.fileLimit,
      versions: started.versions,
      baseline: baseline.sample,
      steps: steps,
      perConnection: slopeOf(steps),
    };
  } finally {
    await Promise.all([clients.close(STEP_MS, { type: 'exit' }), server.close(STEP_MS, { type: 'stop' })]);
  }
}

/** Why a record's figures or controls cannot be trusted; empty when every one holds. */
export function memoryRecordProblems(record: HistoryMemoryRecord): string[] {
  const problems: string[] = [];
  const { steps } = record;
  if (steps.length < 2 || steps.some((s, i) => s.connections !== record.counts[i]))
    return [
      `its steps (${steps.map((s) => s.connections).join(', ')}) are not its counts (${record.counts.join(', ')})`,
    ];
  const slope = slopeOf(steps);
  for (const key of ['rss', 'heapUsed'] as const) {
    if (Math.abs(slope[key] - record.perConnection[key]) > 1e-6 * Math.max(1, Math.abs(slope[key])))
      problems.push(`stored ${key} per connection ${record.perConnection[key]}, its samples give ${slope[key]}`);
  }
  if (record.serverFileLimit !== record.fileLimit)
    problems.push(
      `the server ran with an open-file limit of ${record.serverFileLimit}, not the ${record.fileLimit} it was started with`,
    );
  const deflate = expectedDeflate(record.cell, record.versions['engine.io'] ?? '0.0.0');
  for (const step of steps) {
    const n = step.connections;
    const c = step.clients;
    const at = `at ${n} connections`;
    if (c.connected !== n || c.held !== n)
      problems.push(`${at}: ${c.connected} of ${c.held} held connections connected`);
    if (step.serverSockets !== n) problems.push(`${at}: the server held ${step.serverSockets} sockets`);
    if (c.received !== n) problems.push(`${at}: ${c.received} connections got their message intact`);
    if (c.deflateAnswers !== (deflate ? n : 0))
      problems.push(
        `${at}: ${c.deflateAnswers} handshakes accepted permessage-deflate, the cell expects ${deflate ? 'all' : 'none'} (answers ${c.answers.map((a) => `"${a}"`).join(', ')})`,
      );
    // A compressible message crosses the wire smaller than itself only if it was compressed.
    if (c.received > 0 && c.wireBytes < c.messageBytes !== deflate)
      problems.push(
        `${at}: the messages took ${c.wireBytes} bytes on the wire for ${c.messageBytes} characters: ${deflate ? 'not compressed' : 'compressed'}, the cell expects ${deflate ? 'compressed' : 'plain'}`,
      );
  }
  return problems;
}
