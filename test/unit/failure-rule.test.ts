/**
 * The one failure rule: a table of disconnects (phase × reason × side) and the verdict each must
 * get; run verdicts and the zero guard on made-up records; and every counter in the code fed the
 * same records (made-up and the committed data) and expected to agree with the rule.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { checkData } from '../../src/check-data';
import { runFailures } from '../../src/chapters/04-deflate-off/claims';
import { symptomFigures } from '../../src/chapters/01-symptom';
import { adviceCosts } from '../../src/chapters/07-today/advice';
import { broke } from '../../src/chapters/07-today/fragmented';
import {
  classifyDisconnect,
  FAILURE_RULE_VERSION,
  failureReasons,
  classifyBareWs,
  classifyScenario,
  onOffBlockers,
  runStanding,
  zeroFailureBlockers,
  type DisconnectEvent,
  type DisconnectPhase,
  type DisconnectClass,
  type Side,
} from '../../src/traffic/failure-rule';
import { readLongRuns } from '../../src/traffic/long-run';
import { runMetrics } from '../../src/traffic/metrics';
import { PROJECT_ROOT } from '../../src/core/paths';
import { readRecords } from '../../src/core/records';
import type { ScenarioRecord } from '../../src/traffic/scenario';
import { aggregateCells } from '../../src/sweep/aggregate';
import { SWEEP_KIND, type SweepRecord } from '../../src/sweep/engine';
import {
  clientClosed1007,
  failingRun,
  invalidData,
  offeredFor,
  bareWsRun,
  scenario,
  T0,
  teardownClose,
  WINDOW,
} from '../support/made-up';

const SEND_ONLY = { start: WINDOW.start, end: WINDOW.end };
const ERR = 'invalid compressed data (1007)';

// ms after sending started, window, side, reason, error, close code → phase, verdict
const TABLE: Array<
  [number, 'drain' | 'no drain', Side, string, string | undefined, number | undefined, DisconnectPhase, DisconnectClass]
> = [
  [-500, 'drain', 'server', 'transport close', undefined, undefined, 'before sending', 'failure'],
  [-500, 'no drain', 'client', 'io client disconnect', undefined, undefined, 'before sending', 'failure'],
  [0, 'drain', 'server', 'transport error', ERR, undefined, 'sending', 'failure'],
  [5_000, 'drain', 'server', 'transport close', undefined, undefined, 'sending', 'failure'],
  [10_000, 'no drain', 'client', 'transport close', undefined, 1007, 'sending', 'failure'],
  [11_000, 'drain', 'server', 'transport close', undefined, undefined, 'draining', 'failure'],
  [11_999, 'drain', 'client', 'io client disconnect', undefined, undefined, 'draining', 'failure'],
  // The drain's end is stamped just before the clients are stopped: a close in that ms is theirs.
  [12_000, 'drain', 'client', 'io client disconnect', undefined, undefined, 'teardown', 'teardown'],
  [12_000, 'drain', 'server', 'client namespace disconnect', undefined, undefined, 'teardown', 'teardown'],
  [12_000, 'drain', 'server', 'transport error', ERR, undefined, 'teardown', 'failure'],
  [13_000, 'drain', 'server', 'transport close', undefined, undefined, 'teardown', 'teardown'],
  [13_000, 'drain', 'server', 'forced close', undefined, undefined, 'teardown', 'teardown'],
  [13_000, 'drain', 'server', 'server shutting down', undefined, undefined, 'teardown', 'teardown'],
  [13_000, 'drain', 'server', 'client namespace disconnect', undefined, undefined, 'teardown', 'teardown'],
  [13_000, 'drain', 'server', 'transport error', 'read ECONNRESET', undefined, 'teardown', 'teardown'],
  [
    13_000,
    'drain',
    'server',
    'transport error',
    'write error (WebSocket is not open: readyState 2)',
    undefined,
    'teardown',
    'teardown',
  ],
  [13_000, 'drain', 'server', 'transport error', ERR, undefined, 'teardown', 'failure'],
  [13_000, 'drain', 'server', 'transport close', ERR, undefined, 'teardown', 'failure'],
  [13_000, 'drain', 'server', 'ping timeout', undefined, undefined, 'teardown', 'failure'],
  [13_000, 'drain', 'client', 'io client disconnect', undefined, undefined, 'teardown', 'teardown'],
  [13_000, 'drain', 'client', 'transport close', undefined, 1000, 'teardown', 'teardown'],
  [13_000, 'drain', 'client', 'transport close', undefined, 1007, 'teardown', 'failure'],
  [13_000, 'drain', 'client', 'ping timeout', undefined, undefined, 'teardown', 'failure'],
  [11_000, 'no drain', 'server', 'transport close', undefined, undefined, 'after sending', 'teardown'],
  [11_000, 'no drain', 'server', 'transport error', ERR, undefined, 'after sending', 'failure'],
  [11_000, 'no drain', 'client', 'transport close', undefined, 1007, 'after sending', 'failure'],
];

test('the rule, disconnect by disconnect: phase by the window, verdict by phase, reason, error and close code', () => {
  for (const [ms, window, side, reason, error, code, phase, verdict] of TABLE) {
    const d: DisconnectEvent = { t: T0 + ms, reason: reason, error: error, code: code };
    assert.deepEqual(
      classifyDisconnect(d, window === 'drain' ? WINDOW : SEND_ONLY, side),
      { phase: phase, verdict: verdict },
      `${side} ${reason}${error ? ` (${error})` : ''}${code ? ` ${code}` : ''} at ${ms} ms, ${window}`,
    );
  }
});

test('nothing to drain: a clean close in the ms sending ended is the clients leaving, an inflate error still a failure', () => {
  const instant = { start: WINDOW.start, end: WINDOW.end, drainEnd: WINDOW.end };
  const at = (reason: string, error?: string) =>
    classifyDisconnect({ t: WINDOW.end, reason: reason, error: error }, instant, 'server');
  assert.deepEqual(at('transport close'), { phase: 'teardown', verdict: 'teardown' });
  assert.deepEqual(at('transport error', ERR), { phase: 'teardown', verdict: 'failure' });
  assert.deepEqual(classifyDisconnect({ t: WINDOW.end - 1, reason: 'transport close' }, instant, 'server'), {
    phase: 'sending',
    verdict: 'failure',
  });
});

test("a run's verdict: both sides' failures and corrupted deliveries, the first failure, late failures apart", () => {
  const run = scenario({
    serverDisconnects: [invalidData(3_000), invalidData(11_000, 's2'), teardownClose(13_000, 's3')],
    clientDisconnects: [clientClosed1007(3_010), { t: T0 + 13_500, client: 'c2', reason: 'io client disconnect' }],
    corrupted: 1,
  });
  assert.deepEqual(classifyScenario(run.result), {
    rule: FAILURE_RULE_VERSION,
    failures: 4,
    serverFailures: 2,
    clientFailures: 1,
    corrupted: 1,
    lateFailures: 1,
    teardown: 2,
    firstFailureMs: 3_000,
  });
  // A record made before the first corrupted delivery's time was stored keeps it only in its first failure.
  const older = scenario({ serverDisconnects: [teardownClose()], corrupted: 2 });
  older.result.firstFailureMs = 700;
  delete older.result.firstCorruptAt;
  assert.equal(classifyScenario(older.result).firstFailureMs, 700);
});

test('a reproducer run: every error is a failure until sending ends; after it, a reset is the clients leaving', () => {
  const run = bareWsRun({ failures: 2 });
  run.result.serverErrors.push(
    { t: T0 - 10, connection: 9, message: 'invalid compressed data', code: 1007 },
    { t: T0 + 5_000, connection: 9, message: 'read ECONNRESET' },
    { t: T0 + 5_000, connection: 9, message: 'invalid compressed data', code: 1007 },
  );
  const judged = classifyBareWs(run.result);
  assert.equal(judged.failures, 4);
  assert.equal(judged.firstFailureMs, -10);
});

test('a zero stands only beside its own controls: nothing sent, an errored run, deflate asked for but absent, a backlog', () => {
  assert.deepEqual(zeroFailureBlockers(scenario()), []);
  assert.equal(runStanding(scenario()), 'proven zero');
  assert.equal(runStanding(failingRun()), 'failing');
  const cases: Array<[string, ScenarioRecord, RegExp]> = [
    ['sent nothing', scenario({ sent: 0 }), /nothing was sent/],
    ['errored', scenario({ runError: 'load generator was killed' }), /did not complete: load generator was killed/],
    ['no deflate', scenario({ negotiated: false }), /deflate was asked for but not negotiated/],
    ['a backlog', scenario({ delivered: 40 }), /delivered 40 ≠ sent 100/],
  ];
  for (const [what, record, blocker] of cases) {
    assert.match(zeroFailureBlockers(record).join('; '), blocker, what);
    assert.equal(runStanding(record), 'unproven zero', what);
  }
  // Small messages fit one fragment: no continuation frame is expected, and none missing blocks the zero.
  const small = scenario({ frameSize: 8 * 1024 });
  assert.equal(small.result.controls.continuationFrames, 0);
  assert.deepEqual(zeroFailureBlockers(small), []);
  const unfragmented = scenario();
  unfragmented.result.controls.continuationFrames = 0;
  assert.match(zeroFailureBlockers(unfragmented).join('; '), /no continuation frame/);
});

/** Every counter in the code, on one record: each must agree with the rule. */
function countersAgree(record: ScenarioRecord, label: string): void {
  const rule = classifyScenario(record.result);
  const metrics = runMetrics(record);
  assert.equal(metrics.failures, rule.failures, `${label}: runMetrics.failures`);
  assert.equal(
    metrics.disconnects + metrics.clientDisconnects + record.result.corrupted,
    rule.failures,
    `${label}: runMetrics server + client + corrupted`,
  );
  const reasons = Object.values(failureReasons(record.result)).reduce((a, b) => a + b, 0);
  assert.equal(reasons + record.result.corrupted, rule.failures, `${label}: failureReasons`);
  assert.equal(runFailures(record.result), rule.failures, `${label}: chapter 4's claims`);
  const figures = symptomFigures([record]);
  assert.equal(
    figures.reduce((n, f) => n + f.disconnects + f.laterDisconnects, 0),
    rule.clientFailures,
    `${label}: chapter 1's client figures`,
  );
  const advice = adviceCosts(
    { frameSize: record.spec.frameSize, option: 'as recorded', pieces: 1, spec: record.spec, source: label, record },
    [],
  );
  const minutes = record.result.loadMs / 60_000;
  assert.equal(
    Math.round((advice['disconnects / min'] ?? 0) * minutes),
    rule.serverFailures + rule.clientFailures,
    `${label}: chapter 7's advice`,
  );
  if (rule.failures > 0) {
    assert.equal(advice['all delivered, no disconnect'], false, `${label}: advice says carried`);
    assert.ok(broke(record), `${label}: chapter 7's fragmented load`);
  }
}

test('every counter counts the same failures as the rule: made-up records', () => {
  const records = [
    scenario(),
    failingRun(),
    failingRun({ noDrainEnd: true }),
    scenario({
      serverDisconnects: [invalidData(11_000), teardownClose()],
      clientDisconnects: [clientClosed1007(11_010)],
    }),
    scenario({ serverDisconnects: [invalidData(11_000)], noDrainEnd: true }),
    scenario({ sent: 0, delivered: 0, serverDisconnects: [] }),
    scenario({ runError: 'boom', serverDisconnects: [invalidData(-100)] }),
    scenario({ corrupted: 3 }),
  ];
  for (const [i, record] of records.entries()) countersAgree(record, `made-up #${i}`);
});

test('every counter counts the same failures as the rule: the committed sweep and long run, re-classified when read', () => {
  const dir = path.join(PROJECT_ROOT, 'data');
  const sweep = readRecords<SweepRecord>(SWEEP_KIND, dir).records.filter((r) => r.scenario !== null);
  const long = readLongRuns(dir).records.flatMap((l) => [l.control, l.run]);
  assert.ok(sweep.length > 0 && long.length > 0, 'the committed data is there');
  for (const record of [...sweep.map((r) => r.scenario as ScenarioRecord), ...long]) countersAgree(record, record.id);
  // The sweep's aggregate sums the same per-run counts.
  const cells = aggregateCells(sweep);
  const sum = (f: (c: (typeof cells)[number]) => number) => cells.reduce((n, c) => n + f(c), 0);
  const ruled = sweep.reduce((n, r) => n + classifyScenario((r.scenario as ScenarioRecord).result).failures, 0);
  assert.equal(
    sum((c) => c.totals.disconnects + c.totals.clientDisconnects + c.totals.corrupted),
    ruled,
    'aggregateCells totals',
  );
  // So does the data check: its failing runs are the runs the rule says failed.
  const failing = [...sweep.map((r) => r.scenario as ScenarioRecord), ...long].filter(
    (r) => classifyScenario(r.result).failures > 0,
  ).length;
  // Only the committed kinds: a developer's data dir also holds per-run scratch (scenario/, …).
  const check = checkData(dir);
  assert.equal(
    check.kinds.filter((k) => k.kind === SWEEP_KIND || k.kind === 'long-run').reduce((n, k) => n + k.failing, 0),
    failing,
    'check-data failing',
  );
});

test('a run that did not meet its load is saturated: never a zero, never a side of an on/off comparison', () => {
  const met = scenario();
  met.result.offered = offeredFor(met, {});
  assert.equal(runStanding(met), 'proven zero');
  const short = structuredClone(met);
  short.result.offered = offeredFor(met, { nominal: 2 * met.result.sent });
  assert.equal(runStanding(short), 'saturated');
  assert.match(zeroFailureBlockers(short).join('; '), /^saturated: the generator handed \d+ of \d+ frames/);
  const off = structuredClone(met);
  off.spec.deflate = 'off';
  assert.deepEqual(onOffBlockers(met, off), []);
  assert.deepEqual(onOffBlockers(short, off), ['the deflate-on run did not meet its load']);
  // A failing run stays failing whatever its load.
  const failing = failingRun();
  failing.result.offered = offeredFor(failing, { ticksMissed: 5 });
  assert.equal(runStanding(failing), 'failing');
});
