/** Provenance: a record's dirty flag is read when it is written, and judges the code, not data/. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { codeState } from '../../src/core/meta';

function git(root: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root, stdio: 'ignore' });
}

test('a record written after a source file changed is dirty; one written after a data file was deleted is not', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-meta-'));
  fs.mkdirSync(path.join(root, 'src'));
  fs.mkdirSync(path.join(root, 'data', 'sweep'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  fs.writeFileSync(path.join(root, 'package.json'), '{}\n');
  fs.writeFileSync(path.join(root, 'data', 'sweep', 'old.json'), '{}\n');
  git(root, 'init', '-q');
  git(root, 'add', '.');
  git(root, 'commit', '-qm', 'first');
  const clean = codeState(root);
  assert.match(clean.commit, /^[0-9a-f]{40}$/);
  assert.equal(clean.dirty, false);
  // Old records deleted before a re-recording: the code is what it was.
  fs.rmSync(path.join(root, 'data', 'sweep', 'old.json'));
  assert.equal(codeState(root).dirty, false);
  // The same process, a moment later: a source file changed, and the next record says so.
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 2;\n');
  assert.equal(codeState(root).dirty, true);
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  fs.writeFileSync(path.join(root, 'package.json'), '{ "name": "x" }\n');
  assert.equal(codeState(root).dirty, true);
  fs.rmSync(root, { recursive: true, force: true });
});
