/**
 * scripts/check-paths.mjs (run by `npm run lint`), run as lint runs it, on made-up projects in a
 * temp dir: it names each planted missing path with its file and line and exits 1, passes once
 * those paths exist, and does not mistake URLs, npm package paths, regular expressions, module
 * specifiers, placeholders or notebook outputs for project paths.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { PROJECT_ROOT } from '../../src/core/paths';

const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'check-paths.mjs');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-check-paths-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function checkPaths(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function plant(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
}

/** A notebook as Jupyter writes it (indent 1, one source line per file line), with an output. */
function notebook(cells: { cell_type: 'markdown' | 'code'; source: string; output?: string }[]): string {
  const json = {
    cells: cells.map(({ cell_type, source, output }) => ({
      cell_type,
      metadata: {},
      source: source.split(/(?<=\n)/),
      ...(cell_type === 'code'
        ? { execution_count: null, outputs: output ? [{ name: 'stdout', output_type: 'stream', text: [output] }] : [] }
        : {}),
    })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(json, null, 1) + '\n';
}

const PROJECT: Record<string, string> = {
  'src/a.ts': [
    '/** Reads src/b.ts and src/core/mod (a module named without its extension). */', // 1
    "import 'src/module-specifier-tsc-checks';", // 2: a module specifier, tsc's to resolve
    "export const help = 'see src/gone-help.ts for bounds';", // 3: missing
    "export const url = 'https://example.com/src/nowhere.ts';", // 4: a URL
    "export const npm = 'node_modules/socket.io/dist/socket.io.js';", // 5: inside a package
    "export const bundle = 'dist/socket.io.js'; // a package's dist, not ours", // 6
    "export const prose = 'deflate on/off, data/ alone';", // 7: prose, a top folder alone
    'export const matches = (s: string) => /invalid compressed data/.test(s);', // 8: a regex, code
    'export const perName = (name: string) => `data/${name}/x.json`;', // 9: placeholder in data/
    "export const glob = 'data/missing-folder/*.json';", // 10: missing folder before the glob
    "export const built = 'dist/src/a.js, dist/src/gone-built.js';", // 11: the second is missing
    "export const generated = 'report/01-symptom.findings.json';", // 12: written by runs
    '// Ends a sentence with src/b.ts.', // 13
    '',
  ].join('\n'),
  'src/b.ts': '',
  'src/core/mod.ts': '',
  'data/README.md': 'Records: data/replay/*.json.\n',
  'notebooks/01-x.ipynb': notebook([
    { cell_type: 'markdown', source: '# One\n\nThe rule lives in\n`src/gone-notebook.ts`.\n' },
    {
      cell_type: 'code',
      source: "import { x } from '../dist/src/a';\n// src/gone-cell.ts\n",
      output: 'src/in-output.ts',
    },
  ]),
  'README.md': [
    '# Made up',
    '[docs](docs/gone.md), [site](https://example.com/x.md), [here](#made-up), [code](src/a.ts#L3)',
    '',
  ].join('\n'),
  'docs/page.md': '[up](../src/a.ts) and [gone](../src/gone-link.ts)\n',
  'scripts/run': '#!/bin/sh\nnode dist/src/a.js && node dist/src/gone-script.js\n',
};

test('names each missing path with its file and line, exit 1, and passes once they exist', () => {
  const root = path.join(scratch, 'project');
  plant(root, PROJECT);
  fs.mkdirSync(path.join(root, 'data', 'replay'), { recursive: true });

  const failing = checkPaths(root);
  assert.equal(failing.status, 1, failing.stderr);
  assert.deepEqual(failing.stdout.trim().split('\n').sort(), [
    "README.md:2: names 'docs/gone.md', which does not exist",
    "docs/page.md:1: names '../src/gone-link.ts', which does not exist",
    "notebooks/01-x.ipynb:10: names 'src/gone-notebook.ts', which does not exist",
    "notebooks/01-x.ipynb:18: names 'src/gone-cell.ts', which does not exist",
    "scripts/run:2: names 'dist/src/gone-script.js', which does not exist",
    "src/a.ts:10: names 'data/missing-folder/*.json', which does not exist",
    "src/a.ts:11: names 'dist/src/gone-built.js', which does not exist",
    "src/a.ts:3: names 'src/gone-help.ts', which does not exist",
  ]);
  const line = (file: string, n: number) => fs.readFileSync(path.join(root, file), 'utf8').split('\n')[n - 1];
  assert.match(line('notebooks/01-x.ipynb', 10), /src\/gone-notebook\.ts/, 'the line given is the line in the file');
  assert.match(line('notebooks/01-x.ipynb', 18), /src\/gone-cell\.ts/);

  plant(root, {
    'docs/gone.md': '',
    'src/gone-link.ts': '',
    'src/gone-notebook.ts': '',
    'src/gone-cell.ts': '',
    'src/gone-script.ts': '',
    'src/gone-built.ts': '',
    'src/gone-help.ts': '',
    'data/missing-folder/x.json': '',
  });
  const passing = checkPaths(root);
  assert.equal(passing.status, 0, passing.stdout);
  assert.match(passing.stdout, /^check-paths: \d+ paths named in \d+ files, all exist\n$/);
});

test('in a git checkout, a file git ignores does not count: a fresh clone would lack it', () => {
  const root = path.join(scratch, 'clone');
  plant(root, {
    'README.md': 'See data/records/run.json and data/kept.json.\n',
    'data/kept.json': '{}',
    'data/records/run.json': '{}',
    '.gitignore': 'data/records/\n',
  });
  execFileSync('git', ['init', '-q'], { cwd: root });
  const run = checkPaths(root);
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stdout, "README.md:1: names 'data/records/run.json', which does not exist\n");
});

test('bad input: one line naming ROOT and its form, exit 2', () => {
  for (const args of [[path.join(scratch, 'no-such-folder')], [scratch, scratch]]) {
    const run = checkPaths(...args);
    assert.equal(run.status, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^check-paths: .*ROOT.*\n$/);
  }
});

test('in a git checkout, what a notebook imports from dist/ must have its source: tsc never compiles a notebook', () => {
  const root = path.join(scratch, 'imports');
  plant(root, {
    'src/core/here.ts': '',
    'notebooks/01-x.ipynb': notebook([
      { cell_type: 'markdown', source: '# One\n' },
      {
        cell_type: 'code',
        source: "import { a } from '../dist/src/core/here';\nimport { b } from '../dist/src/gone';\n",
      },
    ]),
    'test/fixtures/notebooks/f.ipynb': notebook([
      {
        cell_type: 'code',
        source: "import { c } from '../../../dist/src/moved/away';\n// made-up prose: src/not-checked.ts\n",
      },
    ]),
  });
  execFileSync('git', ['init', '-q'], { cwd: root });
  const run = checkPaths(root);
  assert.equal(run.status, 1, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n').sort(), [
    "notebooks/01-x.ipynb:15: imports '../dist/src/gone', which does not exist",
    "test/fixtures/notebooks/f.ipynb:7: imports '../../../dist/src/moved/away', which does not exist",
  ]);
  const line = (file: string, n: number) => fs.readFileSync(path.join(root, file), 'utf8').split('\n')[n - 1];
  assert.match(line('notebooks/01-x.ipynb', 15), /dist\/src\/gone/, 'the line given is the line in the file');
  assert.match(line('test/fixtures/notebooks/f.ipynb', 7), /dist\/src\/moved\/away/);
});
