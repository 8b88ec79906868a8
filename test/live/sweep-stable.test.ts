/**
 * The on/off verdicts on a real sweep: one cell pair of today's stack, 3 repeats, measured here.
 * Three repeat pairs cannot carry a CPU verdict (5 are needed), and no disconnect on either side
 * leaves the disconnect claim with nothing to compare: both are "not settled", and the chapter's
 * sentence and table say so with the command that would settle them. The same runs, given more
 * pairs by repeating them, carry a verdict, and a turned pair among them leaves it not settled.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { showComparisons, sweepComparisons, type SweepData } from '../../src/chapters/05-sweep';
import { runMetrics } from '../../src/traffic/metrics';
import { MiB } from '../../src/core/params';
import { MIN_CPU_MS_PER_SIDE, MIN_UNITS } from '../../src/core/stats';
import { aggregateCells, deflatePairs } from '../../src/sweep/aggregate';
import { compareCost } from '../../src/sweep/compare';
import { HOUR_GRID, type SweepGrid } from '../../src/sweep/grid';
import { runSweep, type SweepRecord } from '../../src/sweep/engine';

const REPEATS = 3;

// One cell pair, 3 repeats, short runs. 1 MiB frames, so that per MiB delivered the server's
// inflating outweighs its fixed costs (at 64 KiB the two sides were within a few percent).
const GRID: SweepGrid = {
  ...HOUR_GRID,
  name: 'stable-test',
  description: 'today, deflate on and off, 1 MiB data URLs, 3 repeats of 1.5 s',
  clients: 2,
  duration: 1500,
  blocks: [
    {
      purpose: 'the on/off verdicts',
      stacks: ['today'],
      deflate: ['on', 'off'],
      payloads: ['data-url'],
      frameSizes: [MiB],
      rates: [5],
      bursts: [1],
      repeats: REPEATS,
    },
  ],
};

let dir: string;
let records: SweepRecord[];
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-stable-'));
  records = (await runSweep(GRID, { dir: dir, quick: true })).records;
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The chapter's comparison sentences and tables, as printed outside a kernel. */
function comparisonText(data: SweepData): string {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    showComparisons(data, sweepComparisons(data));
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const dataOf = (recs: SweepRecord[]): SweepData => ({
  source: { mode: 'recorded', dir: dir, why: 'test', spotCheck: false, quick: true },
  records: recs,
  sessions: [],
  knees: [],
  kneeCores: 2,
  cells: aggregateCells(recs),
  skipped: [],
});

/** The records with each repeat copied under new repeat indices, so the pair count reaches `pairs`. */
function repeatedTo(recs: SweepRecord[], pairs: number): SweepRecord[] {
  return Array.from({ length: pairs }, (_, i) =>
    recs.filter((r) => r.repeat === i % REPEATS).map((r) => ({ ...structuredClone(r), id: `${r.id}-${i}`, repeat: i })),
  ).flat();
}

test('a real sweep of 3 repeats: every run measured, 3 repeat pairs that did equal work, deflate on cheaper on the wire in each', () => {
  assert.equal(records.length, 2 * REPEATS);
  for (const r of records) assert.equal(r.status, 'completed', r.error);
  const [pair] = deflatePairs(aggregateCells(records));
  const cost = compareCost(pair);
  assert.equal(cost.pairs.length, REPEATS, JSON.stringify(cost.left));
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const on = pair.on.byRepeat.get(repeat);
    const off = pair.off.byRepeat.get(repeat);
    assert.ok(on?.wireBytesPerMessage && off?.wireBytesPerMessage);
    assert.ok(on.wireBytesPerMessage < off.wireBytesPerMessage, `repeat ${repeat}: deflate on saved bytes`);
    assert.ok(
      (on.cpuMsPerMiB ?? 0) > (off.cpuMsPerMiB ?? Infinity),
      `repeat ${repeat}: deflate on cost more CPU per MiB`,
    );
  }
});

test('3 pairs carry no CPU verdict and no disconnect leaves nothing to compare: both not settled, each with what would settle it', () => {
  const { disconnects, cost } = sweepComparisons(dataOf(records));
  assert.equal(cost[0].verdict, 'not settled');
  assert.equal(cost[0].why, 'pairs');
  assert.ok((cost[0].pairsNeeded ?? 0) >= MIN_UNITS);
  assert.equal(cost[0].estimate?.pairs, REPEATS);
  assert.ok((cost[0].estimate?.ratio ?? 1) < 1, 'off ÷ on below 1 in these runs');
  assert.equal(disconnects[0].verdict, 'not settled');
  assert.equal(disconnects[0].why, 'no disconnect');
  assert.equal(disconnects[0].mode, 'quick');
  const text = comparisonText(dataOf(records));
  assert.match(
    text,
    /Deflate on disconnects more often than deflate off: holds in 0 of 1 on\/off cell, does not hold in 0, not settled in 1 \(1 with no disconnect on either side\); judged from the 95% interval against 1, from quick runs\./,
  );
  assert.match(
    text,
    /Deflate on costs the server more CPU per MiB delivered than deflate off: holds in 0 of 1 on\/off cell, does not hold in 0, not settled in 1 \(1 with fewer than 5 repeat pairs that did equal work\)/,
  );
  assert.match(text, /not settled \(quick run\)/);
  assert.match(
    text,
    /npm run sweep -- --stacks today --payload data-url --frame-sizes 1MiB --rate 5 --burst 1 --clients 2 --duration 1\.5s --repeats \d+/,
  );
});

test('the same runs as 6 pairs carry a verdict where the CPU suffices; a turned pair among them leaves it not settled', () => {
  const six = repeatedTo(records, 6);
  const [pair] = deflatePairs(aggregateCells(six));
  const cost = compareCost(pair);
  assert.equal(cost.pairs.length, 6);
  const enough = Math.min(cost.cpuMsOn, cost.cpuMsOff) >= MIN_CPU_MS_PER_SIDE;
  assert.equal(cost.verdict, enough ? 'holds' : 'not settled', JSON.stringify(cost));
  if (!enough) assert.equal(cost.why, 'cpu');
  // One pair turned round (deflate on at a quarter of the CPU per MiB of its off twin): the interval straddles 1.
  const turned = structuredClone(six);
  const on = turned.find((r) => r.cell.deflate === 'on' && r.repeat === 1);
  const off = turned.find((r) => r.cell.deflate === 'off' && r.repeat === 1);
  assert.ok(on?.scenario && off?.scenario);
  const offCpu = runMetrics(off.scenario).cpuMsPerMiB as number;
  const onMiB = (on.scenario.result.delivered * on.scenario.spec.frameSize) / MiB;
  on.scenario.result.cpu = { ...on.scenario.result.cpu, userMs: (offCpu / 4) * onMiB, systemMs: 0 };
  const mixed = compareCost(deflatePairs(aggregateCells(turned))[0]);
  assert.equal(mixed.verdict, 'not settled');
  assert.ok(mixed.estimate && mixed.estimate.interval.low < 1 && mixed.estimate.interval.high > 1);
});
