/** /proc's CPU clock: the constant the CPU readings divide by is this machine's USER_HZ, and a reading moves with work done. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { cpuBetween, PROC_TICKS_PER_SECOND, readProcessCpu, SPLIT_RESOLUTION_MS } from '../../src/core/process-cpu';

test('the ticks per second the readings use are what getconf CLK_TCK says here', () => {
  assert.equal(PROC_TICKS_PER_SECOND, Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
});

test('200 ms of busy main-thread work reads as about that much main-thread CPU', () => {
  const start = readProcessCpu();
  assert.ok(start);
  const until = Date.now() + 200;
  while (Date.now() < until); // busy on purpose: the CPU to be read
  const used = cpuBetween(start, readProcessCpu()!);
  assert.ok(used.mainThreadMs >= 100 && used.mainThreadMs <= 400, `main thread ${used.mainThreadMs} ms`);
  // All threads used at least what the main thread did, to the split's resolution.
  assert.ok(
    used.totalMs >= used.mainThreadMs - SPLIT_RESOLUTION_MS,
    `total ${used.totalMs} ms, main thread ${used.mainThreadMs} ms`,
  );
});
