/**
 * The load generator's capacity, measured apart from any server: how many MiB/s of data-url
 * messages it can hand to the socket as the fragmenting client sends them (each message compressed
 * alone from prepared parts, split into an RSV1 frame and continuation frames, masked), when the
 * other end is a sink that reads and discards (./sink.ts, in a process of its own). Sent as fast as
 * the sockets take them, a few messages queued per connection: a capacity, not a schedule.
 */
import path from 'node:path';
import WebSocket from 'ws';
import { ChildHost } from '../core/child-host';
import { DeflateSender } from '../clients/deflate-sender';
import { OPCODE } from '../clients/frames';
import { encodeEvent, payloadPart } from '../clients/sio-protocol';
import { LOOPBACK } from '../core/net';
import { MiB, type PayloadKind } from '../core/params';
import { payload, variantCount } from '../traffic/payloads';
import { CONNECT_DEADLINE_MS, sleep } from '../core/timing';
import { cannotPin, CORES, pinProcess, pinSelf, type Pinning } from '../core/pinning';
import type { SinkReply, SinkRequest } from './sink';

const SINK = path.join(__dirname, 'sink.js');
/** Messages a connection may have queued in its sender, beyond what is on the socket. */
const QUEUED_PER_CONNECTION = 2;
/** A connection takes no new message while this much waits in its socket's send buffer. */
const SOCKET_BACKLOG = 8 * MiB;
/** How long the sink gets to read what is still in flight before it reports. */
const SINK_SETTLE_MS = 200;
/** How long the sink gets to report, and then to exit, before it is killed. */
const SINK_REPORT_MS = 5000;
// engine.io revision 4, as today's stack speaks it.
const EIO = 4;

/** What the generator capacity is measured with. */
export interface GeneratorSpec {
  frameSize: number;
  payload: PayloadKind;
  fragmentSize: number;
  /** WebSocket connections sending at once (the sweep's clients). */
  connections: number;
  durationMs: number;
  seed: number;
  /** Pin the generator and the sink to a core each (see ./pinning.ts). */
  pin: boolean;
}

/** The generator's capacity at one frame size, with the controls that show what it sent. */
export interface GeneratorCapacity {
  spec: GeneratorSpec;
  /** Messages whose every frame was handed to the socket within the window. */
  messages: number;
  /** Application payload handed per second (data-url characters), MiB/s: the unit of the server's knee. */
  payloadMiBps: number;
  /** Bytes on the wire handed per second (compressed, framed, masked), MiB/s. */
  wireMiBps: number;
  /** Generator CPU time per wall time during the window (1 = one core busy throughout). */
  cpuShare: number;
  /** Bytes the sink read, against the bytes written: the frames did reach the other end. */
  sinkReadBytes: number;
  wireBytes: number;
  controls: { deflateNegotiated: boolean; compressedMessages: number; continuationFrames: number };
  pinning: Pinning;
}

/** Defaults: the sweep's fragment size and data-url pictures, two connections, 3 s. */
export const GENERATOR_DEFAULTS: Omit<GeneratorSpec, 'frameSize'> = {
  payload: 'data-url',
  fragmentSize: 100 * 1024,
  connections: 2,
  durationMs: 3000,
  seed: 1,
  pin: false,
};

async function openConnections(
  url: string,
  spec: GeneratorSpec,
): Promise<Array<{ ws: WebSocket; sender: DeflateSender }>> {
  const connections = Array.from({ length: spec.connections }, () => {
    const ws = new WebSocket(url, { perMessageDeflate: true, handshakeTimeout: CONNECT_DEADLINE_MS });
    return { ws: ws, sender: new DeflateSender(ws, spec.fragmentSize, 'per-message') };
  });
  try {
    await Promise.all(
      connections.map(
        ({ ws }) =>
          new Promise<void>((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
          }),
      ),
    );
  } catch (error) {
    for (const { ws } of connections) ws.terminate();
    throw error;
  }
  return connections;
}

/** Measures the generator's capacity at one frame size against the discarding sink; everything is closed before it returns. */
export async function measureGeneratorCapacity(
  frameSize: number,
  options: Partial<Omit<GeneratorSpec, 'frameSize'>> = {},
): Promise<GeneratorCapacity> {
  const spec: GeneratorSpec = { ...GENERATOR_DEFAULTS, ...options, frameSize: frameSize };
  const pinReason = spec.pin ? cannotPin() : 'not asked';
  const pinning: Pinning = pinReason ? { pinned: false, reason: pinReason } : { pinned: true, cores: CORES };
  // Payloads and their compressed parts are made before the clock starts, as the scenario's clients do.
  const variants = Array.from({ length: variantCount(frameSize) }, (_, v) => {
    const p = payload(spec.payload, frameSize, spec.seed, v);
    return { ...p, part: payloadPart(EIO, p.data) };
  });
  const sink = new ChildHost<SinkRequest, SinkReply>(SINK, { name: 'the sink' });
  let connections: Array<{ ws: WebSocket; sender: DeflateSender }> = [];
  let unpin = () => undefined as void;
  try {
    const { port } = await sink.ask(undefined, 'listening', {
      limitMs: CONNECT_DEADLINE_MS,
      limitError: () => new Error(`the sink did not listen within ${CONNECT_DEADLINE_MS} ms`),
      exitMessage: (code) => `the sink exited (${code}) before listening`,
      unexpectedMessage: 'the sink reported before listening',
    });
    if (pinning.pinned) {
      pinProcess(sink.child.pid as number, CORES.server);
      unpin = pinSelf(CORES.generator);
    }
    connections = await openConnections(`ws://${LOOPBACK}:${port}/`, spec);
    for (const { sender } of connections) sender.prepare(variants.map((v) => v.part));

    let seq = 0;
    let messages = 0;
    let payloadBytes = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const end = start + spec.durationMs;
    while (performance.now() < end) {
      for (const { sender } of connections) {
        while (sender.pending < QUEUED_PER_CONNECTION && sender.backlog() < SOCKET_BACKLOG) {
          const id = seq++;
          const v = variants[id % variants.length];
          const meta = { client: 'g', seq: id, crc: v.crc, length: v.length };
          const encoded = encodeEvent(EIO, 'frame', meta, v.data, id, v.part);
          const written = encoded.map((m) => sender.send(m.parts, m.binary ? OPCODE.binary : OPCODE.text));
          void written[written.length - 1].then((handed) => {
            if (handed && performance.now() <= end) {
              messages++;
              payloadBytes += v.length;
            }
          });
        }
      }
      // Lets the senders' queues run and the sockets flush before more is queued.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - start;
    const wireBytes = connections.reduce((sum, c) => sum + c.sender.written.bytes, 0);
    await sleep(SINK_SETTLE_MS);
    const read = await sink.ask({ type: 'stop' }, 'done', {
      limitMs: SINK_REPORT_MS,
      limitError: () => new Error('the sink did not report within 5 s and was killed'),
      exitMessage: (code, signal) => `the sink exited (${signal ?? code}) before reporting`,
    });
    const seconds = spec.durationMs / 1000;
    return {
      spec: spec,
      messages: messages,
      payloadMiBps: payloadBytes / MiB / seconds,
      wireMiBps: wireBytes / MiB / seconds,
      cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
      sinkReadBytes: read.bytesRead,
      wireBytes: wireBytes,
      controls: {
        deflateNegotiated: connections.every((c) => c.sender.compressing),
        compressedMessages: connections.reduce((sum, c) => sum + c.sender.written.rsv1FirstFrames, 0),
        continuationFrames: connections.reduce((sum, c) => sum + c.sender.written.continuationFrames, 0),
      },
      pinning: pinning,
    };
  } finally {
    for (const { ws, sender } of connections) {
      sender.close();
      ws.terminate();
    }
    await sink.close(SINK_REPORT_MS, 'SIGTERM');
    unpin();
  }
}
