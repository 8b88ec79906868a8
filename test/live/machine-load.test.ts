/** The recording gate and the busy-machine figures kept in every committed record. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import os from 'node:os';
import {
  assertQuietMachine,
  busyReason,
  isCommittedDataDir,
  othersCores,
  watchMachineLoad,
} from '../../src/core/machine-load';
import { loadAverageText, runMeta } from '../../src/core/meta';
import { PROJECT_ROOT } from '../../src/core/paths';

/** A node one-liner that spins until it has used `ms` of CPU time, however busy the machine is. */
const burn = (ms: number) => `while (process.cpuUsage().user < ${ms * 1000}) {}`;

test('the gate: refused above half the cores, with one line naming the flag; at or below it, quiet enough', () => {
  assert.equal(busyReason(1, 2), undefined);
  assert.equal(busyReason(0.2, 2), undefined);
  assert.equal(busyReason(4, 8), undefined);
  const reason = busyReason(1.01, 2);
  assert.ok(reason);
  assert.match(reason, /load average is 1\.01 on 2 cores, above half the cores \(1\)/);
  assert.match(reason, /--allow-busy/);
  assert.ok(!reason.includes('\n'));
  assert.ok(busyReason(4.5, 8));
});

test("others' CPU in cores: their CPU time over the run's wall time; unknown when not measured", () => {
  assert.equal(othersCores({ loadAverageBefore: 1.5, otherCpuMs: 1000, ownCpuMs: 3000, wallMs: 4000 }), 0.25);
  assert.equal(othersCores({ loadAverageBefore: 0.1, otherCpuMs: null, ownCpuMs: null, wallMs: 4000 }), null);
  assert.equal(othersCores({ loadAverageBefore: 0.1, otherCpuMs: 0, ownCpuMs: 0, wallMs: 0 }), null);
});

test("records made after the gate keep the gate's reading, not a load that counts the recording's own work", () => {
  assert.equal(runMeta().loadAverageRead, 'at-record');
  const before = os.loadavg()[0];
  assertQuietMachine(os.tmpdir(), false);
  const first = runMeta();
  assert.equal(first.loadAverageRead, 'before-recording');
  assert.ok(Math.abs(first.loadAverage - before) < 0.05, `${first.loadAverage} vs ${before}`);
  assert.equal(runMeta().loadAverage, first.loadAverage);
  assert.equal(
    loadAverageText({ loadAverage: 0.4, loadAverageRead: 'before-recording' }),
    'load average 0.4 before the recording began',
  );
  // Records made before the gate kept its reading carry no loadAverageRead: theirs was read at the record.
  assert.equal(loadAverageText({ loadAverage: 1.8 }), 'load average 1.8 when the record was made');
});

test('only the committed data dir is gated: scratch dirs (tests, quick runs) are not', () => {
  assert.ok(isCommittedDataDir(path.join(PROJECT_ROOT, 'data')));
  assert.ok(isCommittedDataDir(path.join(PROJECT_ROOT, 'data', '.')));
  assert.ok(!isCommittedDataDir(path.join(PROJECT_ROOT, 'data', 'scratch')));
  assert.ok(!isCommittedDataDir('/tmp/deflate-lab-data'));
});

test("the run's own process tree counts the children it has reaped", { skip: process.platform !== 'linux' }, () => {
  const watch = watchMachineLoad();
  const child = spawnSync(process.execPath, ['-e', burn(400)]);
  assert.equal(child.status, 0);
  const { ownCpuMs } = watch.finish();
  assert.ok(ownCpuMs !== null);
  // A reaped child's CPU lands in this process's cutime; a busy machine only slows it, never shrinks it.
  assert.ok(ownCpuMs >= 350, `own tree used ${ownCpuMs} ms for a child that used 400 ms of CPU`);
});

test('CPU used by a process outside the run is counted as other', { skip: process.platform !== 'linux' }, async () => {
  const watch = watchMachineLoad();
  // The shell exits at once, so the busy node is re-parented away from this process tree.
  spawnSync('sh', ['-c', `"${process.execPath}" -e "${burn(600)}" >/dev/null 2>&1 &`]);
  await new Promise((resolve) => setTimeout(resolve, 900));
  const load = watch.finish();
  assert.ok(load.otherCpuMs !== null);
  // Other work on the machine can only add to it: a lower bound holds however busy it is.
  assert.ok(load.otherCpuMs >= 350, `other CPU ${load.otherCpuMs} ms while an outside process burned 600 ms`);
  assert.ok(load.wallMs >= 900);
  assert.ok(Number.isFinite(load.loadAverageBefore));
});

test(
  'CPU used by a live child of the run is counted as its own, not as other',
  { skip: process.platform !== 'linux' },
  async () => {
    const watch = watchMachineLoad();
    // Spins for 500 ms of CPU, says so, then idles until killed: it is measured while still alive.
    const child = spawn(process.execPath, ['-e', `${burn(500)}; console.log('spun'); setTimeout(() => {}, 30000);`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const load = watch.finish();
      assert.ok(load.ownCpuMs !== null && load.otherCpuMs !== null);
      // "Other" is the machine's busy time minus this: a child missed here would be counted as other.
      assert.ok(load.ownCpuMs >= 450, `own CPU ${load.ownCpuMs} ms for a child that used 500 ms`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  },
);
