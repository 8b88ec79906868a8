/**
 * The last cell of each chapter: one call that takes the chapter's own results, picks the few
 * numbers the report's opening findings are worded from, shows those sentences, and, when the
 * report runs the notebook, writes the numbers as JSON beside the executed notebook (the file
 * named by DEFLATE_LAB_FINDINGS_FILE). Outside the report nothing is written.
 */
import writeFileAtomic from 'write-file-atomic';
import { debugJudgement, type DebugRun } from './02-debug';
import { claimJudgements, type ClaimAnswers, type LoadRuns } from './04-deflate-off';
import { originsJudgement, type OriginsRun } from './03-origins';
import type { ReleaseBisection } from './06-root-cause/bisection';
import { fixJudgement, proofJudgements, type Proof } from './06-root-cause/proof';
import { headlineRows, sweepJudgements, type SweepComparisons, type SweepData } from './05-sweep';
import type { Defaults } from './07-today';
import { adviceJudgement, type AdviceRun } from './07-today/advice';
import { showFinding } from './show-finding';
import { symptomFigures, symptomJudgement } from './01-symptom';
import { classifyScenario } from '../traffic/failure-rule';
import {
  findingSentences,
  FINDINGS_FILE_ENV,
  type ChapterFindings,
  type HistoryRowFinding,
  type RunTally,
  type SweepGroup,
  type SweepRateCell,
} from '../chapters/findings';
import type { BareWsRecord } from '../bare-ws/runner';
import type { ScenarioRecord } from '../traffic/scenario';
import { FAILING_SCENARIO } from '../traffic/presets';
import { noFailureJudgement } from '../traffic/no-failure';
import type { Judgement } from '../core/verdict';
import type { RateEstimate } from '../core/stats';
import { describeBisection, describeReleases } from './09-history/cliff';
import { describeEmptyFragment } from './09-history/empty-fragment';
import { describeMemoryFinding, RECORD_MEMORY_COMMAND } from './09-history/memory';
import { describeZlibHistory, RECORD_ZLIB_COMMAND, zlibGroups } from './09-history/zlib';
import { describeRsv1 } from './09-history/rsv1';
import { describeContext } from './09-history/context';
import type { ZlibCellResult } from '../history/zlib';
import type { Rsv1Result } from '../history/rsv1';
import type { ContextRun } from '../history/context';
import type { MemorySummary } from '../history/memory-summary';
import type { SizeCliffResult } from '../history/size-cliff';
import type { EmptyFragmentResult } from '../history/empty-fragment';

/**
 * Shows the sentences the numbers give and, under the report, writes the numbers for it. Returns
 * nothing on purpose: the closing cell's value would be shown under the sentences as a raw object,
 * and the numbers' place is the findings file.
 */
function handToReport(findings: ChapterFindings): void {
  const file = process.env[FINDINGS_FILE_ENV];
  if (file) writeFileAtomic.sync(file, `${JSON.stringify(findings, null, 1)}\n`);
  showFinding(findingSentences(findings));
}

function versionsOf(record: ScenarioRecord): string {
  return `socket.io ${record.stack.versions['socket.io'] ?? '?'} with ws ${record.stack.versions.ws ?? '?'}`;
}

function tally(records: ReadonlyArray<ScenarioRecord | BareWsRecord>): RunTally {
  return {
    sent: records.reduce((sum, r) => sum + r.result.sent, 0),
    delivered: records.reduce((sum, r) => sum + r.result.delivered, 0),
    failures: records.reduce((sum, r) => sum + r.result.failures, 0),
    deflateNegotiated: records.length > 0 && records.every((r) => r.result.controls.deflateNegotiated),
  };
}

/** Chapter 0: each frame size's run, the limit that refuses larger frames, and whether the harness carries every frame within it. */
export function recordHarnessFindings(records: readonly ScenarioRecord[]): void {
  const limit = Math.min(...records.map((r) => r.server.maxHttpBufferSize));
  handToReport({
    kind: 'harness',
    versions: records[0] ? versionsOf(records[0]) : 'no stack',
    limit: limit,
    runs: [...records]
      .sort((a, b) => a.spec.frameSize - b.spec.frameSize)
      .map((r) => ({ frameSize: r.spec.frameSize, ...tally([r]) })),
    judgements: [harnessJudgement(records, limit)],
  });
}

/** The harness's claim, pooled over its runs of frames within the limit (larger ones are refused by design). */
export function harnessJudgement(records: readonly ScenarioRecord[], limit: number): Judgement {
  const within = records.filter((r) => r.spec.frameSize <= limit);
  return noFailureJudgement(
    within,
    `the harness carried every frame within the ${limit.toLocaleString('en-US')}-byte limit, checksums verified, without a failure in this run`,
    'npm run report -- --only 0',
  );
}

const seconds = (ms: number): number => Number((ms / 1000).toFixed(1));

/** Chapter 1: the browser run's image and chat pages, and the symptom's claim. */
export function recordSymptomFindings(browser: ScenarioRecord): void {
  const figures = symptomFigures([browser]);
  const image = figures.find((f) => f.kind === 'image page');
  const chat = figures.find((f) => f.kind === 'chat page');
  const firstMs = classifyScenario(browser.result).firstFailureMs;
  handToReport({
    kind: 'symptom',
    versions: versionsOf(browser),
    sendSeconds: seconds(browser.result.loadMs),
    imagePages: image?.clients ?? 0,
    imageMessageChars: image?.messageChars ?? null,
    imageDisconnects: image?.disconnects ?? 0,
    imageLaterDisconnects: image?.laterDisconnects ?? 0,
    imageIds: image?.ids ?? 0,
    deadlineSeconds: seconds(browser.spec.duration),
    firstFailureSeconds: firstMs === null ? null : seconds(firstMs),
    chatSent: chat?.sent ?? 0,
    chatAcked: chat?.acked ?? 0,
    chatDisconnects: chat?.disconnects ?? 0,
    deflateNegotiated: browser.result.controls.deflateNegotiated,
    judgements: [symptomJudgement(browser)],
  });
}

/** Chapter 2: the captured log's `transport error` lines. */
export function recordDebugFindings(trail: DebugRun): void {
  handToReport({
    kind: 'debug',
    lines: trail.lines.length + trail.dropped,
    transportErrors: trail.lines.filter((line) => line.message.includes('transport error')).length,
    namingUnderlying: trail.lines.filter((line) => line.message.includes('invalid compressed data')).length,
    failures: trail.record.result.failures,
    deadlineSeconds: seconds(trail.record.spec.duration),
    judgements: [debugJudgement(trail)],
  });
}

/** Chapter 3: the error underneath, and zlib's errors. */
export function recordOriginsFindings(run: OriginsRun): void {
  const { result } = run.record;
  handToReport({
    kind: 'origins',
    onErrorCalls: run.onErrorCalls,
    invalidCompressedData: Object.entries(result.underlyingErrors)
      .filter(([error]) => error.includes('invalid compressed data'))
      .reduce((sum, [, count]) => sum + count, 0),
    zlibErrors: [...result.zlibErrors]
      .sort((a, b) => b.count - a.count)
      .map((e) => ({ message: e.code === undefined ? e.message : `${e.message} (${e.code})`, count: e.count })),
    failures: result.failures,
    deadlineSeconds: seconds(run.record.spec.duration),
    judgements: [originsJudgement(run)],
  });
}

/**
 * Chapter 4: the claims' judgements and the load pairs' tallies at one size: the failing
 * scenario's, when it was among the sizes, else the largest.
 */
export function recordDeflateOffFindings(runs: LoadRuns, answers: ClaimAnswers): void {
  const size =
    runs.sizes.find((s) => s.frameSize === FAILING_SCENARIO.frameSize) ??
    [...runs.sizes].sort((a, b) => b.frameSize - a.frameSize)[0];
  const atSize = <T extends { frameSize: number }>(list: T[]) => list.filter((a) => a.frameSize === size.frameSize);
  handToReport({
    kind: 'deflate-off',
    frameSize: size.frameSize,
    repeats: size.load.length,
    on: tally(size.load.map((pair) => pair.on)),
    off: tally(size.load.map((pair) => pair.off)),
    judgements: claimJudgements({
      disconnects: atSize(answers.disconnects),
      cpu: atSize(answers.cpu),
      bytes: atSize(answers.bytes),
    }),
  });
}

/** One main-chart cell's disconnect rate as the findings keep it. */
export function sweepRateCell(frameSize: number, rate: RateEstimate): SweepRateCell {
  return {
    frameSize: frameSize,
    disconnects: rate.events,
    connectionHours: rate.exposure,
    runs: rate.units,
    rate: rate.rate,
    interval: rate.interval,
    unsettled: rate.unsettled,
  };
}

/**
 * Chapter 5: per stack and deflate setting, the main chart's cells with their disconnect rates per
 * connection-hour and intervals, and the on/off claims judged per stack.
 */
export function recordSweepFindings(data: SweepData, comparisons: SweepComparisons): void {
  const headline = headlineRows(data);
  const groups = new Map<string, SweepGroup>();
  for (const row of headline?.rows ?? []) {
    const key = `${row.stack} ${row.deflate}`;
    const group = groups.get(key) ?? { stack: row.stack, deflate: row.deflate, runs: 0, cells: [] };
    const rate = row.disconnectRate;
    if (rate !== null) {
      const cell = sweepRateCell(row.frameSize, rate);
      group.runs += rate.units;
      group.cells = [...(group.cells ?? []), cell].sort((a, b) => a.frameSize - b.frameSize);
    }
    groups.set(key, group);
  }
  const starts = data.records.map((r) => r.startedAt).sort();
  handToReport({
    kind: 'sweep',
    source: data.source.mode,
    recordedUntil: data.source.mode === 'recorded' ? (starts[starts.length - 1] ?? null) : null,
    ...(headline ? { selection: headline.selection } : {}),
    groups: [...groups.values()],
    judgements: sweepJudgements(data, comparisons),
  });
}

/** Chapter 6: the bisection's verdicts, the installed release's probe, and the proof's runs. */
export function recordRootCauseFindings(releases: ReleaseBisection, proof: Proof): void {
  const [asInstalled, withFix] = proof.runs;
  const unfragmented = proof.runs.find((run) => run.expect === 'unfragmented');
  const fix = fixJudgement(proof);
  const probe = asInstalled?.record.result.probe;
  handToReport({
    kind: 'root-cause',
    installed: asInstalled?.record.release.version ?? '?',
    releases: releases.runs.length,
    bad: releases.runs.filter((r) => r.verdict.verdict === 'bad').length,
    good: releases.runs.filter((r) => r.verdict.verdict === 'good').length,
    lastBad: releases.bisection.lastBad,
    firstGood: releases.bisection.firstGood,
    asInstalled: asInstalled ? tally([asInstalled.record]) : null,
    withFix: withFix ? tally([withFix.record]) : null,
    unfragmented: unfragmented ? tally([unfragmented.record]) : null,
    patchMatchesFirstGood: proof.patchMatchesFirstGood,
    queuedFragments: probe ? probe.queued : null,
    overwrittenFragments: probe ? Object.values(probe.overwritten).reduce((sum, count) => sum + count, 0) : null,
    ...(fix ? { fix: fix } : {}),
    judgements: proofJudgements(proof),
  });
}

/** Chapter 7: today's deflate default, the cliff, and each option's outcome. */
export function recordTodayFindings(
  defaults: Defaults,
  cliff: readonly ScenarioRecord[],
  advice: readonly AdviceRun[],
): void {
  const clean = (r: ScenarioRecord) =>
    r.result.failures === 0 && r.result.sent > 0 && r.result.delivered === r.result.sent;
  const passed = cliff.filter(clean).map((r) => r.spec.frameSize);
  const failed = cliff.filter((r) => !clean(r)).sort((a, b) => a.spec.frameSize - b.spec.frameSize)[0];
  const live = defaults.live.find((l) => l.stack === 'today');
  const largestAdvised = Math.max(...advice.map((run) => run.frameSize));
  handToReport({
    kind: 'today',
    versions: live ? versionsOf(live.record) : 'socket.io today',
    deflateByDefault: live?.deflate ?? null,
    limit: defaults.limit,
    largestDelivered: passed.length > 0 ? Math.max(...passed) : null,
    smallestFailed: failed?.spec.frameSize ?? null,
    failedReason: failed
      ? Object.keys(failed.result.serverReasons).join(', ') ||
        Object.keys(failed.result.underlyingErrors).join(', ') ||
        null
      : null,
    advice: advice.map((run) => ({
      frameSize: run.frameSize,
      option: run.option,
      ...tally([run.record]),
      verdict: adviceJudgement(run, advice).verdict,
    })),
    // The claims the report's sentence speaks of: each choice at the largest size advised on.
    judgements: advice.filter((run) => run.frameSize === largestAdvised).map((run) => adviceJudgement(run, advice)),
  });
}

/** What chapter 9's rows measured, for its findings: each row present when it ran. */
export interface HistoryParts {
  memory?: MemorySummary | null;
  zlib?: readonly ZlibCellResult[];
  cliff?: SizeCliffResult;
  rsv1?: Rsv1Result;
  context?: readonly ContextRun[];
  emptyFragment?: EmptyFragmentResult;
}

/** Chapter 9: one sentence per row, each worded by that row's own describe function. */
export function recordHistoryFindings(parts: HistoryParts): void {
  const rows: HistoryRowFinding[] = [];
  if (parts.memory !== undefined)
    rows.push({
      row: 1,
      subject: 'memory per connection with deflate on',
      sentence:
        parts.memory === null
          ? `no recording of the memory row was found (${RECORD_MEMORY_COMMAND} records one)`
          : describeMemoryFinding(parts.memory),
    });
  if (parts.zlib !== undefined)
    rows.push({
      row: 2,
      subject: 'zlib concurrency and the allocator',
      sentence:
        parts.zlib.length === 0
          ? `no recording of the zlib row was found (${RECORD_ZLIB_COMMAND} records one)`
          : describeZlibHistory(zlibGroups(parts.zlib)).join(' '),
    });
  if (parts.cliff !== undefined)
    rows.push({
      row: 3,
      subject: 'the size cliff',
      sentence:
        parts.cliff.bisection.runs.length > 0 ? describeBisection(parts.cliff) : describeReleases(parts.cliff.releases),
    });
  if (parts.rsv1 !== undefined) rows.push({ row: 4, subject: 'RSV1 misuse', sentence: describeRsv1(parts.rsv1) });
  if (parts.context !== undefined)
    rows.push({
      row: 5,
      subject: 'an uncompressed message between compressed ones',
      sentence: describeContext(parts.context),
    });
  if (parts.emptyFragment !== undefined)
    rows.push({
      row: 6,
      subject: 'browsers and the empty final fragment',
      sentence: describeEmptyFragment(parts.emptyFragment),
    });
  handToReport({ kind: 'history', rows: rows });
}
