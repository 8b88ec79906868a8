/**
 * How busy the machine was around a recorded run, and the gate that keeps committed data from
 * being recorded on a busy one. On 2 cores, anything else running (tests, builds, another session)
 * takes CPU from the server and the clients, and the numbers show it; so a recorder refuses to
 * start when the 1-min load average is above half the cores, and every record keeps the load
 * average before its run and the CPU time that processes outside the run used during it.
 *
 * The CPU figure is read from Linux's /proc (there is no package for "CPU used by everything but
 * my process tree"): the machine's busy time from /proc/stat, minus this process and its
 * descendants from /proc/<pid>/stat. Elsewhere it is null.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keepRecordingLoadAverage } from './meta';
import { COMMITTED_DATA_DIR } from './paths';
import { NamedError } from './errors';
import { PROC_TICKS_PER_SECOND } from './process-cpu';

/** How busy the machine was around one run. */
export interface MachineLoad {
  /** 1-minute load average just before the run. */
  loadAverageBefore: number;
  /** CPU ms used during the run by processes outside the run's own process tree; null off Linux. */
  otherCpuMs: number | null;
  /** CPU ms the run's own process tree used (this process, its children and theirs); null off Linux. */
  ownCpuMs: number | null;
  /** The wall time the figure covers, ms. */
  wallMs: number;
}

/** Flag that lets a recorder run on a busy machine; the record still keeps the figures. */
export const ALLOW_BUSY_FLAG = '--allow-busy';

/** Thrown when committed data would be recorded on a busy machine; the message says what to do. */
export class BusyMachineError extends NamedError {}

/** The load average above which recording is refused: half the cores. */
export function busyThreshold(cores: number): number {
  return cores / 2;
}

/**
 * Cores' worth of CPU that processes outside the run used during it, on average: the run's own
 * measure of a busy machine. (In a sweep, the 1-min load average before a run also counts the
 * sweep's previous runs; this does not.) Null when not measured.
 */
export function othersCores(load: MachineLoad): number | null {
  return load.otherCpuMs === null || load.wallMs <= 0 ? null : load.otherCpuMs / load.wallMs;
}

/** Why the machine is too busy to record on (a one-line reason), or undefined when it is quiet enough. */
export function busyReason(loadAverage: number, cores: number): string | undefined {
  const limit = busyThreshold(cores);
  if (loadAverage <= limit) return undefined;
  return (
    `the 1-min load average is ${loadAverage.toFixed(2)} on ${cores} cores, above half the cores (${limit}): ` +
    `stop other work and wait until it falls, or pass ${ALLOW_BUSY_FLAG} to record anyway (the record keeps the figure)`
  );
}

/** Whether `dir` is the committed data dir (`data/`), the only one the gate guards: scratch dirs are not gated. */
export function isCommittedDataDir(dir: string): boolean {
  return path.resolve(dir) === COMMITTED_DATA_DIR;
}

/**
 * Checks the load average once, before a recorder's first run, and keeps the reading for every
 * record the recording makes (see RunMeta.loadAverage): throws BusyMachineError when it writes
 * into the committed data dir on a busy machine and `allowBusy` was not given.
 */
export function assertQuietMachine(dir: string, allowBusy: boolean): void {
  const loadAverage = os.loadavg()[0];
  keepRecordingLoadAverage(loadAverage);
  if (allowBusy || !isCommittedDataDir(dir)) return;
  const reason = busyReason(loadAverage, os.cpus().length);
  if (reason) throw new BusyMachineError(reason);
}

/** Busy clock ticks of the whole machine: every CPU state but idle and iowait (guest time is inside user). */
function machineBusyTicks(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + (steal || 0);
}

interface ProcessTicks {
  ppid: number;
  /** utime + stime + cutime + cstime: its own CPU and that of its children it has reaped. */
  ticks: number;
}

function readProcess(pid: string): ProcessTicks | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return { ppid: Number(fields[1]), ticks: utime + stime + cutime + cstime };
  } catch {
    return undefined; // it ended while the table was read
  }
}

/** CPU ticks of this process and all its live descendants (loadgen, sweep workers, Chromium, …). */
function ownTreeTicks(): number {
  const processes = new Map<number, ProcessTicks>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(entry);
    if (info) processes.set(Number(entry), info);
  }
  const inTree = new Set([process.pid]);
  // Parents usually have lower pids, but not always after wrap-around: repeat until nothing is added.
  for (let added = true; added;) {
    added = false;
    for (const [pid, info] of processes) {
      if (!inTree.has(pid) && inTree.has(info.ppid)) {
        inTree.add(pid);
        added = true;
      }
    }
  }
  let total = 0;
  for (const pid of inTree) total += processes.get(pid)?.ticks ?? 0;
  return total;
}

interface Snapshot {
  machine: number;
  own: number;
}

function snapshot(): Snapshot | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return { machine: machineBusyTicks(), own: ownTreeTicks() };
  } catch {
    return undefined;
  }
}

/** Starts watching; `finish()` returns how busy the machine was since, outside this process tree. */
export function watchMachineLoad(): { finish(): MachineLoad } {
  const loadAverageBefore = Number(os.loadavg()[0].toFixed(2));
  const started = performance.now();
  const before = snapshot();
  return {
    finish(): MachineLoad {
      const after = before && snapshot();
      const ms = (ticks: number) => Math.max(0, Math.round((ticks * 1000) / PROC_TICKS_PER_SECOND));
      const ownTicks = before && after ? after.own - before.own : undefined;
      return {
        loadAverageBefore: loadAverageBefore,
        otherCpuMs: before && after && ownTicks !== undefined ? ms(after.machine - before.machine - ownTicks) : null,
        ownCpuMs: ownTicks === undefined ? null : ms(ownTicks),
        wallMs: Math.round(performance.now() - started),
      };
    },
  };
}
