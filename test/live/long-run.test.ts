/**
 * The long-run recorder, shortened: a control and a deflate-off run of the reproducer's load on the
 * 2015 stack, recorded into a temp data dir and read back; and the CLI's one-line refusals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LONG_RUN_KIND, readLongRuns, runLongRun } from '../../src/traffic/long-run';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'long-run.js');

test('a shortened long run is recorded with its control, timeline and blockers, and reads back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-long-run-'));
  const lines: string[] = [];
  const { record, file } = await runLongRun({
    duration: 1500,
    // Long enough for the reproducer's load to break 2015 with deflate on: without that, nothing runs.
    controlDuration: 10_000,
    dataDir: dir,
    onStatus: (line) => lines.push(line),
  });
  assert.equal(path.dirname(file), path.join(dir, LONG_RUN_KIND));
  assert.equal(record.quick, true, 'shorter than the standard window: marked quick');
  assert.equal(record.run.spec.deflate, 'off');
  assert.equal(record.control.spec.deflate, 'on');
  assert.equal(record.run.spec.placement, 'forked');
  assert.ok(record.control.result.failures > 0, 'the control failed, so the long run was started');
  assert.equal(record.run.result.status, 'completed', record.run.result.runError);
  assert.ok(record.timeline.length >= 1 && record.timeline[0].rss > 0);
  assert.ok(lines.some((line) => line.startsWith('control:')));
  const { records, skipped } = readLongRuns(dir);
  assert.deepEqual(skipped, []);
  assert.deepEqual(
    records.map((r) => r.id),
    [record.id],
  );
});

for (const [args, expected] of [
  [['--duration', 'soon'], /^npm run long-run: --duration: 'soon' is not a duration/],
  [['--duration', '3h'], /^npm run long-run: --duration: 3h is out of range/],
  [['--frobnicate'], /^npm run long-run: Unknown option '--frobnicate'/],
] as const) {
  test(`npm run long-run ${args.join(' ')}: one line, exit 2, nothing run`, () => {
    const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, expected);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  });
}
