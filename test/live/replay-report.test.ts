/**
 * The replay as a user runs it: `npm run report -- --from-data data` on the committed replay set,
 * with `net.Server.prototype.listen` patched to throw in every Node process (the kernels
 * included), and nothing written to the data dir. Every chapter must render from its records.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { COMMITTED_DATA_DIR, DATA_DIR_ENV, PROJECT_ROOT } from '../../src/core/paths';
import type { ReportRecord } from '../../src/report/report-record';
import { CHAPTERS } from '../../src/chapters/registry';
import { failureHeadline } from '../../src/report/execute';
import { FROM_DATA_ENV, REPLAY_KIND } from '../../src/core/replay';

const REPORT_CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'report.js');
const NO_LISTEN = path.join(PROJECT_ROOT, 'test', 'fixtures', 'no-listen.cjs');
// A replay takes about a minute; a hang must not take the run.
const REPLAY_TIMEOUT_MS = 6 * 60_000;

test('the committed replay set renders every chapter with no server able to listen', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-replay-report-'));
  try {
    const markers = path.join(tmp, 'markers');
    const dataDir = path.join(tmp, 'data');
    const reportDir = path.join(tmp, 'report');
    fs.mkdirSync(markers);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: `--require ${NO_LISTEN}`,
      DEFLATE_LAB_NO_LISTEN_MARKERS: markers,
      [DATA_DIR_ENV]: dataDir,
    };
    delete env[FROM_DATA_ENV];
    const result = spawnSync(
      process.execPath,
      [REPORT_CLI, '--from-data', COMMITTED_DATA_DIR, '--report-dir', reportDir],
      {
        encoding: 'utf8',
        env: env,
        timeout: REPLAY_TIMEOUT_MS,
      },
    );
    assert.equal(result.status, 0, `exit status; stderr:\n${result.stderr}`);

    // The patch was in force inside every chapter's kernel, not only in the CLI.
    const loadedBy = fs.readdirSync(markers).map((pid) => fs.readFileSync(path.join(markers, pid), 'utf8'));
    const kernels = loadedBy.filter((argv) => argv.includes('tslab'));
    assert.ok(
      kernels.length >= CHAPTERS.length,
      `the patch loaded in ${kernels.length} kernels: ${loadedBy.join('; ')}`,
    );

    const record = JSON.parse(fs.readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as ReportRecord;
    assert.deepEqual(
      record.chapters.map((c) => [c.slug, c.status]),
      CHAPTERS.map((c) => [c.slug, 'ok']),
    );
    for (const chapter of record.chapters) {
      assert.ok(chapter.ipynb, `chapter ${chapter.number} has its executed notebook`);
      const executed = fs.readFileSync(path.join(reportDir, chapter.ipynb), 'utf8');
      assert.ok(
        executed.includes('re-rendered from record'),
        `chapter ${chapter.number} says which records it re-rendered`,
      );
      assert.ok(!executed.includes('"output_type": "error"'), `chapter ${chapter.number} has no error output`);
    }
    assert.equal(fs.existsSync(path.join(dataDir, 'replay')), false, 'a replay records nothing');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// That the chapters after a failed one still run and render is test/live/onefile.test.ts's (its failing
// fixture chapter sits between two that render); here, only the failure and its line.
test('a chapter with no matching record fails, saying in one line what records it', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-replay-missing-'));
  try {
    // A replay dir holding chapter 3's records only: chapter 0 has nothing to replay.
    const replayDir = path.join(tmp, 'replay-data');
    fs.mkdirSync(path.join(replayDir, REPLAY_KIND), { recursive: true });
    const committed = path.join(COMMITTED_DATA_DIR, REPLAY_KIND);
    for (const file of fs.readdirSync(committed).filter((name) => name.startsWith('origins-')))
      fs.copyFileSync(path.join(committed, file), path.join(replayDir, REPLAY_KIND, file));
    const reportDir = path.join(tmp, 'report');
    const result = spawnSync(
      process.execPath,
      [REPORT_CLI, '--from-data', replayDir, '--only', '0', '--report-dir', reportDir],
      {
        encoding: 'utf8',
        env: { ...process.env, [DATA_DIR_ENV]: path.join(tmp, 'data') },
        timeout: REPLAY_TIMEOUT_MS,
      },
    );
    assert.equal(result.status, 1, result.stderr);
    const record = JSON.parse(fs.readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as ReportRecord;
    assert.deepEqual(
      record.chapters.map((c) => [c.slug, c.status]),
      [['harness', 'error']],
    );
    const failure = record.chapters[0].run?.failure;
    assert.ok(failure, 'chapter 0 names its failure');
    const line = failureHeadline(failure);
    assert.match(
      line,
      /ReplayMissingError: --from-data .*: no recorded 'runs' of chapter harness with these parameters: record one with `npm run record-replay`/,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
