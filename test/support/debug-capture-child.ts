/**
 * The child half of test/live/debug-capture.test.ts: one debug-capture scenario against a real stack,
 * in a process of its own so that the stack is loaded fresh, with DEBUG as the parent set it, and
 * so that anything a logger writes on its own shows up on this process's stdout or stderr (which
 * must stay empty: the result goes to a file).
 *
 *   node dist/test/support/debug-capture-child.js <2015|today|late> <result.json>
 *
 * Compiled with the tests so it shares their types; outside the test folders `npm test` runs, and
 * with no arguments it does nothing.
 */
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import {
  captureDebug,
  DebugNotPreparedError,
  isDebugCaptureActive,
  knownDebugCopies,
  prepareDebugCapture,
  type DebugCopy,
  type DebugLine,
} from '../../src/observe/debug-capture';
import { LOOPBACK } from '../../src/core/net';
import { stackPackageDirs } from '../../src/core/stack-catalog';

/** Bounds every wait in the child. */
const STEP_TIMEOUT_MS = 5_000;

type LiveStack = '2015' | 'today';
/** A live stack, or 'late': a stack loaded before prepareDebugCapture(). */
export type Scenario = LiveStack | 'late';
const SCENARIOS: readonly Scenario[] = ['2015', 'today', 'late'];

/** What a live-stack scenario writes. */
export interface StackResult {
  copies: DebugCopy[];
  /** Labels from knownDebugCopies() at the end. */
  known: string[];
  /** Capture 1 ('*'): a corrupt compressed frame makes the server drop the client. */
  transportError: { reason: string; lines: DebugLine[] };
  /** Captures 2 ('*') and 3 ('socket.io:*'), running together: the client calls disconnect(). */
  clientDisconnect: { reason: string; all: DebugLine[]; serverOnly: DebugLine[] };
  /** Line counts of the three stopped captures after more traffic with none running. */
  countsAfterIdleTraffic: number[];
  activeAtEnd: boolean;
  debugEnvAtEnd: string | undefined;
}

/** What the late scenario writes. */
export interface LateResult {
  prepareError: string;
  prepareErrorIsTyped: boolean;
  captureError: string;
}

// Just the parts of the two socket.io generations the scenarios use; both share this surface.
interface ServerSocket extends EventEmitter {
  emit(event: string, ...args: unknown[]): boolean;
}
interface IoServer {
  /** The default namespace: an EventEmitter in both generations (socket.io 1.3.7's server is not). */
  sockets: EventEmitter;
  close(): void;
}
interface ClientSocket extends EventEmitter {
  emit(event: string, ...args: unknown[]): boolean;
  disconnect(): void;
  close(): void;
  io: { engine: { transport: { ws: { _socket: net.Socket } } } };
}

function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}`)),
      STEP_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function next<T>(emitter: EventEmitter, event: string): Promise<T> {
  return within(event, new Promise<T>((resolve) => emitter.once(event, resolve)));
}

// A masked text frame with RSV1 set and bytes that are not a deflate stream: with deflate
// negotiated (2015) inflate fails with Z_DATA_ERROR; without it (today) RSV1 itself is invalid.
// Either way the server's engine.io socket ends with 'transport error', as in the post.
function corruptCompressedFrame(): Buffer {
  const payload = Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const mask = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const masked = payload.map((byte, i) => byte ^ mask[i % mask.length]);
  return Buffer.concat([Buffer.from([0xc1, 0x80 | payload.length]), mask, masked]);
}

async function stackScenario(stack: LiveStack): Promise<StackResult> {
  const dirs = stackPackageDirs(stack);
  const copies = prepareDebugCapture(Object.values(dirs));
  const createServer = require(dirs['socket.io']) as (server: http.Server) => IoServer;
  const connect = require(dirs['socket.io-client']) as (url: string, options: object) => ClientSocket;
  // Called again after loading, as a rerun of the loader cell would: must not complain.
  prepareDebugCapture(Object.values(dirs));

  const httpServer = http.createServer();
  const io = createServer(httpServer);
  io.sockets.on('connection', (socket: ServerSocket) =>
    socket.on('lab-ping', (text: string) => socket.emit('lab-pong', text)),
  );
  await within('listen', new Promise<void>((resolve) => httpServer.listen(0, LOOPBACK, resolve)));
  const url = `http://${LOOPBACK}:${(httpServer.address() as net.AddressInfo).port}`;

  const session = async () => {
    const serverSocket = within(
      'connection',
      new Promise<ServerSocket>((resolve) => io.sockets.once('connection', resolve)),
    );
    const client = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await next(client, 'connect');
    const server = await serverSocket;
    const disconnected = next<string>(server, 'disconnect');
    client.emit('lab-ping', 'hello');
    await next(client, 'lab-pong');
    return { client, disconnected };
  };
  const cleanSession = async () => {
    const { client, disconnected } = await session();
    client.disconnect();
    return disconnected;
  };

  await cleanSession();

  const first = captureDebug();
  const broken = await session();
  broken.client.io.engine.transport.ws._socket.write(corruptCompressedFrame());
  const transportReason = await broken.disconnected;
  // ws 0.8 would wait 30 s for the client's close frame: end the TCP connection instead.
  broken.client.io.engine.transport.ws._socket.destroy();
  broken.client.close();
  const firstLines = first.stop();

  const all = captureDebug('*');
  const serverOnly = captureDebug('socket.io:*');
  const clientReason = await cleanSession();
  const allLines = all.stop();
  const serverOnlyLines = serverOnly.stop();

  await cleanSession();
  io.close();
  return {
    copies,
    known: knownDebugCopies().map((copy) => copy.label),
    transportError: { reason: transportReason, lines: firstLines },
    clientDisconnect: { reason: clientReason, all: allLines, serverOnly: serverOnlyLines },
    countsAfterIdleTraffic: [first, all, serverOnly].map((capture) => capture.lines().length),
    activeAtEnd: isDebugCaptureActive(),
    debugEnvAtEnd: process.env.DEBUG,
  };
}

function lateScenario(): LateResult {
  const dirs = stackPackageDirs('2016-fixed');
  require(dirs['socket.io']);
  require(dirs['socket.io-client']);
  const message = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return { text: (error as Error).message, typed: error instanceof DebugNotPreparedError };
    }
    return { text: 'no error', typed: false };
  };
  const prepare = message(() => prepareDebugCapture(Object.values(dirs)));
  const capture = message(() => captureDebug());
  return { prepareError: prepare.text, prepareErrorIsTyped: prepare.typed, captureError: capture.text };
}

async function run(scenario: string, resultFile: string | undefined): Promise<void> {
  if (!SCENARIOS.includes(scenario as Scenario))
    throw new Error(`unknown scenario ${scenario}: use one of ${SCENARIOS.join(', ')}`);
  if (!resultFile) throw new Error('no result file: give its path after the scenario');
  const result = scenario === 'late' ? lateScenario() : await stackScenario(scenario as LiveStack);
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

const [scenario, resultFile] = process.argv.slice(2);
if (scenario !== undefined) void run(scenario, resultFile);
