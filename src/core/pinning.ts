/**
 * Pinning the load generator and the server to one core each (`taskset`), so that a capacity
 * figure is one core's worth of work on each side and neither steals the other's CPU. A process is
 * pinned with all its threads (`taskset -a`: zlib and libuv work in pool threads); a child forked
 * later inherits its parent's affinity, so the scenario's forked load generator re-pins itself to
 * the core named in LOADGEN_CPU_ENV (read by src/traffic/loadgen.ts).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Environment variable naming the core the forked load generator pins itself to. */
export const LOADGEN_CPU_ENV = 'DEFLATE_LAB_LOADGEN_CPU';

/** Which core each side of a capacity measurement runs on. */
export interface CorePlan {
  generator: number;
  server: number;
}

/** The cores used when pinning: the generator on the first, the server (or sink) on the second. */
export const CORES: CorePlan = { generator: 0, server: 1 };

/** Whether a measurement ran pinned, and if not, why not. */
export interface Pinning {
  pinned: boolean;
  /** The cores, when pinned. */
  cores?: CorePlan;
  /** Why it was not pinned (no taskset, one core, not asked). */
  reason?: string;
}

/** Why this machine cannot pin the two sides apart, or undefined when it can. */
export function cannotPin(): string | undefined {
  if (process.platform !== 'linux') return `taskset is Linux-only (this is ${process.platform})`;
  if (os.cpus().length < 2) return `pinning needs 2 cores, this machine has ${os.cpus().length}`;
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'taskset (util-linux) is not installed';
  }
  return undefined;
}

/** Pins process `pid` and all its threads to one core. */
export function pinProcess(pid: number, core: number): void {
  setAffinity(pid, String(core));
}

function setAffinity(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

/** Pins this process (all its threads) to `core`; returns the function that restores the cores it had. */
export function pinSelf(core: number): () => void {
  // `taskset -c -p PID` answers "pid N's current affinity list: 0,1".
  const before = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' })
    .split(':')
    .pop();
  const cpuList = before?.trim() || `0-${os.cpus().length - 1}`;
  setAffinity(process.pid, String(core));
  return () => setAffinity(process.pid, cpuList);
}

/** In a forked load generator: pins this process to the core its parent named in LOADGEN_CPU_ENV, if any. */
export function pinLoadGeneratorFromEnv(): void {
  const core = process.env[LOADGEN_CPU_ENV];
  if (core !== undefined && /^\d+$/.test(core)) pinProcess(process.pid, Number(core));
}
