/** The one timeout race (src/core/limit.ts): the work's outcome within the limit, the limit's after, and no timer left either way. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LimitError, withinLimit, withLimit } from '../../src/core/limit';
import { activeHandles, assertNoHandlesLeft } from '../support/handles';

const never = new Promise<never>(() => undefined);
const later = <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

test('withLimit settles as the work does within the limit, and leaves no timer', async () => {
  const before = activeHandles();
  assert.equal(await withLimit(later('done', 10), 10_000, 'the work'), 'done');
  await assert.rejects(withLimit(Promise.reject(new Error('broke')), 10_000, 'the work'), { message: 'broke' });
  await assertNoHandlesLeft({ before, waitMs: 0 });
});

test('withLimit rejects with a LimitError at the limit, worded by `what`', async () => {
  await assert.rejects(withLimit(never, 20, 'the work'), (error: Error) => {
    assert.ok(error instanceof LimitError);
    assert.equal(error.message, 'the work did not finish within 20 ms');
    return true;
  });
  await assert.rejects(
    withLimit(never, 20, (ms) => `the load exceeded its hard limit of ${ms} ms`),
    {
      message: 'the load exceeded its hard limit of 20 ms',
    },
  );
});

test('withinLimit resolves undefined at the limit and passes the work on otherwise', async () => {
  const before = activeHandles();
  assert.equal(await withinLimit(never, 20), undefined);
  assert.deepEqual(await withinLimit(later([1, 2], 5), 10_000), [1, 2]);
  await assert.rejects(withinLimit(Promise.reject(new Error('broke')), 10_000), { message: 'broke' });
  await assertNoHandlesLeft({ before, waitMs: 0 });
});
