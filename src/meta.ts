/** Run metadata: what a reader needs to trust a number measured on some machine, some day. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { PROJECT_ROOT } from './paths';
import { installedVersions } from './stacks/catalog';

export interface RunMeta {
  date: string;
  /** `git rev-parse HEAD`, or `unknown` outside a checkout. */
  commit: string;
  /** Whether tracked files differed from the commit when the run started. */
  dirty: boolean;
  node: string;
  cpuModel: string;
  cores: number;
  platform: string;
  /** Resolved versions of every installed stack package, keyed `<stack>/<package>`. */
  versions: Record<string, string>;
  /** 1-minute load average when the record was made: these machines are shared, so say how busy. */
  loadAverage: number;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

let cached: Omit<RunMeta, 'date' | 'loadAverage'> | undefined;

/** Collects run metadata; the slow parts (git, package reads) are read once per process. */
export function runMeta(): RunMeta {
  cached ??= {
    commit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    node: process.version,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    versions: installedVersions(),
  };
  return { date: new Date().toISOString(), loadAverage: Number(os.loadavg()[0].toFixed(2)), ...cached };
}
