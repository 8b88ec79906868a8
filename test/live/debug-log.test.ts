/**
 * The sliced, message-cutting debug log, against the real 2015 stack: a large emit is logged
 * (and cut), every line is kept exactly once across many slices, and a second log in the same
 * process captures again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDebugLog, type LoggedLine } from '../../src/observe/debug-log';
import { isDebugCaptureActive } from '../../src/observe/debug-capture';
import { loadStack } from '../../src/stacks';

const BIG = 'x'.repeat(200_000);
const MAX_CHARS = 80;

async function oneExchange(): Promise<LoggedLine[]> {
  const stack = loadStack('2015');
  // Slices of 5 ms: the exchange below spans many of them.
  const log = startDebugLog('*', { maxMessageChars: MAX_CHARS, sliceMs: 5 });
  const server = await stack.createServer({ deflate: 'off' });
  try {
    const got = new Promise<number>((resolve) =>
      server.onConnection((socket) => socket.on('big', (data: string) => resolve(data.length))),
    );
    const client = stack.connect(server.url, { reconnection: false, reconnectionDelay: 0 });
    client.on('connect', () => client.emit('big', BIG));
    assert.equal(await got, BIG.length);
    client.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await server.close();
  }
  return log.stop();
}

for (const pass of [1, 2]) {
  test(`pass ${pass}: a whole exchange is logged once, with packet dumps cut`, async () => {
    const lines = await oneExchange();
    assert.equal(isDebugCaptureActive(), false, 'stop() ends every slice');
    // socket.io 1.3.7 logs this once per server start: exactly once means no line fell between
    // two slices or into both.
    assert.equal(
      lines.filter((l) => l.namespace === 'socket.io:server' && l.message === 'initializing namespace /').length,
      1,
    );
    const cut = lines.filter((l) => l.cut > 0);
    assert.ok(cut.length >= 1, 'the 200 000-character emit must show up cut');
    for (const line of cut) assert.equal(line.message.length, MAX_CHARS + 1);
    assert.ok(cut.some((l) => l.cut >= BIG.length - MAX_CHARS));
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i].t >= lines[i - 1].t, 'lines stay in order across slices');
    const copies = new Set(lines.map((l) => l.copy));
    assert.ok(
      [...copies].some((c) => c.startsWith('debug@2.1.0')) && [...copies].some((c) => c.startsWith('debug@1.0.3')),
      [...copies].join(', '),
    );
  });
}

test('maxLines keeps the first lines and counts the rest', async () => {
  const stack = loadStack('2015');
  const log = startDebugLog('socket.io:server', { maxLines: 1, sliceMs: 5 });
  const a = await stack.createServer({ deflate: 'off' });
  const b = await stack.createServer({ deflate: 'off' });
  await Promise.all([a.close(), b.close()]);
  const lines = log.stop();
  assert.equal(lines.length, 1);
  assert.ok(log.dropped() >= 1);
});
