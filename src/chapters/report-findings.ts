/**
 * The last cell of each chapter: one call that takes the chapter's own results, picks the few
 * numbers the report's opening findings are worded from, shows those sentences, and, when the
 * report runs the notebook, writes the numbers as JSON beside the executed notebook (the file
 * named by DEFLATE_LAB_FINDINGS_FILE). Outside the report nothing is written.
 */
import writeFileAtomic from 'write-file-atomic';
import { debugJudgement, type DebugRun } from './02-debug';
import type { ClaimRuns } from './04-deflate-off';
import { equalWorkCounts } from './04-deflate-off/claims';
import { originsJudgement, type OriginsRun } from './03-origins';
import type { ReleaseBisection } from './06-root-cause/bisection';
import { fixJudgement, proofJudgements, type Proof } from './06-root-cause/proof';
import type { SweepData } from './05-sweep';
import type { Defaults } from './07-today';
import type { AdviceRun } from './07-today/advice';
import { showFinding } from './finding';
import { symptomFigures, symptomJudgement } from './01-symptom';
import { judgeScenario } from '../run/failure-rule';
import {
  findingSentences,
  FINDINGS_FILE_ENV,
  type ChapterFindings,
  type RunTally,
  type SweepGroup,
} from '../report/findings';
import type { BareWsRecord } from '../bare-ws/run';
import type { ScenarioRecord } from '../run/scenario';
import { FAILING_SCENARIO } from '../run/presets';

const MiB = 1024 * 1024;

/** Shows the sentences the numbers give and, under the report, writes the numbers for it. */
function handToReport(findings: ChapterFindings): ChapterFindings {
  const file = process.env[FINDINGS_FILE_ENV];
  if (file) writeFileAtomic.sync(file, `${JSON.stringify(findings, null, 1)}\n`);
  showFinding(findingSentences(findings));
  return findings;
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

function cpuMsPerMiB(records: readonly ScenarioRecord[]): number | null {
  const mib = records.reduce((sum, r) => sum + (r.result.delivered * r.spec.frameSize) / MiB, 0);
  const cpu = records.reduce((sum, r) => sum + r.result.cpu.userMs + r.result.cpu.systemMs, 0);
  return mib > 0 ? cpu / mib : null;
}

/** Chapter 0: each frame size's run, and the limit that refuses larger frames. */
export function recordHarnessFindings(records: readonly ScenarioRecord[]): ChapterFindings {
  return handToReport({
    kind: 'harness',
    versions: records[0] ? versionsOf(records[0]) : 'no stack',
    limit: Math.min(...records.map((r) => r.server.maxHttpBufferSize)),
    runs: [...records]
      .sort((a, b) => a.spec.frameSize - b.spec.frameSize)
      .map((r) => ({ frameSize: r.spec.frameSize, ...tally([r]) })),
  });
}

const seconds = (ms: number): number => Number((ms / 1000).toFixed(1));

/** Chapter 1: the browser run's image and chat pages, and the symptom's claim. */
export function recordSymptomFindings(browser: ScenarioRecord): ChapterFindings {
  const figures = symptomFigures([browser]);
  const image = figures.find((f) => f.kind === 'image page');
  const chat = figures.find((f) => f.kind === 'chat page');
  const firstMs = judgeScenario(browser.result).firstFailureMs;
  return handToReport({
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
export function recordDebugFindings(trail: DebugRun): ChapterFindings {
  return handToReport({
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
export function recordOriginsFindings(run: OriginsRun): ChapterFindings {
  const { result } = run.record;
  return handToReport({
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
 * Chapter 4: deflate on against off over the load pairs, and the wire for data-URL frames (or the
 * first payload), at one size: the failing scenario's, when it was among the sizes, else the largest.
 */
export function recordDeflateOffFindings(runs: ClaimRuns): ChapterFindings {
  const size =
    runs.sizes.find((s) => s.frameSize === FAILING_SCENARIO.frameSize) ??
    [...runs.sizes].sort((a, b) => b.frameSize - a.frameSize)[0];
  const on = size.load.map((pair) => pair.on);
  const off = size.load.map((pair) => pair.off);
  const wire = size.wire.find((pair) => pair.payload === 'data-url') ?? size.wire[0];
  // Deflate's own cost: only the equal-work pairs claim 2(a) counts (comparable, neither side failing).
  const equal = size.equalWork.filter((pair) => equalWorkCounts(pair));
  return handToReport({
    kind: 'deflate-off',
    frameSize: size.frameSize,
    repeats: size.load.length,
    on: tally(on),
    off: tally(off),
    cpuMsPerMiBOn: equal.length > 0 ? cpuMsPerMiB(equal.map((pair) => pair.on)) : null,
    cpuMsPerMiBOff: equal.length > 0 ? cpuMsPerMiB(equal.map((pair) => pair.off)) : null,
    cpuVersions: equal.length > 0 ? versionsOf(equal[0].on) : null,
    wirePayload: wire?.payload ?? null,
    wireRatioOn: wire?.on.result.wireRatio ?? null,
    wireRatioOff: wire?.off.result.wireRatio ?? null,
  });
}

/** Chapter 5: per stack and deflate setting, runs with disconnects and the smallest frame that had one. */
export function recordSweepFindings(data: SweepData): ChapterFindings {
  const groups = new Map<string, SweepGroup>();
  for (const cell of data.cells) {
    const key = `${cell.cell.stack} ${cell.cell.deflate}`;
    const group = groups.get(key) ?? {
      stack: cell.cell.stack,
      deflate: cell.cell.deflate,
      runs: 0,
      runsWithDisconnects: 0,
      smallestFailingFrame: null,
    };
    group.runs += cell.completed;
    group.runsWithDisconnects += cell.runsWithDisconnects;
    if (cell.runsWithDisconnects > 0)
      group.smallestFailingFrame = Math.min(group.smallestFailingFrame ?? Infinity, cell.cell.frameSize);
    groups.set(key, group);
  }
  const starts = data.records.map((r) => r.startedAt).sort();
  return handToReport({
    kind: 'sweep',
    source: data.source.mode,
    recordedUntil: data.source.mode === 'recorded' ? (starts[starts.length - 1] ?? null) : null,
    groups: [...groups.values()],
  });
}

/** Chapter 6: the bisection's verdicts, the installed release's probe, and the proof's runs. */
export function recordRootCauseFindings(releases: ReleaseBisection, proof: Proof): ChapterFindings {
  const [asInstalled, withFix] = proof.runs;
  const unfragmented = proof.runs.find((run) => run.expect === 'unfragmented');
  const fix = fixJudgement(proof);
  const probe = asInstalled?.record.result.probe;
  return handToReport({
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
): ChapterFindings {
  const clean = (r: ScenarioRecord) =>
    r.result.failures === 0 && r.result.sent > 0 && r.result.delivered === r.result.sent;
  const passed = cliff.filter(clean).map((r) => r.spec.frameSize);
  const failed = cliff.filter((r) => !clean(r)).sort((a, b) => a.spec.frameSize - b.spec.frameSize)[0];
  const live = defaults.live.find((l) => l.stack === 'today');
  return handToReport({
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
    advice: advice.map((run) => ({ frameSize: run.frameSize, option: run.option, ...tally([run.record]) })),
  });
}
