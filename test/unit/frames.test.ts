/**
 * The hand-written WebSocket framing (src/clients/frames.ts) and permessage-deflate compression
 * (src/clients/deflate-sender.ts), checked byte by byte and decoded by ws 8's own Receiver, the
 * parser every server of the `today` stack runs: FIN, RSV1 on the first frame only, opcodes, the
 * three length encodings and the mask, and the reassembled (inflated) message equal to the input.
 * The deflate parameters come from a handshake played with ws's own extension code.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { compressMessage, deflateFromAnswer, type MessageDeflate } from '../../src/clients/deflate-sender';
import { encodeFrame, fragmentMessage, OPCODE } from '../../src/clients/frames';
import { packageDir } from '../../src/core/stack-catalog';
import { PROJECT_ROOT } from '../../src/core/paths';
import { extension, PerMessageDeflate, Receiver, type PerMessageDeflateInstance } from '../support/ws-internals';

test('the Receiver under test is the installed ws 8.23', () => {
  const wsDir = packageDir('ws', PROJECT_ROOT);
  assert.equal(
    (JSON.parse(fs.readFileSync(path.join(wsDir, 'package.json'), 'utf8')) as { version: string }).version,
    '8.23.0',
  );
  assert.equal(require.resolve('ws'), path.join(wsDir, 'index.js'));
  // The same classes as ws/lib/receiver.js and permessage-deflate.js, which ws's `exports` keep from a
  // plain require.
  assert.equal(Receiver, require(path.join(wsDir, 'lib', 'receiver.js')));
  assert.equal(PerMessageDeflate, require(path.join(wsDir, 'lib', 'permessage-deflate.js')));
});

/** One frame's header, read byte by byte from the header buffer encodeFrame returned. */
interface Header {
  fin: boolean;
  rsv1: boolean;
  rsv23: number;
  opcode: number;
  masked: boolean;
  /** The 7-bit length field: the length itself, or 126 / 127 for a 16-bit / 64-bit extension. */
  lengthField: number;
  length: number;
  mask: Buffer;
}

function readHeader(header: Buffer): Header {
  const lengthField = header[1] & 0x7f;
  const extended = lengthField === 126 ? 2 : lengthField === 127 ? 8 : 0;
  assert.equal(header.length, 2 + extended + 4, 'header: 2 bytes, the extended length, a 4-byte mask key');
  const length =
    extended === 0 ? lengthField : extended === 2 ? header.readUInt16BE(2) : Number(header.readBigUInt64BE(2));
  return {
    fin: (header[0] & 0x80) !== 0,
    rsv1: (header[0] & 0x40) !== 0,
    rsv23: header[0] & 0x30,
    opcode: header[0] & 0x0f,
    masked: (header[1] & 0x80) !== 0,
    lengthField: lengthField,
    length: length,
    mask: header.subarray(2 + extended),
  };
}

type LengthEncoding = '7-bit' | '16-bit' | '64-bit';

/** The encoding RFC 6455 5.2 requires for a payload length: the shortest that fits. */
function requiredEncoding(length: number): LengthEncoding {
  return length <= 125 ? '7-bit' : length <= 65535 ? '16-bit' : '64-bit';
}

function encodingOf(header: Header): LengthEncoding {
  return header.lengthField === 127 ? '64-bit' : header.lengthField === 126 ? '16-bit' : '7-bit';
}

/**
 * Checks the frames of one message at the byte level and returns the length encodings
 * seen: pairs of [header, masked payload], opcode then continuations, FIN on the last only, RSV1 on
 * the first only when compressed, the shortest length encoding, and payloads that unmask to `sent`.
 */
function checkMessageFrames(buffers: Buffer[], opcode: number, sent: Buffer, compressed: boolean): Set<LengthEncoding> {
  assert.equal(buffers.length % 2, 0, 'frames come as [header, payload] pairs');
  const encodings = new Set<LengthEncoding>();
  let offset = 0;
  for (let i = 0; i < buffers.length; i += 2) {
    const header = readHeader(buffers[i]);
    const payload = buffers[i + 1];
    const first = i === 0;
    const last = i === buffers.length - 2;
    const where = `frame ${i / 2 + 1} of ${buffers.length / 2}`;
    assert.equal(header.opcode, first ? opcode : OPCODE.continuation, `${where}: opcode`);
    assert.equal(header.fin, last, `${where}: FIN on the last frame only`);
    assert.equal(header.rsv1, first && compressed, `${where}: RSV1 on the first frame only, when compressed`);
    assert.equal(header.rsv23, 0, `${where}: RSV2 and RSV3 clear`);
    assert.ok(header.masked, `${where}: a client frame is masked`);
    assert.equal(header.length, payload.length, `${where}: the length field says the payload length`);
    assert.equal(encodingOf(header), requiredEncoding(payload.length), `${where}: length encoding`);
    encodings.add(encodingOf(header));
    const unmasked = Buffer.from(payload.map((byte, j) => byte ^ header.mask[j & 3]));
    assert.ok(
      unmasked.equals(sent.subarray(offset, offset + payload.length)),
      `${where}: the payload unmasks to the input`,
    );
    offset += payload.length;
  }
  assert.equal(offset, sent.length, 'the frames carry the whole message');
  return encodings;
}

/** What ws's Receiver made of the bytes: its messages, in order. */
interface Decoded {
  data: Buffer;
  isBinary: boolean;
}

/**
 * Writes the bytes into a ws 8 Receiver acting as a server (it requires masked frames) and resolves
 * with every message once it has consumed them all; rejects on the first protocol error.
 */
function receive(buffers: Buffer[], deflate?: PerMessageDeflateInstance): Promise<Decoded[]> {
  const receiver = new Receiver({
    isServer: true,
    extensions: deflate ? { 'permessage-deflate': deflate } : {},
  });
  const messages: Decoded[] = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => messages.push({ data: data, isBinary: isBinary }));
  return new Promise<Decoded[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the Receiver did not finish; ${messages.length} message(s) so far`)),
      10_000,
    );
    receiver.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'finish' comes once every write's callback ran, and the Receiver holds that callback while it
    // inflates, so every message is out by then.
    receiver.once('finish', () => {
      clearTimeout(timer);
      resolve(messages);
    });
    for (const buffer of buffers) receiver.write(buffer);
    receiver.end();
  });
}

test('a single frame per length encoding: exact header bytes, and ws decodes it to the input', async () => {
  const cases: Array<{ length: number; lengthBytes: number[] }> = [
    { length: 0, lengthBytes: [0x80 | 0] },
    { length: 1, lengthBytes: [0x80 | 1] },
    { length: 125, lengthBytes: [0x80 | 125] },
    { length: 126, lengthBytes: [0x80 | 126, 0x00, 0x7e] },
    { length: 1000, lengthBytes: [0x80 | 126, 0x03, 0xe8] },
    { length: 65535, lengthBytes: [0x80 | 126, 0xff, 0xff] },
    { length: 65536, lengthBytes: [0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00] },
    { length: 70001, lengthBytes: [0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x71] },
  ];
  for (const { length, lengthBytes } of cases) {
    for (const opcode of [OPCODE.binary, OPCODE.text]) {
      const body = opcode === OPCODE.text ? Buffer.from('x'.repeat(length)) : crypto.randomBytes(length);
      const [header, payload] = encodeFrame(opcode, body, true, false);
      const what = `${length} bytes, opcode ${opcode}`;
      assert.equal(header[0], 0x80 | opcode, `${what}: FIN, no RSV, the opcode`);
      assert.deepEqual([...header.subarray(1, 1 + lengthBytes.length)], lengthBytes, `${what}: mask bit and length`);
      assert.equal(header.length, 1 + lengthBytes.length + 4, `${what}: then the 4-byte mask key`);
      checkMessageFrames([header, payload], opcode, body, false);
      const [decoded, ...extra] = await receive([header, payload]);
      assert.equal(extra.length, 0, `${what}: one message`);
      assert.equal(decoded.isBinary, opcode === OPCODE.binary, `${what}: text or binary`);
      assert.ok(decoded.data.equals(body), `${what}: decoded to the input`);
    }
  }
});

test('fragments: opcode then continuations, FIN on the last, every length encoding; ws reassembles the input', async () => {
  const seen = new Set<LengthEncoding>();
  const cases: Array<{ length: number; fragmentSize: number; frames: number[] }> = [
    { length: 0, fragmentSize: 100, frames: [0] },
    { length: 300, fragmentSize: 125, frames: [125, 125, 50] },
    { length: 250, fragmentSize: 125, frames: [125, 125] },
    { length: 65536 + 200, fragmentSize: 65536, frames: [65536, 200] },
    { length: 65536 + 100, fragmentSize: 65536, frames: [65536, 100] },
    { length: 3 * 70000, fragmentSize: 70000, frames: [70000, 70000, 70000] },
    { length: 5000, fragmentSize: 1, frames: Array<number>(5000).fill(1) },
  ];
  for (const { length, fragmentSize, frames } of cases) {
    const body = crypto.randomBytes(length);
    const buffers = fragmentMessage(OPCODE.binary, body, fragmentSize, false);
    const what = `${length} bytes in fragments of ${fragmentSize}`;
    assert.deepEqual(
      buffers.filter((_, i) => i % 2 === 1).map((payload) => payload.length),
      frames,
      `${what}: frame sizes`,
    );
    for (const encoding of checkMessageFrames(buffers, OPCODE.binary, body, false)) seen.add(encoding);
    const decoded = await receive(buffers);
    assert.equal(decoded.length, 1, `${what}: one message`);
    assert.ok(decoded[0].isBinary && decoded[0].data.equals(body), `${what}: reassembled to the input`);
  }
  assert.deepEqual([...seen].sort(), ['16-bit', '64-bit', '7-bit'], 'all three length encodings were on the wire');
});

test('a text message cut inside multi-byte characters is reassembled before ws validates its UTF-8', async () => {
  const text = 'é€😀 frame '.repeat(40);
  const body = Buffer.from(text);
  for (const fragmentSize of [1, 3, 7, 125]) {
    const buffers = fragmentMessage(OPCODE.text, body, fragmentSize, false);
    checkMessageFrames(buffers, OPCODE.text, body, false);
    const [decoded, ...extra] = await receive(buffers);
    assert.equal(extra.length, 0);
    assert.equal(decoded.isBinary, false);
    assert.equal(decoded.data.toString(), text, `fragments of ${fragmentSize}`);
  }
});

test('messages back to back on one connection stay apart', async () => {
  const bodies = [crypto.randomBytes(200), Buffer.from('between'), crypto.randomBytes(70000)];
  const buffers = [
    ...fragmentMessage(OPCODE.binary, bodies[0], 64, false),
    ...fragmentMessage(OPCODE.text, bodies[1], 3, false),
    ...fragmentMessage(OPCODE.binary, bodies[2], 65536, false),
  ];
  const decoded = await receive(buffers);
  assert.deepEqual(
    decoded.map((message) => message.isBinary),
    [true, false, true],
  );
  decoded.forEach((message, i) => assert.ok(message.data.equals(bodies[i]), `message ${i + 1}`));
});

/**
 * A permessage-deflate handshake played with ws's own extension code: the client's offer (as a ws
 * 8 client with perMessageDeflate: true makes it), a ws server's accept with `serverOptions`, and
 * the project's compressor for that answer.
 */
function negotiate(serverOptions: Record<string, unknown>): {
  answer: string;
  server: PerMessageDeflateInstance;
  client: MessageDeflate;
} {
  const offer = extension.format({ 'permessage-deflate': [new PerMessageDeflate({}).offer()] });
  const server = new PerMessageDeflate({ ...serverOptions, isServer: true });
  const params = server.accept(extension.parse(offer)['permessage-deflate']);
  const answer = extension.format({ 'permessage-deflate': [params] });
  const client = deflateFromAnswer(answer);
  assert.ok(client, `the project's client compresses under the answer '${answer}'`);
  return { answer: answer, server: server, client: client };
}

// Copies of a 3000-byte random block: compressible only with a window that reaches back 3000
// bytes, so a compressor that ignored client_max_window_bits=10 (1 KiB) would write distances the
// server's inflater refuses.
function repetitive(): Buffer {
  return Buffer.concat(Array<Buffer>(20).fill(crypto.randomBytes(3000)));
}

for (const { name, serverOptions, answer, window } of [
  { name: 'context takeover (the default)', serverOptions: {}, answer: 'permessage-deflate', window: 'kept' },
  {
    name: 'client_no_context_takeover',
    serverOptions: { clientNoContextTakeover: true },
    answer: 'permessage-deflate; client_no_context_takeover',
    window: 'reset',
  },
  {
    name: 'client_max_window_bits=10',
    serverOptions: { clientMaxWindowBits: 10 },
    answer: 'permessage-deflate; client_max_window_bits=10',
    window: '1 KiB',
  },
]) {
  test(`compressed fragments under ${name}: RSV1 on the first frame only, ws inflates every message`, async () => {
    const { answer: given, server, client } = negotiate(serverOptions);
    try {
      assert.equal(given, answer, 'the answer the server gave');
      const repeated = repetitive();
      const bodies: Array<{ body: Buffer; opcode: number; fragmentSize: number }> = [
        // Incompressible: the compressed payload is larger than 64 KiB, so 64-bit frames occur.
        { body: crypto.randomBytes(200_000), opcode: OPCODE.binary, fragmentSize: 65536 },
        { body: Buffer.alloc(0), opcode: OPCODE.text, fragmentSize: 100 },
        { body: repeated, opcode: OPCODE.binary, fragmentSize: 125 },
        { body: Buffer.from('é€😀 '.repeat(2000)), opcode: OPCODE.text, fragmentSize: 1000 },
        { body: repeated, opcode: OPCODE.binary, fragmentSize: 7 },
      ];
      const seen = new Set<LengthEncoding>();
      const wire: Buffer[] = [];
      const compressedSizes: number[] = [];
      for (const { body, opcode, fragmentSize } of bodies) {
        const payload = await compressMessage(client, body);
        compressedSizes.push(payload.length);
        assert.notEqual(
          payload.length >= 4 ? payload.readUInt32BE(payload.length - 4) : -1,
          0x0000ffff,
          'the 00 00 ff ff tail of the sync flush is removed (RFC 7692 7.2.1)',
        );
        const buffers = fragmentMessage(opcode, payload, fragmentSize, true);
        for (const encoding of checkMessageFrames(buffers, opcode, payload, true)) seen.add(encoding);
        wire.push(...buffers);
      }
      assert.deepEqual([...seen].sort(), ['16-bit', '64-bit', '7-bit'], 'all three length encodings were on the wire');
      // The 60 kB of repeats, sent twice. A 32 KiB window finds the repeats (and, kept, the earlier
      // copy); a window reset per message compresses the second copy exactly as the first; a 1 KiB
      // window cannot reach back 3000 bytes, so nothing shrinks.
      const [firstCopy, secondCopy] = [compressedSizes[2], compressedSizes[4]];
      const sizes = `first copy ${firstCopy} bytes, second ${secondCopy}`;
      if (window === 'kept') assert.ok(firstCopy < repeated.length / 4 && secondCopy < firstCopy / 4, sizes);
      if (window === 'reset') assert.ok(firstCopy < repeated.length / 4 && secondCopy === firstCopy, sizes);
      if (window === '1 KiB') assert.ok(secondCopy > repeated.length * 0.95, sizes);
      const decoded = await receive(wire, server);
      assert.equal(decoded.length, bodies.length, 'one message per message sent');
      decoded.forEach((message, i) => {
        assert.equal(message.isBinary, bodies[i].opcode === OPCODE.binary, `message ${i + 1}: text or binary`);
        assert.ok(message.data.equals(bodies[i].body), `message ${i + 1}: inflated to the input`);
      });
    } finally {
      client.stream.close();
      server.cleanup();
    }
  });
}
