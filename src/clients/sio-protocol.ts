/**
 * Just enough of the engine.io (revisions 3 and 4) and socket.io wire formats for a client that
 * writes its own WebSocket frames: open, heartbeat, namespace connect, events with acks and binary
 * attachments. Hand-written because the stacks' own clients cannot be told how to fragment.
 */

export type EioRevision = 3 | 4;

/** engine.io packet types (the first character of every text message). */
export const ENGINE = { open: '0', close: '1', ping: '2', pong: '3', message: '4' } as const;
/** socket.io packet types (the character after engine.io's `4`). */
export const SOCKET = { connect: '0', disconnect: '1', event: '2', ack: '3', error: '4', binaryEvent: '5' } as const;

/** The WebSocket URL a client opens for a server at `httpUrl`. */
export function websocketUrl(httpUrl: string, eio: EioRevision): string {
  return `${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=${eio}&transport=websocket`;
}

/** The server's open packet. */
export interface OpenPacket {
  sid: string;
  pingInterval: number;
  pingTimeout: number;
}

/** What a text message from the server means to the client. */
export type Incoming =
  | { kind: 'open'; open: OpenPacket }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'close' }
  | { kind: 'connect'; sid?: string }
  | { kind: 'disconnect' }
  | { kind: 'ack'; id: number; args: unknown[] }
  | { kind: 'event'; name: string; args: unknown[] }
  | { kind: 'error'; data: string }
  | { kind: 'other'; text: string };

/** Parses one engine.io text message from the server. */
export function parseIncoming(text: string): Incoming {
  switch (text[0]) {
    case ENGINE.open:
      return { kind: 'open', open: JSON.parse(text.slice(1)) as OpenPacket };
    case ENGINE.ping:
      return { kind: 'ping' };
    case ENGINE.pong:
      return { kind: 'pong' };
    case ENGINE.close:
      return { kind: 'close' };
    case ENGINE.message:
      break;
    default:
      return { kind: 'other', text };
  }
  const body = text.slice(2);
  switch (text[1]) {
    case SOCKET.connect: {
      const sid = body.startsWith('{') ? (JSON.parse(body) as { sid?: string }).sid : undefined;
      return { kind: 'connect', sid };
    }
    case SOCKET.disconnect:
      return { kind: 'disconnect' };
    case SOCKET.error:
      return { kind: 'error', data: body };
    case SOCKET.ack: {
      const match = /^(\d+)(.*)$/s.exec(body);
      if (!match) return { kind: 'other', text };
      return { kind: 'ack', id: Number(match[1]), args: JSON.parse(match[2]) as unknown[] };
    }
    case SOCKET.event: {
      const json = body.replace(/^\d+/, '');
      const [name, ...args] = JSON.parse(json) as [string, ...unknown[]];
      return { kind: 'event', name, args };
    }
    default:
      return { kind: 'other', text };
  }
}

/** The namespace connect a revision-4 client must send; revision 3 servers connect `/` themselves. */
export function connectPacket(eio: EioRevision): string | undefined {
  return eio === 4 ? `${ENGINE.message}${SOCKET.connect}` : undefined;
}

/** One WebSocket message of an encoded event, as parts whose concatenation is the message. */
export interface EventMessage {
  parts: Buffer[];
  binary: boolean;
}

/**
 * The payload's own bytes in an event, the part every emit of the same payload shares: a string's
 * JSON text, or a Buffer's binary attachment (revision 3 prefixes binary engine.io messages with
 * the packet type byte 4; revision 4 sends them raw). Callers may cache it per payload.
 */
export function payloadPart(eio: EioRevision, data: string | Buffer): Buffer {
  if (typeof data === 'string') return Buffer.from(JSON.stringify(data));
  return eio === 3 ? Buffer.concat([Buffer.from([4]), data]) : data;
}

/**
 * Encodes `emit(event, meta, data, ack)` as WebSocket messages: one text message, plus one binary
 * message when `data` is a Buffer (socket.io's placeholder convention). `payload` is the data's
 * payloadPart(), passed in so a sender can reuse the same Buffer for every emit of it.
 */
export function encodeEvent(
  eio: EioRevision,
  event: string,
  meta: unknown,
  data: string | Buffer,
  ackId: number,
  payload: Buffer = payloadPart(eio, data),
): EventMessage[] {
  if (typeof data === 'string') {
    // JSON.stringify([event, meta, data]) with the data's JSON as a part of its own.
    const head = `${ENGINE.message}${SOCKET.event}${ackId}[${JSON.stringify(event)},${JSON.stringify(meta)},`;
    return [{ parts: [Buffer.from(head), payload, Buffer.from(']')], binary: false }];
  }
  const header = `${ENGINE.message}${SOCKET.binaryEvent}1-${ackId}${JSON.stringify([event, meta, { _placeholder: true, num: 0 }])}`;
  return [
    { parts: [Buffer.from(header)], binary: false },
    { parts: [payload], binary: true },
  ];
}
