/**
 * Chapter 2's matching of the post's excerpt, on hand-made log lines: the four lines in order
 * after a `transport error`, with other lines between them, a trail that stops short, and a trail
 * with no `transport error` at all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { excerptRows, matchExcerpt } from '../../src/chapters/02-debug';
import { scenario } from '../support/made-up';
import type { LoggedLine } from '../../src/observe/debug-log';

const line = (namespace: string, message: string, t = 0): LoggedLine => ({
  t: t,
  namespace: namespace,
  message: message,
  copy: 'debug@test',
  cut: 0,
});

test('the excerpt is found in order, with other lines between', () => {
  const lines = [
    line('engine:ws', 'writing "40"'),
    line('engine:socket', 'transport error'),
    line('engine:socket', 'flushing buffer to transport'),
    line('socket.io:client', 'client close with reason transport error'),
    line('socket.io:socket', 'closing socket - reason transport error'),
    line('socket.io:client', 'ignoring remove for AbC-123_xyz'),
  ];
  assert.deepEqual(matchExcerpt(lines), [{ at: 1, found: [1, 3, 4, 5] }]);
});

test('a line out of order or missing is not found', () => {
  const lines = [
    line('socket.io:socket', 'closing socket - reason transport error'),
    line('engine:socket', 'transport error'),
    line('socket.io:client', 'client close with reason transport error'),
    line('socket.io:client', 'ignoring remove for two words'),
  ];
  // The socket line came before the transport error, and `<id>` stands for one token only.
  assert.deepEqual(matchExcerpt(lines), [{ at: 1, found: [1, 2, null, null] }]);
});

test('no transport error, no match; beside the post, the run has "not shown in this run", not "(not found)"', () => {
  const lines = [line('socket.io:server', 'initializing namespace /')];
  assert.deepEqual(matchExcerpt(lines), []);
  const rows = excerptRows({ record: scenario(), lines: lines, dropped: 0, copies: [] });
  assert.deepEqual(
    rows.map((row) => row['this run']),
    Array(4).fill('(not shown in this run)'),
  );
  const partial = excerptRows({
    record: scenario(),
    lines: [
      line('engine:socket', 'transport error'),
      line('socket.io:client', 'client close with reason transport error'),
    ],
    dropped: 0,
    copies: [],
  });
  assert.deepEqual(
    partial.map((row) => row['this run']),
    [
      'engine:socket transport error',
      'socket.io:client client close with reason transport error',
      '(not found)',
      '(not found)',
    ],
  );
});
