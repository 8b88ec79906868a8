/**
 * The disconnect-reason field guide: every reason socket.io 4 reports, produced on purpose. Each
 * case starts today's server in this process, connects one socket.io-client 4, captures the DEBUG
 * lines of both sides, does one thing (an oversized message, a stalled network, a garbage packet,
 * an application call) and records the reason each side reported, how long it took, and the lines
 * the libraries logged on the way. Everything is closed before a case returns.
 */
import type net from 'node:net';
import type { DisconnectReason as ServerReason } from 'socket.io';
import type { Socket as IoClientSocket } from 'socket.io-client';
import { captureDebug, type DebugLine } from '../../observe/debug-capture';
import { withinLimit } from '../../core/limit';
import { newRecordId, recordEnvelope, writeRunRecord, type RecordBase, type RecordOption } from '../../core/records';
import { search, sourceLines, stackScope } from '../../search';
import { loadStack } from '../../stacks';
import type { ClientSocket, ServerOptions, ServerSocket, StackServer } from '../../stacks/types';

export type { ServerReason };
/** A reason socket.io-client 4 gives its `disconnect` listeners. */
export type ClientReason = IoClientSocket.DisconnectReason;

/** The stack every case runs on. */
export const FIELD_GUIDE_STACK = 'today';
/** How long a case may wait for both sides to report a disconnect. */
export const CASE_DEADLINE_MS = 5_000;
/** Ping settings for the stalled-network case, so `ping timeout` comes within a second. */
export const SHORT_PING = { pingInterval: 200, pingTimeout: 200 } as const;
/** Captured DEBUG messages are cut to this many characters: socket.io logs whole packets, megabytes for a large frame. */
export const DEBUG_MESSAGE_CHARS = 300;
/** The namespaces captured: socket.io and engine.io on both sides, and the shared parser. */
export const FIELD_GUIDE_NAMESPACES =
  'socket.io:*,engine,engine:*,socket.io-client:*,engine.io-client:*,socket.io-parser';

/** Which side logged a DEBUG line, told by its namespace (both sides share one `debug` 4 copy here). */
export type DebugSide = 'server' | 'client' | 'parser (either side)';

/** The side whose library logs under this namespace. */
export function debugSide(namespace: string): DebugSide {
  if (namespace.startsWith('socket.io-client') || namespace.startsWith('engine.io-client')) return 'client';
  if (namespace.startsWith('socket.io-parser')) return 'parser (either side)';
  return 'server';
}

// The parts of socket.io 4 / engine.io 6 / ws 8 objects the triggers touch. Typed here, narrowly,
// because several are internal (the transport's WebSocket and its TCP socket) and not in the
// packages' published types.
interface ServerSide {
  conn: {
    close(): void;
    write(data: string): void;
    on(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): void;
    transport: { socket: { _socket: net.Socket } };
  };
  nsp: { server: { close(): Promise<void> } };
  emit(event: string, ...args: unknown[]): boolean;
  disconnect(close?: boolean): void;
}
interface ClientSide {
  io: { engine: { write(data: string): void; transport: { ws: { _socket: net.Socket; send(data: string): void } } } };
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(): void;
}

/** What a case's trigger gets to act on. */
export interface CaseContext {
  server: ServerSide;
  client: ClientSide;
  /** The server's options (for a trigger that must exceed one). */
  settings: StackServer['settings'];
}

/** One entry of the guide: what is done, what it stands for in production, and what each side should say. */
export interface FieldGuideCase {
  id: string;
  /** What the case does, in one line. */
  trigger: string;
  /** What causes this in a real deployment. */
  cause: string;
  expect: { server: ServerReason; client: ClientReason };
  /** Server options the case needs beyond the defaults. */
  serverOptions?: Partial<Pick<ServerOptions, 'pingInterval' | 'pingTimeout' | 'maxHttpBufferSize'>>;
  run(ctx: CaseContext): void | Promise<void>;
}

/** One side's disconnect as observed. */
export interface SideObservation {
  /** The reason the side's `disconnect` listener got, or null if none came before the deadline. */
  reason: string | null;
  /** The error or close details passed beside the reason, as text. */
  detail: string | null;
  /** ms from the trigger to the disconnect. */
  ms: number | null;
}

/** What one case produced. */
export interface FieldGuideObservation {
  id: string;
  trigger: string;
  cause: string;
  expect: FieldGuideCase['expect'];
  server: SideObservation;
  client: SideObservation;
  /** DEBUG lines from the trigger until both sides reported (or the deadline), in order. */
  debug: Array<DebugLine & { side: DebugSide; ms: number }>;
  /** An error that stopped the case itself (not the disconnect under study). */
  error: string | null;
}

/** The guide as written to `<data dir>/field-guide/`. */
export interface FieldGuideRecord extends RecordBase {
  kind: 'field-guide';
  versions: Record<string, string>;
  observations: FieldGuideObservation[];
}

const oversized = (limit: number): string => 'x'.repeat(limit + 1);

/** The cases, one per reason each side can report; the test checks every installed reason is covered. */
export const FIELD_GUIDE: readonly FieldGuideCase[] = [
  {
    id: 'oversized-message',
    trigger: 'the client emits one message larger than maxHttpBufferSize',
    cause: 'a frame (image, file, large JSON) above the server limit (1e6 bytes by default in socket.io ≥ 3)',
    expect: { server: 'transport error', client: 'transport close' },
    run: ({ client, settings }) => {
      client.emit('frame', oversized(settings.maxHttpBufferSize));
    },
  },
  {
    id: 'connection-dropped',
    trigger: "the client's TCP socket is destroyed",
    cause: 'the network path or a proxy dropped the connection; a laptop slept; a mobile switched networks',
    expect: { server: 'transport close', client: 'transport close' },
    run: ({ client }) => {
      client.io.engine.transport.ws._socket.destroy();
    },
  },
  {
    id: 'network-stalled',
    trigger: `the client stops reading its socket (pingInterval ${SHORT_PING.pingInterval} ms, pingTimeout ${SHORT_PING.pingTimeout} ms)`,
    cause:
      'nothing arrives in time: a stalled network, or an event loop blocked longer than pingInterval + pingTimeout on either side',
    expect: { server: 'ping timeout', client: 'ping timeout' },
    serverOptions: SHORT_PING,
    run: ({ client }) => {
      client.io.engine.transport.ws._socket.pause();
    },
  },
  {
    id: 'garbage-engine-packet',
    trigger: 'the client sends a WebSocket message that is not an engine.io packet',
    cause: 'a client speaking another protocol or version, or a proxy rewriting frames',
    expect: { server: 'parse error', client: 'transport close' },
    run: ({ client }) => {
      client.io.engine.transport.ws.send('x');
    },
  },
  {
    id: 'invalid-socketio-packet',
    trigger: 'the client sends an engine.io message that is not a socket.io packet',
    cause:
      'a client with another socket.io protocol revision (e.g. a 2.x client without allowEIO3), or a custom parser on one side only',
    expect: { server: 'forced close', client: 'transport close' },
    run: ({ client }) => {
      client.io.engine.write('9');
    },
  },
  {
    id: 'unknown-namespace-while-writing',
    trigger: 'the client sends an event for a namespace it never joined while the server has packets queued for it',
    cause: 'a client bug or protocol mismatch, seen while the server is busy writing to that client',
    expect: { server: 'forced server close', client: 'transport close' },
    run: ({ client, server }) => {
      const event = '2/never-joined,["x"]';
      // engine.io announces each packet before socket.io decodes it: two emits here put one
      // packet in flight and one in engine.io's queue, so the close that follows the invalid
      // packet must wait for the queue (the only way socket.io reports 'forced server close').
      server.conn.on('packet', (packet) => {
        if (packet.type !== 'message' || packet.data !== event) return;
        server.emit('busy', 1);
        server.emit('busy', 2);
      });
      client.io.engine.write(event);
    },
  },
  {
    id: 'server-disconnects-socket',
    trigger: 'the server application calls socket.disconnect()',
    cause: 'the application ended the session (auth expired, kicked, duplicate login)',
    expect: { server: 'server namespace disconnect', client: 'io server disconnect' },
    run: ({ server }) => {
      server.disconnect();
    },
  },
  {
    id: 'client-disconnects-socket',
    trigger: 'the client application calls socket.disconnect()',
    cause: 'the page or app closed the socket on purpose',
    expect: { server: 'client namespace disconnect', client: 'io client disconnect' },
    run: ({ client }) => {
      client.disconnect();
    },
  },
  {
    id: 'server-shutting-down',
    trigger: 'the server application calls io.close()',
    cause: 'a deploy, restart or graceful shutdown of the server process',
    expect: { server: 'server shutting down', client: 'transport close' },
    run: async ({ server }) => {
      await server.nsp.server.close();
    },
  },
  {
    id: 'server-sends-bad-frame',
    trigger: 'the server writes a WebSocket frame with reserved bits set',
    cause: 'a proxy or middlebox corrupting frames on the way to the client',
    expect: { server: 'transport close', client: 'transport error' },
    run: ({ server }) => {
      // FIN + RSV2 + RSV3 + text opcode, length 1: no extension defines RSV2/RSV3, so any client must fail it.
      server.conn.transport.socket._socket.write(Buffer.from([0xb1, 0x01, 0x41]));
    },
  },
  {
    id: 'server-sends-invalid-packet',
    trigger: 'the server sends an engine.io message that is not a socket.io packet',
    cause: 'a server-side custom parser or protocol mismatch the client cannot decode',
    expect: { server: 'transport close', client: 'parse error' },
    run: ({ server }) => {
      server.conn.write('9');
    },
  },
];

function detailText(detail: unknown): string | null {
  if (detail === undefined || detail === null) return null;
  if (detail instanceof Error) return detail.message;
  if (typeof detail === 'object') {
    // engine.io-client passes { description, context }: the description is an Error or text, the
    // context a CloseEvent-like object with the WebSocket close code.
    const { description, context } = detail as { description?: unknown; context?: { code?: number } };
    const text =
      description instanceof Error ? description.message : description === undefined ? undefined : String(description);
    const code = context?.code;
    if (text !== undefined || code !== undefined)
      return [text, code !== undefined ? `(close code ${code})` : undefined].filter(Boolean).join(' ');
    return JSON.stringify(detail);
  }
  return String(detail);
}

function clip(message: string): string {
  if (message.length <= DEBUG_MESSAGE_CHARS) return message;
  return `${message.slice(0, DEBUG_MESSAGE_CHARS)}… (${message.length.toLocaleString('en-US')} characters)`;
}

function waitFor<T>(register: (done: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve) => register(resolve));
}

/** Runs one case: a fresh server and client, the trigger, both sides' reasons and DEBUG lines; always tears down. */
export async function runFieldGuideCase(guideCase: FieldGuideCase): Promise<FieldGuideObservation> {
  const stack = loadStack(FIELD_GUIDE_STACK);
  const server = await stack.createServer({ deflate: 'default', ...guideCase.serverOptions });
  const serverSocket = waitFor<ServerSocket>((done) => server.onConnection(done));
  let client: ClientSocket | undefined;
  const observation: FieldGuideObservation = {
    id: guideCase.id,
    trigger: guideCase.trigger,
    cause: guideCase.cause,
    expect: guideCase.expect,
    server: { reason: null, detail: null, ms: null },
    client: { reason: null, detail: null, ms: null },
    debug: [],
    error: null,
  };
  let capture: ReturnType<typeof captureDebug> | undefined;
  let rawClientSocket: net.Socket | undefined;
  try {
    client = stack.connect(server.url, { reconnection: false, reconnectionDelay: 0 });
    const clientConnected = waitFor<void>((done) => client?.on('connect', () => done()));
    const connected = await withinLimit(Promise.all([serverSocket, clientConnected]), CASE_DEADLINE_MS);
    if (!connected) throw new Error(`the client did not connect to ${server.url} within ${CASE_DEADLINE_MS} ms`);
    const [socket] = connected;
    // Kept for teardown: a case may pause it, and a paused socket never reads the FIN that would
    // end it, so it would outlive the case by ws's 30 s close timeout.
    rawClientSocket = (client as unknown as ClientSide).io.engine.transport.ws._socket;
    const t0 = Date.now();
    const serverDone = waitFor<void>((done) =>
      socket.on('disconnect', (reason: string, detail: unknown) => {
        observation.server = { reason, detail: detailText(detail), ms: Date.now() - t0 };
        done();
      }),
    );
    const clientDone = waitFor<void>((done) =>
      client?.on('disconnect', (reason: string, detail: unknown) => {
        observation.client = { reason, detail: detailText(detail), ms: Date.now() - t0 };
        done();
      }),
    );
    capture = captureDebug(FIELD_GUIDE_NAMESPACES);
    await guideCase.run({
      server: socket as unknown as ServerSide,
      client: client as unknown as ClientSide,
      settings: server.settings,
    });
    await withinLimit(Promise.all([serverDone, clientDone]), CASE_DEADLINE_MS);
    observation.debug = capture
      .stop()
      .map((line) => ({ ...line, message: clip(line.message), side: debugSide(line.namespace), ms: line.t - t0 }));
  } catch (error) {
    observation.error = (error as Error).message;
  } finally {
    capture?.stop();
    client?.close();
    rawClientSocket?.destroy();
    await server.close();
  }
  return observation;
}

/** Runs every case in order (one at a time: the DEBUG capture is process-wide) and writes the record. */
export async function runFieldGuide(
  cases: readonly FieldGuideCase[] = FIELD_GUIDE,
  options: { record?: RecordOption; quick?: boolean; onCase?: (observation: FieldGuideObservation) => void } = {},
): Promise<FieldGuideRecord> {
  const startedAt = new Date().toISOString();
  const observations: FieldGuideObservation[] = [];
  for (const guideCase of cases) {
    const observation = await runFieldGuideCase(guideCase);
    observations.push(observation);
    options.onCase?.(observation);
  }
  const record: FieldGuideRecord = {
    ...recordEnvelope({
      kind: 'field-guide',
      id: newRecordId('field-guide-'),
      startedAt,
      quick: options.quick ?? false,
    }),
    versions: loadStack(FIELD_GUIDE_STACK).versions,
    observations,
  };
  await writeRunRecord(record, options.record);
  return record;
}

/** A reason union as the installed package declares it, and where. */
export interface DeclaredReasons {
  reasons: string[];
  /** `path:line` of the declaration. */
  where: string;
}

const REASON_UNION = /type DisconnectReason =/;

/**
 * The disconnect reasons today's socket.io server and client declare, read from their installed
 * type declarations with the source search (so the guide is checked against what is installed,
 * not against a list typed here).
 */
export function declaredReasons(): { server: DeclaredReasons; client: DeclaredReasons } {
  const hits = search({
    regex: REASON_UNION,
    ...stackScope(FIELD_GUIDE_STACK),
    include: (file) => file.endsWith('.d.ts'),
  });
  const read = (side: 'server' | 'client'): DeclaredReasons => {
    const hit = hits.find((h) => h.copy === side);
    if (!hit)
      throw new Error(
        `no 'type DisconnectReason =' declaration found in the ${side} packages of stack ${FIELD_GUIDE_STACK}: run scripts/setup`,
      );
    // The whole declaration, as installed (a hit's text may be clipped for display).
    const text = sourceLines(hit.file, hit.line, hit.line + 12).split(';')[0];
    return { reasons: [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1]), where: `${hit.path}:${hit.line}` };
  };
  return { server: read('server'), client: read('client') };
}
