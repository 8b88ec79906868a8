/**
 * The version cache: published socket.io, engine.io, socket.io-client and ws releases installed side
 * by side, one folder per name@version, outside the root install.
 *
 * - The pinned set is a committed lockfile per release under src/stacks/versions/<name>@<version>/;
 *   `scripts/setup` installs each into the cache with `npm ci` (scripts/install-versions).
 * - Any other published release is installed on demand by `ensureVersion`, from the npm registry
 *   only, and npm writes its lockfile beside it in the cache.
 * - An entry is complete or absent: it is installed in a temporary folder and renamed into place.
 *
 * Why not npm aliases in package.json: every alias grows the root install and npm applies overrides
 * across the whole tree (docs/stacks.md); a folder per release keeps each one's own dependencies.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InputError, NamedError } from './errors';
import { PROJECT_ROOT } from './paths';

/** The packages the cache takes. Anything else is refused: the cache is for these stacks only. */
export const CACHED_PACKAGES = ['socket.io', 'engine.io', 'socket.io-client', 'ws'] as const;
export type CachedPackage = (typeof CACHED_PACKAGES)[number];

/** Environment variable that moves the cache (tests install into a temporary one). */
export const VERSION_CACHE_ENV = 'DEFLATE_LAB_VERSION_CACHE';
/** The committed lockfiles of the pinned set, one folder per name@version. */
export const PINNED_VERSIONS_DIR = path.join(PROJECT_ROOT, 'src', 'stacks', 'versions');
/** Written into an entry's node_modules after a complete install, as scripts/setup's `npm ci` does. */
const INSTALLED_STAMP = '.deflate-lab-installed-lock';

const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The release is not in the cache and this caller may not install it (replay, a spot check). */
export class VersionNotInstalled extends NamedError {}

export function versionCacheDir(): string {
  return path.resolve(process.env[VERSION_CACHE_ENV] ?? path.join(PROJECT_ROOT, '.cache', 'versions'));
}

/** `name@version`, checked: a one-line error names the parameter's accepted form otherwise. */
export function versionKey(name: string, version: string): string {
  if (!(CACHED_PACKAGES as readonly string[]).includes(name)) {
    throw new InputError(
      `package "${name}" is not one the version cache takes: use one of ${CACHED_PACKAGES.join(', ')}`,
    );
  }
  if (!EXACT_VERSION.test(version)) {
    throw new InputError(`version "${version}" of ${name} is not an exact published version: use the form 2.4.0`);
  }
  return `${name}@${version}`;
}

/** Parses `name@version` (as a notebook's parameters cell names a release). */
export function parseVersionKey(key: string): { name: CachedPackage; version: string } {
  const at = key.lastIndexOf('@');
  if (at <= 0) throw new InputError(`"${key}" does not name a release: use the form socket.io@2.4.0`);
  const name = key.slice(0, at);
  const version = key.slice(at + 1);
  versionKey(name, version);
  return { name: name as CachedPackage, version };
}

function entryDir(name: string, version: string): string {
  return path.join(versionCacheDir(), versionKey(name, version));
}

/** Whether the release is installed completely in the cache. */
export function isInstalled(name: string, version: string): boolean {
  return fs.existsSync(path.join(entryDir(name, version), 'node_modules', INSTALLED_STAMP));
}

/** The pinned set: every name@version with a committed lockfile. */
export function pinnedVersions(): { name: CachedPackage; version: string }[] {
  if (!fs.existsSync(PINNED_VERSIONS_DIR)) return [];
  return fs
    .readdirSync(PINNED_VERSIONS_DIR)
    .filter((entry) => fs.existsSync(path.join(PINNED_VERSIONS_DIR, entry, 'package-lock.json')))
    .map(parseVersionKey)
    .sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
}

/** Semver order of exact versions (pre-releases before their release), enough to order a bisection's range. */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => {
    const [release, pre] = version.split(/-(.*)/s);
    return { parts: release.split('.').map(Number), pre };
  };
  const left = parse(a);
  const right = parse(b);
  for (let i = 0; i < 3; i++) if (left.parts[i] !== right.parts[i]) return left.parts[i] - right.parts[i];
  if (left.pre === right.pre) return 0;
  if (left.pre === undefined) return 1;
  if (right.pre === undefined) return -1;
  return left.pre.localeCompare(right.pre, 'en', { numeric: true });
}

/** The installed package's folder (for a child process to require, or to read its files). */
export function versionPackageDir(name: string, version: string): string {
  if (!isInstalled(name, version)) {
    throw new VersionNotInstalled(
      `${versionKey(name, version)} is not in the version cache (${versionCacheDir()}): run scripts/setup, or name it in a live run to install it`,
    );
  }
  return path.join(entryDir(name, version), 'node_modules', name);
}

/** A release loaded one of its own dependencies from outside its folder in the cache. */
export class VersionIsolationError extends NamedError {}

/** The package a file under node_modules belongs to (`@scope/name` or `name`), or undefined. */
function packageOfFile(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = file.slice(at + marker.length).split(path.sep);
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Every package name an entry's lockfile installs. */
function lockedPackages(name: string, version: string): Set<string> {
  const lock = JSON.parse(fs.readFileSync(path.join(entryDir(name, version), 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, unknown>;
  };
  return new Set(
    Object.keys(lock.packages ?? {})
      .map((key) => packageOfFile(path.sep + key))
      .filter((p) => p !== undefined),
  );
}

/**
 * Loads an installed release's main module, with its own dependencies. Node resolves a module an
 * entry lacks by walking up the folders, which from .cache/ reaches the root's node_modules: a
 * release published with a file missing would quietly run on today's copy of that package. So any
 * package of the release's own lockfile loaded from outside its entry is an error. (An optional
 * module it only tries, such as debug's supports-color, is not in its lockfile and may come from
 * anywhere, as it would in a user's install.)
 */
export function requireVersion<T = unknown>(name: string, version: string): T {
  const dir = versionPackageDir(name, version);
  const entry = path.join(entryDir(name, version), path.sep);
  const before = new Set(Object.keys(require.cache));
  const loaded = createRequire(path.join(dir, 'package.json'))(dir) as T;
  const own = lockedPackages(name, version);
  const strayed = Object.keys(require.cache).find((file) => {
    if (before.has(file) || file.startsWith(entry)) return false;
    const pkg = packageOfFile(file);
    return pkg !== undefined && own.has(pkg);
  });
  if (strayed !== undefined) {
    throw new VersionIsolationError(
      `${versionKey(name, version)} loaded ${strayed} from outside its folder in the version cache: its install is incomplete`,
    );
  }
  return loaded;
}

/** The version of `moduleName` an installed release resolved (its lockfile pinned it). */
export function resolvedVersion(name: string, version: string, moduleName: string): string {
  const require = createRequire(path.join(versionPackageDir(name, version), 'package.json'));
  return (require(`${moduleName}/package.json`) as { version: string }).version;
}

function runNpm(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

const NPM_FLAGS = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--fetch-retries=1'];

/**
 * Installs the release into the cache unless it is there: from its committed lockfile when it is in
 * the pinned set, otherwise from the npm registry, with npm writing its lockfile beside it. Returns
 * whether it installed anything. A release that cannot be installed throws a one-line InputError
 * naming it, and leaves nothing in the cache.
 */
export async function ensureVersion(name: string, version: string): Promise<{ installed: boolean; dir: string }> {
  const key = versionKey(name, version);
  if (isInstalled(name, version)) return { installed: false, dir: versionPackageDir(name, version) };
  const cache = versionCacheDir();
  fs.mkdirSync(cache, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cache, `.installing-${key}-`));
  try {
    const pinned = path.join(PINNED_VERSIONS_DIR, key);
    if (fs.existsSync(path.join(pinned, 'package-lock.json'))) {
      for (const file of ['package.json', 'package-lock.json'])
        fs.copyFileSync(path.join(pinned, file), path.join(staging, file));
      await installOrRefuse(key, ['ci', ...NPM_FLAGS], staging);
    } else {
      fs.writeFileSync(
        path.join(staging, 'package.json'),
        JSON.stringify(entryManifest(name, version), null, 2) + '\n',
      );
      await installOrRefuse(key, ['install', '--save-exact', ...NPM_FLAGS], staging);
    }
    const got = (
      JSON.parse(fs.readFileSync(path.join(staging, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    if (got !== version) throw new InputError(`${key} could not be installed: npm installed ${name}@${got}`);
    fs.copyFileSync(path.join(staging, 'package-lock.json'), path.join(staging, 'node_modules', INSTALLED_STAMP));
    const target = path.join(cache, key);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    return { installed: true, dir: versionPackageDir(name, version) };
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

async function installOrRefuse(key: string, args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await runNpm(args, cwd);
  if (code === 0) return;
  // npm's second line says why (`notarget No matching version found for ws@9.9.9.`); its first is a bare code.
  const lines = stderr.split('\n').map((line) => line.replace(/^npm (error|ERR!) /, '').trim());
  const reason =
    lines.find((line) => /^(notarget|404|E404) /.test(line)) ??
    lines.find((line) => line !== '') ??
    `npm exited ${code}`;
  throw new InputError(
    `${key} could not be installed from the npm registry: ${reason.replace(/^(notarget|404|E404) /, '')}`,
  );
}

/**
 * The manifest of an on-demand entry: the release alone, with the root's overrides, which send the
 * GitHub tarballs some 2015–2017 clients list to registry packages (docs/stacks.md).
 */
function entryManifest(name: string, version: string): object {
  const root = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { overrides?: object };
  return {
    name: `deflate-lab-version-${name.replace(/\W/g, '-')}-${version}`,
    private: true,
    description: `${name}@${version} in deflate-lab's version cache`,
    dependencies: { [name]: version },
    overrides: root.overrides ?? {},
  };
}

/**
 * Adds a release to the pinned set: writes its manifest and a lockfile resolved from the npm
 * registry (no install) under src/stacks/versions/, for scripts/setup to install from.
 */
export async function pinVersion(name: string, version: string): Promise<string> {
  const key = versionKey(name, version);
  const target = path.join(PINNED_VERSIONS_DIR, key);
  fs.mkdirSync(PINNED_VERSIONS_DIR, { recursive: true });
  const staging = fs.mkdtempSync(path.join(PINNED_VERSIONS_DIR, `.pinning-${key}-`));
  try {
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify(entryManifest(name, version), null, 2) + '\n');
    await installOrRefuse(key, ['install', '--package-lock-only', '--save-exact', ...NPM_FLAGS], staging);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    return target;
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
