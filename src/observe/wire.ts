/**
 * What crossed the wire, counted at the server's TCP sockets: the permessage-deflate offer and
 * answer of every WebSocket handshake, and the frames clients sent (compressed first frames,
 * continuation frames, sizes). These are the positive controls: a run that claims "zero failures
 * with deflate on" must show deflate was negotiated and fragments were seen.
 */
import type http from 'node:http';
import type net from 'node:net';

/** Frame counts for client-to-server traffic, summed over connections. */
export interface WireCounts {
  /** WebSocket handshakes seen (one per connection). */
  handshakes: number;
  /** Handshakes whose answer accepted permessage-deflate. */
  deflateHandshakes: number;
  frames: number;
  /** Data messages (text or binary first frames). */
  messages: number;
  /** First frames with RSV1 set: compressed messages. */
  compressedMessages: number;
  /** Messages whose first frame had FIN clear, so continuation frames followed. */
  fragmentedMessages: number;
  continuationFrames: number;
  controlFrames: number;
  /** Sum of data-frame payload lengths as sent (compressed bytes where compressed). */
  payloadBytes: number;
  /** TCP bytes read from and written to upgraded sockets. */
  bytesIn: number;
  bytesOut: number;
}

/** One handshake's extension negotiation, as the server saw and answered it. */
export interface Handshake {
  t: number;
  url: string;
  userAgent: string;
  offer: string;
  answer: string;
}

const EXTENSIONS_HEADER = /^sec-websocket-extensions:\s*(.*)$/im;

/** The positive controls: proof, from the same run, that the thing under test happened. */
export interface Controls {
  deflateNegotiated: boolean;
  compressedMessages: number;
  fragmentedMessages: number;
  continuationFrames: number;
  deliveredEqualsSent: boolean;
}

/** Reads the controls off a run's wire counts and handshakes, given what its clients sent and its server received. */
export function positiveControls(
  wire: WireCounts,
  handshakes: readonly Handshake[],
  sent: number,
  delivered: number,
): Controls {
  return {
    deflateNegotiated: handshakes.length > 0 && handshakes.every((h) => acceptsDeflate(h.answer)),
    compressedMessages: wire.compressedMessages,
    fragmentedMessages: wire.fragmentedMessages,
    continuationFrames: wire.continuationFrames,
    deliveredEqualsSent: sent > 0 && delivered === sent,
  };
}

/** Whether an extensions header accepts permessage-deflate. */
export function acceptsDeflate(header: string): boolean {
  return header.split(',').some((ext) => ext.trim().split(';')[0].trim() === 'permessage-deflate');
}

/** One frame's header, as read off the wire. */
export interface FrameHeader {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  /** Payload length in bytes (compressed bytes where RSV1 says so). */
  payload: number;
}

/**
 * Reads frame headers off a byte stream, in either direction, chunk by chunk. Parsed by hand,
 * because no installed ws exposes a passive parser, and this one must only read headers: it never
 * unmasks or copies payload, so it adds little to server CPU.
 */
export class FrameReader {
  private header = Buffer.alloc(14);
  private headerHave = 0;
  private skip = 0;

  constructor(private readonly onFrame: (frame: FrameHeader) => void) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - offset);
        this.skip -= take;
        offset += take;
        continue;
      }
      this.header[this.headerHave++] = chunk[offset++];
      const need = this.headerLength();
      if (need !== undefined && this.headerHave === need) this.onHeader();
    }
  }

  private headerLength(): number | undefined {
    if (this.headerHave < 2) return undefined;
    const len7 = this.header[1] & 0x7f;
    const masked = (this.header[1] & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private onHeader(): void {
    const b0 = this.header[0];
    const len7 = this.header[1] & 0x7f;
    const payload =
      len7 === 126 ? this.header.readUInt16BE(2) : len7 === 127 ? Number(this.header.readBigUInt64BE(2)) : len7;
    this.headerHave = 0;
    this.skip = payload;
    this.onFrame({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      opcode: b0 & 0x0f,
      masked: (this.header[1] & 0x80) !== 0,
      payload: payload,
    });
  }
}

/** Adds one client frame to the counts. */
function countFrame(c: WireCounts, frame: FrameHeader): void {
  c.frames++;
  if (frame.opcode >= 0x8) c.controlFrames++;
  else {
    c.payloadBytes += frame.payload;
    if (frame.opcode === 0x0) c.continuationFrames++;
    else {
      c.messages++;
      if (frame.rsv1) c.compressedMessages++;
      if (!frame.fin) c.fragmentedMessages++;
    }
  }
}

/** Counts with nothing seen yet (also a run that never watched the wire). */
export function emptyWireCounts(): WireCounts {
  return {
    handshakes: 0,
    deflateHandshakes: 0,
    frames: 0,
    messages: 0,
    compressedMessages: 0,
    fragmentedMessages: 0,
    continuationFrames: 0,
    controlFrames: 0,
    payloadBytes: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** Watches every WebSocket upgrade on an HTTP server until detach(). */
export class WireObserver {
  private readonly counts = emptyWireCounts();
  private readonly seen: Handshake[] = [];
  private readonly live = new Set<net.Socket>();
  private readonly onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
    this.watch(req, socket, head);

  /** Starts watching; it must run before the stack's own upgrade listener, so it is prepended. */
  constructor(private readonly server: http.Server) {
    server.prependListener('upgrade', this.onUpgrade);
  }

  private watch(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const handshake: Handshake = {
      t: Date.now(),
      url: req.url ?? '',
      userAgent: String(req.headers['user-agent'] ?? ''),
      offer: String(req.headers['sec-websocket-extensions'] ?? ''),
      answer: '',
    };
    this.seen.push(handshake);
    this.counts.handshakes++;
    // The answer is read from the server's first write (the 101 response): ws 0.8 has no
    // 'headers' event, and this is the one place every ws version agrees on.
    const write = socket.write;
    socket.write = function (this: net.Socket, ...args: unknown[]): boolean {
      socket.write = write;
      const text = Buffer.isBuffer(args[0]) ? args[0].toString('latin1') : String(args[0]);
      if (text.startsWith('HTTP/1.1 101')) {
        handshake.answer = EXTENSIONS_HEADER.exec(text.split('\r\n\r\n')[0])?.[1]?.trim() ?? '';
      }
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof socket.write;
    const counter = new FrameReader((frame) => countFrame(this.counts, frame));
    if (head.length > 0) counter.push(head);
    socket.on('data', (chunk: Buffer) => counter.push(chunk));
    this.live.add(socket);
    socket.once('close', () => {
      this.live.delete(socket);
      this.counts.bytesIn += socket.bytesRead;
      this.counts.bytesOut += socket.bytesWritten;
    });
  }

  /** Counts so far, including bytes on sockets still open. */
  totals(): WireCounts {
    const total = { ...this.counts };
    for (const socket of this.live) {
      total.bytesIn += socket.bytesRead;
      total.bytesOut += socket.bytesWritten;
    }
    total.deflateHandshakes = this.seen.filter((h) => acceptsDeflate(h.answer)).length;
    return total;
  }

  /** Every handshake seen, in order. */
  handshakes(): Handshake[] {
    return this.seen.map((h) => ({ ...h }));
  }

  /** Stops watching new upgrades (sockets already watched keep counting until they close). */
  detach(): void {
    this.server.removeListener('upgrade', this.onUpgrade);
  }
}
