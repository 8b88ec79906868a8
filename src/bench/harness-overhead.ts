/**
 * Harness overhead: frames per second delivered through the scenario API, against a bare socket.io
 * emit loop of the same stack, payload, duration and send pattern (the same ticks and bursts), with
 * nothing of the harness around it: no checksum verification, no wire observer, no
 * instrumentation, no record. The demand is set above what the machine can carry, so the CPU the
 * harness adds shows up as fewer frames delivered.
 */
import type { PayloadKind, StackName } from '../core/params';
import { KiB } from '../core/params';
import { payload } from '../traffic/payloads';
import { runScenario } from '../traffic/scenario';
import { loadStack } from '../stacks';
import type { ClientSocket } from '../stacks/types';
import { median } from '../core/stats';

/** Every millisecond, this many frames: far above what one client and server on 2 cores carry. */
export const OVERHEAD_RATE = 1000;
export const OVERHEAD_BURST = 20;

export interface OverheadOptions {
  stack: StackName;
  payload: PayloadKind;
  frameSize: number;
  durationMs: number;
}

export const DEFAULT_OVERHEAD: OverheadOptions = {
  stack: 'today',
  payload: 'json',
  frameSize: 1 * KiB,
  durationMs: 5000,
};

/** Measured pairs, alternating which side runs first: on a shared machine one pair is noise. */
export const OVERHEAD_PAIRS = 3;

export interface OverheadPair {
  scenarioPerSecond: number;
  barePerSecond: number;
  ratio: number;
}

export interface OverheadResult extends OverheadOptions {
  pairs: OverheadPair[];
  /** Median over pairs of scenario ÷ bare; the goal is ≥ 0.9. */
  ratio: number;
}

async function bareLoop(options: OverheadOptions): Promise<number> {
  const stack = loadStack(options.stack);
  const server = await stack.createServer({ deflate: 'default' });
  let delivered = 0;
  server.onConnection((socket) => {
    socket.on('frame', (_meta: unknown, _data: unknown, ack: unknown) => {
      delivered++;
      if (typeof ack === 'function') ack({ ok: true });
    });
  });
  const frame = payload(options.payload, options.frameSize, 1, 0);
  let client: ClientSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    client = stack.connect(server.url, { reconnection: false, reconnectionDelay: 0 });
    const socket = client;
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', (error: Error) => reject(error));
    });
    let seq = 0;
    const started = Date.now();
    timer = setInterval(() => {
      for (let b = 0; b < OVERHEAD_BURST; b++) socket.emit('frame', { seq: seq++ }, frame.data, () => undefined);
    }, 1000 / OVERHEAD_RATE);
    await new Promise((resolve) => setTimeout(resolve, options.durationMs));
    clearInterval(timer);
    return delivered / ((Date.now() - started) / 1000);
  } finally {
    clearInterval(timer);
    client?.disconnect();
    await server.close();
  }
}

async function throughScenario(options: OverheadOptions): Promise<number> {
  const record = await runScenario(
    {
      stack: options.stack,
      client: 'socket.io',
      payload: options.payload,
      frameSize: options.frameSize,
      fragmentSize: options.frameSize,
      rate: OVERHEAD_RATE,
      clients: 1,
      burst: OVERHEAD_BURST,
      deflate: 'default',
      duration: options.durationMs,
      seed: 1,
      placement: 'in-process',
    },
    { record: false },
  );
  return record.result.delivered / (record.result.loadMs / 1000);
}

/** Measures OVERHEAD_PAIRS pairs, alternating the order, and returns every pair and the median ratio. */
export async function benchHarnessOverhead(
  options: OverheadOptions = DEFAULT_OVERHEAD,
  pairCount = OVERHEAD_PAIRS,
): Promise<OverheadResult> {
  const pairs: OverheadPair[] = [];
  for (let i = 0; i < pairCount; i++) {
    let barePerSecond: number;
    let scenarioPerSecond: number;
    if (i % 2 === 0) {
      barePerSecond = await bareLoop(options);
      scenarioPerSecond = await throughScenario(options);
    } else {
      scenarioPerSecond = await throughScenario(options);
      barePerSecond = await bareLoop(options);
    }
    pairs.push({ scenarioPerSecond, barePerSecond, ratio: scenarioPerSecond / barePerSecond });
  }
  return { ...options, pairs, ratio: median(pairs.map((p) => p.ratio)) };
}
