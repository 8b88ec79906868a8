/**
 * Source search over the installed packages: grep's hits (same files, same lines as
 * `grep -rnI -F` / `grep -rnIP`), each told with its package@version, which copy of the code it is
 * (server, client, bundle, docs, tests) and the named function around it.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../core/paths';
import type { StackName } from '../core/params';
import { stackPackageDirs, type StackPackage } from '../core/stack-catalog';
import { classifyCopy, COPY_KINDS, PackageIndex, type CopyKind, type PackageRef, type Side } from './copy';
import { listFiles, TextReader, type IncludeFilter } from './files';
import { enclosingFunctions } from './functions';
import { makeMatcher, matchLines } from './match';
import { assertMeasuring } from '../core/replay';

export { COPY_KINDS, type CopyKind, type PackageRef, type Side } from './copy';
export { functionSource, numbered, sourceLines, type FunctionSource } from './functions';
export { SHOWN_LINE_CHARS } from './match';

/** Where to search. */
export interface SearchScope {
  /** Folders (or files) searched recursively, as grep -r's arguments; symlinks below them are not followed. */
  roots: string | readonly string[];
  /** Keeps a file when it returns true, given the file's path relative to its root (`lib/socket.js`). */
  include?: IncludeFilter;
  /** Package folders known to be the server's or the client's, as stackScope() gives them. */
  sides?: Readonly<Record<string, Side>>;
}

/** A scope and what to look for: a literal string, or a regex in JavaScript syntax. */
export type SearchQuery = SearchScope & ({ literal: string } | { regex: string | RegExp });

/** One matching line. */
export interface SearchHit {
  /** Absolute path of the file. */
  file: string;
  /** The file relative to the project (`node_modules/socket.io-2015/…`), or absolute when outside it. */
  path: string;
  /** 1-based line number, as grep -n counts. */
  line: number;
  /** 1-based column of the first match, in UTF-16 units of the line. */
  column: number;
  /** The line, or a part of it around the match with `…` where it is cut. */
  text: string;
  clipped: boolean;
  /** The package the file belongs to (nearest package.json with a name and version). */
  package: PackageRef | null;
  copy: CopyKind;
  /** The innermost named function whose body holds the match (`Socket.prototype.onError`), for JavaScript files. */
  enclosing: string | null;
}

const SCRIPT_FILE = /\.[cm]?[jt]sx?$/i;
// Bytes of a file's start given to the bundle test (see copy.ts).
const HEAD_BYTES = 4096;
// One reader for every search: its buffer, grown to the largest file read, is reused rather than
// faulted in afresh by each search (search is synchronous, so it is never shared at once).
const reader = new TextReader();

/** Searches the scope; hits come root by root, files sorted by name within each folder, lines ascending. */
export function search(query: SearchQuery): SearchHit[] {
  assertMeasuring('a search of node_modules');
  const matcher = makeMatcher('literal' in query ? { literal: query.literal } : { regex: query.regex });
  const roots = typeof query.roots === 'string' ? [query.roots] : query.roots;
  if (roots.length === 0) throw new Error('search: no roots given; pass a folder such as node_modules/socket.io-2015');
  const sides = new Map(Object.entries(query.sides ?? {}).map(([dir, side]) => [path.resolve(dir), side]));
  const packages = new PackageIndex();
  const hits: SearchHit[] = [];
  for (const { file } of listFiles(roots, query.include)) {
    const bytes = reader.read(file);
    if (!bytes) continue;
    const lines = matchLines(bytes, matcher);
    if (lines.length === 0) continue;
    // Everything below runs only for files with hits, while their bytes are still in the reader.
    const dir = path.dirname(file);
    const chain = packages.chain(dir);
    const copy = classifyCopy(file, chain, bytes.toString('utf8', 0, Math.min(bytes.length, HEAD_BYTES)), sides);
    const enclosing = SCRIPT_FILE.test(file)
      ? enclosingFunctions(
          bytes,
          lines.map((match) => match.offset),
        )
      : lines.map(() => null);
    const shownPath = displayPath(file);
    lines.forEach((match, i) => {
      hits.push({
        file,
        path: shownPath,
        line: match.line,
        column: match.column,
        text: match.text,
        clipped: match.clipped,
        package: chain[0] ?? null,
        copy,
        enclosing: enclosing[i],
      });
    });
  }
  return hits;
}

/** Hits grouped by copy, in the order a reader takes them: server, client, bundle, docs, tests, other. */
export function grouped(hits: readonly SearchHit[]): Record<CopyKind, SearchHit[]> {
  const groups = Object.fromEntries(COPY_KINDS.map((kind) => [kind, [] as SearchHit[]])) as Record<
    CopyKind,
    SearchHit[]
  >;
  for (const hit of hits) groups[hit.copy].push(hit);
  return groups;
}

const CLIENT_PACKAGES: readonly StackPackage[] = ['socket.io-client', 'engine.io-client', 'client ws'];

/** A stack's six package folders as search roots, each marked as the server's or the client's. */
export function stackScope(stack: StackName): { roots: string[]; sides: Record<string, Side> } {
  const dirs = stackPackageDirs(stack);
  const sides: Record<string, Side> = {};
  for (const [pkg, dir] of Object.entries(dirs) as Array<[StackPackage, string]>) {
    sides[dir] ??= CLIENT_PACKAGES.includes(pkg) ? 'client' : 'server'; // a folder on both sides stays the server's
  }
  // engine.io and ws usually sit inside the socket.io folder: search each folder once.
  const all = [...new Set(Object.values(dirs))];
  const roots = all.filter((dir) => !all.some((other) => other !== dir && dir.startsWith(other + path.sep)));
  return { roots, sides };
}

function displayPath(file: string): string {
  const relative = path.relative(PROJECT_ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
