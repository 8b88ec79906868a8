/**
 * Chapter 9, row 6, without a browser: the bytes the empty-fragment server writes, checked header
 * by header and decoded by ws 8's own Receiver acting as a client (with permessage-deflate accepted
 * as the server's handshake answers it), which also says whether ws accepts each framing; and the
 * functions that judge connections and word the finding, on made-up runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildWire,
  connectionOutcome,
  consoleReason,
  emptyFragmentParams,
  FRAMINGS,
  framingVerdicts,
  MESSAGES,
  REFUSAL_CONTROL,
  type BrowserName,
  type BrowserRun,
  type ConnectionOutcome,
  type EmptyFragmentResult,
  type Framing,
  type Wire,
} from '../../src/history/empty-fragment';
import {
  controlBlockers,
  describeEmptyFragment,
  emptyFragmentRows,
} from '../../src/chapters/09-history/empty-fragment';
import { extension, PerMessageDeflate, Receiver } from '../support/ws-internals';

/** What a ws 8 client made of the server's bytes: its messages, the close it read, or its error. */
interface Received {
  messages: string[];
  close: number | null;
  error: string | null;
}

/** Feeds `bytes` to a ws Receiver on the client side, after a handshake answered `permessage-deflate`. */
function receiveAsClient(bytes: Buffer): Promise<Received> {
  const deflate = new PerMessageDeflate({});
  // What the server answers: the bare name, every parameter at its default.
  deflate.accept(extension.parse('permessage-deflate')['permessage-deflate']);
  const receiver = new Receiver({ isServer: false, extensions: { 'permessage-deflate': deflate } });
  const out: Received = { messages: [], close: null, error: null };
  receiver.on('message', (data: Buffer, isBinary: boolean) =>
    out.messages.push(isBinary ? '[binary]' : data.toString()),
  );
  receiver.on('conclude', (code: number) => {
    out.close = code;
  });
  return new Promise<Received>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      deflate.cleanup();
      resolve(out);
    };
    const timer = setTimeout(done, 5_000);
    receiver.once('error', (error: Error) => {
      out.error = error.message;
      done();
    });
    receiver.once('finish', done);
    receiver.write(bytes);
    receiver.end();
  });
}

let wire: Wire | undefined;
async function theWire(): Promise<Wire> {
  wire ??= await buildWire();
  return wire;
}

test('each framing writes the frames it names: RSV1 on the first only, the case ends in FIN, opcode 0, length 0', async () => {
  const { frames, compressed } = await theWire();
  assert.equal(compressed.length, MESSAGES.length);
  for (const [i, c] of compressed.entries()) {
    const one = frames['one-frame'][i];
    assert.deepEqual(
      one.map((f) => [f.fin, f.rsv1, f.opcode, f.length]),
      [[true, true, 1, c.length]],
    );
    assert.equal(one[0].header, `c1${c.length.toString(16).padStart(2, '0')}`, 'FIN, RSV1, text; a 7-bit length');
    const [first, final] = frames['empty-final'][i];
    assert.deepEqual([first.fin, first.rsv1, first.opcode, first.length], [false, true, 1, c.length]);
    assert.equal(first.header, `41${c.length.toString(16).padStart(2, '0')}`);
    assert.deepEqual(
      final,
      { fin: true, rsv1: false, opcode: 0, length: 0, header: '8000' },
      'the empty final frame: 80 00',
    );
    const split = frames.split[i];
    assert.equal(split.length, 2);
    assert.ok(split.every((f) => f.length > 0));
    assert.equal(split[0].length + split[1].length, c.length);
    const zero = frames['zero-byte-final'][i];
    assert.equal(zero[0].length, c.length + 4, 'the flush tail 00 00 ff ff kept in the first frame');
    assert.deepEqual(zero[1], { fin: true, rsv1: false, opcode: 0, length: 1, header: '8001' });
    assert.equal(frames[REFUSAL_CONTROL][i][1].header, 'c001', 'RSV1 on the final frame: c0 01 00');
  }
});

test("ws's Receiver reassembles every framing but the forbidden one to the messages sent", async () => {
  const { bytes } = await theWire();
  const results = new Map<Framing, Received>();
  for (const framing of FRAMINGS) results.set(framing, await receiveAsClient(bytes[framing]));
  for (const framing of FRAMINGS.filter((f) => f !== REFUSAL_CONTROL)) {
    const r = results.get(framing) as Received;
    assert.equal(r.error, null, `${framing}: ${r.error}`);
    assert.deepEqual(r.messages, MESSAGES, `${framing}: both messages, as sent`);
    assert.equal(r.close, 1000, `${framing}: then the server's close`);
  }
  const refused = results.get(REFUSAL_CONTROL) as Received;
  assert.deepEqual(refused.messages, []);
  assert.match(refused.error ?? '', /RSV1 must be clear/);
});

test('console lines lose their URL; the parameters of each mode', () => {
  assert.equal(
    consoleReason("WebSocket connection to 'ws://127.0.0.1:4000/ws/c0004' failed: Invalid frame header"),
    'Invalid frame header',
  );
  assert.equal(consoleReason("closed 'ws://127.0.0.1:1/ws/c0001' early"), 'closed the connection early');
  assert.deepEqual(emptyFragmentParams(true), { quick: true, repeats: 3, browsers: ['chromium'], framings: FRAMINGS });
  assert.deepEqual(emptyFragmentParams(false), {
    quick: false,
    repeats: 3,
    browsers: ['chromium', 'firefox'],
    framings: FRAMINGS,
  });
});

// --- Made-up runs for the judging and the wording.

type Behaviour = 'accept' | 'refuse' | 'garble' | 'hang';

function connection(framing: Framing, repeat: number, behaviour: Behaviour): ConnectionOutcome {
  const refused = behaviour === 'refuse';
  return {
    framing,
    repeat,
    page: {
      extensions: refused ? '' : 'permessage-deflate',
      messages: behaviour === 'accept' ? [...MESSAGES] : behaviour === 'garble' ? ['not what was sent'] : [],
      errors: refused ? 1 : 0,
      close:
        behaviour === 'hang'
          ? null
          : refused
            ? { code: 1006, reason: '', wasClean: false }
            : { code: 1000, reason: 'done', wasClean: true },
      timedOut: behaviour === 'hang',
    },
    server: {
      offer: 'permessage-deflate; client_max_window_bits',
      accepted: true,
      bytesWritten: 141,
      browserCloseCode: refused ? 1002 : 1000,
      receiveError: null,
    },
    console: refused ? [`WebSocket connection to 'ws://127.0.0.1:1/ws/c${repeat}' failed: Invalid frame header`] : [],
  };
}

/** A browser that behaves as `behaviours` says per framing (default: accept, and refuse the refusal control). */
function madeUpRun(browser: BrowserName, behaviours: Partial<Record<Framing, Behaviour[]>> = {}): BrowserRun {
  const connections = FRAMINGS.flatMap((framing) =>
    (behaviours[framing] ?? Array<Behaviour>(3).fill(framing === REFUSAL_CONTROL ? 'refuse' : 'accept')).map(
      (b, repeat) => connection(framing, repeat, b),
    ),
  );
  return {
    browser,
    version: browser === 'chromium' ? '156.0.1' : '153.8.0',
    userAgent: 'made-up',
    unavailable: null,
    launchMs: 500,
    runMs: 200,
    connections,
    otherConsole: [],
  };
}

async function madeUpResult(runs: BrowserRun[], quick = false): Promise<EmptyFragmentResult> {
  const w = await theWire();
  return {
    params: emptyFragmentParams(quick),
    messages: [...MESSAGES],
    frames: JSON.parse(JSON.stringify(w.frames)) as EmptyFragmentResult['frames'],
    compressedBytes: w.compressed.map((c) => c.length),
    runs,
  };
}

test('connectionOutcome: accepted, refused, wrong text, timed out', () => {
  assert.equal(connectionOutcome(connection('empty-final', 0, 'accept'), MESSAGES), 'accepted');
  assert.equal(connectionOutcome(connection('empty-final', 0, 'refuse'), MESSAGES), 'refused');
  assert.equal(connectionOutcome(connection('empty-final', 0, 'garble'), MESSAGES), 'wrong text');
  assert.equal(connectionOutcome(connection('empty-final', 0, 'hang'), MESSAGES), 'timed out');
  // Every message, but closed abnormally: not accepted.
  const abnormal = connection('empty-final', 0, 'accept');
  abnormal.page.close = { code: 1006, reason: '', wasClean: false };
  assert.equal(connectionOutcome(abnormal, MESSAGES), 'refused');
});

test('both browsers accept: the finding says so, with the repeats and the refusal control', async () => {
  const result = await madeUpResult([madeUpRun('chromium'), madeUpRun('firefox')]);
  const text = describeEmptyFragment(result);
  assert.match(
    text,
    /Chromium 156\.0\.1 accepted a compressed message ending in an empty final continuation frame: in 3 of 3 connections/,
  );
  assert.match(text, /Firefox ESR 153\.8\.0 accepted/);
  assert.match(
    text,
    /RSV1 on that final frame was refused \(3 of 3 connections: the page saw close code 1006, the browser sent the server a close frame with 1002, logging "Invalid frame header"\)/,
  );
  assert.match(
    text,
    /A server may end a compressed message with an empty final frame: Chromium and Firefox ESR accept it\.$/,
  );
  const rows = emptyFragmentRows(result);
  assert.equal(rows.length, 2 * FRAMINGS.length);
  assert.equal(rows[1]['frames of message 1 (header, payload)'].split(' | ')[1], '80 00 +0 B');
});

test('a browser that refuses the case: the finding names it and what it did', async () => {
  const result = await madeUpResult([
    madeUpRun('chromium'),
    madeUpRun('firefox', { 'empty-final': ['refuse', 'refuse', 'refuse'] }),
  ]);
  const text = describeEmptyFragment(result);
  assert.match(
    text,
    /Firefox ESR 153\.8\.0, given a compressed message ending in an empty final continuation frame, refused \(3 of 3 connections: the page saw close code 1006/,
  );
  assert.match(text, /loses Firefox ESR's connections\.$/);
  assert.doesNotMatch(text, /A server may end/);
});

test('mixed repeats are reported as such, not as a verdict', async () => {
  const result = await madeUpResult([madeUpRun('chromium', { 'empty-final': ['accept', 'refuse', 'accept'] })], true);
  const text = describeEmptyFragment(result);
  assert.match(text, /not consistent: accepted 2 of 3, refused 1 of 3/);
  assert.match(text, /Firefox ESR did not run \(a quick run drives Chromium only\)\./);
  assert.doesNotMatch(text, /A server may end|loses/);
});

test('no verdict without the controls: a refusal control accepted, a control refused, no empty frame on the wire', async () => {
  const noRefusal = await madeUpResult([madeUpRun('chromium', { [REFUSAL_CONTROL]: ['accept', 'accept', 'accept'] })]);
  assert.match(describeEmptyFragment(noRefusal), /Chromium 156\.0\.1: cannot say, because the forbidden RSV1/);
  assert.doesNotMatch(describeEmptyFragment(noRefusal), /accepted a compressed/);

  const splitRefused = await madeUpResult([madeUpRun('chromium', { split: ['refuse', 'refuse', 'refuse'] })]);
  assert.match(describeEmptyFragment(splitRefused), /cannot say, because the control 'split in two non-empty frames/);

  const notEmpty = await madeUpResult([madeUpRun('chromium')]);
  notEmpty.frames['empty-final'][0][1].length = 1;
  const verdicts = framingVerdicts(notEmpty.runs[0], notEmpty.messages);
  assert.deepEqual(controlBlockers(notEmpty, verdicts), [
    'the case did not end its messages in an empty final continuation frame on the wire',
  ]);

  const noDeflate = madeUpRun('chromium');
  for (const c of noDeflate.connections) c.page.extensions = '';
  assert.match(
    describeEmptyFragment(await madeUpResult([noDeflate])),
    /cannot say, because permessage-deflate was not negotiated on every connection/,
  );
});

test('a browser that could not be driven is said so, and the other is still judged', async () => {
  const missing: BrowserRun = {
    ...madeUpRun('firefox'),
    version: null,
    unavailable: '/usr/bin/firefox-esr is not installed',
    connections: [],
  };
  const text = describeEmptyFragment(await madeUpResult([madeUpRun('chromium'), missing]));
  assert.match(text, /Firefox ESR could not be driven: \/usr\/bin\/firefox-esr is not installed\./);
  assert.match(text, /Chromium accepts it\.$/);
});
