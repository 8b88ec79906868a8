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
  | { kind: 'connect'; sid?: string; nsp: string }
  | { kind: 'disconnect'; nsp: string }
  | { kind: 'ack'; id: number; args: unknown[]; nsp: string }
  | { kind: 'event'; name: string; args: unknown[]; nsp: string }
  | { kind: 'error'; data: string; nsp: string }
  | { kind: 'other'; text: string };

/** Splits a socket.io packet body into its namespace (`/` when absent) and the rest (`/chat,1[…]` → `/chat`, `1[…]`). */
export function splitNamespace(body: string): { nsp: string; rest: string } {
  if (!body.startsWith('/')) return { nsp: '/', rest: body };
  const comma = body.indexOf(',');
  return comma === -1 ? { nsp: body, rest: '' } : { nsp: body.slice(0, comma), rest: body.slice(comma + 1) };
}

/** The namespace part of an outgoing packet: nothing for `/`, else `/name,`. */
export function namespacePrefix(nsp: string): string {
  return nsp === '/' ? '' : `${nsp},`;
}

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
  const { nsp, rest: body } = splitNamespace(text.slice(2));
  switch (text[1]) {
    case SOCKET.connect: {
      const sid = body.startsWith('{') ? (JSON.parse(body) as { sid?: string }).sid : undefined;
      return { kind: 'connect', sid, nsp };
    }
    case SOCKET.disconnect:
      return { kind: 'disconnect', nsp };
    case SOCKET.error:
      return { kind: 'error', data: body, nsp };
    case SOCKET.ack: {
      const match = /^(\d+)(.*)$/s.exec(body);
      if (!match) return { kind: 'other', text };
      return { kind: 'ack', id: Number(match[1]), args: JSON.parse(match[2]) as unknown[], nsp };
    }
    case SOCKET.event: {
      const json = body.replace(/^\d+/, '');
      const [name, ...args] = JSON.parse(json) as [string, ...unknown[]];
      return { kind: 'event', name, args, nsp };
    }
    default:
      return { kind: 'other', text };
  }
}

/**
 * The namespace connect a client must send: revision 4 always (with its auth object), revision 3
 * only for a namespace other than `/` (servers connect `/` themselves; auth travels in the query).
 */
export function connectPacket(eio: EioRevision, nsp = '/', auth?: Record<string, string>): string | undefined {
  if (eio === 3) return nsp === '/' ? undefined : `${ENGINE.message}${SOCKET.connect}${nsp}`;
  const data = auth && Object.keys(auth).length > 0 ? JSON.stringify(auth) : '';
  return `${ENGINE.message}${SOCKET.connect}${nsp === '/' ? '' : data ? `${nsp},` : nsp}${data}`;
}

/** A text event `[event, ...args]` on namespace `nsp`, with an ack id when one is given. */
export function encodeTextEvent(nsp: string, event: string, args: readonly unknown[], ackId?: number): string {
  return `${ENGINE.message}${SOCKET.event}${namespacePrefix(nsp)}${ackId ?? ''}${JSON.stringify([event, ...args])}`;
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
