/**
 * Debug capture against the real stacks. Each scenario runs in a child process
 * (test/support/debug-capture-child.ts) so that the stack is loaded fresh, with DEBUG=* in its
 * environment, and so that anything a logger writes on its own shows up on the child's stdout or
 * stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  captureDebug,
  findDebugCopies,
  isTransportError,
  linesAround,
  POST_DISCONNECT_EXCERPT,
  prepareDebugCapture,
  type DebugCopy,
  type DebugLine,
} from '../../src/observe/debug-capture';
import { stackPackageDirs } from '../../src/core/stack-catalog';
import type { LateResult, Scenario, StackResult } from '../support/debug-capture-child';

/** The child, compiled beside this file. */
const CHILD = path.join(__dirname, '..', 'support', 'debug-capture-child.js');
/** Bounds the child (each of its waits is bounded too). */
const CHILD_TIMEOUT_MS = 30_000;

interface ChildRun<T> {
  result: T;
  stdout: string;
  stderr: string;
}

async function inChild<T>(scenario: Scenario, debugEnv: string | undefined): Promise<ChildRun<T>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'debug-capture-'));
  const resultFile = path.join(dir, 'result.json');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  if (debugEnv === undefined) delete env.DEBUG;
  else env.DEBUG = debugEnv;
  const child = spawn(process.execPath, [CHILD, scenario, resultFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CHILD_TIMEOUT_MS,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  try {
    assert.equal(code, 0, `child ${scenario} exited with ${code ?? signal}; stderr:\n${stderr}`);
    return { result: JSON.parse(fs.readFileSync(resultFile, 'utf8')) as T, stdout, stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `wanted` occurs in `lines` in this order, other lines allowed in between. */
function inOrder(lines: DebugLine[], wanted: ReadonlyArray<Pick<DebugLine, 'namespace' | 'message'>>): boolean {
  let at = 0;
  for (const line of lines)
    if (at < wanted.length && line.namespace === wanted[at].namespace && line.message === wanted[at].message) at++;
  return at === wanted.length;
}

const UNAPPLIED_FORMAT = /%[sdjoO]/;

function assertStackRun(run: ChildRun<StackResult>, labelsByPrefix: Record<string, string[]>): void {
  const { result } = run;
  assert.equal(run.stderr, '', 'a prepared logger wrote to stderr on its own');
  assert.equal(run.stdout, '', 'a prepared logger wrote to stdout on its own');

  assert.deepEqual([...result.known].sort(), result.copies.map((copy) => copy.label).sort());

  const { reason, lines } = result.transportError;
  assert.equal(reason, 'transport error');
  for (const [prefix, labels] of Object.entries(labelsByPrefix)) {
    const seen = new Set(lines.filter((line) => line.namespace.startsWith(prefix)).map((line) => line.copy));
    assert.deepEqual([...seen].sort(), [...labels].sort(), `copies that logged ${prefix}*`);
  }
  for (const line of lines) {
    assert.ok(!UNAPPLIED_FORMAT.test(line.message), `unformatted message: ${line.namespace} ${line.message}`);
    assert.ok(Number.isInteger(line.t) && Math.abs(Date.now() - line.t) < 60_000, `time of ${line.message}`);
  }
  const windows = linesAround(lines);
  assert.equal(windows.length, 1, 'one disconnect, one window');
  const window = windows[0];
  assert.ok(isTransportError(window.lines[window.marks[0]]));
  assert.ok(
    inOrder(window.lines.slice(window.marks[0]), POST_DISCONNECT_EXCERPT.slice(0, 3)),
    `the post's sequence after the mark, got:\n${window.lines.map((line) => `${line.namespace} ${line.message}`).join('\n')}`,
  );

  const { all, serverOnly } = result.clientDisconnect;
  assert.equal(result.clientDisconnect.reason, 'client namespace disconnect');
  assert.ok(
    all.some(
      (line) =>
        line.namespace === 'socket.io:socket' && line.message === 'closing socket - reason client namespace disconnect',
    ),
  );
  assert.ok(
    all.some((line) => line.namespace.startsWith('socket.io-client')),
    'the second capture hears the client too',
  );
  assert.ok(serverOnly.length > 0);
  assert.ok(serverOnly.every((line) => line.namespace.startsWith('socket.io:')));
  assert.deepEqual(
    serverOnly,
    all.filter((line) => line.namespace.startsWith('socket.io:')),
    'two captures at once see the same calls',
  );

  assert.deepEqual(
    result.countsAfterIdleTraffic,
    [lines.length, all.length, serverOnly.length],
    'stopped captures stay still',
  );
  assert.equal(result.activeAtEnd, false);
  assert.equal(result.debugEnvAtEnd, '*', 'capturing must not rewrite process.env.DEBUG');
}

test('finds every copy of debug each stack loads, with its API', () => {
  const labels = (copies: DebugCopy[]) => copies.map((copy) => `${copy.label} ${copy.api}`).sort();
  assert.deepEqual(labels(findDebugCopies(Object.values(stackPackageDirs('2015')))), [
    'debug@0.7.4 (socket.io-2015/socket.io-adapter/socket.io-parser) console.error',
    'debug@0.7.4 (socket.io-2015/socket.io-client) console.error',
    'debug@0.7.4 (socket.io-2015/socket.io-parser) console.error',
    'debug@0.7.4 (socket.io-client-2015) console.error',
    'debug@1.0.2 (socket.io-2015/socket.io-adapter) exports.log',
    'debug@1.0.3 (socket.io-2015/engine.io) exports.log',
    'debug@1.0.4 (socket.io-2015/engine.io-client) exports.log',
    'debug@1.0.4 (socket.io-client-2015/engine.io-client) exports.log',
    'debug@2.1.0 (socket.io-2015) exports.log',
  ]);
  assert.deepEqual(labels(findDebugCopies(Object.values(stackPackageDirs('today')))), [
    'debug@4.4.3 (top level) createDebug.log',
  ]);
  const ws081 = findDebugCopies(Object.values(stackPackageDirs('2015+ws0.8.1')));
  assert.ok(ws081.some((copy) => copy.label === 'debug@1.0.3 (2015-ws081/engine.io)'));
  assert.ok(findDebugCopies(Object.values(stackPackageDirs('2016-fixed'))).some((copy) => copy.version === '2.2.0'));
});

test('2015 stack: every copy captured, the post’s disconnect lines live, twice, and silence otherwise', async () => {
  const run = await inChild<StackResult>('2015', '*');
  assertStackRun(run, {
    'socket.io:': ['debug@2.1.0 (socket.io-2015)'],
    'engine:': ['debug@1.0.3 (socket.io-2015/engine.io)'],
    'socket.io-client:': ['debug@0.7.4 (socket.io-client-2015)'],
    'engine.io-client:': ['debug@1.0.4 (socket.io-client-2015/engine.io-client)'],
    'socket.io-parser': ['debug@0.7.4 (socket.io-2015/socket.io-parser)', 'debug@0.7.4 (socket.io-client-2015)'],
  });
  // The 2015 stack logs the excerpt back to back, as the post shows it.
  const { lines } = run.result.transportError;
  const mark = lines.findIndex(isTransportError);
  assert.deepEqual(
    lines.slice(mark, mark + 3).map(({ namespace, message }) => ({ namespace, message })),
    POST_DISCONNECT_EXCERPT.slice(0, 3),
  );
  assert.match(lines[mark + 3].message, /^ignoring remove for \S+$/);
});

test('today stack (debug 4): captured through its own API, twice, and silenced while idle', async () => {
  const run = await inChild<StackResult>('today', '*');
  const today = 'debug@4.4.3 (top level)';
  assertStackRun(run, {
    'socket.io:': [today],
    'engine:': [today],
    'socket.io-client:': [today],
    'engine.io-client:': [today],
  });
});

test('a stack loaded before prepareDebugCapture() is refused with an error that says what to do', async () => {
  const { result } = await inChild<LateResult>('late', undefined);
  assert.match(result.prepareError, /debug@2\.2\.0 .* was loaded before prepareDebugCapture\(\).*restart the kernel/);
  assert.equal(result.prepareErrorIsTyped, true);
  assert.match(result.captureError, /was loaded before prepareDebugCapture\(\)/);
});

test('each 2015 copy formats as it would itself: 2.x its own %o, 0.7.x util.format after string concatenation', () => {
  const copies = prepareDebugCapture(Object.values(stackPackageDirs('2015')));
  const logger = (label: string) => {
    const copy = copies.find((candidate) => candidate.label === label);
    assert.ok(copy, label);
    return (require(copy.main) as (namespace: string) => (...args: unknown[]) => void)('lab:format');
  };
  const v2 = logger('debug@2.1.0 (socket.io-2015)');
  const v0 = logger('debug@0.7.4 (socket.io-client-2015)');
  const capture = captureDebug('lab:*');
  v2('%o then %j then %s then %d%%', { a: [1, 2] }, { b: 'c' }, 'text', 7);
  v2({ plain: true });
  v2(new Error('boom'));
  v0('%j then %s', { b: 'c' }, 'text');
  v0({ plain: true });
  const lines = capture.stop();
  assert.deepEqual(
    lines.map((line) => line.message.split('\n')[0]),
    [
      '{ a: [ 1, 2 ] } then {"b":"c"} then text then 7%',
      '{ plain: true }',
      'Error: boom',
      '{"b":"c"} then text',
      '[object Object]',
    ],
  );
  assert.deepEqual(
    lines.map((line) => line.copy),
    [
      'debug@2.1.0 (socket.io-2015)',
      'debug@2.1.0 (socket.io-2015)',
      'debug@2.1.0 (socket.io-2015)',
      'debug@0.7.4 (socket.io-client-2015)',
      'debug@0.7.4 (socket.io-client-2015)',
    ],
  );
});

test('echo also writes captured lines to stderr; maxLines bounds what is kept', () => {
  const [copy] = prepareDebugCapture(Object.values(stackPackageDirs('today')));
  const log = (require(copy.main) as (namespace: string) => (...args: unknown[]) => void)('lab:echo');
  const writes: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) =>
    writes.push(String(chunk)) > 0) as typeof process.stderr.write;
  let capture;
  try {
    log('before');
    capture = captureDebug('lab:*', { echo: true, maxLines: 1 });
    log('loud %d', 1);
    log('loud %d', 2);
    capture.stop();
    log('after');
  } finally {
    process.stderr.write = write;
  }
  assert.equal(writes.length, 2);
  assert.match(writes[0], /^\S+Z lab:echo loud 1 \[debug@4\.4\.3 \(top level\)\]\n$/);
  assert.deepEqual(
    capture.lines().map((line) => line.message),
    ['loud 1'],
  );
  assert.equal(capture.dropped(), 1);
});

test('linesAround merges overlapping windows and points at each mark', () => {
  const line = (namespace: string, message: string): DebugLine => ({ t: 0, namespace, message, copy: 'test' });
  const mark = () => line('engine:socket', 'transport error');
  const lines = [
    line('a', '0'),
    mark(),
    line('a', '2'),
    mark(),
    line('a', '4'),
    line('a', '5'),
    line('a', '6'),
    line('a', '7'),
    mark(),
  ];
  const windows = linesAround(lines, isTransportError, 1, 1);
  assert.deepEqual(
    windows.map((w) => ({ start: w.start, size: w.lines.length, marks: w.marks })),
    [
      { start: 0, size: 5, marks: [1, 3] },
      { start: 7, size: 2, marks: [1] },
    ],
  );
});
