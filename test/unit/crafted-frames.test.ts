/**
 * The crafted frames of chapter 9's RSV1 row and of check-server's rsv1 case
 * (src/clients/crafted-frames.ts), checked byte by byte and handed to the Receiver of every ws
 * release the row runs, loaded from the version cache (the root's for today's): what each release's
 * own parser takes each frame as. The well-formed message is the positive control: every Receiver
 * decodes it, so a refusal of the misuse is the RSV1 bit's doing, not a broken frame.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import {
  craftedFrame,
  MISUSE_SPECS,
  MISUSE_TEXT,
  misuseFrames,
  PING_OPCODE,
  RSV1_MISUSES,
  WELL_FORMED_TEXT,
  wellFormedFrame,
  type Rsv1Misuse,
} from '../../src/clients/crafted-frames';
import { OPCODE } from '../../src/clients/frames';
import { RSV1_MAJORS } from '../../src/history/rsv1';
import { releaseDir } from '../../src/history/release-dir';

/** What a Receiver made of the bytes. */
type Taken =
  | { kind: 'message'; text: string }
  | { kind: 'ping' }
  | { kind: 'error'; code: number | undefined; message: string }
  | { kind: 'nothing' };

/* eslint-disable @typescript-eslint/no-explicit-any -- every ws major has its own untyped Receiver */
type Untyped = any;

function libModule(version: string, names: RegExp): Untyped {
  const dir = releaseDir('ws', version);
  const file = fs.readdirSync(path.join(dir, 'lib')).find((f) => names.test(f));
  assert.ok(file, `ws ${version}: a lib file matching ${names}`);
  return createRequire(path.join(dir, 'package.json'))(path.join(dir, 'lib', file));
}

const statusCode = (error: Untyped): number | undefined => {
  const symbol = Object.getOwnPropertySymbols(error).find((s) => s.description === 'status-code');
  return symbol ? (error[symbol] as number) : undefined;
};

/**
 * Feeds `frames` to a server-side Receiver of ws `version` (with permessage-deflate accepted when
 * `deflate`), and resolves with the first thing it reports, or `nothing` within a second. Three
 * API families: callbacks and add() (1.x–4.x), a Writable with positional arguments (5.x–7.x),
 * and one with an options object (8.x). The frames go in as one chunk, as one TCP read delivers
 * them (fed one by one after other tests' runs, ws 3.3.3's fragments once failed to inflate, with
 * its process-wide zlib queue in between: not this file's subject).
 */
function take(version: string, frames: Buffer[], deflate: boolean): Promise<Taken> {
  const Receiver = libModule(version, /^receiver\.js$/i);
  const PerMessageDeflate = libModule(version, /^(permessage-deflate|PerMessageDeflate)\.js$/);
  const extensions: Record<string, Untyped> = {};
  if (deflate) {
    const pmd = new PerMessageDeflate({}, true, 0);
    pmd.accept([{}]);
    extensions['permessage-deflate'] = pmd;
  }
  const major = Number(version.split('.')[0]);
  return new Promise<Taken>((resolve) => {
    const timer = setTimeout(() => done({ kind: 'nothing' }), 1_000);
    let settled = false;
    const done = (taken: Taken) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(taken);
    };
    const onError = (error: Untyped, code?: number) =>
      done({ kind: 'error', code: code ?? statusCode(error), message: String(error?.message ?? error) });
    const onText = (data: Untyped) => done({ kind: 'message', text: Buffer.from(data).toString() });
    if (typeof Receiver.prototype.add === 'function') {
      const receiver = major === 1 ? new Receiver(extensions, 0) : new Receiver(extensions, 0, 'nodebuffer');
      Object.assign(receiver, {
        onerror: onError,
        ontext: onText,
        onbinary: onText,
        onmessage: onText,
        onping: () => done({ kind: 'ping' }),
      });
      receiver.add(Buffer.concat(frames));
      return;
    }
    const receiver =
      Receiver.length === 0
        ? new Receiver({ binaryType: 'nodebuffer', extensions: extensions, isServer: true, maxPayload: 0 })
        : major >= 7
          ? new Receiver('nodebuffer', extensions, true, 0)
          : new Receiver('nodebuffer', extensions, 0);
    receiver.on('error', onError);
    receiver.on('message', onText);
    receiver.on('ping', () => done({ kind: 'ping' }));
    receiver.write(Buffer.concat(frames));
  });
}

/** Releases whose Receiver is checked: every major, and each side of the two changes the bisection found. */
const RELEASES = [...new Set([...RSV1_MAJORS, '3.3.2', '3.3.3', '7.4.6', '7.5.0'])];

test('crafted frames, byte by byte: RSV1 where the misuse says, FIN, opcode, a mask', () => {
  const bits = (frame: Buffer) => ({
    fin: (frame[0] & 0x80) !== 0,
    rsv1: (frame[0] & 0x40) !== 0,
    rsv23: frame[0] & 0x30,
    opcode: frame[0] & 0x0f,
    masked: (frame[1] & 0x80) !== 0,
  });
  const expected: Record<Rsv1Misuse, Array<ReturnType<typeof bits>>> = {
    'no-extension': [{ fin: true, rsv1: true, rsv23: 0, opcode: OPCODE.text, masked: true }],
    'control-frame': [{ fin: true, rsv1: true, rsv23: 0, opcode: PING_OPCODE, masked: true }],
    'continuation-frame': [
      { fin: false, rsv1: true, rsv23: 0, opcode: OPCODE.text, masked: true },
      { fin: true, rsv1: true, rsv23: 0, opcode: OPCODE.continuation, masked: true },
    ],
  };
  for (const misuse of RSV1_MISUSES) assert.deepEqual(misuseFrames(misuse).map(bits), expected[misuse], misuse);
  assert.deepEqual(bits(wellFormedFrame('x', true)), { fin: true, rsv1: true, rsv23: 0, opcode: 1, masked: true });
  assert.deepEqual(bits(wellFormedFrame('x', false)), { fin: true, rsv1: false, rsv23: 0, opcode: 1, masked: true });
  // The header's length and mask, then the masked payload: 2 + 4 + 5 bytes for a 5-byte payload.
  const frame = craftedFrame(OPCODE.text, Buffer.from('hello'), true, false);
  assert.equal(frame.length, 11);
  assert.equal(frame[1] & 0x7f, 5);
  assert.equal(Buffer.from(frame.subarray(6).map((b, i) => b ^ frame[2 + (i & 3)])).toString(), 'hello');
});

test("every release's own Receiver decodes the well-formed message, compressed or not (the control)", async () => {
  for (const version of RELEASES) {
    for (const deflate of [true, false]) {
      const taken = await take(version, [wellFormedFrame(WELL_FORMED_TEXT, deflate)], deflate);
      assert.deepEqual(taken, { kind: 'message', text: WELL_FORMED_TEXT }, `ws ${version}, deflate ${deflate}`);
    }
  }
});

test("every release's own Receiver refuses each misuse with 1002 (protocol error), and takes nothing from it", async () => {
  for (const version of RELEASES) {
    for (const misuse of RSV1_MISUSES) {
      const taken = await take(version, misuseFrames(misuse), MISUSE_SPECS[misuse].deflateNegotiated);
      const what = `ws ${version}, ${misuse}`;
      assert.equal(taken.kind, 'error', `${what}: ${JSON.stringify(taken)}`);
      if (taken.kind !== 'error') continue;
      assert.equal(taken.code, 1002, what);
      assert.match(taken.message, /RSV1|reserved fields|Per-message Compressed/, what);
    }
  }
});

test('the same frames without RSV1 are taken: a ping, and a compressed message in two fragments', async () => {
  const ping = craftedFrame(PING_OPCODE, Buffer.from(MISUSE_TEXT), true, false);
  const [first, rest] = misuseFrames('continuation-frame');
  const cleared = Buffer.from(rest);
  cleared[0] &= ~0x40;
  for (const version of RELEASES) {
    assert.deepEqual(await take(version, [ping], true), { kind: 'ping' }, `ws ${version}: ping`);
    assert.deepEqual(
      await take(version, [first, cleared], true),
      { kind: 'message', text: MISUSE_TEXT },
      `ws ${version}: fragments`,
    );
  }
});
