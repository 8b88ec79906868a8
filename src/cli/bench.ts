/**
 * `npm run bench`: speed and memory figures as ratios measured side by side in one run, printed as
 * a table and recorded in `<data dir>/bench/`. Benchmarks never fail on timing; they report.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchCapacity, KNEE_SPREAD_GOAL, type CapacityBench } from '../bench/capacity-bench';
import { benchFirstFailure, type FirstFailureResult } from '../bench/first-failure';
import { benchHarnessOverhead } from '../bench/harness-overhead';
import { benchReport, REPORT_RUNS, type ReportTiming } from '../bench/report-timing';
import { benchSearch } from '../bench/search-bench';
import { GENERATOR_HEADROOM_GOAL, ratioCell } from '../capacity/summary';
import { textTable } from '../show/display';
import { runMeta } from '../core/meta';
import { ALLOW_BUSY_FLAG, assertQuietMachine, BusyMachineError, watchMachineLoad } from '../core/machine-load';
import { dataDir, NODE_MODULES } from '../core/paths';
import { EXIT_BUSY, failInput } from './args';
import { newRecordId, recordEnvelope, writeRecord, type RecordBase } from '../core/records';
import { formatBytes, formatDuration } from '../core/units';

/** What the search is timed on: the post's literal and a regex over both of its error strings. */
const SEARCH_LITERAL = 'transport error';
const SEARCH_REGEX = 'invalid (compressed data|distance code)';

const USAGE = `usage: npm run bench -- [--skip-report] [--quick-report-only] [--skip-capacity] [${ALLOW_BUSY_FLAG}]
  --skip-report        leave out the report timings (they run the whole report: quick, quick with 3 sizes, full)
  --quick-report-only  time the quick reports but not the full one
  --skip-capacity      leave out the generator capacity and today's knees (about 5 min: 1 MiB, 3 searches each)
  ${ALLOW_BUSY_FLAG}         record even when the 1-min load average is above half the cores
Records go to <data dir>/bench/. Into data/ it refuses to start on a busy machine (exit ${EXIT_BUSY}).`;

/** A line of the printed summary. */
type SummaryRow = { figure: string; value: string; goal: string };

interface BenchRecord extends RecordBase {
  kind: 'bench';
  results: Record<string, unknown>;
}

function step(what: string): void {
  process.stderr.write(`bench: ${what} ...\n`);
}

function fixed(value: number | null, digits = 2): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

function reportRows(timing: ReportTiming) {
  return timing.chapters.map((c) => ({
    mode: timing.mode,
    chapter: c.chapter,
    status: c.status,
    'kernel start': c.kernelStartMs === null ? 'n/a' : formatDuration(c.kernelStartMs),
    cells: c.runMs === null ? 'n/a' : formatDuration(c.runMs),
    'peak RSS MiB': c.peakRssKiB === null ? 'n/a' : (c.peakRssKiB / 1024).toFixed(0),
  }));
}

/** The first-failure figure's cell: the median and each run's time, or why there is none. */
function firstFailureCell(firstFailure: FirstFailureResult): string {
  return (
    (firstFailure.medianMs === null
      ? firstFailure.measured > 0
        ? `none within ${formatDuration(firstFailure.deadlineMs)} in ${firstFailure.measured} runs that could say`
        : 'not measured: no run could say'
      : `${formatDuration(firstFailure.medianMs)} (${firstFailure.runs.map((r) => (r.firstFailureMs !== null ? formatDuration(r.firstFailureMs) : r.unmeasured !== null ? 'not measured' : '-')).join(', ')}; ${firstFailure.failedWithinDeadline}/${firstFailure.measured} failed)`) +
    (firstFailure.measured < firstFailure.runs.length
      ? `; ${firstFailure.runs.length - firstFailure.measured} errored or sent nothing`
      : '')
  );
}

/** The capacity figures' rows: each knee's spread over its searches, the generator's headroom over today's knee, and today's knee with deflate off over on. */
function capacityRows(capacity: CapacityBench): SummaryRow[] {
  const pinned = capacity.knees.every((k) => k.pinning.pinned) ? 'pinned' : 'unpinned';
  return [
    ...capacity.spreads.map((s) => ({
      figure: `today's knee, deflate ${s.deflate}, ${formatBytes(s.frameSize)}: highest ÷ lowest of ${s.searches} searches (${pinned})`,
      value:
        s.spread === null
          ? `n/a (${s.withKnee} of ${s.searches} searches found a knee)`
          : `${s.spread.toFixed(2)} (${s.withKnee} of ${s.searches} found a knee)`,
      goal: `≤ ${KNEE_SPREAD_GOAL}`,
    })),
    ...capacity.headroom.map((r) => ({
      figure: `generator capacity ÷ today's knee, deflate on, ${formatBytes(r.frameSize)} (${pinned})`,
      value: ratioCell(r),
      goal: `≥ ${GENERATOR_HEADROOM_GOAL}`,
    })),
    ...capacity.offOverOn.map((r) => ({
      figure: `today's knee, deflate off ÷ on, ${formatBytes(r.frameSize)} (${pinned})`,
      value: ratioCell(r),
      goal: 'finding',
    })),
  ];
}

const OPTIONS = {
  'skip-report': { type: 'boolean' },
  'quick-report-only': { type: 'boolean' },
  'skip-capacity': { type: 'boolean' },
  'allow-busy': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

async function main(): Promise<void> {
  // Typed up front: `values` is read inside closures, where TypeScript cannot narrow an untyped `let`.
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    process.exitCode = failInput(
      'npm run bench',
      `${(error as Error).message.split('\n')[0]}: see npm run bench -- --help`,
    );
    return;
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  try {
    assertQuietMachine(dataDir(), values['allow-busy'] ?? false);
  } catch (error) {
    if (!(error instanceof BusyMachineError)) throw error;
    console.error(`npm run bench: ${error.message}`);
    process.exitCode = EXIT_BUSY;
    return;
  }
  const startedAt = new Date().toISOString();
  const machineLoad = watchMachineLoad();
  const results: Record<string, unknown> = {};
  const summary: SummaryRow[] = [];

  step('harness overhead (scenario API vs a bare socket.io emit loop)');
  const overhead = await benchHarnessOverhead();
  results.harnessOverhead = overhead;
  summary.push({
    figure: `harness overhead: scenario ÷ bare emit loop (${overhead.stack}, ${overhead.payload} ${overhead.frameSize} B, median of ${overhead.pairs.length} pairs)`,
    value: `${fixed(overhead.ratio)} (pairs ${overhead.pairs.map((p) => fixed(p.ratio)).join(', ')})`,
    goal: '≥ 0.9',
  });

  step('source search vs GNU grep on node_modules');
  const search = benchSearch({ root: NODE_MODULES, literal: SEARCH_LITERAL, regex: SEARCH_REGEX });
  results.search = search;
  for (const t of search.timings) {
    summary.push({
      figure: `search ÷ grep, ${t.kind} '${t.pattern}' (${search.files} files, ${t.hits} hits vs grep ${t.grepHits})`,
      value: `${fixed(t.ratio)} (${t.oursMs.toFixed(0)} ms vs ${t.grepMs.toFixed(0)} ms)`,
      goal: '≤ 1.5',
    });
  }

  step('time to the first invalid compressed data on 2015 (5 runs)');
  const firstFailure = await benchFirstFailure();
  results.firstFailure = firstFailure;
  summary.push({
    figure: `time to first 'invalid compressed data' on 2015, median of ${firstFailure.runs.length}`,
    value: firstFailureCell(firstFailure),
    goal: 'seconds',
  });

  if (!values['skip-capacity']) {
    step("generator capacity and today's knees, deflate on and off, at 1 MiB, each searched 3 times");
    const capacity = await benchCapacity((line) => process.stderr.write(`bench:   ${line}\n`));
    results.capacity = capacity;
    summary.push(...capacityRows(capacity));
  }

  const timings: ReportTiming[] = [];
  if (!values['skip-report']) {
    for (const run of REPORT_RUNS.filter((r) => !values['quick-report-only'] || r.mode !== 'full')) {
      step(`the ${run.mode} report`);
      const timing = await benchReport(run);
      timings.push(timing);
      summary.push({
        figure: `${run.mode} report wall time (exit ${timing.exitCode})`,
        value: formatDuration(timing.wallMs),
        goal: run.goal,
      });
      if (run.mode === 'full') {
        summary.push({
          figure: 'peak kernel RSS during the full report',
          value: timing.peakRssKiB === null ? 'n/a' : `${(timing.peakRssKiB / 1024).toFixed(0)} MiB`,
          goal: 'report',
        });
      }
    }
    results.report = timings;
  }

  const meta = runMeta();
  console.log(
    `\ndeflate-lab bench, ${meta.date}, commit ${meta.commit.slice(0, 10)}${meta.dirty ? ' (dirty)' : ''}, ${meta.cpuModel} × ${meta.cores}, Node ${meta.node}, load average ${os.loadavg()[0].toFixed(1)}\n`,
  );
  console.log(textTable(summary));
  if (timings.length) console.log(`\n${textTable(timings.flatMap(reportRows))}`);
  const record: BenchRecord = {
    ...recordEnvelope({ kind: 'bench', id: newRecordId(), startedAt, quick: false, meta, machineLoad }),
    results,
  };
  console.log(`\nrecorded ${await writeRecord(record)}`);
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
