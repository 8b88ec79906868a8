/**
 * A child process that runs one socket.io server of a cached release (socket.io 2.x here) on
 * 127.0.0.1, sends each connection one message when asked, and reports its own memory after a full
 * garbage collection. Started by src/history/memory.ts through prlimit, with --expose-gc.
 */
import http from 'node:http';
import { serveParent } from '../core/child-host';
import { exposedGc, sampleAfterGc, type MemorySample } from '../core/memory-sample';
import { LOOPBACK } from '../core/net';
import { hardFileLimit } from '../core/file-limit';
import { payload } from '../traffic/payloads';
import { requireVersion, resolvedVersion } from '../core/version-cache';

/** The event every connection receives once. */
export const MESSAGE_EVENT = 'payload';

/** Parent → child. */
export type MemoryServerRequest =
  | { type: 'start'; socketio: string; options: Record<string, unknown> }
  | { type: 'send'; bytes: number; seed: number }
  | { type: 'sample' }
  | { type: 'stop' };

/** Child → parent: one reply per request, in order. */
export type MemoryServerReply =
  | {
      type: 'started';
      url: string;
      versions: Record<string, string>;
      perMessageDeflate: unknown;
      fileLimit: number | null;
    }
  | { type: 'sent'; sent: number }
  | { type: 'sampled'; sample: MemorySample; sockets: number }
  | { type: 'stopped' }
  | { type: 'failed'; error: string };

/* eslint-disable @typescript-eslint/no-explicit-any -- socket.io 2.x ships no types */
type Untyped = any;

/** The sockets of the default namespace: an object keyed by id in socket.io 2, a Map from 3 on. */
function socketsOf(io: Untyped): Untyped[] {
  const sockets = io.of('/').sockets;
  return sockets instanceof Map ? [...sockets.values()] : Object.values(sockets);
}

class MemoryServer {
  private io: Untyped;
  private http: http.Server | undefined;
  private readonly messaged = new Set<string>();

  async start(socketio: string, options: Record<string, unknown>): Promise<MemoryServerReply> {
    const createIo = requireVersion<(srv: http.Server, opts: object) => Untyped>('socket.io', socketio);
    this.http = http.createServer();
    this.io = createIo(this.http, options);
    await new Promise<void>((resolve, reject) => {
      this.http?.once('error', reject);
      this.http?.listen(0, LOOPBACK, () => resolve());
    });
    const { port } = this.http.address() as { port: number };
    return {
      type: 'started',
      url: `http://${LOOPBACK}:${port}`,
      versions: {
        'socket.io': socketio,
        'engine.io': resolvedVersion('socket.io', socketio, 'engine.io'),
        ws: resolvedVersion('socket.io', socketio, 'ws'),
      },
      // What the engine runs with after its own defaults are applied: the setting as it took effect.
      perMessageDeflate: this.io.eio.perMessageDeflate ?? this.io.eio.opts?.perMessageDeflate ?? null,
      // The limit prlimit gave this process, read back: the proof it was started through it.
      fileLimit: hardFileLimit(),
    };
  }

  /** Emits the message once to every connected socket that has not had it. */
  send(bytes: number, seed: number): number {
    const { data } = payload('json', bytes, seed, 0);
    let sent = 0;
    for (const socket of socketsOf(this.io)) {
      if (this.messaged.has(socket.id)) continue;
      this.messaged.add(socket.id);
      socket.emit(MESSAGE_EVENT, data);
      sent++;
    }
    return sent;
  }

  sockets(): number {
    return this.io ? socketsOf(this.io).length : 0;
  }

  async stop(): Promise<void> {
    const server = this.http;
    this.io?.close();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (require.main === module) {
  const server = new MemoryServer();
  serveParent<MemoryServerRequest, MemoryServerReply>(
    async (request, parent) => {
      const gc = exposedGc();
      if (request.type === 'start') return server.start(request.socketio, request.options);
      if (request.type === 'send') return { type: 'sent', sent: server.send(request.bytes, request.seed) };
      if (request.type === 'sample')
        return { type: 'sampled', sample: await sampleAfterGc(gc), sockets: server.sockets() };
      await server.stop();
      await parent.send({ type: 'stopped' });
      parent.leave();
    },
    { inOrder: true },
  );
}
