/**
 * Per-run metrics and their aggregation, on hand-made records: which disconnects are failures,
 * rates per minute of sending, CPU per MiB, exact-or-nothing bytes on the wire, medians and
 * ranges over repeats, the disconnect rate over a cell's runs, and the on/off twins of each cell.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMeta } from '../../src/core/meta';
import { classifyDisconnect } from '../../src/traffic/failure-rule';
import { errorLabel, NO_ERROR, perMinute, ratio, runMetrics, spread } from '../../src/traffic/metrics';
import { KiB, MiB } from '../../src/core/params';
import { countBy } from '../../src/core/stats';
import type { ScenarioRecord, ScenarioResult, ServerDisconnect } from '../../src/traffic/scenario';
import { aggregateCells, blockerKind, deflatePairs } from '../../src/sweep/aggregate';
import type { SweepCell } from '../../src/sweep/grid';
import type { SweepRecord } from '../../src/sweep/engine';

const WINDOW = { start: 1_000_000, end: 1_030_000, drainEnd: 1_030_000 }; // 30 s of sending, no drain

test("a record without the drain's end: before or while sending a failure; after sending, clean closes and cut connections are teardown", () => {
  // Records made before the scenario recorded the end of the drain (the committed sweep) have no drainEnd.
  const SEND_ONLY = { start: WINDOW.start, end: WINDOW.end };
  const at = (t: number, reason: string, error?: string): Pick<ServerDisconnect, 't' | 'reason' | 'error'> => ({
    t: t,
    reason: reason,
    error: error,
  });
  assert.deepEqual(classifyDisconnect(at(999_000, 'transport close'), SEND_ONLY), {
    phase: 'before sending',
    verdict: 'failure',
  });
  assert.deepEqual(classifyDisconnect(at(1_010_000, 'transport close'), SEND_ONLY), {
    phase: 'sending',
    verdict: 'failure',
  });
  assert.deepEqual(classifyDisconnect(at(WINDOW.end, 'transport error', 'invalid compressed data (1007)'), SEND_ONLY), {
    phase: 'sending',
    verdict: 'failure',
  });
  // After sending: the 2015 server still inflating its backlog hits corrupt data: a late failure.
  assert.deepEqual(classifyDisconnect(at(1_033_000, 'transport error', 'invalid compressed data (1007)'), SEND_ONLY), {
    phase: 'after sending',
    verdict: 'failure',
  });
  assert.equal(classifyDisconnect(at(1_033_000, 'ping timeout'), SEND_ONLY).verdict, 'failure');
  for (const reason of ['transport close', 'forced close', 'server shutting down', 'client namespace disconnect']) {
    assert.equal(classifyDisconnect(at(1_040_000, reason), SEND_ONLY).verdict, 'teardown', reason);
  }
  assert.equal(classifyDisconnect(at(1_040_000, 'transport error', 'read ECONNRESET'), SEND_ONLY).verdict, 'teardown');
  assert.equal(
    classifyDisconnect(
      at(
        1_040_000,
        'transport error',
        'write error (Error: WebSocket is not open: readyState 2 (CLOSING)\n    at sendAfterClose)',
      ),
      SEND_ONLY,
    ).verdict,
    'teardown',
  );
  assert.equal(
    classifyDisconnect(at(1_040_000, 'transport close', 'invalid compressed data (1007)'), SEND_ONLY).verdict,
    'failure',
    'a clean reason with an error is not clean',
  );
});

test("with the drain's end recorded: any disconnect while draining is a failure; after it, the teardown rule", () => {
  const window = { ...WINDOW, drainEnd: 1_036_000 };
  assert.deepEqual(classifyDisconnect({ t: 1_033_000, reason: 'transport close' }, window), {
    phase: 'draining',
    verdict: 'failure',
  });
  assert.deepEqual(classifyDisconnect({ t: 1_036_500, reason: 'transport close' }, window), {
    phase: 'teardown',
    verdict: 'teardown',
  });
  assert.deepEqual(
    classifyDisconnect({ t: 1_036_500, reason: 'transport error', error: 'invalid compressed data (1007)' }, window),
    { phase: 'teardown', verdict: 'failure' },
  );
  assert.deepEqual(classifyDisconnect({ t: 1_010_000, reason: 'transport close' }, window), {
    phase: 'sending',
    verdict: 'failure',
  });
});

test('error labels: first line only, and a name for none', () => {
  assert.equal(errorLabel('write error (Error: x\n    at f (a.js:1:1))'), 'write error (Error: x');
  assert.equal(errorLabel(undefined), NO_ERROR);
});

test('rates per minute and ratios are null where there is nothing to divide by', () => {
  assert.equal(perMinute(3, 30_000), 6);
  assert.equal(perMinute(0, 10_000), 0);
  assert.equal(perMinute(5, 0), null);
  assert.equal(ratio(10, 4), 2.5);
  assert.equal(ratio(10, 0), null);
});

test('spread: median and range of the values present', () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(
    spread([4, null, 1, undefined, 2, 10]),
    { median: 3, min: 1, max: 10, n: 4 },
    'even count: the mean of the middle two',
  );
  assert.deepEqual(spread([7]), { median: 7, min: 7, max: 7, n: 1 });
  assert.equal(spread([null, undefined]), null);
  assert.equal(spread([]), null);
  assert.equal(spread([Number.NaN]), null);
});

const CELL: SweepCell = {
  stack: '2015',
  deflate: 'on',
  payload: 'data-url',
  frameSize: 1 * MiB,
  rate: 10,
  burst: 3,
  client: 'fragmenting',
  placement: 'forked',
  clients: 4,
  duration: 30_000,
  fragmentSize: 100 * KiB,
  seed: 1,
  maxHttpBufferSize: 1 << 27,
};

/** A hand-made scenario result: a clean run unless `over` says otherwise. */
function result(over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    status: 'completed',
    sendWindow: WINDOW,
    loadMs: WINDOW.end - WINDOW.start,
    sent: 120,
    notSent: 0,
    delivered: 120,
    verified: 120,
    corrupted: 0,
    acked: 120,
    serverDisconnects: [],
    clientDisconnects: [],
    clientConnects: [1, 2, 3, 4].map((i) => ({ t: WINDOW.start - 10, client: `c${i}`, sid: `s${i}` })),
    underlyingErrors: {},
    serverReasons: {},
    zlibErrors: [],
    failures: 0,
    firstFailureMs: null,
    sessions: 4,
    ackRttMs: { p50: 12, p99: 340, n: 120 },
    cpu: { userMs: 900, systemMs: 300, includesClients: false },
    memory: { rssStart: 100 * MiB, rssEnd: 130 * MiB, heapStart: 20 * MiB, heapEnd: 18 * MiB },
    wire: {
      handshakes: 4,
      deflateHandshakes: 4,
      frames: 1300,
      messages: 120,
      compressedMessages: 120,
      fragmentedMessages: 120,
      continuationFrames: 1080,
      controlFrames: 0,
      payloadBytes: 120 * 786_432,
      bytesIn: 0,
      bytesOut: 0,
    },
    handshakes: [],
    wireRatio: 0.75,
    controls: {
      deflateNegotiated: true,
      compressedMessages: 120,
      fragmentedMessages: 120,
      continuationFrames: 1080,
      deliveredEqualsSent: true,
    },
    ...over,
  };
}

function scenario(cell: SweepCell, r: ScenarioResult): ScenarioRecord {
  const now = new Date().toISOString();
  return {
    schema: 1,
    kind: 'scenario',
    id: 'x',
    startedAt: now,
    endedAt: now,
    quick: true,
    meta: runMeta(),
    spec: cell,
    stack: { versions: {} as ScenarioRecord['stack']['versions'], addons: {} as ScenarioRecord['stack']['addons'] },
    server: {
      deflate: cell.deflate,
      maxHttpBufferSize: cell.maxHttpBufferSize,
      pingInterval: 25_000,
      pingTimeout: 60_000,
    },
    result: r,
  };
}

test('a clean run: rates, CPU per MiB, bytes on the wire, compression, memory, a proven zero', () => {
  const m = runMetrics(scenario(CELL, result()));
  assert.equal(m.disconnects, 0);
  assert.equal(m.disconnectsPerMin, 0);
  assert.equal(m.sendRate, 1, '120 messages in 30 s from 4 clients');
  assert.equal(m.cpuMs, 1200);
  assert.equal(m.cpuMsPerMiB, 10, '1200 ms for 120 MiB delivered');
  assert.equal(m.wireBytesPerMessage, 786_432);
  assert.equal(m.compressionRatio, 1 / 0.75);
  assert.equal(m.ackP50Ms, 12);
  assert.equal(m.ackP99Ms, 340);
  assert.equal(m.rssGrowth, 30 * MiB);
  assert.equal(m.heapGrowth, -2 * MiB);
  assert.equal(m.reconnects, 0);
  assert.deepEqual(m.zeroBlockers, []);
});

test('a failing 2015 run: failures by reason and by error, late ones included, teardown left out, no exact wire figure', () => {
  const d = (t: number, reason: string, error?: string): ServerDisconnect => ({
    t: t,
    sid: 's',
    reason: reason,
    error: error,
  });
  const r = result({
    delivered: 60,
    verified: 60,
    acked: 60,
    serverDisconnects: [
      d(1_005_000, 'transport error', 'invalid compressed data (1007)'),
      d(1_020_000, 'transport error', 'invalid compressed data (1007)'),
      d(1_025_000, 'ping timeout'),
      d(1_031_000, 'transport error', 'invalid compressed data (1007)'),
      d(1_034_000, 'transport close'),
      d(1_034_001, 'transport close'),
    ],
    clientDisconnects: [
      { t: 1_005_001, client: 'c1', reason: 'transport close', code: 1007 },
      { t: 1_040_000, client: 'c1', reason: 'transport close' },
    ],
    clientConnects: [
      ...result().clientConnects,
      { t: 1_005_600, client: 'c1', sid: 's5' },
      { t: 1_020_600, client: 'c2', sid: 's6' },
    ],
    controls: { ...result().controls, deliveredEqualsSent: false },
  });
  const m = runMetrics(scenario(CELL, r));
  assert.equal(m.disconnects, 4);
  assert.equal(m.disconnectsPerMin, 8, '4 in 30 s of sending');
  assert.deepEqual(m.byReason, { 'transport error': 3, 'ping timeout': 1 });
  assert.deepEqual(m.byError, { 'invalid compressed data (1007)': 3, [NO_ERROR]: 1 });
  assert.equal(m.lateDisconnects, 1);
  assert.equal(m.teardownDisconnects, 2);
  assert.equal(m.clientDisconnects, 1, 'only the one while sending');
  assert.equal(m.reconnects, 2);
  assert.equal(m.cpuMsPerMiB, 20, '1200 ms for 60 MiB delivered');
  assert.equal(m.wireBytesPerMessage, null, 'not every message sent was delivered');
  assert.equal(m.compressionRatio, null);
  assert.ok(m.zeroBlockers.length > 0);
});

test('nothing delivered: no CPU per MiB; no acks: no latency', () => {
  const m = runMetrics(
    scenario(CELL, result({ delivered: 0, verified: 0, acked: 0, ackRttMs: { p50: null, p99: null, n: 0 } })),
  );
  assert.equal(m.cpuMsPerMiB, null);
  assert.equal(m.ackP99Ms, null);
  assert.equal(m.ackN, 0);
});

function sweepRecord(cell: SweepCell, repeat: number, r: ScenarioResult | null, error?: string): SweepRecord {
  const now = new Date().toISOString();
  return {
    schema: 1,
    kind: 'sweep',
    id: `r${repeat}`,
    startedAt: now,
    endedAt: now,
    quick: true,
    meta: runMeta(),
    key: `${cell.deflate}${repeat}`,
    grid: 'test',
    cell: cell,
    repeat: repeat,
    versions: {},
    status: r ? 'completed' : 'failed',
    error: error,
    wallMs: 1,
    scenario: r ? scenario(cell, r) : null,
  };
}

const failing = (n: number): ScenarioResult =>
  result({
    serverDisconnects: Array.from({ length: n }, (_, i) => ({
      t: WINDOW.start + 1000 * (i + 1),
      sid: `s${i}`,
      reason: 'transport error',
      error: 'invalid compressed data (1007)',
    })),
    failures: n,
    controls: { ...result().controls, deliveredEqualsSent: false },
    delivered: 100,
  });

test('aggregating repeats: the disconnect rate over the runs, median and range, counts with denominators, failed runs named, blockers counted by kind', () => {
  const off: SweepCell = { ...CELL, deflate: 'off' };
  const records = [
    sweepRecord(CELL, 0, failing(2)),
    sweepRecord(CELL, 1, failing(6)),
    sweepRecord(CELL, 2, failing(4)),
    sweepRecord(off, 0, result()),
    sweepRecord(off, 1, result()),
    sweepRecord(off, 2, null, 'the run exceeded its hard limit of 95 s and was killed'),
  ];
  const [on, offAgg] = aggregateCells(records);
  assert.equal(on.cell.deflate, 'on');
  // 12 disconnects over the 3 runs' connection-time: 4 clients × 30 s each, less each failing session's rest.
  assert.equal(on.rate?.events, 12);
  assert.equal(on.rate?.units, 3);
  const exposureMs = [...on.byRepeat.values()].reduce((s, m) => s + m.connectionHours * 3_600_000, 0);
  assert.ok(Math.abs((on.rate?.exposure ?? 0) * 3_600_000 - exposureMs) < 1e-6);
  assert.ok(exposureMs < 3 * 4 * 30_000, `exposure stops at each failure: ${exposureMs}`);
  assert.match(on.rate?.unsettled ?? '', /fewer than 5 runs \(3\)/);
  assert.equal(on.quick, true);
  assert.equal(on.totals.disconnects, 12);
  assert.equal(on.totals.sent, 360);
  assert.equal(on.runsWithDisconnects, 3);
  assert.equal(on.provenZero, 0);
  assert.deepEqual(on.blockers, { failures: 3, 'delivered ≠ sent': 3 });
  assert.deepEqual(on.byError, { 'invalid compressed data (1007)': 12 });
  assert.equal(offAgg.runs, 3);
  assert.equal(offAgg.completed, 2);
  assert.deepEqual(offAgg.runErrors, ['the run exceeded its hard limit of 95 s and was killed']);
  assert.equal(offAgg.rate?.events, 0);
  assert.equal(offAgg.rate?.units, 2, 'the run that could not be measured has no exposure');
  assert.equal(offAgg.rate?.interval.sides, 'one-sided');
  assert.equal(offAgg.rate?.unsettled, null, 'a zero is settled: it is a bound');
  assert.equal(offAgg.unprovenZeros, 0);
  assert.equal(offAgg.provenZero, 2);
});

test('blocker kinds drop the numbers so like blockers count together', () => {
  assert.equal(blockerKind('delivered 5 ≠ sent 129'), 'delivered ≠ sent');
  assert.equal(blockerKind('22 failures'), 'failures');
  assert.equal(
    blockerKind('the run did not complete: load generator exited (SIGKILL) before reporting'),
    'the run did not complete',
  );
  assert.equal(blockerKind('no continuation frame was seen on the wire'), 'no continuation frame was seen on the wire');
});

test('deflate twins: each cell with deflate on beside its twin with it off, in reading order; a cell without a twin is left out', () => {
  const off: SweepCell = { ...CELL, deflate: 'off' };
  const small: SweepCell = { ...CELL, frameSize: 64 * KiB };
  const lonely: SweepCell = { ...CELL, frameSize: 4 * MiB };
  const pairs = deflatePairs(
    aggregateCells([
      sweepRecord(CELL, 0, failing(2)),
      sweepRecord(off, 0, result()),
      sweepRecord({ ...small, deflate: 'off' }, 0, result()),
      sweepRecord(small, 0, result()),
      sweepRecord(lonely, 0, result()),
    ]),
  );
  assert.deepEqual(
    pairs.map((p) => p.cell.frameSize),
    [64 * KiB, 1 * MiB],
  );
  for (const p of pairs) {
    assert.equal(p.on.cell.deflate, 'on');
    assert.equal(p.off.cell.deflate, 'off');
    assert.equal('deflate' in p.cell, false);
  }
  assert.equal(pairs[1].on.rate?.events, 2);
});

test('countBy: counts per key in first-seen order; an undefined key is not counted', () => {
  const items = [{ k: 'b' }, { k: 'a' }, { k: undefined }, { k: 'b' }, { k: 'b' }];
  const counts = countBy(items, (item) => item.k);
  assert.deepEqual(counts, { b: 3, a: 1 });
  assert.deepEqual(Object.keys(counts), ['b', 'a']);
  assert.deepEqual(
    countBy([], (item: string) => item),
    {},
  );
  assert.deepEqual(
    countBy(['x', 'y', 'x'], (item) => item),
    { x: 2, y: 1 },
  );
});
