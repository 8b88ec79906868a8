/**
 * Sending messages the way Chromium does under permessage-deflate: each message compressed with
 * the negotiated parameters, then split into an RSV1 first frame and continuation frames of
 * `fragmentSize` bytes, written straight to the socket in order.
 *
 * Two ways to compress (DeflateContext). `kept` is Chromium's: one deflate stream per connection,
 * context kept between messages unless `client_no_context_takeover` was agreed, every message
 * compressed as it is sent. `per-message` compresses every message alone, from an empty window,
 * and a message's large constant parts (a picture sent again and again) once: zlib deflates data
 * URLs at about 45 MiB/s on one core and the server inflates them at about 200 MiB/s, so a
 * generator that compresses inline cannot load a server to its capacity, while replaying prepared
 * compressed bytes costs it only socket writes. A per-message message is still valid under context
 * takeover: a peer may keep its window, but nothing obliges the sender to refer back into it.
 *
 * ws 8 does the handshake and everything else on the connection; only outgoing data frames are
 * written here, because ws's send() compresses each piece it is given separately and cannot split
 * one compressed stream at a chosen size. Used by the engine.io-speaking FragmentingClient and by
 * the bare WebSocket client of the bare-ws engine.
 */
import type net from 'node:net';
import zlib from 'node:zlib';
import type WebSocket from 'ws';
import { fragmentMessage, OPCODE } from './frames';

/** What a sender has written to its socket, read from the frame headers it wrote: the wire controls. */
export interface WrittenFrames {
  messages: number;
  /** Messages whose first frame had RSV1 set (compressed). */
  rsv1FirstFrames: number;
  /** Frames with opcode 0: the second and later fragments of a message. */
  continuationFrames: number;
  /** Bytes handed to the socket, frame headers included. */
  bytes: number;
}

/** The compressor a connection's negotiated permessage-deflate parameters call for. */
export interface MessageDeflate {
  stream: zlib.DeflateRaw;
  /** The window the server allows the client (`client_max_window_bits`), at least zlib's 9. */
  windowBits: number;
  /** `client_no_context_takeover` was agreed: the window starts empty for every message. */
  resetEachMessage: boolean;
}

/** How a sender compresses: one stream kept across messages (as Chromium), or each message alone from prepared parts. */
export type DeflateContext = 'kept' | 'per-message';

/** A message as parts whose concatenation is the message; a part reused across messages is compressed once. */
export type MessageParts = readonly Buffer[];

/** The compressor for a server's `Sec-WebSocket-Extensions` answer; undefined when deflate was not accepted. */
export function deflateFromAnswer(answer: string | undefined): MessageDeflate | undefined {
  if (!answer) return undefined;
  const ext = answer
    .split(',')
    .map((e) => e.split(';').map((p) => p.trim()))
    .find((p) => p[0] === 'permessage-deflate');
  if (!ext) return undefined;
  const params = new Map(
    ext.slice(1).map((p): [string, string | undefined] => {
      const [key, value] = p.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
      return [key, value];
    }),
  );
  const windowBits = Math.max(9, Number(params.get('client_max_window_bits') ?? 15) || 15);
  return {
    stream: zlib.createDeflateRaw({ windowBits: windowBits, memLevel: 8 }),
    windowBits: windowBits,
    resetEachMessage: params.has('client_no_context_takeover'),
  };
}

/**
 * Compresses one message as permessage-deflate sends it: a sync flush, its 00 00 ff ff tail
 * removed. Rejects if the compressor fails or is closed first (its flush callback then never runs).
 */
export function compressMessage(deflate: MessageDeflate, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onClose = () => {
      detach();
      reject(new Error('the compressor was closed before the message was compressed'));
    };
    const onError = (error: Error) => {
      detach();
      reject(error);
    };
    const detach = () => {
      deflate.stream.removeListener('data', onData);
      deflate.stream.removeListener('error', onError);
      deflate.stream.removeListener('close', onClose);
    };
    deflate.stream.on('data', onData);
    deflate.stream.once('error', onError);
    deflate.stream.once('close', onClose);
    deflate.stream.write(body);
    deflate.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      detach();
      let out = Buffer.concat(chunks);
      // permessage-deflate drops the 00 00 ff ff tail of each sync flush (RFC 7692 7.2.1).
      if (out.length >= 4 && out.readUInt32BE(out.length - 4) === SYNC_FLUSH_TAIL)
        out = out.subarray(0, out.length - 4);
      if (deflate.resetEachMessage) deflate.stream.reset();
      resolve(out);
    });
  });
}

// A sync flush ends every compressed segment on a byte boundary with an empty stored block
// (00 00 ff ff), so independently compressed segments concatenate into one valid deflate stream.
const SYNC_FLUSH_TAIL = 0x0000ffff;
// Parts at least this long are compressed once per window size and kept (weakly, with the part):
// the payloads. Shorter ones (a packet header naming the sequence number) are compressed each time.
const PREPARED_PART_MIN = 256;
const prepared = new WeakMap<Buffer, Map<number, Buffer>>();

function compressSegment(part: Buffer, windowBits: number): Buffer {
  return zlib.deflateRawSync(part, { windowBits: windowBits, memLevel: 8, finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

function preparedSegment(part: Buffer, windowBits: number): Buffer {
  if (part.length < PREPARED_PART_MIN) return compressSegment(part, windowBits);
  let byBits = prepared.get(part);
  if (!byBits) prepared.set(part, (byBits = new Map()));
  let segment = byBits.get(windowBits);
  if (!segment) byBits.set(windowBits, (segment = compressSegment(part, windowBits)));
  return segment;
}

/**
 * Compresses one message alone (from an empty window) as permessage-deflate sends it: each part
 * deflated on its own and sync-flushed, long parts once and then replayed, the segments joined,
 * and the last flush's 00 00 ff ff tail removed.
 */
export function compressAlone(parts: MessageParts, windowBits: number): Buffer {
  const segments = parts.filter((part) => part.length > 0).map((part) => preparedSegment(part, windowBits));
  const out = segments.length > 0 ? Buffer.concat(segments) : compressSegment(Buffer.alloc(0), windowBits);
  return out.length >= 4 && out.readUInt32BE(out.length - 4) === SYNC_FLUSH_TAIL
    ? out.subarray(0, out.length - 4)
    : out;
}

/**
 * Watches a ws 8 client's handshake and, once it is open, writes messages on its socket as
 * compressed fragments (or plain fragments when deflate was not negotiated), one at a time in the
 * order they were given.
 */
export class DeflateSender {
  private deflate?: MessageDeflate;
  private socket?: net.Socket;
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closed = false;
  /** The server's `Sec-WebSocket-Extensions` answer (empty when it sent none). */
  answer = '';
  readonly written: WrittenFrames = { messages: 0, rsv1FirstFrames: 0, continuationFrames: 0, bytes: 0 };

  constructor(
    ws: WebSocket,
    private readonly fragmentSize: number,
    private readonly context: DeflateContext = 'kept',
  ) {
    ws.on('upgrade', (res) => {
      this.answer = (res.headers['sec-websocket-extensions'] as string | undefined) ?? '';
      this.deflate = deflateFromAnswer(this.answer);
    });
    ws.on('open', () => {
      this.socket = (ws as unknown as { _socket: net.Socket })._socket;
    });
  }

  /** Whether the handshake accepted permessage-deflate (known once the connection is open). */
  get compressing(): boolean {
    return this.deflate !== undefined;
  }

  /**
   * Compresses `parts` now, per-message and when deflate was negotiated (a no-op otherwise), so
   * that sending them later costs only socket writes: call it before a send window starts.
   */
  prepare(parts: readonly Buffer[]): void {
    if (!this.deflate || this.context !== 'per-message') return;
    for (const part of parts) preparedSegment(part, this.deflate.windowBits);
  }

  /** Messages handed to send() and not yet written. */
  get pending(): number {
    return this.queued;
  }

  /** Bytes written to the socket that the kernel has not taken yet. */
  backlog(): number {
    return this.socket?.writableLength ?? 0;
  }

  /**
   * Queues one message; resolves true once all its frames are handed to the socket, false when the
   * connection was not open or ended first. Rejects only if compression fails.
   */
  send(body: Buffer | MessageParts, opcode: number): Promise<boolean> {
    return this.sendTogether([body], opcode).then((written) => written === 1);
  }

  /**
   * Queues messages that go out back to back: all are compressed first, in order, then all their
   * frames are handed to the socket in one write, so they reach the peer together however long
   * compressing took (as a browser's send backlog does). Resolves with how many were written (all
   * or none); rejects only if compression fails.
   */
  sendTogether(bodies: ReadonlyArray<Buffer | MessageParts>, opcode: number): Promise<number> {
    this.queued += bodies.length;
    const written = this.queue
      .then(async () => {
        if (this.closed || !this.socket || this.socket.destroyed) return 0;
        const deflate = this.deflate;
        const payloads: Buffer[] = [];
        for (const body of bodies) {
          const parts = Buffer.isBuffer(body) ? [body] : body;
          if (!deflate) payloads.push(parts.length === 1 ? parts[0] : Buffer.concat(parts));
          else if (this.context === 'per-message') payloads.push(compressAlone(parts, deflate.windowBits));
          else payloads.push(await compressMessage(deflate, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
        }
        const socket = this.socket;
        if (this.closed || socket.destroyed) return 0;
        socket.cork();
        for (const payload of payloads) {
          const buffers = fragmentMessage(opcode, payload, this.fragmentSize, deflate !== undefined);
          this.count(buffers);
          for (const buffer of buffers) socket.write(buffer);
        }
        socket.uncork();
        return bodies.length;
      })
      .finally(() => {
        this.queued -= bodies.length;
      });
    // The chain goes on after a failed batch; the caller sees the failure on `written`.
    this.queue = written.catch(() => undefined);
    return written;
  }

  // fragmentMessage returns [header, payload] pairs: the headers say what went on the wire.
  private count(buffers: readonly Buffer[]): void {
    this.written.messages++;
    for (let i = 0; i < buffers.length; i += 2) {
      const first = buffers[i][0];
      if ((first & 0x0f) === OPCODE.continuation) this.written.continuationFrames++;
      else if (first & 0x40) this.written.rsv1FirstFrames++;
      this.written.bytes += buffers[i].length + buffers[i + 1].length;
    }
  }

  /** Resolves when every message queued so far has been written or dropped. */
  async flushed(): Promise<void> {
    await this.queue;
  }

  /** Writes nothing more and releases the compressor. */
  close(): void {
    this.closed = true;
    this.deflate?.stream.close();
  }
}
