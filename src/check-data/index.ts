/**
 * The data check behind `npm run check-data`: every record of a data dir re-classified with the
 * one failure rule (src/traffic/failure-rule), its stored verdict compared with the rule's, its zeros
 * checked against the positive controls of its own run, its load judged again by count and by time,
 * every knee search replayed from its steps' runs with the CPU cross-check of its knee, per-kind
 * counts, and each sweep cell's disconnect rate per connection-hour with its 95% interval (a zero
 * as its one-sided bound). For someone handed a data dir, and for the project before it trusts its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  FAILURE_RULE_VERSION,
  classifyBareWs,
  classifyScenario,
  runStanding,
  saturationOf,
  zeroFailureBlockers,
} from '../traffic/failure-rule';
import { busyThreshold, othersCores } from '../core/machine-load';
import { loadAverageText, type RunMeta } from '../core/meta';
import { readRecords, type RecordBase } from '../core/records';
import { bareWsZeroBlockers } from '../bare-ws/version-mark';
import type { BareWsRecord } from '../bare-ws/runner';
import type { ScenarioRecord } from '../traffic/scenario';
import { InputError } from '../core/errors';
import { aggregateCells } from '../sweep/aggregate';
import { loadLabel } from '../sweep/grid';
import { SWEEP_KIND, type SweepRecord } from '../sweep/engine';
import { formatBytes } from '../core/units';
import { describeKnee, judgeStep, replayKnee } from '../capacity/knee';
import { CAPACITY_KIND, kneeCpuCheck, searchesOf, type CapacityRecord } from '../capacity/measure';
import { lateReasons } from '../traffic/offered-load';
import { rateText } from '../traffic/rates';
import type { RateEstimate } from '../core/stats';
import { HISTORY_RECORDINGS } from '../history/recordings';
import type { RecordedRun } from '../history/recordings';

/** Counts for one kind of record (one folder of the data dir). */
export interface KindCounts {
  kind: string;
  records: number;
  /** Runs judged (a sweep record holds one, a long run two); 0 for kinds that hold none. */
  runs: number;
  failing: number;
  provenZero: number;
  unprovenZero: number;
  /** Runs recorded as failed (the run itself could not complete) without a run to judge. */
  errored: number;
  /**
   * Runs that did not fail and did not meet their load (src/traffic/offered-load.ts): kept out of every
   * verdict, labelled as such. null (shown n/a) when none of the kind's runs counted its load.
   */
  saturated: number | null;
  /** Runs whose record says they met their load while the time rule finds them behind (each also a `verdict` problem). */
  storedMetButLate: number;
  /** Runs that counted their load but were not timed (recorded before runs kept their acks by time). */
  untimed: number;
  /** 1-minute load average when the records were made: lowest and highest. */
  loadAverage: { min: number; max: number } | null;
  /** The most CPU, in cores, that other processes used while a record's run ran (src/core/machine-load.ts); null when none recorded it. */
  othersCores: number | null;
}

/** Something a record says that the rule or its controls do not back. */
export interface DataProblem {
  file: string;
  /**
   * `verdict`: a stored verdict disagrees with the rule; `unproven zero`: a zero without its
   * controls; `busy machine`: a gated recording's load average is above half the cores; `knee`: a
   * knee search that its steps, judged again, do not give; `knee CPU`: a knee that needs more CPU
   * than its server used or had; `history`: a chapter-9 record (src/history/recordings.ts) whose
   * stored figure its samples do not give, or whose run's controls did not hold.
   */
  kind: 'verdict' | 'unproven zero' | 'busy machine' | 'knee' | 'knee CPU' | 'history';
  detail: string;
}

/** One cell of a recorded sweep with its disconnect rate (src/sweep/aggregate.ts). */
export interface SweepCellRate {
  /** `2015 deflate on, data-url 1 MiB at 50% of the knee (7.27/s × 1), 4 clients × 5 s`. */
  cell: string;
  rate: RateEstimate;
  quick: boolean;
}

/** What the check found in a data dir. */
export interface DataCheck {
  dir: string;
  kinds: KindCounts[];
  /** Each sweep cell's disconnect rate over its runs that met their load, in reading order. */
  sweepCells: SweepCellRate[];
  /** Chapter 9's recorded datasets, per kind: records, those whose figures and controls hold, and repeats per cell. */
  history: HistoryCounts[];
  /** Knee searches in capacity records: all, and those replayed from their steps' runs (older records kept no runs). */
  kneeSearches: { searches: number; replayed: number; steps: number };
  problems: DataProblem[];
  /**
   * Runs judged under an older failure rule (FAILURE_RULE_VERSION) whose stored verdict the current
   * rule reads differently: every reader re-classifies them, so these are the rule's changes, not faults.
   */
  reclassified: Array<{ file: string; detail: string }>;
  /** Files that are not records, and why. */
  skipped: Array<{ file: string; reason: string }>;
}

/** One chapter-9 recording's records in a data dir. */
export interface HistoryCounts {
  kind: string;
  records: number;
  /** Records whose every stored figure and control held. */
  held: number;
  /** Records per cell (`2.3.0-default`: 5), cells in reading order. */
  cells: Record<string, number>;
}

/** Judges every record of chapter 9's recordings with its own judge, counting what held. */
function historyChecks(dir: string): { counts: HistoryCounts[]; problems: DataProblem[] } {
  const counts: HistoryCounts[] = [];
  const problems: DataProblem[] = [];
  for (const recording of HISTORY_RECORDINGS) {
    const { records } = readRecords<RecordedRun>(recording.kind, dir);
    if (records.length === 0) continue;
    const tally: HistoryCounts = { kind: recording.kind, records: records.length, held: 0, cells: {} };
    for (const record of records) {
      const cell = recording.cellOf(record);
      tally.cells[cell] = (tally.cells[cell] ?? 0) + 1;
      const found = recording.judge(record);
      if (found.length === 0) tally.held++;
      for (const detail of found)
        problems.push({ file: path.join(recording.kind, `${record.id}.json`), kind: 'history', detail: detail });
    }
    counts.push(tally);
  }
  return { counts: counts, problems: problems };
}

/** Thrown when the dir to check is missing or not a folder; the message names it. */
export class CheckDataError extends InputError {}

type AnyRecord = RecordBase & Record<string, unknown>;

function isScenario(value: unknown): value is ScenarioRecord {
  const v = value as Partial<ScenarioRecord> | null;
  return typeof v === 'object' && v !== null && v.kind === 'scenario' && typeof v.result?.sendWindow === 'object';
}

function isBareWs(value: unknown): value is BareWsRecord {
  const v = value as Partial<BareWsRecord> | null;
  return typeof v === 'object' && v !== null && v.kind === 'repro' && Array.isArray(v.result?.serverErrors);
}

/**
 * The runs a record holds, with where: the record itself, records kept in its properties (a
 * sweep's `scenario`, a long run's `control` and `run`), or a capacity record's knee steps.
 */
function runsIn(record: AnyRecord): Array<{ where: string; run: ScenarioRecord | BareWsRecord }> {
  if (isScenario(record) || isBareWs(record)) return [{ where: '', run: record }];
  if (record.kind === CAPACITY_KIND) {
    return (record as unknown as CapacityRecord).knees.flatMap((knee, k) =>
      searchesOf(knee).flatMap((search, s) =>
        search.steps.flatMap((step, i) =>
          isScenario(step.run) ? [{ where: `.knees[${k}].searches[${s}].steps[${i}].run`, run: step.run }] : [],
        ),
      ),
    );
  }
  return Object.entries(record).flatMap(([key, value]) =>
    isScenario(value) || isBareWs(value) ? [{ where: `.${key}`, run: value }] : [],
  );
}

/**
 * A capacity record's knees judged again: each step from its run, each search replayed over those
 * judgements (it must ask for the rates the record measured and end where the record says), and
 * each search's knee against its CPU. Searches whose steps kept no runs are counted, not judged.
 */
function kneeProblems(record: CapacityRecord, file: string, counts: DataCheck['kneeSearches']): DataProblem[] {
  const problems: DataProblem[] = [];
  const problem = (kind: 'knee' | 'knee CPU', detail: string) =>
    problems.push({ file: file, kind: kind, detail: detail });
  for (const knee of record.knees) {
    const label = `${knee.stack} deflate ${knee.deflate} ${formatBytes(knee.frameSize)}`;
    for (const [s, search] of searchesOf(knee).entries()) {
      counts.searches++;
      if (search.steps.length === 0 || search.steps.some((step) => !isScenario(step.run))) continue;
      counts.replayed++;
      counts.steps += search.steps.length;
      const where = `${label}, search ${s + 1}`;
      // Each step judged once: compared with what the record stored, then replayed.
      const judged = search.steps.map((step) => judgeStep(step.run as ScenarioRecord, step.offeredMiBps));
      for (const [i, step] of search.steps.entries()) {
        const again = judged[i];
        if (again.met !== step.met)
          problem(
            'knee',
            `${where}, step ${i + 1} at ${step.offeredMiBps.toFixed(1)} MiB/s: stored ${step.met ? 'met' : 'unmet'}, the rule says ${again.met ? 'met' : `unmet (${again.reasons.join('; ')})`}`,
          );
      }
      const replay = replayKnee(judged, record.plan.search);
      if ('mismatch' in replay) problem('knee', `${where}: ${replay.mismatch}`);
      else if (describeKnee(replay.outcome) !== describeKnee(search.outcome))
        problem(
          'knee',
          `${where}: stored ${describeKnee(search.outcome)}; its steps give ${describeKnee(replay.outcome)}`,
        );
      const cpu = kneeCpuCheck(search, knee.pinning, record.meta.cores);
      if (cpu?.flag)
        problem(
          'knee CPU',
          `${where}: a knee of ${cpu.kneeMiBps.toFixed(1)} MiB/s at ${cpu.msPerMiB.toFixed(1)} ms of server CPU per MiB ${cpu.flag}`,
        );
    }
  }
  return problems;
}

/** Whether a run's stored verdict was judged under an older rule (or before verdicts were stored). */
function judgedUnderOlderRule(run: ScenarioRecord | BareWsRecord): boolean {
  const rule = (run.result as { judgement?: { rule?: number } }).judgement?.rule;
  return rule === undefined || rule < FAILURE_RULE_VERSION;
}

/** How a stored verdict and the rule's differ, in words; empty when they agree. */
function verdictDifferences(run: ScenarioRecord | BareWsRecord): string[] {
  const stored = run.result;
  const judged = isScenario(run) ? classifyScenario(run.result) : classifyBareWs(run.result);
  const out: string[] = [];
  if (stored.failures !== judged.failures)
    out.push(`stored ${stored.failures} failures, the rule counts ${judged.failures}`);
  else if (stored.firstFailureMs !== judged.firstFailureMs)
    out.push(`stored first failure ${stored.firstFailureMs} ms, the rule says ${judged.firstFailureMs}`);
  const storedSaturation = (stored as { saturation?: string[] }).saturation;
  if (isScenario(run) && storedSaturation !== undefined && !isDeepStrictEqual(storedSaturation, saturationOf(run)))
    out.push(`stored saturation [${storedSaturation.join('; ')}], the rule gives [${saturationOf(run).join('; ')}]`);
  const storedJudgement = (stored as { judgement?: object }).judgement;
  if (storedJudgement !== undefined) {
    // The rule's version says which rule judged it; what counts is whether the judgement itself differs.
    const { failingErrors: _omit, rule: _rule, ...comparable } = judged as typeof judged & { failingErrors?: unknown };
    const { rule: _storedRule, ...stored } = storedJudgement as { rule?: number };
    if (!isDeepStrictEqual(stored, comparable)) out.push('the stored judgement differs from the rule');
  }
  return out;
}

/** Checks every record under `dir` (one folder per kind); never writes. */
export function checkData(dir: string): DataCheck {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(resolved)) throw new CheckDataError(`no such data dir: ${dir}`);
  if (!fs.statSync(resolved).isDirectory()) throw new CheckDataError(`not a folder: ${dir}`);
  const kinds: KindCounts[] = [];
  const problems: DataProblem[] = [];
  const reclassified: DataCheck['reclassified'] = [];
  const skipped: DataCheck['skipped'] = [];
  const kneeSearches: DataCheck['kneeSearches'] = { searches: 0, replayed: 0, steps: 0 };
  const folders = fs
    .readdirSync(resolved, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const kind of folders) {
    const read = readRecords<AnyRecord>(kind, resolved);
    skipped.push(...read.skipped);
    const counts: KindCounts = {
      kind: kind,
      records: read.records.length,
      runs: 0,
      failing: 0,
      provenZero: 0,
      unprovenZero: 0,
      errored: 0,
      saturated: null,
      storedMetButLate: 0,
      untimed: 0,
      loadAverage: null,
      othersCores: null,
    };
    for (const record of read.records) {
      const file = path.join(kind, `${record.id}.json`);
      const load = record.meta?.loadAverage;
      if (typeof load === 'number') {
        counts.loadAverage = {
          min: Math.min(load, counts.loadAverage?.min ?? load),
          max: Math.max(load, counts.loadAverage?.max ?? load),
        };
        // The recording gate's own rule, applied to the reading a gated recording kept. Records made
        // outside one (a report's scratch runs, older records) read theirs at the record, which
        // counts their own work: they are not judged by it.
        const busy = busyReading(record.meta as RunMeta);
        if (busy) problems.push({ file: file, kind: 'busy machine', detail: busy });
      }
      const others = record.machineLoad ? othersCores(record.machineLoad) : null;
      if (others !== null) counts.othersCores = Math.max(others, counts.othersCores ?? 0);
      const runs = runsIn(record);
      if (runs.length === 0 && record.status === 'failed') counts.errored++;
      for (const { where, run } of runs) {
        counts.runs++;
        const older = judgedUnderOlderRule(run);
        for (const detail of verdictDifferences(run)) {
          const found = { file: file, detail: `${where} ${detail}`.trim() };
          if (older) reclassified.push(found);
          else problems.push({ ...found, kind: 'verdict' });
        }
        const blockers = isScenario(run) ? zeroFailureBlockers(run) : bareWsZeroBlockers(run);
        const failures = isScenario(run) ? classifyScenario(run.result).failures : classifyBareWs(run.result).failures;
        const standing = isScenario(run)
          ? runStanding(run)
          : failures > 0
            ? 'failing'
            : blockers.length === 0
              ? 'proven zero'
              : 'unproven zero';
        if (isScenario(run) && run.result.offered) {
          counts.saturated ??= 0;
          if (!run.result.offered.timing) counts.untimed++;
          else if (run.result.saturation?.length === 0 && lateReasons(run.result.offered).length > 0)
            counts.storedMetButLate++;
        }
        if (standing === 'failing') counts.failing++;
        else if (standing === 'proven zero') counts.provenZero++;
        else if (standing === 'saturated') counts.saturated = (counts.saturated ?? 0) + 1;
        else {
          counts.unprovenZero++;
          problems.push({ file: file, kind: 'unproven zero', detail: `${where} ${blockers.join('; ')}`.trim() });
        }
      }
      if (record.kind === CAPACITY_KIND)
        problems.push(...kneeProblems(record as unknown as CapacityRecord, file, kneeSearches));
      // A long run stores why its zero may not be claimed: that list must be the rule's.
      if (Array.isArray(record.blockers) && isScenario(record.run)) {
        const now = zeroFailureBlockers(record.run);
        if (!isDeepStrictEqual(record.blockers, now))
          problems.push({
            file: file,
            kind: 'verdict',
            detail: `stored blockers [${(record.blockers as string[]).join('; ')}], the rule gives [${now.join('; ')}]`,
          });
      }
    }
    kinds.push(counts);
  }
  const history = historyChecks(resolved);
  problems.push(...history.problems);
  return {
    dir: resolved,
    kinds: kinds,
    sweepCells: sweepCellRates(resolved),
    history: history.counts,
    kneeSearches: kneeSearches,
    problems: problems,
    reclassified: reclassified,
    skipped: skipped,
  };
}

/** Each recorded sweep cell's disconnect rate, from the same aggregation chapter 5 shows. */
function sweepCellRates(dir: string): SweepCellRate[] {
  const records = readRecords<SweepRecord>(SWEEP_KIND, dir).records;
  return aggregateCells(records).flatMap(({ cell, rate, quick }) => {
    if (rate === null) return [];
    const load = cell.knee ? `${loadLabel(cell)} (${cell.rate}/s × ${cell.burst})` : loadLabel(cell);
    const name = `${cell.stack} deflate ${cell.deflate}, ${cell.payload} ${formatBytes(cell.frameSize)} at ${load}, ${cell.clients} clients × ${cell.duration / 1000} s`;
    return [{ cell: name, rate: rate, quick: quick }];
  });
}

/** Why a record counts as made on a busy machine (the gate's reading above half its cores: recorded with --allow-busy), or undefined. */
function busyReading(meta: RunMeta): string | undefined {
  if (meta.loadAverageRead !== 'before-recording' || meta.loadAverage <= busyThreshold(meta.cores)) return undefined;
  return `${loadAverageText(meta)} on ${meta.cores} cores, above half the cores (${busyThreshold(meta.cores)})`;
}

/** Problems shown per kind of problem before the rest are counted only. */
const SHOWN_PROBLEMS = 8;

/** The check as text: the per-kind table, then the problems (a few of each kind, the rest counted). */
export function checkDataReport(check: DataCheck): string {
  const header = [
    'kind',
    'records',
    'runs',
    'failing',
    'zero, controls held',
    'zero, controls not held',
    'errored',
    'saturated',
    'met, late',
    'untimed',
    'load average',
    "others' CPU",
  ];
  const rows = check.kinds.map((k) => [
    k.kind,
    String(k.records),
    String(k.runs),
    String(k.failing),
    String(k.provenZero),
    String(k.unprovenZero),
    String(k.errored),
    k.saturated === null ? 'n/a' : String(k.saturated),
    String(k.storedMetButLate),
    String(k.untimed),
    k.loadAverage === null
      ? ''
      : k.loadAverage.min === k.loadAverage.max
        ? String(k.loadAverage.min)
        : `${k.loadAverage.min}–${k.loadAverage.max}`,
    k.othersCores === null ? '' : `≤ ${k.othersCores.toFixed(2)} cores`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [
    `check-data ${check.dir}`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
  ];
  if (check.kinds.some((k) => k.runs > 0 && k.saturated === null))
    lines.push('saturated: n/a — these records were made before runs counted their offered load.');
  lines.push(
    'met, late: runs whose record says they met their load while the time rule finds them behind; untimed: runs recorded before runs were timed, judged by count only.',
  );
  if (check.kneeSearches.searches > 0)
    lines.push(
      `knees: ${check.kneeSearches.replayed} of ${check.kneeSearches.searches} searches replayed from their ${check.kneeSearches.steps} steps' runs` +
        (check.kneeSearches.replayed < check.kneeSearches.searches
          ? ' (the others were recorded before steps kept their runs)'
          : ''),
    );
  if (check.sweepCells.length > 0) {
    lines.push(
      `sweep cells: server-side disconnects per connection-hour of sending over the runs that met their load (95%; a zero as its one-sided bound):`,
    );
    for (const c of check.sweepCells) lines.push(`  ${c.cell}${c.quick ? ' (quick runs)' : ''}: ${rateText(c.rate)}`);
  }
  for (const h of check.history)
    lines.push(
      `${h.kind}: ${h.records} records, ${h.held} with every stored figure recomputed from its samples and every control held; repeats per cell: ` +
        Object.entries(h.cells)
          .map(([cell, n]) => `${cell} ${n}`)
          .join(', '),
    );
  const headings = {
    verdict: (n: number) => `${n} stored verdicts disagree with the failure rule:`,
    'unproven zero': (n: number) => `${n} zeros are not proven by their runs' controls:`,
    'busy machine': (n: number) => `${n} ${n === 1 ? 'record was' : 'records were'} made on a busy machine:`,
    knee: (n: number) => `${n} knee searches or steps disagree with the rule:`,
    'knee CPU': (n: number) => `${n} knees need more CPU than their server used or had:`,
    history: (n: number) => `${n} figures or controls of chapter 9's recordings do not hold:`,
  };
  for (const kind of ['verdict', 'unproven zero', 'busy machine', 'knee', 'knee CPU', 'history'] as const) {
    const found = check.problems.filter((p) => p.kind === kind);
    if (found.length === 0) continue;
    lines.push(headings[kind](found.length));
    for (const p of found.slice(0, SHOWN_PROBLEMS)) lines.push(`  ${p.file}: ${p.detail}`);
    if (found.length > SHOWN_PROBLEMS) lines.push(`  … and ${found.length - SHOWN_PROBLEMS} more`);
  }
  if (check.reclassified.length > 0) {
    lines.push(
      `${check.reclassified.length} stored verdicts were judged under an older failure rule and read differently under rule ${FAILURE_RULE_VERSION} (every reader re-classifies them; not a fault):`,
    );
    for (const r of check.reclassified.slice(0, SHOWN_PROBLEMS)) lines.push(`  ${r.file}: ${r.detail}`);
    if (check.reclassified.length > SHOWN_PROBLEMS)
      lines.push(`  … and ${check.reclassified.length - SHOWN_PROBLEMS} more`);
  }
  for (const s of check.skipped) lines.push(`skipped ${s.file}: ${s.reason}`);
  const history =
    check.history.length > 0 ? " every chapter-9 record's figures follow from its samples with its controls held," : '';
  lines.push(
    check.problems.length === 0
      ? `ok: every verdict judged under rule ${FAILURE_RULE_VERSION} agrees with it, every zero's controls held, every knee follows from its steps and its CPU carries it,${history} and every gated recording was made on a quiet machine`
      : 'FAILED',
  );
  return lines.join('\n');
}
