/**
 * Runtime instrumentation on a plain class, on ws 0.8.0's real PerMessageDeflate, and on engine.io
 * 1.5.4's Socket.prototype.onError inside a live socket.io 1.3.7 server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { countErrors, instrument, restoreAll, type InstrumentedCall } from '../../src/observe/instrument';
import { LOOPBACK } from '../../src/core/net';
import { NODE_MODULES } from '../../src/core/paths';
import { stackPackageDirs } from '../../src/core/stack-catalog';

/** Bounds every wait on the live stack. */
const STEP_TIMEOUT_MS = 5_000;

class Counter {
  total = 0;
  add(step: number): number {
    this.total += step;
    return this.total;
  }
  fail(): never {
    throw new Error('refused');
  }
}

test('records calls on a plain class, keeps this, rethrows, and restores the same function', () => {
  const original = Counter.prototype.add;
  const originalFail = Counter.prototype.fail;
  const seen: unknown[] = [];
  const counter = new Counter();
  const add = instrument(Counter.prototype, 'add', {
    before: (args, self) => seen.push(['before', args[0], self]),
    after: (result, args, self) => seen.push(['after', result, args[0], self]),
  });
  const fail = instrument(Counter.prototype, 'fail');
  try {
    assert.equal(add.label, 'Counter.add');
    assert.notEqual(Counter.prototype.add, original);
    assert.equal(counter.add(2), 2);
    assert.equal(counter.add(3), 5);
    assert.deepEqual(seen, [
      ['before', 2, counter],
      ['after', 2, 2, counter],
      ['before', 3, counter],
      ['after', 5, 3, counter],
    ]);
    assert.deepEqual(
      add.calls().map((call) => [call.args, call.result]),
      [
        [[2], 2],
        [[3], 5],
      ],
    );
    assert.equal(add.count(), 2);
    assert.throws(() => counter.fail(), /refused/);
    assert.equal(fail.errorCount(), 1);
    assert.equal((fail.errors()[0].error as Error).message, 'refused');
    assert.equal(fail.errors()[0].via, 'throw');
    assert.equal(
      Object.getOwnPropertyDescriptor(Counter.prototype, 'add')?.enumerable,
      false,
      'a class method stays non-enumerable',
    );
  } finally {
    add.restore();
    fail.restore();
  }
  assert.equal(Counter.prototype.add, original);
  assert.equal(Counter.prototype.fail, originalFail);
  assert.equal(counter.add(1), 6);
  assert.equal(add.count(), 2, 'a restored method is no longer recorded');
});

test('instrumenting twice replaces the hooks instead of stacking a second layer', () => {
  const original = Counter.prototype.add;
  const first = instrument(Counter.prototype, 'add');
  const wrapper = Counter.prototype.add;
  const second = instrument(Counter.prototype, 'add', { before: () => {} });
  try {
    assert.equal(Counter.prototype.add, wrapper, 'the same wrapper, not a wrapper of it');
    new Counter().add(1);
    assert.equal(second.count(), 1);
    assert.equal(first.count(), 0, 'the replaced handle no longer records');
    first.restore();
    assert.equal(Counter.prototype.add, wrapper, 'a replaced handle cannot pull the live wrapper out');
  } finally {
    second.restore();
  }
  assert.equal(Counter.prototype.add, original);
});

test('an instance method inherited from the prototype is restored by deleting the own property', () => {
  const counter = new Counter();
  const handle = instrument(counter, 'add');
  counter.add(4);
  handle.restore();
  assert.equal(Object.hasOwn(counter, 'add'), false);
  assert.equal(counter.add, Counter.prototype.add);
  assert.equal(handle.count(), 1);
});

test('a reference taken while wrapped (as engine.io binds onError) passes through after restore', () => {
  const counter = new Counter();
  const handle = instrument(Counter.prototype, 'add');
  const bound = counter.add.bind(counter);
  handle.restore();
  assert.equal(bound(7), 7);
  assert.equal(handle.count(), 0);
});

test('restoreAll puts back every method still wrapped', () => {
  const add = Counter.prototype.add;
  const fail = Counter.prototype.fail;
  instrument(Counter.prototype, 'add');
  instrument(Counter.prototype, 'fail');
  restoreAll();
  assert.equal(Counter.prototype.add, add);
  assert.equal(Counter.prototype.fail, fail);
});

test('bad targets get a one-line error that says what is wrong', () => {
  assert.throws(() => instrument(Counter.prototype, 'total'), /Counter\.total is not a function/);
  assert.throws(
    () =>
      instrument(
        {
          get value() {
            return () => 1;
          },
        },
        'value',
      ),
    /accessor/,
  );
});

interface Inflater {
  accept(offers: object[]): unknown;
  decompress(data: Buffer, fin: boolean, callback: (err: Error | null, data?: Buffer) => void): void;
  compress(data: Buffer, fin: boolean, callback: (err: Error | null, data?: Buffer) => void): void;
}
type InflaterClass = { new (options: object, isServer: boolean): Inflater; prototype: Inflater };

function decompress(deflate: Inflater, data: Buffer): Promise<Error | Buffer> {
  return new Promise((resolve) => deflate.decompress(data, true, (err, result) => resolve(err ?? (result as Buffer))));
}

test("ws 0.8.0 PerMessageDeflate.decompress: zlib's errors arrive through the callback and are counted", async () => {
  const PerMessageDeflate = require(
    path.join(NODE_MODULES, 'ws-0.8.0', 'lib', 'PerMessageDeflate.js'),
  ) as InflaterClass;
  const original = PerMessageDeflate.prototype.decompress;
  // Raw deflate streams that are broken in different ways (a bad block type, a distance code
  // that does not exist, a stored block whose length check fails).
  const broken = [
    [0x02, 0x18, 0x55, 0xaa],
    [0x02, 0x3d, 0x55, 0xaa],
    [0x01, 0x00, 0x00, 0x00, 0x00],
    [0xff, 0xff, 0xff, 0xff],
  ];
  const seen: unknown[] = [];
  const handle = instrument(PerMessageDeflate.prototype, 'decompress', {
    callbackArg: 2,
    callback: (err) => seen.push(err),
  });
  // A rerun of the same cell: still one layer.
  const rerun = instrument(PerMessageDeflate.prototype, 'decompress', { callbackArg: 2 });
  try {
    const sender = new PerMessageDeflate({}, false);
    sender.accept([{}]);
    const compressed = await new Promise<Buffer>((resolve, reject) =>
      sender.compress(Buffer.from('hello, 2015'), true, (err, data) => (err ? reject(err) : resolve(data as Buffer))),
    );
    const fresh = () => {
      const receiver = new PerMessageDeflate({}, true);
      receiver.accept([{}]);
      return receiver;
    };
    assert.equal(String(await decompress(fresh(), compressed)), 'hello, 2015');
    for (const bytes of broken) assert.ok((await decompress(fresh(), Buffer.from(bytes))) instanceof Error);

    assert.equal(rerun.count(), 1 + broken.length, 'each call counted once');
    assert.equal(handle.count(), 0);
    assert.equal(seen.length, 0, 'the replaced hooks no longer run');
    const [ok, ...failed] = rerun.calls() as InstrumentedCall[];
    assert.equal(ok.callback?.err, null);
    assert.equal(String(ok.callback?.value), 'hello, 2015');
    assert.ok(failed.every((call) => (call.callback?.err as NodeJS.ErrnoException).code === 'Z_DATA_ERROR'));
    assert.deepEqual(countErrors(rerun.errors()), [
      { message: 'invalid block type', code: 'Z_DATA_ERROR', count: 2 },
      { message: 'invalid distance code', code: 'Z_DATA_ERROR', count: 1 },
      { message: 'invalid stored block lengths', code: 'Z_DATA_ERROR', count: 1 },
    ]);
  } finally {
    rerun.restore();
  }
  assert.equal(PerMessageDeflate.prototype.decompress, original);
  assert.equal(handle.count(), 0);
});

// Only the parts of socket.io 1.3.7 and its client that this test touches.
interface ClientSocket extends EventEmitter {
  emit(event: string, ...args: unknown[]): boolean;
  close(): void;
  io: { engine: { transport: { ws: { _socket: net.Socket } } } };
}

function next<T>(emitter: EventEmitter, event: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    new Promise<T>((resolve) => emitter.once(event, resolve)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${event}`)),
        STEP_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

test("engine.io 1.5.4 Socket.prototype.onError sees ws 0.8.0's 'invalid compressed data' (1007) live, then is restored", async () => {
  const dirs = stackPackageDirs('2015');
  const Socket = require(path.join(dirs['engine.io'], 'lib', 'socket.js')) as {
    prototype: { onError(err: Error): void };
  };
  const PerMessageDeflate = require(path.join(dirs.ws, 'lib', 'PerMessageDeflate.js')) as InflaterClass;
  const originalOnError = Socket.prototype.onError;
  const originalDecompress = PerMessageDeflate.prototype.decompress;
  // engine.io binds onError when a socket is created, so the wrap goes on before any connection.
  const onError = instrument(Socket.prototype, 'onError');
  const inflate = instrument(PerMessageDeflate.prototype, 'decompress', { callbackArg: 2 });
  const httpServer = http.createServer();
  const io = (require(dirs['socket.io']) as (server: http.Server) => { sockets: EventEmitter; close(): void })(
    httpServer,
  );
  let client: ClientSocket | undefined;
  try {
    await new Promise<void>((resolve) => httpServer.listen(0, LOOPBACK, resolve));
    const connection = next<EventEmitter>(io.sockets, 'connection');
    const connect = require(dirs['socket.io-client']) as (url: string, options: object) => ClientSocket;
    client = connect(`http://${LOOPBACK}:${(httpServer.address() as net.AddressInfo).port}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    await next(client, 'connect');
    const disconnected = next<string>(await connection, 'disconnect');
    // A masked text frame with RSV1 (compressed) whose payload is not a deflate stream.
    const payload = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const mask = Buffer.from([0x11, 0x22, 0x33, 0x44]);
    const frame = Buffer.concat([
      Buffer.from([0xc1, 0x80 | payload.length]),
      mask,
      payload.map((byte, i) => byte ^ mask[i % mask.length]),
    ]);
    client.io.engine.transport.ws._socket.write(frame);
    assert.equal(await disconnected, 'transport error');

    assert.equal(onError.count(), 1);
    const err = onError.calls()[0].args[0] as Error & { description?: unknown };
    assert.equal(err.message, 'invalid compressed data');
    assert.equal(err.description, 1007);
    assert.deepEqual(countErrors(inflate.errors()), [
      { message: 'invalid block type', code: 'Z_DATA_ERROR', count: 1 },
    ]);
  } finally {
    restoreAll();
    // ws 0.8 would wait 30 s for a close frame the client never sends: end the TCP connection.
    client?.io.engine.transport.ws._socket.destroy();
    client?.close();
    io.close();
  }
  assert.equal(Socket.prototype.onError, originalOnError);
  assert.equal(PerMessageDeflate.prototype.decompress, originalDecompress);
});
