/**
 * `npm run check-data`: the compiled CLI on made-up data dirs (it passes clean data, and fails a
 * stored verdict the rule disagrees with and an unproven zero; it prints each sweep cell's
 * disconnect rate, a zero as its bound), bad input, and the committed data.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkData } from '../../src/check-data';
import { FAILURE_RULE_VERSION } from '../../src/traffic/failure-rule';
import { PROJECT_ROOT } from '../../src/core/paths';
import type { LongRunRecord } from '../../src/traffic/long-run';
import type { RunMeta } from '../../src/core/meta';
import type { SweepRecord } from '../../src/sweep/engine';
import type { ScenarioRecord } from '../../src/traffic/scenario';
import { failingRun, invalidData, offeredFor, scenario } from '../support/made-up';

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'check-data.js');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-check-data-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function checkDataCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function sweepRecord(run: ScenarioRecord, repeat: number): SweepRecord {
  return {
    schema: 1,
    kind: 'sweep',
    id: `made-up-${repeat}-${run.spec.deflate}`,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    quick: false,
    meta: run.meta,
    key: 'k',
    grid: 'hour',
    cell: { ...run.spec, deflate: run.spec.deflate as 'on' | 'off' } as unknown as SweepRecord['cell'],
    repeat: repeat,
    versions: {},
    status: 'completed',
    wallMs: 1000,
    scenario: run,
  } as SweepRecord;
}

/** A data dir holding the given sweep runs and one long run (a failing control, a clean deflate-off run). */
function dataDirWith(name: string, runs: ScenarioRecord[]): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(path.join(dir, 'sweep'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'long-run'), { recursive: true });
  for (const [i, run] of runs.entries()) {
    const record = sweepRecord(run, i);
    fs.writeFileSync(path.join(dir, 'sweep', `${record.id}.json`), JSON.stringify(record));
  }
  const control = failingRun();
  const off = scenario({ deflate: 'off' });
  const long: LongRunRecord = {
    schema: 1,
    kind: 'long-run',
    id: 'made-up-long',
    startedAt: off.startedAt,
    endedAt: off.endedAt,
    quick: false,
    meta: off.meta,
    control: control,
    run: off,
    timeline: [],
    blockers: [],
  };
  fs.writeFileSync(path.join(dir, 'long-run', `${long.id}.json`), JSON.stringify(long));
  return dir;
}

test('clean made-up data passes, with its counts per kind', () => {
  const dir = dataDirWith('clean', [failingRun(), scenario({ deflate: 'off' }), scenario()]);
  const run = checkDataCli(dir);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^long-run\s+1\s+2\s+1\s+1\s+0\s+0\s+n\/a\s+0\.5$/m);
  assert.match(run.stdout, /^sweep\s+3\s+3\s+1\s+2\s+0\s+0\s+n\/a\s+0\.5$/m);
  assert.match(run.stdout, /saturated: n\/a/);
  assert.match(
    run.stdout,
    new RegExp(
      `^ok: every verdict judged under rule ${FAILURE_RULE_VERSION} agrees with it, every zero's controls held, and every gated recording was made on a quiet machine$`,
      'm',
    ),
  );
});

test("each sweep cell's disconnect rate per connection-hour: a count with its interval, not settled under 5 runs; a zero as its one-sided bound", () => {
  // Deflate on: a failing run (2 disconnects, 6 connection-seconds before them) and a clean one (20 s); off: one clean run.
  const run = checkDataCli(dataDirWith('rates', [failingRun(), scenario({ deflate: 'off' }), scenario()]));
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /^sweep cells: server-side disconnects per connection-hour of sending .*a zero as its one-sided bound\):$/m,
  );
  assert.match(
    run.stdout,
    /^ {2}2015 deflate on, data-url 1 MiB at 10\/s × 3, 2 clients × 10 s: 280 per connection-hour \(95%: 33\.5–1,000; 2 disconnects over 26 connection-seconds, 2 runs\), not settled: fewer than 5 runs \(2\)/m,
  );
  assert.match(
    run.stdout,
    /^ {2}2015 deflate off, data-url 1 MiB at 10\/s × 3, 2 clients × 10 s: at most 540 per connection-hour \(one-sided 95% bound; 0 disconnects over 20 connection-seconds, 1 run\)$/m,
  );
});

test('a run that counted its load and fell short is counted saturated, kept out of the zeros, not a problem', () => {
  const met = scenario();
  met.result.offered = offeredFor(met, {});
  met.result.saturation = [];
  const short = scenario();
  short.result.offered = offeredFor(short, { ticksMissed: 3 });
  short.result.saturation = ['the generator missed 3 ticks'];
  const run = checkDataCli(dataDirWith('saturated', [failingRun(), met, short]));
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^sweep\s+3\s+3\s+1\s+1\s+0\s+0\s+1\s+0\.5$/m);
  // A stored saturation the rule does not give is a verdict problem.
  short.result.saturation = [];
  const wrong = checkDataCli(dataDirWith('saturation-verdict', [short]));
  assert.equal(wrong.status, 1, wrong.stdout);
  assert.match(wrong.stdout, /stored saturation \[\], the rule gives \[the generator missed 3 ticks\]/);
});

test('a stored verdict the current rule disagrees with fails the check (exit 1), naming the record; one judged under an older rule is re-classified, not a fault', () => {
  // A failure that surfaced after sending, stored as none: wrong under the rule that judged it.
  const late = scenario({ serverDisconnects: [invalidData(11_000)], noDrainEnd: true });
  late.result.failures = 0;
  late.result.firstFailureMs = null;
  const run = checkDataCli(dataDirWith('verdict', [late]));
  assert.equal(run.status, 1, run.stdout);
  assert.match(
    run.stdout,
    /1 stored verdicts disagree with the failure rule:\n {2}sweep\/made-up-0-on\.json: \.scenario stored 0 failures, the rule counts 1/,
  );
  assert.match(run.stdout, /^FAILED$/m);
  // The same record judged under an older rule (or before verdicts were stored): every reader re-classifies it.
  for (const older of [{ ...late.result.judgement, rule: FAILURE_RULE_VERSION - 1 }, undefined]) {
    const old = structuredClone(late);
    if (older === undefined) delete old.result.judgement;
    else old.result.judgement = older as typeof late.result.judgement;
    const reread = checkDataCli(dataDirWith(`older-${older === undefined ? 'none' : 'rule'}`, [old]));
    assert.equal(reread.status, 0, reread.stdout);
    assert.match(
      reread.stdout,
      new RegExp(
        `1 stored verdicts were judged under an older failure rule and read differently under rule ${FAILURE_RULE_VERSION} \\(every reader re-classifies them; not a fault\\):\\n {2}sweep/made-up-0-on\\.json: \\.scenario stored 0 failures, the rule counts 1`,
      ),
    );
  }
});

test('an unproven zero fails the check: a run that sent nothing, one that errored, one with a backlog', () => {
  const cases: Array<[string, ScenarioRecord, RegExp]> = [
    ['empty', scenario({ sent: 0, delivered: 0 }), /nothing was sent/],
    [
      'errored',
      scenario({ runError: 'load generator was killed' }),
      /the run did not complete: load generator was killed/,
    ],
    ['backlog', scenario({ delivered: 30 }), /delivered 30 ≠ sent 100/],
  ];
  for (const [name, record, why] of cases) {
    const check = checkData(dataDirWith(name, [record]));
    assert.equal(check.kinds.find((k) => k.kind === 'sweep')?.unprovenZero, 1, name);
    const run = checkDataCli(check.dir);
    assert.equal(run.status, 1, `${name}: ${run.stdout}`);
    assert.match(run.stdout, /1 zeros are not proven by their runs' controls:/, name);
    assert.match(run.stdout, why, name);
  }
});

test('a long run whose stored blockers are not the rule fails the check', () => {
  const dir = dataDirWith('blockers', []);
  const file = path.join(dir, 'long-run', 'made-up-long.json');
  const long = JSON.parse(fs.readFileSync(file, 'utf8')) as LongRunRecord;
  long.blockers = ['something else'];
  fs.writeFileSync(file, JSON.stringify(long));
  const run = checkDataCli(dir);
  assert.equal(run.status, 1);
  assert.match(run.stdout, /stored blockers \[something else\], the rule gives \[\]/);
});

test('a gated recording made on a busy machine fails the check, naming its load average and when it was read', () => {
  const busy = scenario({ deflate: 'off' });
  busy.meta = { ...busy.meta, loadAverage: 1.6, loadAverageRead: 'before-recording' };
  const run = checkDataCli(dataDirWith('busy', [failingRun(), busy]));
  assert.equal(run.status, 1, run.stdout);
  assert.match(run.stdout, /1 record was made on a busy machine:/);
  assert.match(run.stdout, /load average 1\.6 before the recording began on 2 cores, above half the cores \(1\)/);
  // A record read at its end (a report's scratch run) counts its own work: not judged by it.
  const scratch = scenario({ deflate: 'off' });
  scratch.meta = { ...scratch.meta, loadAverage: 1.6, loadAverageRead: 'at-record' };
  assert.equal(checkDataCli(dataDirWith('scratch-load', [failingRun(), scratch])).status, 0);
});

test('bad input: one line naming DIR, exit 2', () => {
  for (const args of [[path.join(scratch, 'no-such-dir')], ['a', 'b'], ['--verbose'], [__filename]]) {
    const run = checkDataCli(...args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^npm run check-data: /);
    assert.equal(run.stdout, '');
  }
});

/** A copy of the committed records only (git's), so a developer's scratch runs in data/ do not count. */
function committedCopy(): string {
  const copy = path.join(scratch, 'committed');
  const listed = spawnSync('git', ['ls-files', 'data'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout;
  for (const file of listed.split('\n').filter((name) => name.endsWith('.json'))) {
    const target = path.join(copy, path.relative('data', file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, file), target);
  }
  return copy;
}

test('the committed data passes the check: every run counts its offered load, every zero is proven, every record quiet', () => {
  const run = checkDataCli(committedCopy());
  assert.equal(run.status, 0, run.stdout);
  for (const kind of ['sweep', 'long-run']) {
    // kind, then records, runs, failing, proven zero, unproven zero, errored and saturated: a number, not n/a.
    assert.match(run.stdout, new RegExp(`^${kind}(\\s+\\d+){7}\\s`, 'm'), `${kind}: ${run.stdout}`);
  }
  // The cell the live spot check measures again: a zero, reported as its bound.
  assert.match(
    run.stdout,
    /^ {2}2015 deflate on, data-url 1 MiB at 50% of the knee \(7\.27\/s × 1\), 4 clients × 5 s: at most 180 per connection-hour \(one-sided 95% bound; 0 disconnects over 60 connection-seconds, 3 runs\)$/m,
  );
  const copy = committedCopy();
  const check = checkData(copy);
  const sweep = check.kinds.find((k) => k.kind === 'sweep');
  assert.ok(sweep && sweep.runs > 0 && sweep.unprovenZero === 0, JSON.stringify(sweep));
  // Every committed record was made by a gated recording, so its load average is the gate's reading.
  for (const kind of check.kinds.map((k) => k.kind)) {
    for (const file of fs.readdirSync(path.join(copy, kind))) {
      const { meta } = JSON.parse(fs.readFileSync(path.join(copy, kind, file), 'utf8')) as { meta: RunMeta };
      assert.equal(meta.loadAverageRead, 'before-recording', `${kind}/${file}`);
      assert.ok(meta.loadAverage <= meta.cores / 2, `${kind}/${file}: load average ${meta.loadAverage}`);
    }
  }
});
