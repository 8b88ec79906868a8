/**
 * Stable conclusions: within one sweep of 3 repeats, a deflate on/off comparison is called only
 * when every repeat came out the same way, and the report states the spread. A real 3-repeat
 * sweep on today's stack must give stable CPU and wire comparisons (deflate on costs CPU and
 * saves bytes in every repeat); the same records with one repeat turned around must not be
 * called stable, and the chapter's table and sentence must say so, with each side's median and range.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { showStability, STABLE_REPEATS, type SweepData } from '../src/chapters/05-sweep';
import { formatNumber } from '../src/show/fragments';
import { runMetrics } from '../src/run/metrics';
import { MiB } from '../src/core/params';
import { aggregateCells, compareDeflate, type DeflateComparison } from '../src/sweep/aggregate';
import { HOUR_GRID, type SweepGrid } from '../src/sweep/grid';
import { runSweep, type SweepRecord } from '../src/sweep/run';

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
      purpose: 'the stable-conclusion check',
      stacks: ['today'],
      deflate: ['on', 'off'],
      payloads: ['data-url'],
      frameSizes: [MiB],
      rates: [5],
      bursts: [1],
      repeats: STABLE_REPEATS,
    },
  ],
};

let dir: string;
let records: SweepRecord[];
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-stable-'));
  records = (await runSweep(GRID, { dir: dir })).records;
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The chapter's stability table and sentences, as printed outside a kernel. */
function stabilityText(data: SweepData): string {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    showStability(data);
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
  cells: aggregateCells(recs),
  skipped: [],
});

test('a real sweep of 3 repeats: every run measured, deflate on/off pairs complete', () => {
  assert.equal(records.length, 2 * STABLE_REPEATS);
  for (const r of records) assert.equal(r.status, 'completed', r.error);
  for (const metric of ['cpuMsPerMiB', 'wireBytesPerMessage'] as const) {
    const [comparison] = compareDeflate(aggregateCells(records), metric);
    assert.equal(comparison.repeats.length, STABLE_REPEATS, `${metric}: every repeat paired`);
  }
});

test('each deflate on/off comparison comes out the same way in every repeat: CPU per MiB higher with deflate on, wire bytes lower', () => {
  const cells = aggregateCells(records);
  const expected: Array<[Parameters<typeof compareDeflate>[1], DeflateComparison['stable']]> = [
    ['cpuMsPerMiB', 'on higher'],
    ['wireBytesPerMessage', 'off higher'],
  ];
  for (const [metric, direction] of expected) {
    const comparisons = compareDeflate(cells, metric);
    assert.equal(comparisons.length, 1);
    const [c] = comparisons;
    assert.equal(c.stable, direction, `${metric}: ${JSON.stringify(c.repeats)}`);
  }
});

/** The records with one repeat's deflate-on run given a CPU figure below its deflate-off twin's. */
function withOneRepeatTurned(recs: SweepRecord[]): SweepRecord[] {
  const copy = structuredClone(recs);
  const on = copy.find((r) => r.cell.deflate === 'on' && r.repeat === 1);
  const off = copy.find((r) => r.cell.deflate === 'off' && r.repeat === 1);
  assert.ok(on?.scenario && off?.scenario);
  const offCpu = runMetrics(off.scenario).cpuMsPerMiB as number;
  const onMiB = (on.scenario.result.delivered * on.scenario.spec.frameSize) / MiB;
  on.scenario.result.cpu = { ...on.scenario.result.cpu, userMs: (offCpu / 2) * onMiB, systemMs: 0 };
  return copy;
}

test('a comparison whose repeats disagree is not called stable, and the report names it with both spreads', () => {
  const turned = withOneRepeatTurned(records);
  const [c] = compareDeflate(aggregateCells(turned), 'cpuMsPerMiB');
  assert.deepEqual(
    c.repeats.map((r) => r.direction),
    ['on higher', 'off higher', 'on higher'],
  );
  assert.equal(c.stable, null);
  const text = stabilityText(dataOf(turned));
  assert.match(
    text,
    /Of 1 on\/off comparison of server CPU per MiB with at least 3 paired repeats: 0 higher with deflate on in every repeat; 0 higher with deflate off in every repeat; 0 a proven zero on both sides in every repeat; 1 neither \(0 of them because a zero is not proven on both sides or deflate was not negotiated on the "on" side\): today data-url 1 MiB/,
  );
  // The spread: each side's median and range over the repeats, in the table under the sentence.
  assert.ok(c.on && c.off && c.on.min < c.on.max, JSON.stringify(c.on));
  for (const side of [c.on, c.off]) {
    const range =
      formatNumber(side.min) === formatNumber(side.max)
        ? formatNumber(side.min)
        : `${formatNumber(side.min)}–${formatNumber(side.max)}`;
    assert.ok(
      text.includes(`${formatNumber(side.median)} [${range}]`),
      `median [range] ${formatNumber(side.median)} [${range}] stated in:\n${text}`,
    );
  }
  assert.match(text, /on>off on<off on>off/);
});

test('the stable comparisons are stated as such, with their spread', () => {
  const text = stabilityText(dataOf(records));
  assert.match(
    text,
    /Of 1 on\/off comparison of server CPU per MiB with at least 3 paired repeats: 1 higher with deflate on in every repeat; 0 higher with deflate off in every repeat; 0 a proven zero on both sides in every repeat\./,
  );
  const [c] = compareDeflate(aggregateCells(records), 'cpuMsPerMiB');
  assert.ok(c.on && c.off);
  assert.ok(text.includes(`${formatNumber(c.on.median)} [`) && text.includes(`${formatNumber(c.off.median)} [`), text);
});
