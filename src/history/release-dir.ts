/**
 * Where a release of a package chapter 9 runs at several versions is: the root install's folder for
 * the root's own version, the version cache's for every other.
 */
import { PROJECT_ROOT } from '../core/paths';
import { packageDir, STACKS, versionAt } from '../core/stack-catalog';
import { versionPackageDir } from '../core/version-cache';

// Looked up when asked, not at import: a missing root package is named by the call that needs it.
const ROOT_DIRS = {
  ws: () => packageDir('ws', PROJECT_ROOT),
  'socket.io': () => STACKS.today.serverDir,
  'socket.io-client': () => STACKS.today.clientDir,
} as const;

/** A package with a root install and releases in the version cache. */
export type ReleasePackage = keyof typeof ROOT_DIRS;

/** The version of the root's install of `name` (today's, in node_modules). */
export function rootVersion(name: ReleasePackage): string {
  return versionAt(ROOT_DIRS[name]());
}

/** The folder of `name` at `version`, for a process to require: the root's, or the cache's (throws if not installed). */
export function releaseDir(name: ReleasePackage, version: string): string {
  const root = ROOT_DIRS[name]();
  return versionAt(root) === version ? root : versionPackageDir(name, version);
}
