/**
 * The sweep engine: grid expansion, the resume key (every parameter, the repeat, the package
 * versions; never the commit), which runs a resumed sweep skips, and real sweeps in a temp dir:
 * records written, a second invocation skipping them, a run over its hard limit recorded as
 * failed while the sweep goes on.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CAPACITY_KIND, type CapacityRecord, type KneeResult } from '../../src/capacity/measure';
import { KiB, MiB } from '../../src/core/params';
import { readRecords, writeRecord } from '../../src/core/records';
import {
  canonicalJson,
  expandGrid,
  FULL_GRID,
  HOUR_GRID,
  kneeGaps,
  loadLabel,
  overrideGrid,
  plannedRunCount,
  resumeKey,
  runsToDo,
  type SweepCell,
  type SweepGrid,
} from '../../src/sweep/grid';
import { kneeBasis, recordedKnees } from '../../src/sweep/knees';
import { kneePlanFor, kneesForSweep } from '../../src/sweep/knees-for-grid';
import {
  estimateSweepMs,
  planSweep,
  runLabel,
  runSweep,
  SESSION_KIND,
  SWEEP_KIND,
  type SweepRecord,
} from '../../src/sweep/engine';
import { madeUpKnee } from '../support/made-up';

const VERSIONS = {
  '2015/ws': '0.8.0',
  '2015/socket.io': '1.3.7',
  'today/socket.io': '4.8.4',
  'today/ws': '8.18.3',
  '2016-fixed/ws': '1.0.1',
};

const CELL: SweepCell = {
  stack: '2015',
  deflate: 'on',
  payload: 'data-url',
  frameSize: 64 * KiB,
  rate: 10,
  burst: 3,
  client: 'fragmenting',
  placement: 'forked',
  clients: 4,
  duration: 10_000,
  fragmentSize: 100 * KiB,
  seed: 1,
  maxHttpBufferSize: 1 << 27,
};

/** A knee for every stack the hour grid's fractions take one from: 40 MiB/s on, 80 off, at every size. */
const KNEES: KneeResult[] = (['2015+ws0.8.1', '2016-fixed', 'today'] as const).flatMap((stack) =>
  [64 * KiB, MiB, 4 * MiB].flatMap((frameSize) =>
    (['on', 'off'] as const).map((deflate) => madeUpKnee(stack, deflate, frameSize, deflate === 'on' ? 40 : 80)),
  ),
);

test('the full grid is 1296 runs; the hour grid 210 with its knees, each run once', () => {
  assert.equal(expandGrid(FULL_GRID, VERSIONS).length, 6 * 2 * 2 * 2 * 3 * 3 * 3);
  const hour = expandGrid(HOUR_GRID, VERSIONS, KNEES);
  // 90 at half the knee + 60 small frames + 36 at 25% and 90% + 12 heat map + 12 payload kinds
  assert.equal(hour.length, 210);
  assert.equal(plannedRunCount(HOUR_GRID), 210);
  assert.equal(new Set(hour.map((r) => r.key)).size, hour.length, 'resume keys are unique');
  assert.ok(estimateSweepMs(hour) < 60 * 60_000, 'the estimate leaves the knee searches room in the hour');
});

test("a knee fraction offers that fraction of the slower setting's knee, 2015 taking the knee of 2015 with ws 0.8.1", () => {
  const hour = expandGrid(HOUR_GRID, VERSIONS, KNEES);
  for (const run of hour.filter((r) => r.cell.knee)) {
    const { knee, rate, burst, clients, frameSize } = run.cell;
    assert.ok(knee);
    assert.equal(knee.basis.deflate, 'on', 'the slower setting');
    assert.equal(knee.basis.stack, run.cell.stack === '2015' ? '2015+ws0.8.1' : run.cell.stack);
    const offered = (rate * burst * clients * frameSize) / MiB;
    assert.ok(Math.abs(offered / (knee.fraction * 40) - 1) < 0.02, `${runLabel(run.cell)}: ${offered} MiB/s`);
    assert.ok(rate <= 20, 'ticks no faster than 20/s');
  }
  assert.equal(loadLabel(hour.find((r) => r.cell.knee?.fraction === 0.5)!.cell), '50% of the knee');
  assert.equal(loadLabel(CELL), '10/s × 3');
});

test('without a usable knee the knee cells are left out, and kneeGaps says which and why', () => {
  const noToday = KNEES.filter((k) => !(k.stack === 'today' && k.frameSize === MiB && k.deflate === 'off'));
  const bound = KNEES.map((k) =>
    k.stack === '2016-fixed' && k.frameSize === 4 * MiB && k.deflate === 'on'
      ? { ...k, outcome: { kind: 'below-floor' as const, floorMiBps: 8, reasons: ['short'] } }
      : k,
  );
  assert.equal(expandGrid(HOUR_GRID, VERSIONS).filter((r) => r.cell.knee).length, 0);
  assert.equal(
    expandGrid(HOUR_GRID, VERSIONS, noToday).length,
    210 - 10 - 4,
    'today at 1 MiB: 5 repeats at half, once at 25% and once at 90%, each on and off',
  );
  assert.deepEqual(kneeGaps(HOUR_GRID, noToday), [
    'today at 1 MiB: no knee of today with deflate off at 1 MiB is recorded',
  ]);
  assert.deepEqual(kneeGaps(HOUR_GRID, bound), [
    '2016-fixed at 4 MiB: 2016-fixed with deflate on at 4 MiB: its knee is below 8 MiB/s, the lowest rate tried',
  ]);
  // A bound is a basis too, labelled as one.
  const above = KNEES.map((k) => ({
    ...k,
    outcome: { kind: 'above-ceiling' as const, ceilingMiBps: 1024, deliveredMiBps: 900 },
  }));
  assert.deepEqual(kneeBasis(above, '2015', MiB), {
    stack: '2015+ws0.8.1',
    deflate: 'on',
    MiBps: 1024,
    kind: 'at least',
  });
});

test('the knees a sweep needs: the newest non-quick record of each, read without measuring when all are there', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-knees-'));
  const plan = kneePlanFor(HOUR_GRID);
  assert.ok(plan);
  assert.deepEqual(plan.stacks, ['2015+ws0.8.1', '2016-fixed', 'today']);
  assert.deepEqual(plan.frameSizes, [64 * KiB, MiB, 4 * MiB]);
  const record = (id: string, endedAt: string, quick: boolean, kneeMiBps: number): CapacityRecord => ({
    schema: 1,
    kind: CAPACITY_KIND,
    id: id,
    startedAt: endedAt,
    endedAt: endedAt,
    quick: quick,
    meta: {} as CapacityRecord['meta'],
    plan: plan,
    generator: [],
    knees: KNEES.map((k) => ({ ...k, outcome: { ...k.outcome, kneeMiBps: kneeMiBps } })),
  });
  assert.equal(recordedKnees(plan, dir).missing, 18);
  await writeRecord(record('old', '2026-01-01T00:00:00Z', false, 10), dir);
  await writeRecord(record('new', '2026-02-01T00:00:00Z', false, 20), dir);
  await writeRecord(record('quick', '2026-03-01T00:00:00Z', true, 30), dir);
  const found = recordedKnees(plan, dir);
  assert.equal(found.missing, 0);
  assert.deepEqual(
    found.records.map((r) => r.id),
    ['new'],
  );
  const lines: string[] = [];
  const read = await kneesForSweep(HOUR_GRID, dir, { progress: (line) => lines.push(line) });
  assert.deepEqual(read.recordIds, ['new']);
  assert.ok(read.knees.every((k) => k.outcome.kind === 'knee' && k.outcome.kneeMiBps === 20));
  assert.match(lines[0], /^knees: all 18 read from new$/);
});

test("--rate or --burst replaces a block's knee fractions with that fixed load", () => {
  const fixed = overrideGrid(HOUR_GRID, { rates: [2] });
  assert.ok(fixed.blocks.every((b) => b.kneeFractions === undefined));
  assert.deepEqual(fixed.blocks[0].bursts, [3], 'the standard burst where none was given');
  assert.equal(expandGrid(fixed, VERSIONS).filter((r) => r.cell.knee).length, 0);
  assert.deepEqual(overrideGrid(HOUR_GRID, { repeats: 1 }).blocks[0].kneeFractions, [0.5], 'other overrides keep them');
});

test('a cell in two blocks runs once per repeat, with the larger repeat count', () => {
  const grid: SweepGrid = {
    ...HOUR_GRID,
    blocks: [
      {
        purpose: 'a',
        stacks: ['2015'],
        deflate: ['on'],
        payloads: ['json'],
        frameSizes: [KiB],
        rates: [2],
        bursts: [1],
        repeats: 1,
      },
      {
        purpose: 'b',
        stacks: ['2015'],
        deflate: ['on'],
        payloads: ['json'],
        frameSizes: [KiB],
        rates: [2, 10],
        bursts: [1],
        repeats: 3,
      },
    ],
  };
  const runs = expandGrid(grid, VERSIONS);
  assert.equal(runs.length, 6);
  assert.deepEqual(
    runs.map((r) => `${r.cell.rate}#${r.repeat}`),
    ['2#0', '10#0', '2#1', '10#1', '2#2', '10#2'],
    'repeat by repeat',
  );
});

test('deflate on and off of a cell run back to back', () => {
  const runs = expandGrid(HOUR_GRID, VERSIONS);
  const i = runs.findIndex((r) => r.cell.stack === 'today' && r.cell.deflate === 'on');
  assert.equal(runs[i + 1].cell.deflate, 'off');
  assert.equal(canonicalJson({ ...runs[i + 1].cell, deflate: 'on' }), canonicalJson(runs[i].cell));
});

test('the resume key: any parameter, the repeat or a version changes it; key order and the commit do not', () => {
  const key = resumeKey(CELL, 0, VERSIONS);
  assert.match(key, /^[0-9a-f]{20}$/);
  const reordered = Object.fromEntries(Object.entries(CELL).reverse()) as SweepCell;
  assert.equal(resumeKey(reordered, 0, { ...VERSIONS }), key, 'same values in another order');
  assert.notEqual(resumeKey(CELL, 1, VERSIONS), key);
  assert.notEqual(resumeKey(CELL, 0, { ...VERSIONS, '2015/ws': '0.8.1' }), key);
  for (const [name, value] of Object.entries({
    frameSize: 65 * KiB,
    rate: 2,
    burst: 1,
    deflate: 'off',
    stack: 'today',
    payload: 'json',
    duration: 15_000,
    clients: 3,
    fragmentSize: 50 * KiB,
    seed: 2,
    maxHttpBufferSize: 1e6,
    placement: 'in-process',
  })) {
    assert.notEqual(resumeKey({ ...CELL, [name]: value }, 0, VERSIONS), key, name);
  }
  // The key takes no commit: the same run planned from two checkouts is the same run.
  assert.equal(resumeKey.length, 3);
});

test('resuming: recorded runs are skipped; --fresh redoes all; --retry-failed redoes only the failed', () => {
  const runs = expandGrid({ ...HOUR_GRID, blocks: [HOUR_GRID.blocks[1]] }, VERSIONS);
  const recorded = new Map<string, 'completed' | 'failed'>([
    [runs[0].key, 'completed'],
    [runs[1].key, 'failed'],
  ]);
  const plain = runsToDo(runs, recorded);
  assert.deepEqual(
    plain.skipped.map((r) => r.key),
    [runs[0].key, runs[1].key],
  );
  assert.equal(plain.todo.length, runs.length - 2);
  assert.equal(runsToDo(runs, recorded, { fresh: true }).todo.length, runs.length);
  assert.deepEqual(
    runsToDo(runs, recorded, { retryFailed: true }).skipped.map((r) => r.key),
    [runs[0].key],
  );
});

// Small, quick runs on today's stack: the engine is under test here, not the stacks.
const TINY: SweepGrid = {
  ...HOUR_GRID,
  name: 'tiny',
  clients: 1,
  duration: 300,
  blocks: [
    {
      purpose: 'test',
      stacks: ['today'],
      deflate: ['on', 'off'],
      payloads: ['json'],
      frameSizes: [KiB],
      rates: [5],
      bursts: [1],
      repeats: 1,
    },
  ],
};

test('a sweep records every run; a second invocation skips them; --fresh measures again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-sweep-'));
  try {
    const first = await runSweep(TINY, { dir: dir });
    assert.equal(first.session.ran, 2);
    assert.equal(first.records.length, 2);
    for (const record of first.records) {
      assert.equal(record.status, 'completed', record.error);
      assert.ok(record.scenario && record.scenario.result.sent > 0);
      assert.equal(
        record.scenario?.spec.maxHttpBufferSize,
        TINY.maxHttpBufferSize,
        'the limit reached the server spec',
      );
      assert.equal(record.scenario?.result.cpu.includesClients, false, 'clients out of process');
    }
    const { records, skipped } = readRecords<SweepRecord>(SWEEP_KIND, dir);
    assert.deepEqual(skipped, []);
    assert.deepEqual(records.map((r) => r.key).sort(), first.records.map((r) => r.key).sort());
    assert.equal(readRecords(SESSION_KIND, dir).records.length, 1);

    assert.equal(planSweep(TINY, dir).todo.length, 0);
    const second = await runSweep(TINY, { dir: dir });
    assert.equal(second.session.ran, 0);
    assert.equal(second.session.skipped, 2);
    assert.deepEqual(
      second.records.map((r) => r.id),
      first.records.map((r) => r.id),
      'found, not measured',
    );

    const fresh = await runSweep(TINY, { dir: dir, fresh: true });
    assert.equal(fresh.session.ran, 2);
    assert.equal(readRecords(SWEEP_KIND, dir).records.length, 2, 'a fresh run replaces the record under its key');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a run over its hard limit is killed and recorded as failed, and the sweep goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-sweep-'));
  try {
    // The first run gets 50 ms (it cannot even start a server in that time), the second its normal limit.
    let calls = 0;
    const outcome = await runSweep(TINY, { dir: dir, limitMs: () => (calls++ === 0 ? 50 : 60_000) });
    assert.deepEqual(
      outcome.records.map((r) => r.status),
      ['failed', 'completed'],
    );
    assert.match(outcome.records[0].error ?? '', /hard limit of 50 ms and was killed/);
    assert.equal(outcome.records[0].scenario, null);
    assert.equal(outcome.session.failed, 1);
    assert.equal(planSweep(TINY, dir).todo.length, 0, 'a failed run is recorded, so a plain resume skips it');
    assert.equal(planSweep(TINY, dir, { retryFailed: true }).todo.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
