/**
 * Bad input end to end through the command lines, for what test/live/report.test.ts does not already
 * cover there (every bound of the parameter model, and an unwritable data dir, through
 * `npm run report`): every bound and an unwritable data dir through `npm run sweep`; an unknown
 * option through `npm run record-replay`; a port in use, bad ports and an unwritable data dir through `npm run notebook`; and a missing kernel
 * through report and notebook, in a built copy of the project where scripts/setup never ran.
 * Each is one line on stderr, exit status 2, and nothing written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EXIT_BAD_INPUT } from '../../src/cli/args';
import { LOOPBACK } from '../../src/core/net';
import { BOUNDS, KiB, MiB } from '../../src/core/params';
import { COMMITTED_DATA_DIR, DATA_DIR_ENV, JUPYTER_DIR, PROJECT_ROOT, REPORT_DIR } from '../../src/core/paths';

const CLI = (root: string, name: string) => path.join(root, 'dist', 'src', 'cli', `${name}.js`);

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-cli-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every entry under `dir` with its mtime, or 'absent'; symbolic links are listed, not followed. */
function snapshot(dir: string): string {
  if (!fs.existsSync(dir)) return 'absent';
  const lines: string[] = [];
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name);
      lines.push(`${path.relative(dir, full)}:${fs.lstatSync(full).mtimeMs}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return lines.join('\n');
}

/** Runs a CLI and checks the refusal: exit 2, nothing on stdout, one line on stderr naming `names`. */
function refuses(
  command: string,
  script: string,
  args: string[],
  names: RegExp,
  env: Record<string, string> = {},
): string {
  const result = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, [DATA_DIR_ENV]: path.join(tmp, 'data'), ...env },
    timeout: 60_000,
  });
  const what = `${command} ${args.join(' ')}`;
  assert.equal(result.status, EXIT_BAD_INPUT, `${what}: exit status (stderr: ${result.stderr})`);
  assert.equal(result.stdout, '', `${what}: nothing on stdout`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0], new RegExp(`^${command}: `), what);
  assert.match(lines[0], names, what);
  assert.match(
    lines[0],
    /: (use|see|pass|add|fix|declare|write|run|give|set)\b/,
    `${what}: says what to do: ${lines[0]}`,
  );
  return lines[0];
}

const runtimeDir = path.join(JUPYTER_DIR, 'runtime');

test('npm run notebook: a port in use is refused before Jupyter starts', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
  const { port } = blocker.address() as net.AddressInfo;
  const before = snapshot(runtimeDir);
  try {
    refuses(
      'npm run notebook',
      CLI(PROJECT_ROOT, 'notebook'),
      ['--port', String(port)],
      new RegExp(`port ${port} on ${LOOPBACK} is in use`),
    );
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
  assert.equal(snapshot(runtimeDir), before, 'Jupyter wrote no runtime file: it never started');
});

test('npm run notebook: ports outside 1024–65535 and non-numbers are refused', () => {
  for (const port of ['1023', '65536', 'http', '8888.5', '-1']) {
    refuses(
      'npm run notebook',
      CLI(PROJECT_ROOT, 'notebook'),
      [`--port=${port}`],
      new RegExp(`--port: '${port}' is not a port`),
    );
  }
});

test('npm run record-replay: an unknown option is refused before the gate, and data/replay/ is left as it was', () => {
  const replay = path.join(COMMITTED_DATA_DIR, 'replay');
  const before = snapshot(replay);
  refuses('npm run record-replay', CLI(PROJECT_ROOT, 'record-replay'), ['--quick'], /'--quick'/);
  assert.equal(snapshot(replay), before);
});

test('a negative value is told to attach itself to its flag (parseArgs will not take it apart), not that the flag takes none', () => {
  refuses(
    'npm run report',
    CLI(PROJECT_ROOT, 'report'),
    ['--seed', '-1'],
    /--seed: a value starting with '-' must be attached: write --seed=<value>/,
  );
  refuses(
    'npm run notebook',
    CLI(PROJECT_ROOT, 'notebook'),
    ['--port', '-1'],
    /--port: a value starting with '-' must be attached/,
  );
});

test('npm run notebook: an unwritable data dir is refused before Jupyter starts', () => {
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, '');
  const notWritable = path.join(file, 'data'); // under a file: no one can create it, root included
  const before = snapshot(runtimeDir);
  refuses('npm run notebook', CLI(PROJECT_ROOT, 'notebook'), ['--port', '1024'], /data dir .* is not writable/, {
    [DATA_DIR_ENV]: notWritable,
  });
  assert.equal(snapshot(runtimeDir), before);
});

test('a built checkout where scripts/setup never ran: report and notebook say to run it, and write nothing', () => {
  // A copy of the built project without .jupyter/: PROJECT_ROOT is found from the compiled
  // files' own folder, so the copy's dist looks for the copy's kernel spec.
  const copy = path.join(tmp, 'checkout');
  fs.mkdirSync(copy);
  fs.copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(copy, 'package.json'));
  fs.cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
  for (const dir of ['node_modules', 'notebooks', 'templates', 'scripts'])
    fs.symlinkSync(path.join(PROJECT_ROOT, dir), path.join(copy, dir));
  const before = snapshot(copy);
  const reportBefore = snapshot(REPORT_DIR);
  const env = { [DATA_DIR_ENV]: '' }; // the copy's own data/
  refuses('npm run report', CLI(copy, 'report'), ['--quick'], /tslab kernel spec is missing .*scripts\/setup/, env);
  refuses('npm run report', CLI(copy, 'report'), [], /tslab kernel spec is missing .*scripts\/setup/, env);
  refuses(
    'npm run notebook',
    CLI(copy, 'notebook'),
    ['--port', '1024'],
    /tslab kernel spec is missing .*scripts\/setup/,
    env,
  );
  assert.equal(snapshot(copy), before, 'nothing written in the checkout: no report/, data/ or .jupyter/');
  assert.equal(snapshot(REPORT_DIR), reportBefore, 'nor in the real project');
});

test('npm run sweep: every bound of the parameter model, bad lists and an unwritable data dir: one line each, nothing written', () => {
  const { frameSize, fragmentSize, rate, clients, burst, duration, repeats, seed } = BOUNDS;
  const bad: Array<[string[], RegExp]> = [
    [['--frame-sizes', String(frameSize.min - 1)], /--frame-sizes/],
    [['--frame-sizes', `${frameSize.max / MiB + 1}MiB`], /--frame-sizes/],
    [['--fragment-size', String(fragmentSize.min - 1)], /--fragment-size/],
    [['--fragment-size', `${fragmentSize.max / KiB + 1}KiB`], /--fragment-size/],
    [['--rate', String(rate.minExclusive)], /--rate/],
    [['--rate', `2,${rate.max + 1}`], /--rate/],
    [['--rate', ','], /--rate/],
    [['--frame-sizes', '4KiB,,8KiB'], /--frame-sizes: '4KiB,,8KiB' has an empty element at position 2/],
    [['--stacks', 'today,'], /--stacks/],
    [['--clients', String(clients.min - 1)], /--clients/],
    [['--clients', String(clients.max + 1)], /--clients/],
    [['--burst', String(burst.min - 1)], /--burst/],
    [['--burst', `1,${burst.max + 1}`], /--burst/],
    [['--duration', `${duration.min - 1}ms`], /--duration/],
    [['--duration', `${duration.max + 1}ms`], /--duration/],
    [['--repeats', String(repeats.min - 1)], /--repeats/],
    [['--repeats', String(repeats.max + 1)], /--repeats/],
    [[`--seed=${seed.min - 1}`], /--seed/],
    [['--seed', String(seed.max + 1)], /--seed/],
    [['--stacks', '2014'], /--stacks/],
    [['--deflate', 'maybe'], /--deflate/],
    [['--payload', 'gif'], /--payload/],
    [['--grid', 'week'], /--grid/],
    [['--bogus'], /--bogus/],
  ];
  const dataDir = path.join(tmp, 'sweep-data');
  for (const [args, names] of bad)
    refuses('npm run sweep', CLI(PROJECT_ROOT, 'sweep'), args, names, { [DATA_DIR_ENV]: dataDir });
  const file = path.join(tmp, 'sweep-file');
  fs.writeFileSync(file, '');
  refuses('npm run sweep', CLI(PROJECT_ROOT, 'sweep'), [], /data dir .* is not writable/, {
    [DATA_DIR_ENV]: path.join(file, 'data'),
  });
  assert.equal(fs.existsSync(dataDir), false, 'no data dir created');
});
