/**
 * The one host of a forked child (src/core/child-host.ts) against a tiny child
 * (test/fixtures/child-host-child.cjs): a reply arrives with its progress on the way; a child that
 * never replies is killed at the limit; a child that exits or fails mid-request rejects it; and
 * close() leaves no process and no handle behind, killing a child that will not leave.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/core/paths';
import { ChildHost } from '../../src/core/child-host';
import { activeHandles, assertNoHandlesLeft } from '../support/handles';
import { running } from '../support/process';

const CHILD = path.join(PROJECT_ROOT, 'test', 'fixtures', 'child-host-child.cjs');

type Request =
  | { type: 'echo'; value: string; ticks: number }
  | { type: 'hang' }
  | { type: 'die' }
  | { type: 'fail' }
  | { type: 'stubborn' }
  | { type: 'grandchild' };
type Reply =
  { type: 'tick'; n: number } | { type: 'echoed'; value: string | number } | { type: 'failed'; error: string };

const host = (options: { group?: boolean } = {}) =>
  new ChildHost<Request, Reply>(CHILD, { name: 'the child', ...options });

/** Waits until `pid` is gone (a killed process takes a moment), at most `ms`. */
async function gone(pid: number, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (running(pid)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

test('the reply arrives, with the progress before it handed over, and close() leaves nothing behind', async () => {
  const before = activeHandles();
  const child = host();
  const ticks: number[] = [];
  try {
    const reply = await child.ask({ type: 'echo', value: 'hello', ticks: 3 }, 'echoed', {
      limitMs: 5_000,
      progress: { tick: (tick) => ticks.push(tick.n) },
    });
    assert.deepEqual(reply, { type: 'echoed', value: 'hello' });
    assert.deepEqual(ticks, [1, 2, 3]);
    assert.equal(child.busy, false);
    // One request after another on the same child.
    assert.equal(
      (await child.ask({ type: 'echo', value: 'again', ticks: 0 }, 'echoed', { limitMs: 5_000 })).value,
      'again',
    );
  } finally {
    await child.close(5_000);
  }
  const pid = child.child.pid as number;
  assert.equal(running(pid), false, 'close() resolved while the child still ran');
  assert.equal(child.ended, 'the child exited (0)');
  await assertNoHandlesLeft({ before, message: 'after close()' });
});

test('a child that never replies is killed at the limit, and the request rejects with one line', async () => {
  const child = host();
  const pid = child.child.pid as number;
  try {
    const started = Date.now();
    await assert.rejects(
      child.ask({ type: 'hang' }, 'echoed', { limitMs: 300 }),
      (error: Error) =>
        error.message === "the child: 'hang' got no reply within 300 ms" && !error.message.includes('\n'),
    );
    assert.ok(Date.now() - started < 2_000, 'the limit fired late');
    assert.ok(await gone(pid), 'the child outlived its limit');
    // The host takes no more requests, and says why.
    assert.equal(child.ended, "the child: 'hang' got no reply within 300 ms");
    await assert.rejects(child.ask({ type: 'echo', value: 'x', ticks: 0 }, 'echoed', { limitMs: 1_000 }), {
      message: "the child: 'hang' got no reply within 300 ms",
    });
  } finally {
    await child.close(1_000);
  }
});

test("the caller's limit error is the one thrown, and 'keep' leaves the child to close()", async () => {
  class Overstayed extends Error {}
  const child = host();
  try {
    await assert.rejects(
      child.ask({ type: 'hang' }, 'echoed', { limitMs: 100, limitError: () => new Overstayed('too long') }),
      Overstayed,
    );
    assert.ok(await gone(child.child.pid as number));
  } finally {
    await child.close(1_000);
  }
  const kept = host();
  try {
    await assert.rejects(kept.ask({ type: 'hang' }, 'echoed', { limitMs: 100, atLimit: 'keep' }), /got no reply/);
    assert.equal(kept.ended, undefined);
    assert.equal(running(kept.child.pid as number), true);
  } finally {
    await kept.close(1_000);
  }
  assert.equal(running(kept.child.pid as number), false);
});

test('a child that exits mid-request rejects it with the exit message', async () => {
  const child = new ChildHost<Request, Reply>(CHILD, {
    name: 'the child',
    exitMessage: (code, signal) => `the child exited (${signal ?? code}) before replying`,
  });
  try {
    await assert.rejects(child.ask({ type: 'die' }, 'echoed', { limitMs: 5_000 }), {
      message: 'the child exited (3) before replying',
    });
    assert.equal(child.ended, 'the child exited (3) before replying');
  } finally {
    await child.close(1_000);
  }
});

test("a 'failed' reply rejects with the child's error, and the child serves on", async () => {
  const child = host();
  try {
    await assert.rejects(child.ask({ type: 'fail' }, 'echoed', { limitMs: 5_000 }), {
      message: 'the child: asked to fail\nsecond line',
    });
    assert.equal(child.ended, undefined);
    assert.equal(
      (await child.ask({ type: 'echo', value: 'still here', ticks: 0 }, 'echoed', { limitMs: 5_000 })).value,
      'still here',
    );
  } finally {
    await child.close(1_000);
  }
});

test('close() kills a child that will not leave, after the grace it was given, and resolves once it has exited', async () => {
  const before = activeHandles();
  const child = host();
  await child.ask({ type: 'stubborn' }, 'echoed', { limitMs: 5_000 });
  const started = Date.now();
  await child.close(300);
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3_000, `close() took ${took} ms, not about the 300 ms grace`);
  assert.equal(running(child.child.pid as number), false);
  assert.equal(child.ended, 'the child exited (SIGKILL)');
  // A second close() is a no-op.
  await child.close(300);
  await assertNoHandlesLeft({ before, message: 'after close() killed the child' });
});

test('kill() of a host with a group of its own reaches what the child forked', async () => {
  const child = host({ group: true });
  let grandchild: number | undefined;
  try {
    grandchild = (await child.ask({ type: 'grandchild' }, 'echoed', { limitMs: 5_000 })).value as number;
    assert.equal(running(grandchild), true);
    child.kill();
    assert.equal(child.ended, 'the child was killed');
    assert.ok(await gone(child.child.pid as number));
    assert.ok(await gone(grandchild), 'the grandchild outlived the kill');
  } finally {
    await child.close(1_000);
    if (grandchild !== undefined && running(grandchild)) process.kill(grandchild, 'SIGKILL');
  }
});
