/**
 * The hand-written engine.io/socket.io packets (src/clients/sio-protocol.ts) against the parsers
 * the servers themselves run, for both protocol revisions: what the client writes is decoded by the
 * server's engine.io-parser and socket.io-parser (the copies under socket.io 1.3.7 for EIO 3, those
 * of socket.io 4 for EIO 4), and what those servers' encoders write is read by parseIncoming.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import {
  connectPacket,
  ENGINE,
  encodeEvent,
  payloadPart,
  type EventMessage,
  parseIncoming,
  websocketUrl,
  type EioRevision,
  type Incoming,
} from '../../src/clients/sio-protocol';
import { packageDir, STACKS } from '../../src/core/stack-catalog';

interface EnginePacket {
  type: string;
  data?: string | Buffer;
}
interface EngineParser {
  encodePacket(packet: EnginePacket, supportsBinary: boolean, callback: (encoded: string | Buffer) => void): void;
  decodePacket(data: string | Buffer): EnginePacket;
}
interface SocketPacket {
  type: number;
  nsp: string;
  id?: number;
  data?: unknown;
}
interface SocketParser {
  // socket.io-parser 2 calls back with the encoded parts; 4 returns them.
  Encoder: new () => {
    encode(packet: SocketPacket, callback?: (parts: Array<string | Buffer>) => void): Array<string | Buffer> | void;
  };
  Decoder: new () => {
    add(chunk: string | Buffer): void;
    on(event: 'decoded', listener: (packet: SocketPacket) => void): void;
    destroy(): void;
  };
}

// socket.io packet type numbers, the same in both parser generations.
const CONNECT = 0;
const DISCONNECT = 1;
const EVENT = 2;
const ACK = 3;
const BINARY_EVENT = 5;

/** The parsers one stack's server loads, found from its socket.io folder as `require` finds them. */
interface ServerParsers {
  engine: EngineParser;
  socket: SocketParser;
  versions: { engine: string; socket: string };
}

function serverParsers(stack: '2015' | 'today'): ServerParsers {
  const socketIoDir = STACKS[stack].serverDir;
  const engineIoDir = packageDir('engine.io', socketIoDir);
  const version = (dir: string) =>
    (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  // engine.io loads engine.io-parser, socket.io loads socket.io-parser: resolve each from its loader.
  const fromEngineIo = createRequire(path.join(engineIoDir, 'package.json'));
  const fromSocketIo = createRequire(path.join(socketIoDir, 'package.json'));
  return {
    engine: fromEngineIo('engine.io-parser') as EngineParser,
    socket: fromSocketIo('socket.io-parser') as SocketParser,
    versions: {
      engine: version(packageDir('engine.io-parser', engineIoDir)),
      socket: version(packageDir('socket.io-parser', socketIoDir)),
    },
  };
}

const PARSERS: Record<EioRevision, ServerParsers> = { 3: serverParsers('2015'), 4: serverParsers('today') };

/** The messages as they cross the wire: text messages as strings, binary ones as Buffers. */
function onWire(messages: EventMessage[]): Array<string | Buffer> {
  return messages.map((m) => (m.binary ? Buffer.concat(m.parts) : Buffer.concat(m.parts).toString()));
}

test('the parsers are the ones the 2015 and today servers load', () => {
  assert.deepEqual(PARSERS[3].versions, { engine: '1.2.2', socket: '2.2.4' });
  assert.deepEqual(PARSERS[4].versions, { engine: '5.2.3', socket: '4.2.7' });
});

/** engine.io packets as the server's websocket transport decodes each WebSocket message. */
function engineDecodes(eio: EioRevision, messages: Array<string | Buffer>): EnginePacket[] {
  return messages.map((message) => PARSERS[eio].engine.decodePacket(message));
}

/** socket.io packets as the server decodes the client's messages: engine.io first, then socket.io. */
function serverDecodes(eio: EioRevision, messages: Array<string | Buffer>): SocketPacket[] {
  const decoder = new PARSERS[eio].socket.Decoder();
  const packets: SocketPacket[] = [];
  decoder.on('decoded', (packet) => packets.push(packet));
  try {
    for (const packet of engineDecodes(eio, messages)) {
      assert.equal(packet.type, 'message', 'every socket.io packet rides an engine.io message');
      assert.ok(packet.data !== undefined, 'an engine.io message with a body');
      decoder.add(packet.data);
    }
  } finally {
    decoder.destroy();
  }
  return packets;
}

/** The one WebSocket text message a server writes for a socket.io packet. */
function serverEncodes(eio: EioRevision, packet: SocketPacket): string {
  const { socket } = PARSERS[eio];
  let parts: Array<string | Buffer> | undefined;
  const returned = new socket.Encoder().encode(packet, (encoded) => (parts = encoded));
  parts = returned ?? parts;
  assert.ok(parts && parts.length === 1 && typeof parts[0] === 'string', 'one text part');
  return engineEncodes(eio, { type: 'message', data: parts[0] });
}

/** The WebSocket message a server writes for an engine.io packet (its websocket transport's call). */
function engineEncodes(eio: EioRevision, packet: EnginePacket): string {
  let message: string | Buffer | undefined;
  PARSERS[eio].engine.encodePacket(packet, true, (encoded) => (message = encoded));
  assert.equal(typeof message, 'string');
  return message as string;
}

for (const eio of [3, 4] as const) {
  test(`EIO ${eio}: the client's heartbeat packets decode as engine.io ping and pong`, () => {
    assert.deepEqual(engineDecodes(eio, [ENGINE.ping, ENGINE.pong]), [{ type: 'ping' }, { type: 'pong' }]);
  });

  test(`EIO ${eio}: the namespace connect is the one the revision expects`, () => {
    const connect = connectPacket(eio);
    if (eio === 3) {
      // socket.io 1.x connects every client to '/' itself: a client connect would be a second one.
      assert.equal(connect, undefined);
      return;
    }
    assert.ok(connect !== undefined);
    assert.deepEqual(serverDecodes(eio, [connect]), [{ type: CONNECT, nsp: '/' }]);
  });

  test(`EIO ${eio}: an event's payload part is one Buffer a sender can reuse for every emit`, () => {
    const data = 'data:image/png;base64,QUJD';
    const payload = payloadPart(eio, data);
    const [first] = encodeEvent(eio, 'frame', { seq: 1 }, data, 1, payload);
    const [second] = encodeEvent(eio, 'frame', { seq: 2 }, data, 2, payload);
    assert.equal(first.parts[1], payload);
    assert.equal(second.parts[1], payload, 'the same Buffer, not a copy');
  });

  test(`EIO ${eio}: a text event with its ack id decodes to the event, its arguments and the id`, () => {
    const meta = { seq: 41, sentAt: 1_700_000_000_123, label: 'node-1', nested: { sizes: [1, 2, 3] } };
    for (const ackId of [0, 7, 123_456]) {
      const data = `data:image/jpeg;base64,${'QUJD'.repeat(50)} “quoted” é€😀`;
      const messages = onWire(encodeEvent(eio, 'frame', meta, data, ackId));
      assert.equal(messages.length, 1, 'one text message');
      // The parts join into exactly what socket.io's own encoding of the packet is.
      assert.equal(messages[0], `42${ackId}${JSON.stringify(['frame', meta, data])}`);
      assert.deepEqual(serverDecodes(eio, messages), [
        { type: EVENT, nsp: '/', id: ackId, data: ['frame', meta, data] },
      ]);
    }
  });

  test(`EIO ${eio}: a binary event is a placeholder header and one attachment the server puts back in place`, () => {
    const meta = { seq: 3, bytes: 300 };
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
    const messages = onWire(encodeEvent(eio, 'frame', meta, data, 9));
    assert.equal(messages.length, 2, 'a text header and a binary attachment');
    const [header, attachment] = messages;
    assert.equal(typeof header, 'string');
    assert.ok(Buffer.isBuffer(attachment));
    // Revision 3 prefixes a binary engine.io message with its packet type byte (4, message); 4 does not.
    assert.ok(
      attachment.equals(eio === 3 ? Buffer.concat([Buffer.from([4]), data]) : data),
      'the attachment bytes on the wire',
    );
    const packets = serverDecodes(eio, messages);
    assert.equal(packets.length, 1, 'the header waits for its attachment: one packet');
    const [packet] = packets;
    // socket.io-parser 4 reports a reassembled binary event as a plain EVENT; 2 keeps its type.
    assert.equal(packet.type, eio === 3 ? BINARY_EVENT : EVENT);
    assert.equal(packet.nsp, '/');
    assert.equal(packet.id, 9);
    const args = packet.data as unknown[];
    assert.deepEqual(args.slice(0, 2), ['frame', meta]);
    assert.ok(Buffer.isBuffer(args[2]) && args[2].equals(data), 'the attachment in the placeholder’s place');
    assert.equal(args.length, 3);
  });

  test(`EIO ${eio}: what the server writes (open, ping, pong, close, CONNECT, EVENT, ACK, DISCONNECT) reads right`, () => {
    const open = { sid: 'Zk3_xQ-AAAB', upgrades: [], pingInterval: 25000, pingTimeout: 20000 };
    const cases: Array<[string, Incoming]> = [
      [engineEncodes(eio, { type: 'open', data: JSON.stringify(open) }), { kind: 'open', open: open }],
      [engineEncodes(eio, { type: 'ping' }), { kind: 'ping' }],
      [engineEncodes(eio, { type: 'pong' }), { kind: 'pong' }],
      [engineEncodes(eio, { type: 'close' }), { kind: 'close' }],
      // socket.io 1.x connects without a body; socket.io 4 names the socket's id.
      eio === 3
        ? [serverEncodes(eio, { type: CONNECT, nsp: '/' }), { kind: 'connect', sid: undefined, nsp: '/' }]
        : [
            serverEncodes(eio, { type: CONNECT, nsp: '/', data: { sid: 'q1W-AAAC' } }),
            { kind: 'connect', sid: 'q1W-AAAC', nsp: '/' },
          ],
      [
        serverEncodes(eio, { type: EVENT, nsp: '/', data: ['notice', { n: 1 }, 'é€😀'] }),
        { kind: 'event', name: 'notice', args: [{ n: 1 }, 'é€😀'], nsp: '/' },
      ],
      [
        serverEncodes(eio, { type: EVENT, nsp: '/', id: 55, data: ['asks', 2] }),
        { kind: 'event', name: 'asks', args: [2], nsp: '/' },
      ],
      [
        serverEncodes(eio, { type: ACK, nsp: '/', id: 123_456, data: [{ seq: 41, bytes: 65536, at: 1.5 }] }),
        { kind: 'ack', id: 123_456, args: [{ seq: 41, bytes: 65536, at: 1.5 }], nsp: '/' },
      ],
      [serverEncodes(eio, { type: ACK, nsp: '/', id: 0, data: [] }), { kind: 'ack', id: 0, args: [], nsp: '/' }],
      [serverEncodes(eio, { type: DISCONNECT, nsp: '/' }), { kind: 'disconnect', nsp: '/' }],
    ];
    for (const [message, expected] of cases) assert.deepEqual(parseIncoming(message), expected, message);
  });

  test(`EIO ${eio}: the WebSocket URL names the revision and the websocket transport`, () => {
    const url = new URL(websocketUrl('http://127.0.0.1:4000', eio));
    assert.equal(url.protocol, 'ws:');
    assert.equal(url.host, '127.0.0.1:4000');
    assert.equal(url.pathname, '/socket.io/');
    assert.deepEqual(Object.fromEntries(url.searchParams), { EIO: String(eio), transport: 'websocket' });
  });
}
