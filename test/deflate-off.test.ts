/**
 * Chapter 4's verdicts, worded from numbers, checked on the committed long-run record (real runs)
 * and on copies of it with one figure changed; and the handshake probe against live 2015 servers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  bytesChange,
  bytesVerdict,
  deflateCostVerdict,
  disconnectVerdict,
  equalWorkCounts,
  equalWorkLoad,
  EQUAL_WORK_STACK,
  failureCost,
  failureCostVerdict,
  runFailures,
  NOTICEABLE_BYTES,
  type LoadPair,
  type WirePair,
} from '../src/chapters/04-deflate-off/claims';
import { probeHandshakes } from '../src/chapters/04-deflate-off/handshakes';
import { recordedLongRuns } from '../src/chapters/04-deflate-off';
import { DATA_DIR_ENV } from '../src/core/paths';
import { saturationOf } from '../src/run/failure-rule';
import { formatDuration } from '../src/core/units';
import type { ScenarioRecord } from '../src/run/scenario';
import type { KneeResult } from '../src/capacity/run';
import { KiB, MiB } from '../src/core/params';
import { assertNoHandlesLeft } from './support/handles';
import { madeUpKnee, offeredFor } from './support/made-up';

process.env[DATA_DIR_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-deflate-off-'));

// The newest long run recorded (records sort by time).
const { runs } = recordedLongRuns();
const long = runs[runs.length - 1];

function withCpu(record: ScenarioRecord, totalMs: number): ScenarioRecord {
  const copy = structuredClone(record);
  copy.result.cpu = { userMs: totalMs, systemMs: 0, includesClients: false };
  return copy;
}

function withBytesIn(record: ScenarioRecord, bytesIn: number, delivered = 10): ScenarioRecord {
  const copy = structuredClone(record);
  copy.result.delivered = delivered;
  copy.result.wire.bytesIn = bytesIn;
  return copy;
}

test("the committed long run covers the post's hour of deflate off at its offered load, beside its failing control at the same load", () => {
  assert.ok(long, 'no long run in data/long-run: record one with npm run long-run');
  assert.ok(long.run.result.loadMs >= 3_600_000, `tested ${formatDuration(long.run.result.loadMs)}`);
  assert.equal(long.run.spec.deflate, 'off');
  assert.equal(long.run.spec.placement, 'forked');
  assert.deepEqual(saturationOf(long.run), [], 'the hour met its offered load');
  assert.equal(runFailures(long.run.result), 0);
  assert.deepEqual(long.blockers, []);
  assert.equal(long.control.spec.deflate, 'on');
  assert.ok(runFailures(long.control.result) > 0, 'the deflate-on control failed');
  for (const key of ['stack', 'client', 'payload', 'frameSize', 'fragmentSize', 'rate', 'burst', 'clients'] as const)
    assert.equal(long.control.spec[key], long.run.spec[key], `control and run differ in ${key}`);
});

test('disconnect verdict: holds on the recorded runs, fails when an off run failed, untested without a failing on run', () => {
  const held = disconnectVerdict([], [long]);
  assert.equal(held.verdict, 'holds', held.sentences.join(' '));
  assert.equal(held.longestOffMs, long.run.result.loadMs);
  assert.match(
    held.sentences.join(' '),
    new RegExp(`longest deflate-off run tested sent for ${formatDuration(long.run.result.loadMs)}`),
  );

  const failingOff = structuredClone(long.control);
  failingOff.spec.deflate = 'off';
  assert.equal(disconnectVerdict([{ repeat: 1, on: long.control, off: failingOff }], []).verdict, 'does not hold');

  const quietOn = structuredClone(long.run);
  quietOn.spec.deflate = 'on';
  assert.equal(disconnectVerdict([{ repeat: 1, on: quietOn, off: long.run }], []).verdict, 'not tested');
});

test('cpu (b), the failure on 2015: server CPU off ÷ on against one half, beside what the failures cost', () => {
  const pair = (on: number, off: number): LoadPair => ({
    repeat: 1,
    on: withCpu(long.control, on),
    off: withCpu(long.run, off),
  });
  assert.equal(failureCostVerdict([pair(1000, 400)]).verdict, 'holds');
  assert.equal(failureCostVerdict([pair(1000, 500)]).verdict, 'does not hold', 'exactly half is not less than half');
  assert.equal(failureCostVerdict([pair(1000, 400), pair(1000, 900)]).verdict, 'mixed across repeats');
  assert.deepEqual(failureCostVerdict([pair(1000, 400)]).ratios, [0.4]);
  const cost = failureCost(long.control);
  assert.ok(cost.failures > 0, 'the control failed');
  assert.match(
    failureCostVerdict([pair(1000, 400)]).sentences[1],
    new RegExp(
      `^The deflate-on runs paid for their failures: ${cost.failures} failures?, ${cost.rejectedInflates} inflates? zlib rejected`,
    ),
  );
  const inProcess = pair(1000, 400);
  inProcess.on.result.cpu.includesClients = true;
  assert.equal(failureCostVerdict([inProcess]).verdict, 'not tested');
  // The "on" side must have negotiated deflate; an errored or empty side compares nothing.
  const plainOn = pair(1000, 400);
  plainOn.on.result.controls.deflateNegotiated = false;
  assert.equal(failureCostVerdict([plainOn]).verdict, 'not tested');
  assert.match(failureCostVerdict([plainOn]).sentences[0], /deflate was not negotiated on the "on" run/);
  const emptyOff = pair(1000, 400);
  emptyOff.off.result.sent = 0;
  assert.match(failureCostVerdict([emptyOff]).sentences[0], /the deflate-off run sent nothing/);
  const erroredOn = pair(1000, 400);
  erroredOn.on.result.status = 'failed';
  assert.equal(failureCostVerdict([erroredOn, pair(1000, 400)]).ratios.length, 1, 'the errored pair is left out');
});

test("cpu (a), deflate's own cost: per MiB at equal work, and only from pairs where neither side failed", () => {
  // Both sides from the deflate-off run (no failure, load met); the "on" copy shows deflate negotiated.
  const equalOn = (cpu: number): ScenarioRecord => {
    const copy = withCpu(long.run, cpu);
    copy.spec.deflate = 'on';
    copy.result.controls.deflateNegotiated = true;
    return copy;
  };
  const pair = (on: number, off: number): LoadPair => ({ repeat: 1, on: equalOn(on), off: withCpu(long.run, off) });
  assert.equal(equalWorkCounts(pair(1000, 400)), true);
  assert.equal(deflateCostVerdict([pair(1000, 400)]).verdict, 'holds');
  assert.deepEqual(deflateCostVerdict([pair(1000, 400)]).ratios, [0.4]);
  assert.equal(deflateCostVerdict([pair(1000, 700)]).verdict, 'does not hold');
  // A failing side is not equal work: alone it leaves the claim untested, beside a good pair it is left out.
  const failing: LoadPair = { repeat: 2, on: withCpu(long.control, 1000), off: withCpu(long.run, 400) };
  assert.equal(equalWorkCounts(failing), false);
  assert.equal(deflateCostVerdict([failing]).verdict, 'not tested');
  const mixed = deflateCostVerdict([pair(1000, 400), failing]);
  assert.deepEqual(mixed.ratios, [0.4]);
  assert.match(mixed.sentences.join(' '), /1 pair had a failure and is left out/);
  // A side that did not meet its load compares nothing.
  const short = pair(1000, 400);
  short.off.result.offered = offeredFor(short.off, { ticksMissed: 3 });
  assert.equal(deflateCostVerdict([short]).verdict, 'not tested');
});

/** The equal-work stack's knees at 256 KiB and 4 MiB: 40 MiB/s with deflate on, 60 off. */
const KNEES: KneeResult[] = [256 * KiB, 4 * MiB].flatMap((frameSize) =>
  (['on', 'off'] as const).map((deflate) =>
    madeUpKnee(EQUAL_WORK_STACK, deflate, frameSize, deflate === 'on' ? 40 : 60),
  ),
);

test("equal work at each size: half the slower setting's knee there, else the nearest recorded size's, labelled; else the reproducer's load", () => {
  const exact = equalWorkLoad(KNEES, 256 * KiB);
  assert.equal(exact.nearest, false);
  assert.equal(exact.frameSize, 256 * KiB);
  assert.ok(Math.abs(exact.MiBps - 20) < 1, `${exact.MiBps} MiB/s`);
  assert.match(exact.origin, /with deflate on, the slower setting \(40\.0 MiB\/s at 256 KiB, recorded/);
  // 1.5 MiB is nearer 4 MiB than 256 KiB on a log scale (×2.7 against ×6).
  const between = equalWorkLoad(KNEES, 1536 * KiB);
  assert.equal(between.nearest, true);
  assert.equal(between.frameSize, 1536 * KiB);
  assert.match(
    between.origin,
    /nearest recorded size.*40\.0 MiB\/s at 4 MiB\); no usable knee at 1\.5 MiB \(no knee of 2015\+ws0\.8\.1 with deflate on at 1\.5 MiB is recorded\)/,
  );
  assert.ok(Math.abs(between.MiBps - 20) < 2, `${between.MiBps} MiB/s`);
  const small = equalWorkLoad(KNEES, 3000);
  assert.match(small.origin, /at 256 KiB\); no usable knee at 2\.93 KiB/);
  const none = equalWorkLoad([], MiB);
  assert.equal(none.nearest, false);
  assert.match(none.origin, /^the reproducer's load, since no knee is recorded/);
});

test('bytes verdict: more, about the same, or fewer, per payload kind', () => {
  // The long run is deflate off on both sides; the "on" copy is made to show deflate negotiated.
  const negotiated = (record: ScenarioRecord): ScenarioRecord => {
    record.result.controls.deflateNegotiated = true;
    return record;
  };
  const pair = (payload: WirePair['payload'], on: number, off: number): WirePair => ({
    payload: payload,
    on: negotiated(withBytesIn(long.run, on)),
    off: withBytesIn(long.run, off),
  });
  assert.equal(bytesChange(pair('json', 1000, 4000)).change, 'more');
  assert.equal(bytesChange(pair('png', 1000, 1000 * (1 + NOTICEABLE_BYTES / 2))).change, 'about the same');
  assert.equal(bytesChange(pair('png', 1000, 900)).change, 'fewer');
  assert.equal(bytesVerdict([pair('json', 1000, 4000), pair('data-url', 1000, 1300)]).verdict, 'holds');
  assert.equal(
    bytesVerdict([pair('json', 1000, 4000), pair('png', 1000, 1001)]).verdict,
    'holds only for some payloads',
  );
  assert.equal(bytesVerdict([pair('png', 1000, 1001)]).verdict, 'does not hold');
  assert.equal(
    bytesChange({ payload: 'png', on: withBytesIn(long.run, 1000, 0), off: withBytesIn(long.run, 1000) }).change,
    'unknown',
  );
  // Without deflate negotiated on the "on" run, both sides ran uncompressed: no verdict.
  const plainOn = { ...pair('json', 1000, 4000), on: withBytesIn(long.run, 1000) };
  assert.equal(bytesChange(plainOn).change, 'unknown');
  assert.equal(bytesVerdict([plainOn]).verdict, 'not tested');
  assert.match(bytesVerdict([plainOn]).sentences.join(' '), /did not negotiate deflate/);
  // A run that errored is never part of a verdict.
  const errored = pair('json', 1000, 4000);
  errored.off.result.status = 'failed';
  assert.equal(bytesChange(errored).change, 'unknown');
});

test('handshake probe: the Node clients offer deflate; the 2015 server accepts by default and not with deflate off; nothing left open', async () => {
  const on = await probeHandshakes('2015', 'default', ['fragmenting', 'socket.io'], true);
  const off = await probeHandshakes('2015', 'off', ['fragmenting', 'socket.io'], true);
  assert.deepEqual(
    on.map((row) => row.negotiated),
    [true, true],
  );
  assert.deepEqual(
    off.map((row) => [row.negotiated, row.answer]),
    [
      [false, ''],
      [false, ''],
    ],
  );
  assert.ok([...on, ...off].every((row) => row.offer.startsWith('permessage-deflate')));
  await assertNoHandlesLeft();
});
