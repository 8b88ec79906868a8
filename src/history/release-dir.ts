/** Where a ws release is: the root install's ws for its own version, the version cache for every other. */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/paths';
import { packageDir } from '../core/stack-catalog';
import { versionPackageDir } from '../core/version-cache';

/** The version of the root's ws (today's, in node_modules). */
export function rootWsVersion(): string {
  const dir = packageDir('ws', PROJECT_ROOT);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The folder of ws `version`, for a child process to require: the root's, or the cache's (throws if not installed). */
export function wsPackageDir(version: string): string {
  return version === rootWsVersion() ? packageDir('ws', PROJECT_ROOT) : versionPackageDir('ws', version);
}
