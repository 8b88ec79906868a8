/**
 * Which package a file belongs to, and which copy of the code it is. The rules, in the order they
 * are tried (the first that applies wins):
 *
 * 1. docs: a Markdown file (`.md`, `.markdown`), a file named README, HISTORY, CHANGELOG, CHANGES,
 *    LICENSE/LICENCE, CONTRIBUTING or AUTHORS (any extension, any case), or a file under a
 *    `doc/` or `docs/` folder of its package.
 * 2. tests: a file under a `test/`, `tests/`, `__tests__/`, `spec/` or `specs/` folder of its
 *    package, or named `test.js`, `*.test.js`, `*-test.js`, `*_test.js`, `*.spec.js` (any JS
 *    or TS extension).
 * 3. bundle: a built file, i.e. a source map, a `*.min.js` or `*.bundle.js`, or a file whose code
 *    opens with a bundler's UMD wrapper: browserify's `!function(e){if("object"==typeof exports…`
 *    (the 2015 socket.io.js and engine.io.js), rollup's `(function (global, factory) {` (today's
 *    dist/ builds), webpack's `webpackUniversalModuleDefinition`. The folder name alone does not
 *    decide: socket.io 4 ships its server code in `dist/`.
 * 4. client or server, from the packages holding the file, innermost first: the first that is a
 *    known stack folder takes that folder's role (a stack's six package folders from
 *    src/core/stack-catalog.ts, when the search is scoped to a stack), and otherwise the first named
 *    socket.io-client or engine.io-client makes it the client's, socket.io or engine.io the
 *    server's. So a ws nested under engine.io-client is the client's ws, and ws or debug nested
 *    under the server, or installed beside engine.io inside the socket.io folder, are the server's.
 * 5. other: anything else, e.g. a standalone ws or typescript.
 * Package names are read from package.json, so npm aliases (`node_modules/socket.io-2015`) count
 * as the package they install (`socket.io`).
 */
import fs from 'node:fs';
import path from 'node:path';

export const COPY_KINDS = ['server', 'client', 'bundle', 'docs', 'tests', 'other'] as const;
/** Which copy of the code a hit is in; the rules are in the header of src/search/copy.ts. */
export type CopyKind = (typeof COPY_KINDS)[number];

/** The side of the connection a stack's package folder is on. */
export type Side = 'server' | 'client';

/** The package a file belongs to: name and version from its nearest package.json, and its folder. */
export interface PackageRef {
  name: string;
  version: string;
  dir: string;
}

const SERVER_PACKAGES = new Set(['socket.io', 'engine.io']);
const CLIENT_PACKAGES = new Set(['socket.io-client', 'engine.io-client']);
const DOC_NAMES = /^(readme|history|changelog|changes|license|licence|contributing|authors)(\.|$)/i;
const DOC_EXTENSIONS = /\.(md|markdown)$/i;
const DOC_FOLDERS = new Set(['doc', 'docs']);
const TEST_FOLDERS = new Set(['test', 'tests', '__tests__', 'spec', 'specs']);
const TEST_NAMES = /(^test|[._-]test|\.spec)\.[cm]?[jt]sx?$/i;
const BUILT_NAMES = /(\.min\.js|\.bundle\.js|\.map)$/i;
// How much of a file's start is read to recognise a bundler's wrapper (licence banners come first).
const HEAD_CHARS = 4096;
const BUNDLE_PRELUDES = [
  /^!function\s*\(\s*\w+\s*\)\s*\{\s*if\s*\(\s*"object"\s*==\s*typeof exports/, // browserify --standalone
  /^\(function\s*\(\s*global\s*,\s*factory\s*\)\s*\{/, // rollup UMD
  /^\(function webpackUniversalModuleDefinition\s*\(/, // webpack UMD
  /^require\s*=\s*\(?function\s+\w+\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*\)/, // browserify without --standalone
];

/**
 * Remembers package.json reads across the files of one search: thousands of files share a few
 * hundred packages.
 */
export class PackageIndex {
  private readonly byDir = new Map<string, PackageRef | null>();

  /** The nearest package.json with a name and a version at or above `dir`, or null. */
  owner(dir: string): PackageRef | null {
    const cached = this.byDir.get(dir);
    if (cached !== undefined) return cached;
    let found: PackageRef | null = this.read(dir);
    if (!found) {
      const parent = path.dirname(dir);
      found = parent === dir ? null : this.owner(parent);
    }
    this.byDir.set(dir, found);
    return found;
  }

  /** The chain of packages holding `dir`, innermost first. */
  chain(dir: string): PackageRef[] {
    const chain: PackageRef[] = [];
    for (let pkg = this.owner(dir); pkg; pkg = this.owner(path.dirname(pkg.dir))) {
      chain.push(pkg);
      if (path.dirname(pkg.dir) === pkg.dir) break;
    }
    return chain;
  }

  private read(dir: string): PackageRef | null {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      // Some packages carry name-less package.json files in subfolders (`{"type": "module"}`).
      if (typeof manifest.name === 'string' && typeof manifest.version === 'string')
        return { name: manifest.name, version: manifest.version, dir };
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    return null;
  }
}

/**
 * Classifies a file by the rules at the top of this file. `head` is the file's start, used only
 * to recognise a bundler's wrapper; `sides` maps known package folders to their side.
 */
export function classifyCopy(
  file: string,
  chain: readonly PackageRef[],
  head: string,
  sides?: ReadonlyMap<string, Side>,
): CopyKind {
  const owner = chain[0];
  const inPackage = owner ? path.relative(owner.dir, file) : path.basename(file);
  const folders = inPackage.split(path.sep).slice(0, -1);
  const base = path.basename(file);
  if (DOC_EXTENSIONS.test(base) || DOC_NAMES.test(base) || folders.some((f) => DOC_FOLDERS.has(f))) return 'docs';
  if (TEST_NAMES.test(base) || folders.some((f) => TEST_FOLDERS.has(f))) return 'tests';
  if (BUILT_NAMES.test(base) || isBundleHead(head)) return 'bundle';
  for (const pkg of chain) {
    const side = sides?.get(pkg.dir);
    if (side) return side;
    if (CLIENT_PACKAGES.has(pkg.name)) return 'client';
    if (SERVER_PACKAGES.has(pkg.name)) return 'server';
  }
  return 'other';
}

// Whether the code (after a banner comment, blank lines and "use strict") opens with a bundler's wrapper.
function isBundleHead(head: string): boolean {
  const code = head.slice(0, HEAD_CHARS).replace(/^(\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*|(['"])use strict\2;?)*/, '');
  return BUNDLE_PRELUDES.some((prelude) => prelude.test(code));
}
