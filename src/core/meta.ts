/** Run metadata: what a reader needs to trust a number measured on some machine, some day. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { PROJECT_ROOT } from './paths';
import { installedVersions } from './stack-catalog';

export interface RunMeta {
  date: string;
  /** `git rev-parse HEAD`, or `unknown` outside a checkout. */
  commit: string;
  /**
   * Whether the code (CODE_PATHS: sources, notebooks, package files) differed from the commit when
   * the record was written; changes under `data/` do not count.
   */
  dirty: boolean;
  node: string;
  cpuModel: string;
  cores: number;
  platform: string;
  /** Resolved versions of every installed stack package, keyed `<stack>/<package>`. */
  versions: Record<string, string>;
  /**
   * 1-minute load average: these machines are shared, so say how busy. In a gated recording
   * (sweep, long run, bench, capacity), the gate's reading before the recording's first run, so
   * that it measures the machine rather than the recording's own work; otherwise when the record
   * was made. `loadAverageRead` says which.
   */
  loadAverage: number;
  loadAverageRead: 'before-recording' | 'at-record';
}

function git(args: string[], root: string): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** What a record's `dirty` flag judges: the code that measured it, not the data it sits beside. */
export const CODE_PATHS = ['src', 'notebooks', 'package.json', 'package-lock.json'];

/**
 * The commit checked out in `root` and whether the code differs from it, read now: a recording
 * that lasts an hour may see the code change under it, and its records must say so one by one.
 */
export function codeState(root: string = PROJECT_ROOT): Pick<RunMeta, 'commit' | 'dirty'> {
  return {
    commit: git(['rev-parse', 'HEAD'], root) ?? 'unknown',
    dirty: (git(['status', '--porcelain', '--untracked-files=no', '--', ...CODE_PATHS], root) ?? '') !== '',
  };
}

let cached: Omit<RunMeta, 'date' | 'loadAverage' | 'loadAverageRead' | 'commit' | 'dirty'> | undefined;

/**
 * Environment variable that hands the gate's reading to the processes a recording starts (the
 * kernels of `npm run record-replay`), so that their records keep it too.
 */
export const RECORDING_LOAD_AVERAGE_ENV = 'DEFLATE_LAB_RECORDING_LOAD_AVERAGE';

function inheritedReading(): number | undefined {
  const raw = process.env[RECORDING_LOAD_AVERAGE_ENV];
  return raw === undefined || raw === '' || !Number.isFinite(Number(raw)) ? undefined : Number(raw);
}

/** The load average the recording gate read in this process (or its recorder), kept for every record it makes. */
let recordingLoadAverage: number | undefined = inheritedReading();

/** Called by the recording gate with its reading, before the recording's first run. */
export function keepRecordingLoadAverage(loadAverage: number): void {
  recordingLoadAverage = Number(loadAverage.toFixed(2));
  process.env[RECORDING_LOAD_AVERAGE_ENV] = String(recordingLoadAverage);
}

/** Collects run metadata: the code's state per call, the machine and package versions once per process. */
export function runMeta(): RunMeta {
  cached ??= {
    node: process.version,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    versions: installedVersions(),
  };
  const load =
    recordingLoadAverage === undefined
      ? { loadAverage: Number(os.loadavg()[0].toFixed(2)), loadAverageRead: 'at-record' as const }
      : { loadAverage: recordingLoadAverage, loadAverageRead: 'before-recording' as const };
  return { date: new Date().toISOString(), ...load, ...codeState(), ...cached };
}

/** A record's load average in words: the figure and when it was read (records made before the gate kept it: at the record). */
export function loadAverageText(
  meta: Pick<RunMeta, 'loadAverage'> & Partial<Pick<RunMeta, 'loadAverageRead'>>,
): string {
  return `load average ${meta.loadAverage} ${meta.loadAverageRead === 'before-recording' ? 'before the recording began' : 'when the record was made'}`;
}
