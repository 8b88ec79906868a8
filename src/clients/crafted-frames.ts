/**
 * Frames a conforming client never sends, for checking what a server does with them: RSV1 (the
 * permessage-deflate "compressed" bit) where RFC 6455 5.2 and RFC 7692 6.1 forbid it, and the
 * frames of a well-formed message beside them (compressed or not) as the positive control. They
 * are written straight to a ws 8 client's socket after its handshake, as DeflateSender writes its
 * fragments, because ws itself refuses to send them.
 */
import type net from 'node:net';
import type WebSocket from 'ws';
import { compressAlone } from './deflate-sender';
import { encodeFrame, OPCODE } from './frames';

/** The control opcode the misuse sets RSV1 on: a ping, which every server must answer or refuse. */
export const PING_OPCODE = 0x9;

/** The three RSV1 misuses, each with the negotiation it needs. */
export const RSV1_MISUSES = ['no-extension', 'control-frame', 'continuation-frame'] as const;
export type Rsv1Misuse = (typeof RSV1_MISUSES)[number];

/** What a misuse is and the negotiation it needs (deflate negotiated, or offered and refused). */
export const MISUSE_SPECS: Record<Rsv1Misuse, { deflateNegotiated: boolean; words: string }> = {
  'no-extension': {
    deflateNegotiated: false,
    words: 'RSV1 on a text frame with no extension negotiated',
  },
  'control-frame': {
    deflateNegotiated: true,
    words: 'RSV1 on a ping with permessage-deflate negotiated',
  },
  'continuation-frame': {
    deflateNegotiated: true,
    words: 'RSV1 on a continuation frame with permessage-deflate negotiated',
  },
};

/** The text each misuse carries (compressed where it claims to be): a server that took it would deliver this. */
export const MISUSE_TEXT = 'deflate-lab: a frame no conforming client sends';
/** The well-formed message sent first, on the same connection, as the positive control. */
export const WELL_FORMED_TEXT = 'deflate-lab: a well-formed message';

/** One masked client frame as a single buffer: header, then masked payload. */
export function craftedFrame(opcode: number, payload: Buffer, fin: boolean, rsv1: boolean): Buffer {
  return Buffer.concat(encodeFrame(opcode, payload, fin, rsv1));
}

/** A message's payload as permessage-deflate sends it alone (full 32 KiB window, tail removed); valid under context takeover too. */
export function deflatePayload(text: string): Buffer {
  return compressAlone([Buffer.from(text)], 15);
}

/** A well-formed text message in one frame: compressed (RSV1) when deflate was negotiated, plain otherwise. */
export function wellFormedFrame(text: string, compressed: boolean): Buffer {
  return craftedFrame(OPCODE.text, compressed ? deflatePayload(text) : Buffer.from(text), true, compressed);
}

/**
 * The frames of one misuse: a compressed text message with RSV1 where nothing was negotiated; a ping
 * with RSV1; or a compressed message in two fragments whose continuation frame has RSV1 too.
 */
export function misuseFrames(misuse: Rsv1Misuse): Buffer[] {
  const compressed = deflatePayload(MISUSE_TEXT);
  switch (misuse) {
    case 'no-extension':
      return [craftedFrame(OPCODE.text, compressed, true, true)];
    case 'control-frame':
      return [craftedFrame(PING_OPCODE, Buffer.from(MISUSE_TEXT), true, true)];
    case 'continuation-frame': {
      const cut = Math.floor(compressed.length / 2);
      return [
        craftedFrame(OPCODE.text, compressed.subarray(0, cut), false, true),
        craftedFrame(OPCODE.continuation, compressed.subarray(cut), true, true),
      ];
    }
  }
}

/** The TCP socket under an open ws 8 client, to write frames ws would not send (as DeflateSender does). */
export function rawSocket(ws: WebSocket): net.Socket {
  const socket = (ws as unknown as { _socket?: net.Socket })._socket;
  if (!socket) throw new Error('the WebSocket is not open: no socket to write crafted frames on');
  return socket;
}
