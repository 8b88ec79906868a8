/** docs/architecture.md's layer table says what .dependency-cruiser.cjs enforces, folder by folder. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';
import { PROJECT_ROOT } from '../../src/core/paths';

interface LayerRule {
  name: string;
  from: { path: string };
  to: { pathNot: string };
}

/** Each folder's allowed imports, read back from the rules the lint runs. */
function enforcedTable(): Map<string, string[]> {
  const config = createRequire(__filename)(path.join(PROJECT_ROOT, '.dependency-cruiser.cjs')) as {
    forbidden: LayerRule[];
  };
  const table = new Map<string, string[]>();
  for (const rule of config.forbidden.filter((r) => r.name.startsWith('layer-'))) {
    const folder = rule.name.slice('layer-'.length);
    const allowed = /^\^src\/\((.*)\)\/$/
      .exec(rule.to.pathNot)?.[1]
      .split('|')
      .map((f) => f.replace(/\\/g, ''));
    assert.ok(allowed, `rule ${rule.name}: unexpected pathNot ${rule.to.pathNot}`);
    table.set(
      folder,
      allowed.filter((f) => f !== folder),
    );
  }
  return table;
}

/** The rows of the table whose header starts with "folder". */
function documentedTable(): Map<string, string[]> {
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'architecture.md'), 'utf8').split('\n');
  const header = lines.findIndex((line) => /^\| folder +\|/.test(line));
  assert.ok(header >= 0, 'docs/architecture.md has no table headed "folder"');
  const end = lines.findIndex((line, i) => i > header && !line.startsWith('|'));
  const rows = lines.slice(header + 2, end);
  return new Map(
    rows.map((line) => {
      const [folder, allowed] = line
        .split('|')
        .slice(1, 3)
        .map((cell) => cell.trim());
      return [folder, allowed.startsWith('(') ? [] : allowed.split(', ')];
    }),
  );
}

test('the documented layers are the enforced ones', () => {
  const enforced = enforcedTable();
  assert.ok(enforced.size >= 15, `only ${enforced.size} layer rules`);
  assert.deepEqual(documentedTable(), enforced);
});

test('every folder of src/ has a layer', () => {
  const folders = fs
    .readdirSync(path.join(PROJECT_ROOT, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  assert.deepEqual([...enforcedTable().keys()].sort(), folders);
});
