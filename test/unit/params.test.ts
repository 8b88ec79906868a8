/** The parameter model: units, every bound, and the one-line errors that name the parameter. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cellLiteral,
  DEFAULT_PARAMS,
  KiB,
  MiB,
  ParamError,
  resolveParams,
  type RawParams,
} from '../../src/core/params';
import { formatBytes, formatDuration, parseBytes, parseDuration } from '../../src/core/units';

test('sizes: plain bytes, B, KiB and MiB, fractions rounded to a byte', () => {
  assert.equal(parseBytes('3000'), 3000);
  assert.equal(parseBytes('64 B'), 64);
  assert.equal(parseBytes('64KiB'), 64 * KiB);
  assert.equal(parseBytes('1.5MiB'), 1.5 * MiB);
  assert.equal(parseBytes('200kib'), 200 * KiB);
  assert.equal(parseBytes(4096), 4096);
  // The `bytes` package reads these as 64 and 1; this parser must not.
  assert.notEqual(parseBytes('64KiB'), 64);
  for (const bad of ['64KB', '1MB', 'lots', '', '-5', '1e3']) assert.throws(() => parseBytes(bad), /not a size/, bad);
});

test('durations: ms, s, min and h; a string needs a unit', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('2min'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration(500), 500);
  for (const bad of ['20', '5 days', 'soon']) assert.throws(() => parseDuration(bad), /not a duration/, bad);
});

test('formatDuration picks ms, s, min or h', () => {
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(15_000), '15 s');
  assert.equal(formatDuration(42.1 * 60_000), '42.1 min');
  assert.equal(formatDuration(363.9 * 60_000), '6.1 h');
});

test('formatBytes picks the largest unit at or above 1', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(4 * MiB), '4 MiB');
});

test('defaults resolve, and layers override in order', () => {
  assert.deepEqual(resolveParams(), DEFAULT_PARAMS);
  const params = resolveParams(
    { rate: 2 },
    { rate: '10/s', frameSizes: '3000,200KiB,1.5MiB', stacks: '2015,today', duration: '20s' },
  );
  assert.equal(params.rate, 10);
  assert.deepEqual(params.frameSizes, [3000, 200 * KiB, 1.5 * MiB]);
  assert.deepEqual(params.stacks, ['2015', 'today']);
  assert.equal(params.duration, 20_000);
});

const boundaries: Array<[RawParams, boolean]> = [
  [{ frameSizes: '1B' }, true],
  [{ frameSizes: '0' }, false],
  [{ frameSizes: '64MiB' }, true],
  [{ frameSizes: `${64 * MiB + 1}` }, false],
  [{ fragmentSize: '125' }, true],
  [{ fragmentSize: '124' }, false],
  [{ fragmentSize: '16MiB' }, true],
  [{ fragmentSize: '17MiB' }, false],
  [{ rate: '0.01' }, true],
  [{ rate: '0' }, false],
  [{ rate: '1000' }, true],
  [{ rate: '1000.5' }, false],
  [{ rate: '-1' }, false],
  [{ rate: 'fast' }, false],
  [{ clients: 1 }, true],
  [{ clients: 0 }, false],
  [{ clients: 200 }, true],
  [{ clients: 201 }, false],
  [{ clients: 2.5 }, false],
  [{ burst: 1 }, true],
  [{ burst: 0 }, false],
  [{ burst: 100 }, true],
  [{ burst: 101 }, false],
  [{ duration: '100ms' }, true],
  [{ duration: '99ms' }, false],
  [{ duration: '2h' }, true],
  [{ duration: '121min' }, false],
  [{ repeats: 1 }, true],
  [{ repeats: 0 }, false],
  [{ repeats: 20 }, true],
  [{ repeats: 21 }, false],
  [{ seed: 0 }, true],
  [{ seed: -1 }, false],
  [{ stacks: '2015+ws0.8.1' }, true],
  [{ stacks: '2014' }, false],
  [{ stacks: '' }, false],
  [{ stacks: 'today,' }, false],
  [{ frameSizes: '4KiB,,8KiB' }, false],
  [{ frameSizes: ',4KiB' }, false],
  [{ frameSizes: '4KiB,8KiB,' }, false],
  [{ frameSizes: ',' }, false],
  [{ frameSizes: ' 4KiB , 8KiB ' }, true],
  [{ deflate: 'off' }, true],
  [{ deflate: 'maybe' }, false],
  [{ payload: 'jpeg,json' }, true],
  [{ payload: 'gif' }, false],
  [{ quick: 'true' }, true],
  [{ quick: 'yes' }, false],
];

for (const [raw, accepted] of boundaries) {
  const [name] = Object.keys(raw);
  test(`${name} = ${JSON.stringify(Object.values(raw)[0])} is ${accepted ? 'accepted' : 'rejected with a one-line error naming it'}`, () => {
    if (accepted) {
      resolveParams(raw);
      return;
    }
    assert.throws(
      () => resolveParams(raw),
      (error: unknown) => {
        assert.ok(error instanceof ParamError);
        assert.equal(error.param, name);
        assert.ok(error.message.startsWith(`${name}: `), error.message);
        assert.ok(!error.message.includes('\n'), 'one line');
        assert.match(error.message, /use /, 'says what is accepted');
        return true;
      },
    );
  });
}

test('a frame size given twice runs once, at its first place', () => {
  assert.deepEqual(resolveParams({ frameSizes: '1MiB,4KiB,1048576' }).frameSizes, [MiB, 4 * KiB]);
});

test('an unknown parameter is named', () => {
  assert.throws(() => resolveParams({ colour: 'red' } as RawParams), { message: /^colour: unknown parameter/ });
});

test('cell literals type as the parameters cell declares them', () => {
  assert.equal(cellLiteral('frameSizes', ['4KiB', '64KiB']), '"4KiB,64KiB"');
  assert.equal(cellLiteral('rate', '10'), '10');
  assert.equal(cellLiteral('quick', true), 'true');
  assert.equal(cellLiteral('duration', '20s'), '"20s"');
});
