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
import { fallingBehindRun, failingRun, invalidData, offeredFor, scenario } from '../support/made-up';
import { findKnee, judgeStep } from '../../src/capacity/knee';
import {
  DEFAULT_CAPACITY_PLAN,
  medianSearch,
  type CapacityRecord,
  type KneeSearchRun,
} from '../../src/capacity/measure';
import { CORES } from '../../src/core/pinning';
import { MiB } from '../../src/core/params';
import { MEMORY_CELLS } from '../../src/history/memory-plan';
import type { HistoryMemoryRecord } from '../../src/history/memory';
import { memoryRecord } from '../support/history-memory';

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
  assert.match(run.stdout, /^long-run\s+1\s+2\s+1\s+1\s+0\s+0\s+n\/a\s+0\s+0\s+0\.5$/m);
  assert.match(run.stdout, /^sweep\s+3\s+3\s+1\s+2\s+0\s+0\s+n\/a\s+0\s+0\s+0\.5$/m);
  assert.match(run.stdout, /saturated: n\/a/);
  assert.match(
    run.stdout,
    new RegExp(
      `^ok: every verdict judged under rule ${FAILURE_RULE_VERSION} agrees with it, every zero's controls held, every knee follows from its steps and its CPU carries it, and every gated recording was made on a quiet machine$`,
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
  // Counted but not timed (made up the way older records were): judged by count only, and counted as untimed.
  assert.match(run.stdout, /^sweep\s+3\s+3\s+1\s+1\s+0\s+0\s+1\s+0\s+2\s+0\.5$/m);
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

/** A capacity record of one knee (today, deflate off, 1 MiB) searched twice over a made-up server of `capacity` MiB/s, every step's run kept. */
async function capacityRecord(capacity: number, msPerMiB?: number): Promise<CapacityRecord> {
  const searches: KneeSearchRun[] = [];
  for (let i = 0; i < 2; i++) {
    const { outcome, steps } = await findKnee(async (offered) =>
      judgeStep(fallingBehindRun(offered, capacity, msPerMiB), offered),
    );
    searches.push({ outcome: outcome, steps: steps, wallMs: 1000 });
  }
  const { meta } = scenario();
  return {
    schema: 1,
    kind: 'capacity',
    id: `made-up-capacity-${capacity}`,
    startedAt: meta.date,
    endedAt: meta.date,
    quick: false,
    meta: meta,
    plan: { ...DEFAULT_CAPACITY_PLAN, frameSizes: [MiB], stacks: ['today'], deflate: ['off'], repeats: 2 },
    generator: [],
    knees: [
      {
        stack: 'today',
        deflate: 'off',
        frameSize: MiB,
        outcome: medianSearch(searches).outcome,
        searches: searches,
        wallMs: 2000,
        pinning: { pinned: true, cores: CORES },
      },
    ],
  };
}

function capacityDir(name: string, record: CapacityRecord): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(path.join(dir, 'capacity'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'capacity', `${record.id}.json`), JSON.stringify(record));
  return dir;
}

test("every knee step is judged again from its run and every search replayed: a made-up server's knees pass", async () => {
  const record = await capacityRecord(55);
  const check = checkData(capacityDir('knees', record));
  assert.deepEqual(check.problems, []);
  const steps = record.knees[0].searches!.reduce((n, s) => n + s.steps.length, 0);
  assert.deepEqual(check.kneeSearches, { searches: 2, replayed: 2, steps: steps });
  const capacity = check.kinds.find((k) => k.kind === 'capacity');
  assert.equal(capacity?.runs, steps);
  // The steps above the knee delivered every frame, late: saturated, and stored so.
  assert.ok((capacity?.saturated ?? 0) > 0);
  assert.equal(capacity?.storedMetButLate, 0);
  assert.equal(capacity?.untimed, 0);
});

test('a knee step stored as met that fell behind in time, and a knee its CPU cannot carry, fail the check', async () => {
  const record = await capacityRecord(55);
  const search = record.knees[0].searches![0];
  const late = search.steps.find((s) => !s.met && !s.failed)!;
  late.met = true;
  late.run!.result.saturation = [];
  const check = checkData(capacityDir('late-knee', record));
  const capacity = check.kinds.find((k) => k.kind === 'capacity');
  assert.equal(capacity?.storedMetButLate, 1);
  assert.ok(
    check.problems.some(
      (p) =>
        p.kind === 'knee' &&
        /search 1, step \d+ at [\d.]+ MiB\/s: stored met, the rule says unmet \(delivered \d+% of the offered rate by time/.test(
          p.detail,
        ),
    ),
    JSON.stringify(check.problems),
  );
  assert.ok(
    check.problems.some(
      (p) => p.kind === 'verdict' && /stored saturation \[\], the rule gives \[delivered/.test(p.detail),
    ),
  );
  // Three times the CPU per MiB: the knee needs about three cores of the one it was pinned to.
  const costly = checkData(capacityDir('costly-knee', await capacityRecord(55, 3000 / 55)));
  const flagged = costly.problems.filter((p) => p.kind === 'knee CPU');
  assert.equal(flagged.length, 2, JSON.stringify(costly.problems));
  assert.match(
    flagged[0].detail,
    /^today deflate off 1 MiB, search 1: a knee of [\d.]+ MiB\/s at 54\.5 ms of server CPU per MiB needs [23]\.\d\d cores, the server had 1$/,
  );
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
    /^ {2}2015 deflate on, data-url 1 MiB at 50% of the knee \(7\.34\/s × 1\), 4 clients × 5 s: at most 110 per connection-hour \(one-sided 95% bound; 0 disconnects over 100 connection-seconds, 5 runs\)$/m,
  );
  const copy = committedCopy();
  const check = checkData(copy);
  const sweep = check.kinds.find((k) => k.kind === 'sweep');
  assert.ok(sweep && sweep.runs > 0 && sweep.unprovenZero === 0, JSON.stringify(sweep));
  // Every sweep run and knee step was timed, and none is stored as met while behind in time; every knee search replays.
  for (const kind of ['sweep', 'capacity']) {
    const counts = check.kinds.find((k) => k.kind === kind);
    assert.ok(counts && counts.untimed === 0 && counts.storedMetButLate === 0, JSON.stringify(counts));
  }
  assert.ok(check.kneeSearches.searches > 0 && check.kneeSearches.replayed === check.kneeSearches.searches);
  // The sweep's records, and the runs inside them, agree on whether the code was dirty.
  const sweepDirty = new Set(
    fs.readdirSync(path.join(copy, 'sweep')).flatMap((file) => {
      const record = JSON.parse(fs.readFileSync(path.join(copy, 'sweep', file), 'utf8')) as SweepRecord;
      return [record.meta.dirty, ...(record.scenario ? [record.scenario.meta.dirty] : [])];
    }),
  );
  assert.equal(sweepDirty.size, 1, 'sweep records disagree on dirty');
  // No committed record was edited after it was recorded: since git last saw each file added,
  // newest first, no commit modified it.
  const history = spawnSync('git', ['log', '--no-renames', '--format=', '--name-status', '--', 'data'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).stdout;
  const edited = new Set<string>();
  const added = new Set<string>();
  for (const [status, file] of history.split('\n').map((line) => line.split('\t'))) {
    if (!file?.endsWith('.json') || added.has(file)) continue;
    if (status === 'A') added.add(file);
    else if (status === 'M') edited.add(file);
  }
  const listed = spawnSync('git', ['ls-files', 'data'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout;
  for (const file of listed.split('\n').filter((name) => name.endsWith('.json')))
    assert.ok(added.has(file) && !edited.has(file), `${file} was changed after it was recorded`);
  // Every committed record was made by a gated recording, so its load average is the gate's reading.
  for (const kind of check.kinds.map((k) => k.kind)) {
    for (const file of fs.readdirSync(path.join(copy, kind))) {
      const { meta } = JSON.parse(fs.readFileSync(path.join(copy, kind, file), 'utf8')) as { meta: RunMeta };
      assert.equal(meta.loadAverageRead, 'before-recording', `${kind}/${file}`);
      assert.ok(meta.loadAverage <= meta.cores / 2, `${kind}/${file}: load average ${meta.loadAverage}`);
    }
  }
});

test("chapter 9's memory recording: every slope recomputed from its samples and every control held, counted per cell; a broken one named", () => {
  const dir = path.join(scratch, 'history-memory');
  const folder = path.join(dir, 'history-memory');
  fs.mkdirSync(folder, { recursive: true });
  const write = (record: HistoryMemoryRecord) =>
    fs.writeFileSync(path.join(folder, `${record.id}.json`), JSON.stringify(record));
  for (const repeat of [0, 1, 2])
    for (const cell of MEMORY_CELLS)
      write(memoryRecord(cell, repeat, { rss: cell.setting === 'off' ? 40_000 : 300_000, heapUsed: 10_000 }));
  const clean = checkDataCli(dir);
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(
    clean.stdout,
    /^history-memory: 12 records, 12 with every stored figure recomputed from its samples and every control held; repeats per cell: 2\.3\.0-default 3, 2\.3\.0-off 3, 2\.4\.0-default 3, 2\.4\.0-forced 3$/m,
  );
  assert.match(clean.stdout, /^ok: .*every chapter-9 record's figures follow from its samples with its controls held/m);

  // A stored slope its samples do not give, and socket.io 2.4.0's default answering with deflate.
  const tampered = memoryRecord(MEMORY_CELLS[0], 3, { rss: 300_000, heapUsed: 10_000 });
  tampered.perConnection.rss = 100_000;
  write(tampered);
  const negotiated = memoryRecord(MEMORY_CELLS[2], 3, { rss: 40_000, heapUsed: 10_000 });
  negotiated.steps[1].clients.deflateAnswers = 5000;
  write(negotiated);
  const broken = checkDataCli(dir);
  assert.equal(broken.status, 1, broken.stdout);
  assert.match(broken.stdout, /history-memory: 14 records, 12 with every/);
  assert.match(broken.stdout, /^2 figures or controls of chapter 9's recordings do not hold:$/m);
  assert.match(
    broken.stdout,
    /made-up-2\.3\.0-default-r3\.json: stored rss per connection 100000, its samples give 300000/,
  );
  assert.match(
    broken.stdout,
    /made-up-2\.4\.0-default-r3\.json: at 5000 connections: 5000 handshakes accepted permessage-deflate, the cell expects none/,
  );
  const check = checkData(dir);
  assert.deepEqual(check.history[0].cells, {
    '2.3.0-default': 4,
    '2.3.0-off': 3,
    '2.4.0-default': 4,
    '2.4.0-forced': 3,
  });
});
