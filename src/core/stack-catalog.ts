/**
 * Where each stack's packages are installed and which versions it must resolve to. Only file
 * reads here: loading a stack is src/stacks/index.ts's job, so metadata can be collected without
 * starting anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NODE_MODULES, PROJECT_ROOT } from './paths';
import { STACK_NAMES, type StackName } from './params';

/** The packages of one stack whose versions decide the 2015 failure. */
export type StackPackage = 'socket.io' | 'engine.io' | 'ws' | 'socket.io-client' | 'engine.io-client' | 'client ws';

export interface StackEntry {
  name: StackName;
  /** The folder of the server's socket.io package. */
  serverDir: string;
  /** The folder of the matching Node socket.io-client package. */
  clientDir: string;
  /** engine.io protocol revision the stack speaks: 3 for 1.x, 4 for today. */
  eio: 3 | 4;
  /** Exact versions the stack must load; checked when the stack is loaded. */
  expected: Partial<Record<StackPackage, string>>;
  /** Whether the server offers permessage-deflate when left to its defaults. */
  deflateByDefault: boolean;
}

/** socket.io 1.3.7 with ws 0.8.1 has its own install, with its own lockfile and npm overrides. */
export const STACK_2015_WS081_DIR = path.join(PROJECT_ROOT, 'src', 'stacks', '2015-ws081');

export const STACKS: Record<StackName, StackEntry> = {
  '2015': {
    name: '2015',
    serverDir: path.join(NODE_MODULES, 'socket.io-2015'),
    clientDir: path.join(NODE_MODULES, 'socket.io-client-2015'),
    eio: 3,
    expected: {
      'socket.io': '1.3.7',
      'engine.io': '1.5.4',
      ws: '0.8.0',
      'socket.io-client': '1.3.7',
      'engine.io-client': '1.5.4',
      'client ws': '0.8.0',
    },
    deflateByDefault: true,
  },
  '2015+ws0.8.1': {
    name: '2015+ws0.8.1',
    serverDir: path.join(STACK_2015_WS081_DIR, 'node_modules', 'socket.io'),
    clientDir: path.join(STACK_2015_WS081_DIR, 'node_modules', 'socket.io-client'),
    eio: 3,
    expected: {
      'socket.io': '1.3.7',
      'engine.io': '1.5.4',
      ws: '0.8.1',
      'socket.io-client': '1.3.7',
      'engine.io-client': '1.5.4',
      'client ws': '0.8.0',
    },
    deflateByDefault: true,
  },
  '2016-fixed': {
    name: '2016-fixed',
    serverDir: path.join(NODE_MODULES, 'socket.io-2016'),
    clientDir: path.join(NODE_MODULES, 'socket.io-client-2016'),
    eio: 3,
    expected: {
      'socket.io': '1.4.0',
      'engine.io': '1.6.5',
      ws: '1.0.1',
      'socket.io-client': '1.4.0',
      'engine.io-client': '1.6.4',
      'client ws': '0.8.1',
    },
    deflateByDefault: true,
  },
  today: {
    name: 'today',
    serverDir: path.join(NODE_MODULES, 'socket.io'),
    clientDir: path.join(NODE_MODULES, 'socket.io-client'),
    eio: 4,
    expected: { 'socket.io': '4.8.4', 'socket.io-client': '4.8.4' },
    deflateByDefault: false,
  },
};

/**
 * Resolves a package folder the way `require` walks node_modules from `fromDir`. Done by hand
 * because `require.resolve('<pkg>/package.json')` fails for packages whose `exports` omit it
 * (engine.io 6).
 */
export function packageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error(`package ${name} is not installed above ${fromDir}: run scripts/setup`);
  }
}

/** The version in a package folder's package.json. */
export function versionAt(dir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The package folders of a stack: server socket.io → engine.io → ws, client socket.io-client → engine.io-client → ws. */
export function stackPackageDirs(stack: StackName): Record<StackPackage, string> {
  const entry = STACKS[stack];
  const engine = packageDir('engine.io', entry.serverDir);
  const engineClient = packageDir('engine.io-client', entry.clientDir);
  return {
    'socket.io': entry.serverDir,
    'engine.io': engine,
    ws: packageDir('ws', engine),
    'socket.io-client': entry.clientDir,
    'engine.io-client': engineClient,
    'client ws': packageDir('ws', engineClient),
  };
}

/** Resolved versions of every stack package, keyed `<stack>/<package>`; `missing` where not installed. */
export function installedVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const stack of STACK_NAMES) {
    try {
      for (const [pkg, dir] of Object.entries(stackPackageDirs(stack))) versions[`${stack}/${pkg}`] = versionAt(dir);
    } catch {
      versions[`${stack}/socket.io`] = 'missing';
    }
  }
  return versions;
}

/** Throws unless the stack's installed packages are exactly the versions it stands for. */
export function assertStackVersions(stack: StackName): Record<StackPackage, string> {
  const dirs = stackPackageDirs(stack);
  const found = {} as Record<StackPackage, string>;
  for (const [pkg, dir] of Object.entries(dirs) as Array<[StackPackage, string]>) {
    found[pkg] = versionAt(dir);
    const want = STACKS[stack].expected[pkg];
    if (want && found[pkg] !== want) {
      throw new Error(
        `stack ${stack}: ${pkg} resolved to ${found[pkg]} at ${dir}, expected ${want}; run scripts/setup to reinstall`,
      );
    }
  }
  return found;
}
