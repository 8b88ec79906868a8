/** Client-side WebSocket framing (RFC 6455): masked frames, a message split into fragments, and the handshake's accept key. */
import crypto from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2 } as const;

/** RFC 6455's GUID: a server answers an upgrade with sha1(key + GUID) in Sec-WebSocket-Accept. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept a server answers the client's Sec-WebSocket-Key with (the loopback servers that frame by hand). */
export function websocketAccept(key: string): string {
  return crypto
    .createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

// XOR in 32-bit words over an aligned copy: a 4 MiB message is masked in a few ms, where a byte
// loop would dominate the load generator's CPU at high rates.
function maskedCopy(payload: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(payload.length);
  payload.copy(out);
  const words = Math.floor(out.length / 4);
  const view = new Uint32Array(out.buffer, out.byteOffset, words);
  const key = mask.readUInt32LE(0);
  for (let i = 0; i < words; i++) view[i] ^= key;
  for (let i = words * 4; i < out.length; i++) out[i] ^= mask[i & 3];
  return out;
}

/** Encodes one masked frame as [header, payload] buffers (written together with writev). */
export function encodeFrame(opcode: number, payload: Buffer, fin: boolean, rsv1: boolean): [Buffer, Buffer] {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.allocUnsafe(2 + extended + 4);
  header[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  if (extended === 0) header[1] = 0x80 | length;
  else if (extended === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = crypto.randomBytes(4);
  mask.copy(header, 2 + extended);
  return [header, maskedCopy(payload, mask)];
}

/**
 * Splits a message body into frames of at most `fragmentSize` bytes: the first carries the opcode
 * (and RSV1 when compressed), the rest are continuation frames, the last has FIN.
 */
export function fragmentMessage(opcode: number, body: Buffer, fragmentSize: number, compressed: boolean): Buffer[] {
  const buffers: Buffer[] = [];
  let offset = 0;
  do {
    const end = Math.min(body.length, offset + fragmentSize);
    const first = offset === 0;
    buffers.push(
      ...encodeFrame(
        first ? opcode : OPCODE.continuation,
        body.subarray(offset, end),
        end === body.length,
        first && compressed,
      ),
    );
    offset = end;
  } while (offset < body.length);
  return buffers;
}
