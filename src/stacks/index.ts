/**
 * Loads an installed stack once per process, checks it is exactly the versions it stands for, and
 * gives it the common Stack interface. Two generations: socket.io 1.x (2015, 2015+ws0.8.1,
 * 2016-fixed; engine.io protocol 3) and socket.io 4 (today; protocol 4).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { LOOPBACK } from '../core/net';
import type { StackName } from '../core/params';
import { assertStackVersions, packageDir, STACKS, stackPackageDirs, versionAt } from '../core/stack-catalog';
import { listenLoopback } from './http-server';
import { prepareDebugCapture } from '../observe/debug-capture';
import type { ClientOptions, ClientSocket, ServerOptions, ServerSocket, Stack, StackServer, WsAddons } from './types';
import { assertMeasuring } from '../core/replay';

/* eslint-disable @typescript-eslint/no-explicit-any -- the 2015 packages have no types */
type Untyped = any;

const loaded = new Map<StackName, Stack>();

// ws 0.7–1.x try the native bufferutil/utf-8-validate 1.x and fall back to their own JavaScript;
// ws 8 tries bufferutil/utf-8-validate 4+/6+. Set-up installs without build scripts, so an add-on
// may be present but unbuilt, serving its own JavaScript fallback. Which one loaded changes CPU
// figures, so it is read from the module cache after loading: native only if a .node binary of
// that package is loaded.
function wsAddons(wsDir: string): WsAddons {
  const version = versionAt(wsDir);
  const which = (addon: string, wsFallback: string): string => {
    if (require.cache[path.join(wsDir, 'lib', wsFallback)]) return `JavaScript fallback (ws ${wsFallback})`;
    try {
      const resolved = require.resolve(addon, { paths: [path.join(wsDir, 'lib')] });
      const dir = packageDir(addon, path.join(wsDir, 'lib'));
      const label = `${addon}@${versionAt(dir)}`;
      const loaded = Object.keys(require.cache).filter((file) => file.startsWith(dir + path.sep));
      if (loaded.some((file) => file.endsWith('.node'))) return `native ${label}`;
      if (require.cache[resolved]) return `JavaScript fallback (${label}, not built)`;
    } catch {
      // not installed: ws 8 then uses its built-in JavaScript
    }
    return 'JavaScript (built in)';
  };
  return {
    dir: wsDir,
    version,
    bufferUtil: which('bufferutil', 'BufferUtil.fallback.js'),
    validation: which('utf-8-validate', 'Validation.fallback.js'),
  };
}

// ws 0.7–1.x name the file PerMessageDeflate.js, ws 8 permessage-deflate.js; required by path so
// the copy is the server's own (each ws copy has its own prototype).
function serverDeflateClass(wsDir: string): { prototype: object } {
  const legacy = path.join(wsDir, 'lib', 'PerMessageDeflate.js');
  return require(fs.existsSync(legacy) ? legacy : path.join(wsDir, 'lib', 'permessage-deflate.js'));
}

function clientBundle(serverDir: string, eio: 3 | 4): string {
  const dir = packageDir('socket.io-client', serverDir);
  return path.join(dir, eio === 3 ? 'socket.io.js' : 'dist/socket.io.js');
}

function engineSettings(engine: Untyped, eio: 3 | 4) {
  const source = eio === 3 ? engine : engine.opts;
  return {
    maxHttpBufferSize: source.maxHttpBufferSize,
    pingInterval: source.pingInterval,
    pingTimeout: source.pingTimeout,
  };
}

async function startServer(
  stack: StackName,
  eio: 3 | 4,
  options: ServerOptions,
  build: (srv: Untyped) => Untyped,
): Promise<StackServer> {
  let io: Untyped;
  const server = await listenLoopback(
    (srv) => {
      io = build(srv);
    },
    options.onRequest,
    options.port,
  );
  const engine: EventEmitter = eio === 3 ? io.eio : io.engine;
  return {
    stack,
    port: server.port,
    url: `http://${LOOPBACK}:${server.port}`,
    http: server.http,
    onConnection: (handler: (socket: ServerSocket) => void) => io.on('connection', handler),
    settings: { deflate: options.deflate, ...engineSettings(engine, eio) },
    engine,
    async close() {
      // The HTTP server first: socket.io's close() then finds nothing left to wait for.
      await server.close();
      io.close();
    },
  };
}

function legacyStack(name: StackName): Stack {
  const entry = STACKS[name];
  const dirs = stackPackageDirs(name);
  const socketio: Untyped = require(entry.serverDir);
  const clientIo: Untyped = require(entry.clientDir);
  const WebSocketServer: Untyped = require(dirs.ws).Server;
  // engine.io 1.6 takes a perMessageDeflate option; 1.5.4 builds its WebSocketServer with fixed
  // options (the post's server.js line 50), so "off" there replaces that instance, as the post's
  // edit did. ws 0.8's options are read-only getters: assigning to them silently does nothing.
  const engineTakesDeflateOption = versionAt(dirs['engine.io']) !== '1.5.4';
  return {
    name,
    eio: 3,
    versions: assertStackVersions(name),
    addons: { server: wsAddons(dirs.ws), client: wsAddons(dirs['client ws']) },
    clientBundle: clientBundle(entry.serverDir, 3),
    serverPerMessageDeflate: serverDeflateClass(dirs.ws),
    createServer: (options) =>
      startServer(name, 3, options, (srv) => {
        const opts: Record<string, unknown> = {};
        if (options.maxHttpBufferSize !== undefined) opts.maxHttpBufferSize = options.maxHttpBufferSize;
        if (options.pingInterval !== undefined) opts.pingInterval = options.pingInterval;
        if (options.pingTimeout !== undefined) opts.pingTimeout = options.pingTimeout;
        if (options.deflate !== 'default' && engineTakesDeflateOption)
          opts.perMessageDeflate = options.deflate === 'on';
        const io = socketio(srv, opts);
        if (options.deflate === 'off' && !engineTakesDeflateOption) {
          io.eio.ws = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
        }
        return io;
      }),
    connect: (url: string, options: ClientOptions): ClientSocket =>
      clientIo(url, { transports: ['websocket'], forceNew: true, multiplex: false, ...options }),
  };
}

function todayStack(): Stack {
  const entry = STACKS.today;
  const dirs = stackPackageDirs('today');
  const { Server }: Untyped = require(entry.serverDir);
  const { io: clientIo }: Untyped = require(entry.clientDir);
  return {
    name: 'today',
    eio: 4,
    versions: assertStackVersions('today'),
    addons: { server: wsAddons(dirs.ws), client: wsAddons(dirs['client ws']) },
    clientBundle: clientBundle(entry.serverDir, 4),
    serverPerMessageDeflate: serverDeflateClass(dirs.ws),
    createServer: (options) =>
      startServer('today', 4, options, (srv) => {
        const opts: Record<string, unknown> = {};
        if (options.maxHttpBufferSize !== undefined) opts.maxHttpBufferSize = options.maxHttpBufferSize;
        if (options.pingInterval !== undefined) opts.pingInterval = options.pingInterval;
        if (options.pingTimeout !== undefined) opts.pingTimeout = options.pingTimeout;
        if (options.deflate !== 'default') opts.perMessageDeflate = options.deflate === 'on';
        return new Server(srv, opts);
      }),
    connect: (url: string, options: ClientOptions): ClientSocket =>
      clientIo(url, { transports: ['websocket'], forceNew: true, ...options }),
  };
}

/** Loads a stack (once per process), asserting its package versions and recording its ws add-ons. */
export function loadStack(name: StackName): Stack {
  assertMeasuring(`loading the ${name} stack`);
  let stack = loaded.get(name);
  if (!stack) {
    if (!STACKS[name]) throw new Error(`unknown stack '${name}': use one of ${Object.keys(STACKS).join(', ')}`);
    // Before the stack's first require: the 2015 debug copies fix their on/off state per logger
    // at creation, so capture must be arranged before any logger exists.
    prepareDebugCapture(Object.values(stackPackageDirs(name)));
    stack = name === 'today' ? todayStack() : legacyStack(name);
    loaded.set(name, stack);
  }
  return stack;
}
