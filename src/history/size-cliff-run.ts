/**
 * One run of the size cliff: a socket.io server of one release (from the version cache, or the
 * root's today) at its defaults, and one socket.io-client in this process over the websocket
 * transport, also at its defaults. The client sends a message well under the limit (the control),
 * then one over it, then a small one: on the same session when the large one arrived, on the next
 * session when the connection was dropped and the client reconnected. Each side's disconnect
 * reason, the close code the client's WebSocket got and the reconnect are recorded. Every wait is
 * bounded; the client and the server are closed before it returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { packageDir, versionAt } from '../core/stack-catalog';
import { ensureVersion } from '../core/version-cache';
import { releaseDir, rootVersion } from './release-dir';
import { assertMeasuring } from '../core/replay';
import { LOOPBACK } from '../core/net';
import { CONNECT_DEADLINE_MS, sleep } from '../core/timing';
import { listenLoopback } from '../stacks/http-server';

/* eslint-disable @typescript-eslint/no-explicit-any -- the 2016–2022 releases have no types */
type Untyped = any;

/** How long a message's ack may take (1.5 MiB over loopback takes milliseconds). */
export const ACK_DEADLINE_MS = 5_000;
/** How long the other side's disconnect may lag the first one's. */
const DISCONNECT_LAG_MS = 2_000;
/**
 * How long the client gets to reconnect after a drop: socket.io-client's defaults wait
 * reconnectionDelay 1 s ± randomizationFactor 0.5 before the first attempt, so 1.5 s at most, plus
 * the handshake.
 */
export const RECONNECT_WINDOW_MS = 4_000;
/** The message sent after the large one: proof the session (or its successor) carries messages. */
export const AFTER_SIZE = 16;
const POLL_MS = 5;

/** What one run sends and to which pair of releases. */
export interface SizeCliffSpec {
  /** socket.io release of the server. */
  server: string;
  /** socket.io-client release of the client. */
  client: string;
  /** Characters of the over-limit message's string. */
  overSize: number;
  /** Characters of the control message's string. */
  underSize: number;
}

/** The server's stack as loaded, and the engine.io default read from the running server. */
export interface CliffServerInfo {
  socketIo: string;
  engineIo: string;
  /** The engine.io range socket.io's package.json asks for (how a release reaches its engine.io). */
  engineIoRange: string;
  /** The WebSocket engine engine.io loaded, with its version (engine.io 3.1 tries uws first). */
  wsEngine: string;
  /** `maxHttpBufferSize` read from the running engine. */
  maxHttpBufferSize: number;
  /** Whether the socket.io package's own CHANGELOG.md names maxHttpBufferSize; null when it ships none. */
  changelogNamesLimit: boolean | null;
}

export interface CliffClientInfo {
  socketIoClient: string;
  engineIoClient: string;
}

/** One message's fate. */
export interface MessageOutcome {
  /** Characters of its string argument. */
  chars: number;
  /** The engine.io packet the client's own encoder made for it (the WebSocket message); null if none was seen. */
  wireBytes: number | null;
  /** The server's handler got it whole. */
  delivered: boolean;
  /** The client got the server's ack. */
  acked: boolean;
  /** Client session (1 = first) it was sent on; null if it was not sent. */
  session: number | null;
}

/** A side's disconnect of the first session, ms after the over-limit message was sent. */
export interface CliffDisconnect {
  reason: string;
  /** Server: the error engine.io closed with (ws's, underneath); client: the WebSocket's close code. */
  detail: string | null;
  afterMs: number;
}

export interface SizeCliffRun {
  spec: SizeCliffSpec;
  status: 'completed' | 'failed';
  runError?: string;
  server: CliffServerInfo | null;
  client: CliffClientInfo | null;
  under: MessageOutcome | null;
  over: MessageOutcome | null;
  /** The small message after the over-limit one. */
  after: MessageOutcome | null;
  serverDisconnect: CliffDisconnect | null;
  clientDisconnect: CliffDisconnect | null;
  /** The client's next session after a drop: ms after its disconnect; null when none came in the window. */
  reconnect: { afterMs: number; newSessionId: boolean } | null;
  /** Sessions the client opened. */
  sessions: number;
  /** Times the server's handler got the over-limit message, over all sessions (a resend would show here). */
  overReceived: number;
  elapsedMs: number;
}

/**
 * Installs every release a set of runs needs that is neither today's nor in the cache yet (from the
 * npm registry, for a version the user named), before any run starts: a release that cannot be
 * installed is a one-line error naming it, not a failed run.
 */
export async function prepareReleases(
  releases: ReadonlyArray<{ name: 'socket.io' | 'socket.io-client'; version: string }>,
): Promise<void> {
  assertMeasuring('installing socket.io releases');
  for (const { name, version } of releases) if (rootVersion(name) !== version) await ensureVersion(name, version);
}

function serverInfo(socketIoDir: string, engine: Untyped): CliffServerInfo {
  const engineDir = packageDir('engine.io', socketIoDir);
  const manifest = JSON.parse(fs.readFileSync(path.join(socketIoDir, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  // engine.io 1–3 keep the name of the engine in wsEngine (falling back to ws when uws fails to
  // load); engine.io 4+ keep a constructor there, ws's Server unless the user passed another.
  const wsName = typeof engine.wsEngine === 'string' ? engine.wsEngine : 'ws';
  const changelog = path.join(socketIoDir, 'CHANGELOG.md');
  return {
    socketIo: manifest.version,
    engineIo: versionAt(engineDir),
    engineIoRange: manifest.dependencies['engine.io'] ?? '?',
    wsEngine: `${wsName}@${versionAt(packageDir(wsName, engineDir))}`,
    maxHttpBufferSize: engine.opts?.maxHttpBufferSize ?? engine.maxHttpBufferSize,
    changelogNamesLimit: fs.existsSync(changelog)
      ? fs.readFileSync(changelog, 'utf8').includes('maxHttpBufferSize')
      : null,
  };
}

/** Polls until `check()` or `ms` has passed; says which. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() >= end) return false;
    await sleep(POLL_MS);
  }
  return true;
}

function errorText(error: Untyped): string | null {
  if (error === undefined || error === null) return null;
  if (typeof error === 'string') return error;
  return String(error.message ?? error.description?.message ?? error.description ?? error);
}

/** The server side of a run: what its handlers saw. */
interface ServerLog {
  sessions: number;
  received: Array<{ event: string; chars: number; session: number }>;
  disconnects: Array<{ session: number; reason: string; error: string | null; t: number }>;
}

function instrumentServer(io: Untyped, log: ServerLog): void {
  io.on('connection', (socket: Untyped) => {
    const session = ++log.sessions;
    let engineError: string | null = null;
    socket.conn.on('close', (_reason: string, description: unknown) => (engineError = errorText(description)));
    for (const event of ['under', 'over', 'after'])
      socket.on(event, (data: string, ack?: (n: number) => void) => {
        log.received.push({ event: event, chars: data.length, session: session });
        if (typeof ack === 'function') ack(data.length);
      });
    // The engine's 'close' comes first in every release; read its error a tick later to be sure.
    socket.on('disconnect', (reason: string) =>
      setImmediate(() =>
        log.disconnects.push({ session: session, reason: String(reason), error: engineError, t: Date.now() }),
      ),
    );
  });
}

/** Runs one pair; a run that cannot complete is returned as `failed` with its error, never thrown. */
export async function runSizeCliffPair(spec: SizeCliffSpec): Promise<SizeCliffRun> {
  assertMeasuring(`socket.io ${spec.server} against socket.io-client ${spec.client}`);
  const started = Date.now();
  const run: SizeCliffRun = {
    spec: spec,
    status: 'completed',
    server: null,
    client: null,
    under: null,
    over: null,
    after: null,
    serverDisconnect: null,
    clientDisconnect: null,
    reconnect: null,
    sessions: 0,
    overReceived: 0,
    elapsedMs: 0,
  };
  try {
    await exchange(spec, run);
  } catch (error) {
    run.status = 'failed';
    run.runError = (error as Error).message.split('\n')[0];
  }
  run.elapsedMs = Date.now() - started;
  return run;
}

/** The client side of a run: a socket.io-client socket, its sessions and what its WebSockets reported. */
class CliffClient {
  readonly socket: Untyped;
  /** Engine.io session id and connect time of each session. */
  sessions: Array<{ id: string; t: number }> = [];
  disconnects: Array<{ reason: string; t: number }> = [];
  closeCodes: number[] = [];
  private lastWire: number | null = null;

  constructor(clientModule: Untyped, url: string) {
    const connect = typeof clientModule === 'function' ? clientModule : clientModule.io;
    // websocket only (the subject); forceNew so no Manager is shared with another run. All else default.
    this.socket = connect(url, { transports: ['websocket'], forceNew: true });
    this.socket.on('connect', () => {
      const engine: EventEmitter & Untyped = this.socket.io.engine;
      this.sessions.push({ id: String(engine.id), t: Date.now() });
      // Emitted synchronously inside emit() by every engine.io-client: the message as it goes on the wire.
      engine.on('packetCreate', (packet: { type: string; data: unknown }) => {
        if (packet.type === 'message' && typeof packet.data === 'string')
          this.lastWire = Buffer.byteLength(packet.data) + 1; // + the engine.io packet type digit
      });
      const ws = engine.transport?.ws;
      if (typeof ws?.once === 'function') ws.once('close', (code: number) => this.closeCodes.push(Number(code)));
    });
    this.socket.on('disconnect', (reason: string) => this.disconnects.push({ reason: String(reason), t: Date.now() }));
  }

  /** Emits `chars` characters under `event`; resolves when acked or at the deadline or a disconnect. */
  async send(event: string, chars: number, server: ServerLog): Promise<MessageOutcome> {
    const session = this.sessions.length;
    const drops = this.disconnects.length;
    let acked = false;
    this.lastWire = null;
    this.socket.emit(event, 'x'.repeat(chars), () => (acked = true));
    const wireBytes = this.lastWire;
    await until(() => acked || this.disconnects.length > drops, ACK_DEADLINE_MS);
    const delivered = server.received.some((r) => r.event === event && r.chars === chars && r.session === session);
    return { chars: chars, wireBytes: wireBytes, delivered: delivered, acked: acked, session: session };
  }

  close(): void {
    this.socket.io.reconnection(false);
    this.socket.close();
  }
}

async function exchange(spec: SizeCliffSpec, run: SizeCliffRun): Promise<void> {
  const serverDir = releaseDir('socket.io', spec.server);
  const clientDir = releaseDir('socket.io-client', spec.client);
  const socketIo: Untyped = require(serverDir);
  const clientModule: Untyped = require(clientDir);
  const log: ServerLog = { sessions: 0, received: [], disconnects: [] };
  let io: Untyped;
  // The module is callable in every release from 1.x to 4.x (`require('socket.io')(server, opts)`).
  const http = await listenLoopback((srv) => (io = socketIo(srv)), undefined);
  let client: CliffClient | undefined;
  try {
    instrumentServer(io, log);
    run.server = serverInfo(serverDir, io.engine ?? io.eio);
    run.client = {
      socketIoClient: versionAt(clientDir),
      engineIoClient: versionAt(packageDir('engine.io-client', clientDir)),
    };
    client = new CliffClient(clientModule, `http://${LOOPBACK}:${http.port}`);
    const c = client;
    if (!(await until(() => c.sessions.length > 0, CONNECT_DEADLINE_MS)))
      throw new Error(`the client did not connect within ${CONNECT_DEADLINE_MS} ms`);
    run.under = await c.send('under', spec.underSize, log);
    const sentAt = Date.now();
    run.over = await c.send('over', spec.overSize, log);
    await observeDrop(c, log, run, sentAt);
    if (run.clientDisconnect === null || run.reconnect !== null) run.after = await c.send('after', AFTER_SIZE, log);
    run.sessions = c.sessions.length;
    run.overReceived = log.received.filter((r) => r.event === 'over').length;
  } finally {
    client?.close();
    await http.close();
    io.close();
  }
}

/** After the over-limit message: each side's disconnect of the first session, and the client's reconnect. */
async function observeDrop(client: CliffClient, log: ServerLog, run: SizeCliffRun, sentAt: number): Promise<void> {
  const firstServerDrop = () => log.disconnects.find((d) => d.session === 1);
  if (client.disconnects.length === 0 && firstServerDrop() === undefined) return;
  await until(() => client.disconnects.length > 0 && firstServerDrop() !== undefined, DISCONNECT_LAG_MS);
  const serverDrop = firstServerDrop();
  if (serverDrop)
    run.serverDisconnect = { reason: serverDrop.reason, detail: serverDrop.error, afterMs: serverDrop.t - sentAt };
  const clientDrop = client.disconnects[0];
  if (clientDrop === undefined) return;
  run.clientDisconnect = {
    reason: clientDrop.reason,
    detail: client.closeCodes.length > 0 ? `close code ${client.closeCodes[0]}` : null,
    afterMs: clientDrop.t - sentAt,
  };
  if (await until(() => client.sessions.length > 1, RECONNECT_WINDOW_MS)) {
    const [first, next] = client.sessions;
    run.reconnect = { afterMs: next.t - clientDrop.t, newSessionId: next.id !== first.id };
  }
}
