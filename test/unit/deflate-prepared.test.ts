/**
 * Messages compressed alone from prepared parts (the load generator's per-message mode): valid
 * permessage-deflate whether the server keeps its inflate window or not, the same bytes as a fresh
 * compressor would give each part, and the payload compressed once however often it is sent.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { compressAlone } from '../../src/clients/deflate-sender';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Inflates a message as permessage-deflate does: the 00 00 ff ff tail put back, a sync flush at the end. */
function inflate(message: Buffer, windowBits = 15): Buffer {
  return zlib.inflateRawSync(Buffer.concat([message, TAIL]), {
    windowBits: windowBits,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
}

test('messages compressed alone from parts inflate to their concatenation, in one kept window and each in a fresh one', () => {
  const picture = Buffer.from(`"data:image/png;base64,${crypto.randomBytes(60_000).toString('base64')}"`);
  const messages = [1, 2, 3].map((seq) => [Buffer.from(`42${seq}["frame",{"seq":${seq}},`), picture, Buffer.from(']')]);
  const compressed = messages.map((parts) => compressAlone(parts, 15));
  for (const message of compressed) assert.notEqual(message.readUInt32BE(message.length - 4), 0x0000ffff);
  // One inflater through all three, as a server that keeps its window reads them (RFC 7692 7.2.2).
  const kept = inflate(Buffer.concat(compressed.flatMap((message) => [message, TAIL])));
  assert.ok(kept.equals(Buffer.concat(messages.flat())), 'all three, window kept');
  compressed.forEach((message, i) =>
    assert.ok(inflate(message).equals(Buffer.concat(messages[i])), `message ${i + 1}, fresh window`),
  );
  // Base64 of noise: about 4/3 of the raw bytes, so deflate saves about a quarter.
  const ratio = compressed[0].length / Buffer.concat(messages[0]).length;
  assert.ok(ratio > 0.7 && ratio < 0.8, `ratio ${ratio}`);
});

test('a message compressed alone never refers back to an earlier one: a repeated payload does not shrink', () => {
  const part = crypto.randomBytes(4000);
  const [first, second] = [compressAlone([part], 15), compressAlone([part], 15)];
  assert.equal(second.length, first.length);
  assert.ok(first.equals(second), 'the same bytes: the prepared payload is replayed');
});

test('a small window (client_max_window_bits=10) is honoured: distances stay within 1 KiB', () => {
  const block = crypto.randomBytes(3000);
  const repeated = Buffer.concat([block, block, block]);
  const small = compressAlone([repeated], 10);
  assert.ok(small.length > repeated.length * 0.95, `${small.length} bytes: no match 3000 bytes back`);
  const inflated = inflate(small, 10);
  assert.ok(inflated.equals(repeated));
  assert.ok(compressAlone([repeated], 15).length < repeated.length / 2, 'a 32 KiB window finds the repeats');
});

test('an empty message still compresses to valid deflate', () => {
  const empty = compressAlone([], 15);
  assert.equal(inflate(empty).length, 0);
});
