/**
 * The hand-rolled line diff: exact on small cases, an edit script that rebuilds both texts on
 * random ones, as short as GNU diff's on the installed ws releases, and rendered escaped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { diffHtml } from '../../src/chapters/06-root-cause/diff-html';
import { diffHunks, diffLines, unifiedText, type DiffLine } from '../../src/chapters/06-root-cause/linediff';
import { installedWsReleases } from '../../src/bare-ws/versions';

const rebuild = (lines: DiffLine[], side: 'old' | 'new') =>
  lines.filter((l) => l.kind === 'same' || l.kind === (side === 'old' ? 'removed' : 'added')).map((l) => l.text);

test('small cases: equal, one line changed, added at the ends, removed, empty sides', () => {
  assert.deepEqual(diffHunks(diffLines('a\nb\n', 'a\nb\n')), []);
  assert.equal(unifiedText(diffHunks(diffLines('a\nb\nc\n', 'a\nB\nc\n'))), '@@ -1,3 +1,3 @@\n a\n-b\n+B\n c');
  assert.equal(unifiedText(diffHunks(diffLines('b\n', 'a\nb\nc\n'))), '@@ -1,1 +1,3 @@\n+a\n b\n+c');
  assert.equal(unifiedText(diffHunks(diffLines('a\nb\nc\n', 'a\nc\n'))), '@@ -1,3 +1,2 @@\n a\n-b\n c');
  assert.deepEqual(diffLines('', 'x\n'), [{ kind: 'added', text: 'x', newLine: 1 }]);
  assert.deepEqual(diffLines('x\n', ''), [{ kind: 'removed', text: 'x', oldLine: 1 }]);
});

test('distant changes make separate hunks with three lines of context; near ones merge', () => {
  const old = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
  const far = [...old];
  far[2] = 'changed 3';
  far[25] = 'changed 26';
  const hunks = diffHunks(diffLines(old.join('\n'), far.join('\n')));
  assert.equal(hunks.length, 2);
  assert.deepEqual(
    hunks.map((h) => [h.oldStart, h.oldCount, h.newStart, h.newCount]),
    [
      [1, 6, 1, 6],
      [23, 7, 23, 7],
    ],
  );
  const near = [...old];
  near[10] = 'x';
  near[15] = 'y';
  assert.equal(diffHunks(diffLines(old.join('\n'), near.join('\n'))).length, 1);
});

test('on random texts the diff rebuilds both sides and never marks an unchanged pair', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 200; round++) {
    const pick = () => Array.from({ length: Math.floor(random() * 12) }, () => 'abcd'[Math.floor(random() * 4)]);
    const a = pick();
    const b = pick();
    const lines = diffLines(a.join('\n'), b.join('\n'));
    assert.deepEqual(rebuild(lines, 'old'), a);
    assert.deepEqual(rebuild(lines, 'new'), b);
    assert.ok(lines.every((l) => l.kind !== 'same' || a[l.oldLine! - 1] === b[l.newLine! - 1]));
  }
});

test('on every pair of neighbouring ws releases, as few changed lines as GNU diff', () => {
  const releases = installedWsReleases();
  for (let k = 1; k < releases.length; k++) {
    const [older, newer] = [releases[k - 1], releases[k]];
    for (const file of ['Receiver.js', 'PerMessageDeflate.js', 'WebSocket.js', 'BufferPool.js']) {
      const a = path.join(older.dir, 'lib', file);
      const b = path.join(newer.dir, 'lib', file);
      const lines = diffLines(fs.readFileSync(a, 'utf8'), fs.readFileSync(b, 'utf8'));
      assert.deepEqual(rebuild(lines, 'new').join('\n'), fs.readFileSync(b, 'utf8').replace(/\n$/, ''));
      let gnu = '';
      try {
        execFileSync('diff', ['-u', a, b], { encoding: 'utf8' });
      } catch (error) {
        gnu = (error as { stdout: string }).stdout;
      }
      const changed = (text: string) => text.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;
      assert.equal(
        lines.filter((l) => l.kind !== 'same').length,
        changed(gnu.split('\n').slice(2).join('\n')),
        `${older.version} → ${newer.version} ${file}`,
      );
    }
  }
});

test('rendered HTML escapes the code and marks removed and added lines', () => {
  const hunks = diffHunks(diffLines('x = "<script>a</script>";\n', 'x = "<b>&</b>";\n'));
  const html = diffHtml([{ title: 'lib/<x>.js', hunks, note: (l) => (l.kind === 'added' ? 'the <fix>' : undefined) }]);
  assert.ok(!html.includes('<script>') && !html.includes('<b>&') && !html.includes('<x>') && !html.includes('<fix>'));
  assert.ok(html.includes('&lt;script&gt;') && html.includes('&amp;') && html.includes('the &lt;fix&gt;'));
  assert.match(html, /background:#ffd7d5[^>]*>.*-x = /);
  assert.match(html, /background:#ccffd8[^>]*>.*\+x = /);
  assert.match(diffHtml([{ title: 'same.js', hunks: [] }]), /unchanged/);
});
