/**
 * The notebook runner (scripts/nbrun.py through src/report/execute.ts), on fixture notebooks in
 * real tslab kernels: errors surface tslab's own text, a hang is killed and named, the rerun pass
 * runs in the same kernel, a kernel that cannot bind its ports is started again, and time and
 * memory are measured.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertKernelInstalled, KERNEL_NAME, KernelMissingError } from '../../src/jupyter/env';
import { PROJECT_ROOT, SYSTEM_PYTHON } from '../../src/core/paths';
import { retriedStartText } from '../../src/report/contents-page';
import type { ChapterEntry } from '../../src/report/report-record';
import {
  executeNotebook,
  failureHeadline,
  FULL_LIMITS,
  NotebookInputError,
  type RunLimits,
} from '../../src/report/execute';
import { alive } from '../support/process';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'notebooks');
const fixture = (name: string): string => path.join(FIXTURES, name);
// Generous for a loaded 2-core machine; the stuck-cell test sets its own short cell limit.
const LIMITS: RunLimits = { ...FULL_LIMITS, cellTimeoutMs: 120_000, notebookTimeoutMs: 240_000 };

let out: string;
before(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-runner-'));
});
after(() => {
  fs.rmSync(out, { recursive: true, force: true });
});

interface CellJson {
  cell_type: string;
  metadata: { tags?: string[] };
  outputs?: Array<{ output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }>;
}
const readCells = (file: string): CellJson[] =>
  (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: CellJson[] }).cells;
const textOf = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? value.join('') : (value ?? '');

test('a failing cell surfaces the stderr text tslab sends, naming the notebook and the cell', async () => {
  const output = path.join(out, 'error.ipynb');
  const run = await executeNotebook({ notebook: fixture('error.ipynb'), output: output, limits: LIMITS });
  assert.equal(run.status, 'error');
  assert.ok(run.failure);
  assert.equal(run.failure.cell, 'cell 4');
  assert.match(run.failure.where, /error\.ipynb cell 4 `throw new Error\("fixture failure/);
  assert.match(run.failure.message, /Error: fixture failure <b>not bold<\/b> & co/);
  assert.equal(failureHeadline(run.failure), 'Error: fixture failure <b>not bold</b> & co');
  // The kernel's own frames are dropped from the message; the executed copy keeps the full text.
  assert.doesNotMatch(run.failure.message, /tslab\/dist/);
  const cells = readCells(output);
  const stderr = cells[3].outputs?.find((o) => o.output_type === 'stream' && o.name === 'stderr');
  assert.match(textOf(stderr?.text), /fixture failure/);
  assert.deepEqual(cells[4].outputs, [], 'cells after the failure do not run');
  assert.ok(run.kernelPid !== null && !alive(run.kernelPid), 'the kernel is shut down');
});

test('a cell that never resolves is killed at its timeout, and the notebook and cell are named', async () => {
  const output = path.join(out, 'stuck.ipynb');
  const run = await executeNotebook({
    notebook: fixture('stuck.ipynb'),
    output: output,
    limits: { ...LIMITS, cellTimeoutMs: 3000 },
  });
  assert.equal(run.status, 'timeout');
  assert.ok(run.failure);
  assert.equal(run.failure.cell, 'cell 3');
  assert.match(run.failure.where, /stuck\.ipynb cell 3 `await new Promise\(\(\) => \{\}\);`/);
  assert.match(run.failure.message, /cell timeout of 3 s reached; kernel killed/);
  assert.ok(run.kernelPid !== null && !alive(run.kernelPid), 'the kernel is killed');
  assert.ok(run.runMs !== null && run.runMs >= 3000, `ran ${run.runMs} ms, at least the 3 s limit`);
  // The cells that ran keep their outputs in the executed copy.
  assert.match(textOf(readCells(output)[1].outputs?.[0]?.text), /before the hang/);
});

test('the whole-notebook deadline stops a notebook whose cells are each within their limit', async () => {
  const run = await executeNotebook({
    notebook: fixture('stuck.ipynb'),
    output: path.join(out, 'deadline.ipynb'),
    limits: { ...LIMITS, cellTimeoutMs: 120_000, notebookTimeoutMs: 3000 },
  });
  assert.equal(run.status, 'timeout');
  assert.match(run.failure?.message ?? '', /notebook deadline of 3 s reached; kernel killed/);
});

// A clean notebook's rerun pass (status ok, a rerun time) is test/live/report.test.ts's, on every chapter.
test('the rerun pass runs every cell again in the same kernel', async () => {
  // rerun.ipynb counts passes in a global: it fails on pass 2 only if pass 2 shares the kernel.
  const stateful = await executeNotebook({
    notebook: fixture('rerun.ipynb'),
    output: path.join(out, 'rerun.ipynb'),
    limits: LIMITS,
    rerun: true,
  });
  assert.equal(stateful.status, 'error');
  assert.equal(stateful.failure?.pass, 2);
  assert.match(stateful.failure?.message ?? '', /pass 2 in the same kernel/);
  const once = await executeNotebook({
    notebook: fixture('rerun.ipynb'),
    output: path.join(out, 'rerun-once.ipynb'),
    limits: LIMITS,
  });
  assert.equal(once.status, 'ok', 'without the rerun pass the same notebook passes');
});

test('wall time, kernel start-up (measured apart) and the kernel peak RSS are reported', async () => {
  const run = await executeNotebook({
    notebook: fixture('params.ipynb'),
    output: path.join(out, 'timed.ipynb'),
    limits: LIMITS,
  });
  assert.equal(run.status, 'ok', run.failure?.message);
  assert.ok(run.kernelStartMs !== null && run.kernelStartMs > 0);
  assert.ok(run.runMs !== null && run.runMs > 0);
  assert.ok(run.wallMs !== null && run.wallMs >= run.kernelStartMs + run.runMs);
  // A tslab kernel holds its own TypeScript compiler: far above an empty Node process.
  assert.ok(run.peakRssKiB !== null && run.peakRssKiB > 50 * 1024, `peak RSS ${run.peakRssKiB} KiB`);
  assert.deepEqual(
    run.cellMs.map((c) => c.cell),
    ['cell 2', 'cell 3', 'cell 4', 'cell 5'],
  );
  const executed = JSON.parse(fs.readFileSync(path.join(out, 'timed.ipynb'), 'utf8')) as {
    metadata: { nbrun: { wallMs: number } };
  };
  assert.equal(executed.metadata.nbrun.wallMs, run.wallMs, 'the executed copy records the same measurements');
  assert.equal(run.shutdown, 'clean', 'the kernel exits when asked');
});

// The real tslab, started through a kernel spec that, on its first start only, holds one of the
// ports Jupyter chose for it: tslab's bind fails as it would if another process had taken the port.
const HOLD_PORT_ONCE = `import json, os, socket, sys
marker, tslab, connection_file = sys.argv[1:4]
if not os.path.exists(marker):
    open(marker, 'w').close()
    held = socket.socket()
    held.bind(('127.0.0.1', json.load(open(connection_file))['control_port']))
    held.listen()
    os.set_inheritable(held.fileno(), True)  # kept across exec, by the kernel itself
os.execv(tslab, [tslab, 'kernel', '--config-path', connection_file])
`;

test('a kernel that cannot bind its port is killed at once and started again on new ports, and the retry is said', async () => {
  const specs = path.join(out, 'port-taken');
  const spec = path.join(specs, 'kernels', KERNEL_NAME);
  fs.mkdirSync(spec, { recursive: true });
  fs.writeFileSync(path.join(spec, 'hold-port-once.py'), HOLD_PORT_ONCE);
  const argv = [
    SYSTEM_PYTHON,
    path.join(spec, 'hold-port-once.py'),
    path.join(specs, 'first-start-done'),
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tslab'),
    '{connection_file}',
  ];
  fs.writeFileSync(
    path.join(spec, 'kernel.json'),
    JSON.stringify({ argv: argv, display_name: 'TypeScript', language: 'typescript' }),
  );

  const run = await executeNotebook({
    notebook: fixture('params.ipynb'),
    output: path.join(out, 'port-taken.ipynb'),
    limits: LIMITS,
    env: { JUPYTER_PATH: specs },
  });
  assert.ok(fs.existsSync(path.join(specs, 'first-start-done')), 'the first start went through the port-holding spec');
  assert.equal(run.status, 'ok', run.failure?.message);
  assert.equal(run.kernelStartRetries.length, 1);
  assert.match(run.kernelStartRetries[0], /Kernel died before replying.*kernel stderr: .*EADDRINUSE/);
  // Killed on its stderr line, not after the start-up limit that a silent tslab would wait out.
  assert.ok(
    run.kernelStartMs !== null && run.kernelStartMs < LIMITS.startupTimeoutMs,
    `kernel start ${run.kernelStartMs} ms`,
  );
  const entry = { number: 1, slug: 'fixture', run: run } as ChapterEntry;
  assert.match(
    retriedStartText(entry)[0],
    /^The kernel of chapter 1 fixture answered on start 2; the first start failed: Kernel died/,
  );
});

test('a notebook that leaves a server open is caught: the kernel does not exit when asked, and is killed', async () => {
  const run = await executeNotebook({
    notebook: fixture('open-server.ipynb'),
    output: path.join(out, 'open-server.ipynb'),
    limits: { ...LIMITS, shutdownGraceMs: 2000 },
  });
  assert.equal(run.status, 'ok', 'every cell succeeded');
  assert.equal(run.shutdown, 'forced');
  assert.ok(run.shutdownMs !== null && run.shutdownMs >= 2000);
  assert.ok(run.kernelPid !== null && !alive(run.kernelPid), 'the kernel is killed');
});

test('bad input to the runner is rejected before a kernel starts', async () => {
  await assert.rejects(
    executeNotebook({
      notebook: fixture('noparams.ipynb'),
      output: path.join(out, 'noparams.ipynb'),
      limits: LIMITS,
      injectSource: 'rate = 1;',
    }),
    (error: Error) => error instanceof NotebookInputError && /no cell tagged "parameters"/.test(error.message),
  );
  await assert.rejects(
    executeNotebook({ notebook: fixture('absent.ipynb'), output: path.join(out, 'absent.ipynb'), limits: LIMITS }),
    (error: Error) => error instanceof NotebookInputError && /cannot read the notebook/.test(error.message),
  );
  assert.equal(fs.existsSync(path.join(out, 'noparams.ipynb')), false, 'nothing written');
});

test('a missing kernel spec is one line that says to run scripts/setup', () => {
  assert.doesNotThrow(() => assertKernelInstalled());
  const missing = path.join(out, 'no-such-dir', 'kernel.json');
  assert.throws(
    () => assertKernelInstalled(missing),
    (error: Error) =>
      error instanceof KernelMissingError && /scripts\/setup/.test(error.message) && !error.message.includes('\n'),
  );
});
