/**
 * scripts/check-function-length.mjs, run as `npm run lint` runs it, on planted sources in a temp
 * dir: a 121-line function fails with one line naming it, the same function passes with the
 * `// long function: <reason>` comment above it (or above its JSDoc), 120 lines pass, and
 * node_modules is not read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SCRIPTS_DIR } from '../../src/core/paths';

const CHECK = path.join(SCRIPTS_DIR, 'check-function-length.mjs');

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-function-length-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A function declaration of exactly `lines` lines, its name and first line included. */
function functionOf(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const step${i} = ${i};`);
  return [`export function ${name}(): void {`, ...body, '}', ''].join('\n');
}

/** Writes `files` (path under the root → text) into a fresh root and runs the check on it. */
function check(label: string, files: Record<string, string>): { status: number | null; stdout: string } {
  const root = path.join(tmp, label);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  const run = spawnSync(process.execPath, [CHECK, root], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout };
}

test('a 121-line function fails, with one line naming file, line, function and length', () => {
  const result = check('planted', { 'src/deep/planted.ts': `// before\n\n${functionOf('planted', 121)}` });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, 'src/deep/planted.ts:3: planted is 121 lines (limit 120)\n');
});

test('the same function passes with the comment above it, or above its JSDoc', () => {
  const above = `// long function: planted on purpose\n${functionOf('planted', 121)}`;
  const aboveDoc = `// long function: planted on purpose\n/**\n * Its JSDoc.\n */\n${functionOf('planted', 121)}`;
  assert.deepEqual(check('exempt', { 'src/above.ts': above, 'src/above-doc.ts': aboveDoc }), { status: 0, stdout: '' });
});

test('the comment must give a reason and sit just above the function', () => {
  const noReason = `// long function:\n${functionOf('bare', 121)}`;
  const tooHigh = `// long function: planted on purpose\n\n${functionOf('apart', 121)}`;
  const result = check('misplaced', { 'src/a.ts': noReason, 'src/b.ts': tooHigh });
  assert.equal(result.status, 1);
  assert.equal(
    result.stdout,
    'src/a.ts:2: bare is 121 lines (limit 120)\nsrc/b.ts:3: apart is 121 lines (limit 120)\n',
  );
});

test('120 lines pass; arrows, methods and .js files are measured; node_modules is not', () => {
  const body = (lines: number) => Array.from({ length: lines - 2 }, (_, i) => `  x += ${i};`).join('\n');
  const result = check('kinds', {
    'src/limit.ts': functionOf('atLimit', 120),
    'src/arrow.ts': `let x = 0;\nexport const arrow = () => {\n${body(121)}\n};\n`,
    'src/method.js': `let x = 0;\nexport class Holder {\n  method() {\n${body(121)}\n  }\n}\n`,
    'src/stack/node_modules/dep.js': functionOf('vendored', 500),
  });
  assert.equal(result.status, 1);
  assert.equal(
    result.stdout,
    'src/arrow.ts:2: arrow is 121 lines (limit 120)\nsrc/method.js:3: method is 121 lines (limit 120)\n',
  );
});

test('a root without src/ is refused in one line, exit 2', () => {
  const run = spawnSync(process.execPath, [CHECK, path.join(tmp, 'nowhere')], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^check-function-length: ROOT must be a folder holding src\/ \(got '.*nowhere'\)\n$/);
});
