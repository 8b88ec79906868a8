/**
 * Chapter 9's zlib row on made-up results: the judge passes a clean run and words each control
 * that fails (deflate, delivery, digest, compression, the limit in force, the allocator, the
 * memory samples), recomputes the figures from the raw samples, and counts what the plan still
 * lacks; the chapter groups repeats into medians and ranges and words its comparisons from the
 * ranges: a difference only when every repeat lies on one side, "no difference" when they
 * overlap, "not settled" below the plan's repeats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  JEMALLOC_LIBRARY,
  judgeZlibResult,
  zlibFigures,
  zlibPlan,
  zlibSchedule,
  zlibShortfall,
  ZLIB_LOAD,
  ZLIB_REPEATS,
  type Allocator,
  type ZlibCell,
  type ZlibCellResult,
  type ZlibLimit,
} from '../../src/history/zlib';
import {
  compareRanges,
  describeZlibHistory,
  describeZlibSources,
  describeZlibSpot,
  QUICK_SPOT_LOAD,
  zlibChart,
  zlibGroups,
  zlibRows,
} from '../../src/chapters/09-history/zlib';
import { renderSvg } from '../../src/show/charts';
import { MiB } from '../../src/core/params';
import { glibcArenaHeaps } from '../../src/history/zlib-server';
import { ZLIB_RECORDING } from '../../src/history/recordings';

const MESSAGES = ZLIB_LOAD.connections * ZLIB_LOAD.messagesPerConnection;

function sample(rss: number) {
  return { rss: rss, heapTotal: 20 * MiB, heapUsed: 8 * MiB, external: 5 * MiB, arrayBuffers: 2 * MiB };
}

/** A clean made-up run of a cell, its RSS after GC and its peak in MiB. */
function run(
  ws: string,
  limit: ZlibLimit,
  allocator: Allocator,
  afterSettleMiB = 220,
  peakMiB = 280,
  load = ZLIB_LOAD,
): ZlibCellResult {
  const cell: ZlibCell = { ws: ws, limit: limit, allocator: allocator, load: load };
  const messages = load.connections * load.messagesPerConnection;
  return {
    cell: cell,
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedMs: 5000,
    versions: { ws: ws, node: 'v20.20.2' },
    memory: {
      baseline: sample(56 * MiB),
      afterBurst: sample((peakMiB - 1) * MiB),
      afterSettle: sample(afterSettleMiB * MiB),
      peakRss: peakMiB * MiB,
      poll: { intervalMs: 10, kib: [57 * 1024, 150 * 1024, (peakMiB - 2) * 1024] },
    },
    burstMs: 3000,
    controls: {
      connections: {
        asked: load.connections,
        opened: load.connections,
        serverSaw: load.connections,
        deflateServer: load.connections,
        deflateClient: load.connections,
      },
      messages: { sent: messages, delivered: messages, compressed: messages, sentDigest: 'ab', deliveredDigest: 'ab' },
      limit: {
        sourceHasOption: limit !== 'no-option',
        optionPassed: limit === 'no-option' ? 'unset' : limit,
        optionSeen: [limit === 'no-option' ? 'absent' : limit === 'unlimited' ? 'Infinity' : String(limit)],
        limiterConcurrency: limit === 'no-option' ? null : limit,
        peakInFlight: typeof limit === 'number' ? limit : load.connections,
      },
      allocator: {
        ldPreload: allocator === 'jemalloc' ? JEMALLOC_LIBRARY : null,
        mallocArenaMax: allocator === 'glibc-arenas-2' ? '2' : null,
        jemallocMapped: allocator === 'jemalloc',
        arenaHeaps: { glibc: 9, 'glibc-arenas-2': 1, jemalloc: 0 }[allocator],
      },
    },
  };
}

/** A copy of `result` with `change` applied to it. */
function broken(result: ZlibCellResult, change: (r: ZlibCellResult) => void): ZlibCellResult {
  const copy = structuredClone(result);
  change(copy);
  return copy;
}

test('a clean run is valid in every cell kind, and its figures come from its raw samples', () => {
  for (const [ws, limit] of [
    ['3.1.0', 'no-option'],
    ['3.2.0', 1],
    ['3.2.0', 10],
    ['3.2.0', 'unlimited'],
  ] as const) {
    for (const allocator of ['glibc', 'glibc-arenas-2', 'jemalloc'] as const) {
      const judged = judgeZlibResult(run(ws, limit, allocator));
      assert.deepEqual(judged.problems, [], `${ws} ${limit} ${allocator}`);
      assert.equal(judged.valid, true);
    }
  }
  const figures = zlibFigures(run('3.1.0', 'no-option', 'glibc', 220, 280));
  assert.equal(figures.peakRss, 280 * MiB);
  assert.equal(figures.afterSettleRss, 220 * MiB);
  assert.equal(figures.retainedRss, (220 - 56) * MiB);
  // A poll that saw more than the high-water mark read (it reads once more after the burst) wins.
  const polledHigher = broken(run('3.1.0', 'no-option', 'glibc'), (r) => r.memory.poll.kib.push(300 * 1024));
  assert.equal(zlibFigures(polledHigher).peakRss, 300 * MiB);
});

test('the judge words each failed traffic control', () => {
  const clean = run('3.2.0', 10, 'glibc');
  const cases: [string, (r: ZlibCellResult) => void, RegExp][] = [
    [
      'deflate refused',
      (r) => (r.controls.connections.deflateServer = 199),
      /199 of 200 connections with deflate accepted/,
    ],
    [
      'client saw none',
      (r) => (r.controls.connections.deflateClient = 0),
      /0 of 200 connections with deflate in the client/,
    ],
    [
      'one lost',
      (r) => (r.controls.messages.delivered = MESSAGES - 1),
      new RegExp(`${MESSAGES - 1} of ${MESSAGES} messages delivered`),
    ],
    ['not compressed', (r) => (r.controls.messages.compressed = 0), new RegExp(`0 of ${MESSAGES} messages compressed`)],
    ['changed', (r) => (r.controls.messages.deliveredDigest = 'cd'), /differs from what the server sent/],
    ['short burst', (r) => (r.controls.messages.sent = 10), new RegExp(`10 of ${MESSAGES} messages sent`)],
  ];
  for (const [name, change, expected] of cases) {
    const judged = judgeZlibResult(broken(clean, change));
    assert.equal(judged.valid, false, name);
    assert.ok(
      judged.problems.some((p) => expected.test(p)),
      `${name}: ${judged.problems.join(' | ')}`,
    );
  }
});

test('the judge checks the limit ws built and that it bound, or that none did', () => {
  const limited = run('3.2.0', 10, 'glibc');
  const check = (r: ZlibCellResult, expected: RegExp) => {
    const judged = judgeZlibResult(r);
    assert.equal(judged.valid, false);
    assert.ok(
      judged.problems.some((p) => expected.test(p)),
      judged.problems.join(' | '),
    );
  };
  check(
    broken(limited, (r) => (r.controls.limit.limiterConcurrency = 'unlimited')),
    /limiter ran with concurrency unlimited, not 10/,
  );
  check(
    broken(limited, (r) => (r.controls.limit.optionSeen = ['absent'])),
    /held concurrencyLimit absent, not 10/,
  );
  check(
    broken(limited, (r) => (r.controls.limit.peakInFlight = 11)),
    /11 compressions ran at once, over the limit of 10/,
  );
  check(
    broken(limited, (r) => (r.controls.limit.peakInFlight = 3)),
    /the limit of 10 was never reached/,
  );
  check(
    broken(limited, (r) => (r.controls.limit.sourceHasOption = false)),
    /does not read concurrencyLimit/,
  );
  const none = run('3.1.0', 'no-option', 'glibc');
  check(
    broken(none, (r) => (r.controls.limit.peakInFlight = 10)),
    /no more than a limit of 10 allows/,
  );
  check(
    broken(none, (r) => (r.controls.limit.limiterConcurrency = 10)),
    /concurrency 10, not \(no limiter\)/,
  );
  // A burst over fewer connections than the limit cannot reach it: not a failure.
  const small = { ...ZLIB_LOAD, connections: 5 };
  const few = broken(run('3.2.0', 10, 'glibc', 100, 120, small), (r) => (r.controls.limit.peakInFlight = 5));
  assert.deepEqual(judgeZlibResult(few).problems, []);
});

test('the judge checks the allocator the server process had, and its memory samples', () => {
  const check = (r: ZlibCellResult, expected: RegExp) => {
    const judged = judgeZlibResult(r);
    assert.ok(
      judged.problems.some((p) => expected.test(p)),
      judged.problems.join(' | '),
    );
  };
  check(
    broken(run('3.1.0', 'no-option', 'jemalloc'), (r) => (r.controls.allocator.jemallocMapped = false)),
    /jemalloc was not mapped/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc'), (r) => (r.controls.allocator.jemallocMapped = true)),
    /jemalloc was mapped/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc-arenas-2'), (r) => (r.controls.allocator.mallocArenaMax = null)),
    /MALLOC_ARENA_MAX was unset, not 2/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc'), (r) => (r.controls.allocator.mallocArenaMax = '2')),
    /MALLOC_ARENA_MAX was 2, not unset/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'jemalloc'), (r) => (r.controls.allocator.arenaHeaps = 2)),
    /had 2 glibc arena heaps \(jemalloc\)/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc'), (r) => (r.controls.allocator.arenaHeaps = 0)),
    /had 0 glibc arena heaps \(glibc\)/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc'), (r) => (r.memory.peakRss = 10 * MiB)),
    /peak RSS .* is below the RSS after the burst/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc'), (r) => (r.memory.poll.kib = [1])),
    /the RSS poll took 1 reading/,
  );
  check(
    broken(run('3.1.0', 'no-option', 'glibc'), (r) => (r.memory.afterSettle.rss = NaN)),
    /after the settle is not a set of byte counts/,
  );
});

test('glibc arena heaps are counted from a maps listing: 64 MiB reservations at 64 MiB boundaries only', () => {
  const maps = [
    '7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ',
    '7f0000021000-7f0004000000 ---p 00000000 00:00 0 ',
    '7f0008000000-7f0008400000 rw-p 00000000 00:00 0 ',
    '7f0008400000-7f000c000000 ---p 00000000 00:00 0 ',
    '7f0010000000-7f0010100000 rw-p 00000000 00:00 0 ',
    '7f0014000000-7f0014021000 rw-p 00000000 00:00 0 ',
    '7f0014021000-7f0018000000 ---p 00000000 08:01 1234 /usr/lib/libx.so',
    '7f001c000000-7f001c021000 r--p 00000000 00:00 0 ',
    '7f001c021000-7f0020000000 ---p 00000000 00:00 0 ',
  ].join('\n');
  // Two whole heaps; not a lone rw-p mapping, one whose rest is a file, nor one that is not writable.
  assert.equal(glibcArenaHeaps(maps), 2);
  assert.equal(glibcArenaHeaps(''), 0);
});

test('the plan shortfall counts valid repeats per cell only', () => {
  const cells = [run('3.1.0', 'no-option', 'glibc').cell, run('3.2.0', 1, 'glibc').cell];
  const results = [
    run('3.1.0', 'no-option', 'glibc'),
    run('3.1.0', 'no-option', 'glibc'),
    run('3.1.0', 'no-option', 'glibc'),
    run('3.2.0', 1, 'glibc'),
    broken(run('3.2.0', 1, 'glibc'), (r) => (r.controls.messages.delivered = 0)),
  ];
  assert.deepEqual(
    zlibShortfall(results, cells).map((s) => [s.cell.ws, s.valid]),
    [['3.2.0', 1]],
  );
});

test('ranges compare only when every repeat lies on one side', () => {
  assert.equal(compareRanges({ median: 5, min: 4, max: 6, n: 3 }, { median: 2, min: 1, max: 3, n: 3 }), 'higher');
  assert.equal(compareRanges({ median: 2, min: 1, max: 3, n: 3 }, { median: 5, min: 4, max: 6, n: 3 }), 'lower');
  assert.equal(compareRanges({ median: 2, min: 1, max: 4, n: 3 }, { median: 5, min: 4, max: 6, n: 3 }), 'overlap');
});

test('the finding: a limit that lowers every repeat, allocators that overlap, invalid runs left out', () => {
  const results = [
    ...[300, 310, 305].map((m) => run('3.1.0', 'no-option', 'glibc', m, m + 60)),
    ...[200, 205, 210].map((m) => run('3.2.0', 10, 'glibc', m, m + 50)),
    ...[250, 300, 330].map((m) => run('3.1.0', 'no-option', 'jemalloc', m, m + 60)),
    ...[204, 206].map((m) => run('3.2.0', 1, 'glibc', m, m + 40)),
    run('3.2.0', 'unlimited', 'glibc', 250, 300),
    broken(run('3.2.0', 'unlimited', 'glibc'), (r) => (r.controls.messages.delivered = 1)),
  ];
  const groups = zlibGroups(results);
  assert.deepEqual(
    groups.map((g) => `${g.ws}/${g.limit}/${g.allocator}:${g.valid}/${g.runs}`),
    [
      '3.1.0/no-option/glibc:3/3',
      '3.1.0/no-option/jemalloc:3/3',
      '3.2.0/1/glibc:2/2',
      '3.2.0/10/glibc:3/3',
      '3.2.0/unlimited/glibc:1/2',
    ],
  );
  const rows = zlibRows(groups);
  assert.equal(rows[0]['RSS after GC + settle (MiB)'], 305);
  assert.equal(rows[0]['after GC range'], '300–310');
  const text = describeZlibHistory(groups).join('\n');
  assert.match(
    text,
    /sent 4000 compressed messages of 16 KiB at once, 20 to each of 200 connections, on Node v20\.20\.2/,
  );
  assert.match(text, /glibc arena heaps mapped into the server's process after the burst: glibc 9, jemalloc 0\./);
  assert.match(text, /up to 200 deflate jobs ran at once; ws 3\.2\.0's default limit held them to 10/);
  assert.match(
    text,
    /RSS after GC and a settle, the same pair: 305 MiB \(300–310\) against 205 MiB \(200–210\), higher in every repeat \(by 100 MiB/,
  );
  assert.match(
    text,
    /ws 3\.1\.0 with no limit option, RSS after GC with jemalloc against glibc: 300 MiB \(250–330\) against 305 MiB \(300–310\); the repeats overlap, so these runs show no difference/,
  );
  assert.match(text, /limit 1 against unlimited \(glibc\): not settled, fewer than 3 valid repeats \(2 and 1\)/);
  assert.match(
    text,
    /ws 3\.2\.0, limit unlimited, glibc: 1 run failed its controls and is left out \(1 of 4000 messages delivered\)/,
  );
  assert.deepEqual(describeZlibHistory([]), ['No zlib burst has been recorded.']);
});

test('the spot check is worded against the recorded range of the same cell, or says why it cannot be', () => {
  const recorded = [300, 310, 305].map((m) => run('3.1.0', 'no-option', 'glibc', m, m + 60));
  const inside = describeZlibSpot(
    { quick: false, results: [run('3.1.0', 'no-option', 'glibc', 302, 400)], sources: [] },
    recorded,
  );
  assert.match(
    inside[0],
    /peak 400 MiB, 302 MiB after GC; the recorded 3 repeats ranged 360–370 and 300–310 MiB: the live peak is outside its range, the live after-GC figure inside/,
  );
  const quick = describeZlibSpot(
    { quick: true, results: [run('3.1.0', 'no-option', 'glibc', 80, 90, QUICK_SPOT_LOAD)], sources: [] },
    recorded,
  );
  assert.match(quick[0], /quick mode's smaller burst: not comparable/);
  const none = describeZlibSpot({ quick: false, results: [run('3.2.0', 10, 'glibc')], sources: [] }, recorded);
  assert.match(none[0], /no recorded run of this cell to compare with/);
  const failed = describeZlibSpot(
    {
      quick: false,
      results: [broken(run('3.2.0', 10, 'glibc'), (r) => (r.controls.connections.opened = 3))],
      sources: [],
    },
    recorded,
  );
  assert.match(failed[0], /failed its controls \(3 of 200 connections opened\)/);
});

test('the chart renders: per allocator, a point and a range for each cell measured', async () => {
  const results = [
    ...[300, 310, 305].map((m) => run('3.1.0', 'no-option', 'glibc', m, m + 60)),
    ...[250, 300, 330].map((m) => run('3.1.0', 'no-option', 'jemalloc', m, m + 60)),
  ];
  const svg = await renderSvg(zlibChart(zlibGroups(results)));
  assert.match(svg, /^<svg/);
  for (const text of ['glibc', 'jemalloc', 'ws 3.1.0 · no option', 'after GC + settle'])
    assert.ok(svg.includes(text), text);
});

test('the sources are worded: a release without the option, and the line where the other reads it', () => {
  const text = describeZlibSources([
    { ws: '3.1.0', file: 'ws@3.1.0/lib/PerMessageDeflate.js', lineNumber: null, line: null },
    { ws: '3.2.0', file: 'ws@3.2.0/lib/PerMessageDeflate.js', lineNumber: 38, line: 'const concurrency = x;' },
  ]);
  assert.equal(
    text,
    'ws 3.1.0 has no concurrencyLimit option: no line of ws@3.1.0/lib/PerMessageDeflate.js names it. ' +
      'ws 3.2.0 reads it, ws@3.2.0/lib/PerMessageDeflate.js:38: `const concurrency = x;`.',
  );
});

test('the schedule runs every cell once per round, round after round', () => {
  const cells = [run('3.1.0', 'no-option', 'glibc').cell, run('3.2.0', 1, 'jemalloc').cell];
  assert.deepEqual(
    zlibSchedule(cells, 3).map((c) => c.ws),
    ['3.1.0', '3.2.0', '3.1.0', '3.2.0', '3.1.0', '3.2.0'],
  );
});

test('every planned zlib run has a key a record id can carry, one per cell and repeat', () => {
  const { runs } = ZLIB_RECORDING.plan({});
  assert.equal(runs.length, zlibPlan().length * ZLIB_REPEATS);
  for (const run of runs) assert.match(run.runKey, /^[A-Za-z0-9._+-]+$/, run.label);
  assert.equal(new Set(runs.map((r) => `${r.runKey}#${r.repeat}`)).size, runs.length);
});
