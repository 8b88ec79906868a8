/**
 * Faults injected into one scenario run, to check that a run under failure still ends within its
 * bound and records why on both sides: wire faults through the loopback proxy (./proxy.ts), and
 * process faults (the forked load generator killed, the stack's server closed) during sending.
 */
import type { ChildProcess } from 'node:child_process';
import { CONNECT_DEADLINE_MS } from '../core/timing';
import { KiB, MiB } from '../core/params';
import type { StackServer } from '../stacks/types';
import { startFaultProxy, type FaultProxy, type ProxyStats, type WireFault } from './fault-proxy';
import { InputError } from '../core/errors';

export type { WireFault } from './fault-proxy';

/** A fault in a process, `afterMs` into the send window. */
export type ProcessFault =
  /** SIGKILL to the forked load generator (placement `forked` only). */
  | { kind: 'kill-clients'; afterMs: number }
  /** The stack's server closed (every socket and the port), as a process shutting down would. */
  | { kind: 'close-server'; afterMs: number };

/** One fault for a run. */
export type Fault = WireFault | ProcessFault;

// Keyed by kind so that the compiler insists on every kind, and the error below lists them all.
const KINDS: Record<Fault['kind'], true> = {
  latency: true,
  split: true,
  merge: true,
  reset: true,
  'kill-clients': true,
  'close-server': true,
};

/** Inclusive bounds of every fault setting; `afterMs` must also fall inside the send window. */
export const FAULT_BOUNDS = {
  // A WebSocket handshake crosses the proxy twice (and TCP set-up once more) within the connect deadline.
  latencyMs: { min: 1, max: Math.floor(CONNECT_DEADLINE_MS / 3) },
  // A read is rarely larger than 64 KiB, so a larger split would split nothing.
  splitBytes: { min: 1, max: 64 * KiB },
  mergeWindowMs: { min: 1, max: 1000 },
  resetAfterBytes: { min: 1, max: 1024 * MiB },
  afterMs: { min: 0 },
} as const;

/** Thrown for a fault that cannot apply to the run; the message says what to change. */
export class FaultError extends InputError {}

function within(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FaultError(`fault ${what}: ${value} is out of range: use a whole number from ${min} to ${max}`);
  }
}

/** Checks a fault against its bounds and the run it is for; throws a one-line FaultError. */
export function checkFault(fault: Fault, run: { duration: number; placement: 'in-process' | 'forked' }): void {
  const b = FAULT_BOUNDS;
  switch (fault.kind) {
    case 'latency':
      return within('latency ms', fault.ms, b.latencyMs.min, b.latencyMs.max);
    case 'split':
      return within('split bytes', fault.bytes, b.splitBytes.min, b.splitBytes.max);
    case 'merge':
      return within('merge windowMs', fault.windowMs, b.mergeWindowMs.min, b.mergeWindowMs.max);
    case 'reset':
      return within('reset afterBytes', fault.afterBytes, b.resetAfterBytes.min, b.resetAfterBytes.max);
    case 'kill-clients':
      if (run.placement !== 'forked')
        throw new FaultError(`fault kill-clients: the clients run in this process: use placement 'forked'`);
      return within('kill-clients afterMs', fault.afterMs, b.afterMs.min, run.duration - 1);
    case 'close-server':
      return within('close-server afterMs', fault.afterMs, b.afterMs.min, run.duration - 1);
    default:
      throw new FaultError(
        `unknown fault '${(fault as { kind: string }).kind}': use one of ${Object.keys(KINDS).join(', ')}`,
      );
  }
}

/** What a fault did in a run, for its record: a run with injected failures must say so. */
export interface FaultResult {
  fault: Fault;
  /** Epoch ms a one-shot fault (reset, kill, close) struck; null for a continuous one, or if it never struck. */
  struckAt: number | null;
  /** What was done, in words. */
  detail: string;
  /** Wire faults: what the proxy forwarded and did. */
  proxy?: ProxyStats;
}

/** A fault armed for one run. */
export interface ActiveFault {
  /** Where the clients connect: the proxy for a wire fault, else the server itself. */
  url: string;
  /** Call when sending starts: a process fault strikes `afterMs` later. */
  sendingStarted(): void;
  /** Call with the forked load generator, the target of kill-clients. */
  loadGenerator(child: ChildProcess): void;
  /** Disarms the fault (timers, proxy) and says what it did. */
  finish(): Promise<FaultResult>;
}

function describeWire(fault: WireFault, stats: ProxyStats): string {
  const lanes = `${stats.connections} connections; up ${stats.up.bytes} B in ${stats.up.reads} reads, ${stats.up.writes} writes; down ${stats.down.bytes} B in ${stats.down.reads} reads, ${stats.down.writes} writes`;
  switch (fault.kind) {
    case 'latency':
      return `every chunk held ${fault.ms} ms by the proxy: ${lanes}`;
    case 'split':
      return `every chunk written in ${fault.bytes}-byte segments by the proxy: ${lanes}`;
    case 'merge':
      return `chunks within ${fault.windowMs} ms merged by the proxy: ${lanes}`;
    case 'reset':
      return stats.resets.length > 0
        ? `connection ${stats.resets[0].connection} reset (RST both ways) after ${fault.afterBytes} B client → server: ${lanes}`
        : `no connection reached ${fault.afterBytes} B client → server, so none was reset: ${lanes}`;
  }
}

/** Arms `fault` against a running stack server. */
export async function injectFault(fault: Fault, server: StackServer): Promise<ActiveFault> {
  if (fault.kind === 'kill-clients' || fault.kind === 'close-server') {
    let timer: NodeJS.Timeout | undefined;
    let child: ChildProcess | undefined;
    let struckAt: number | null = null;
    let detail = 'never struck: sending did not start';
    const strike = () => {
      if (fault.kind === 'close-server') {
        struckAt = Date.now();
        detail = `the stack's server closed ${fault.afterMs} ms into sending`;
        void server.close();
      } else if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        struckAt = Date.now();
        detail = `SIGKILL sent to the load generator (pid ${child.pid}) ${fault.afterMs} ms into sending`;
        child.kill('SIGKILL');
      } else detail = 'never struck: the load generator had already exited';
    };
    return {
      url: server.url,
      sendingStarted: () => {
        if (timer !== undefined) return;
        detail = 'never struck: the run ended first';
        timer = setTimeout(strike, fault.afterMs);
      },
      loadGenerator: (c) => {
        child = c;
      },
      finish: async () => {
        clearTimeout(timer);
        return { fault: fault, struckAt: struckAt, detail: detail };
      },
    };
  }
  const proxy: FaultProxy = await startFaultProxy(server.port, fault);
  return {
    url: proxy.url,
    sendingStarted: () => undefined,
    loadGenerator: () => undefined,
    finish: async () => {
      await proxy.close();
      const stats = proxy.stats;
      return { fault: fault, struckAt: stats.resets[0]?.t ?? null, detail: describeWire(fault, stats), proxy: stats };
    },
  };
}
