/**
 * `npm run sweep`: runs a grid of scenarios (src/sweep/), one progress line (runs done/total,
 * elapsed, ETA), every run recorded under `<data dir>/sweep/`. Ctrl-C kills the current run and
 * stops; the runs recorded so far are kept and skipped next time. Exit status: 0 done (failed
 * runs are recorded, not fatal), 2 bad input, 130 interrupted.
 */
import path from 'node:path';
import { DataDirError, assertWritable } from '../core/records';
import { dataDir } from '../core/paths';
import {
  estimateRunMs,
  estimateSweepMs,
  planSweep,
  runSweep,
  SWEEP_KIND,
  SESSION_KIND,
  type SweepPlan,
} from '../sweep/engine';
import { fractionLabel, kneeGaps, plannedRunCount } from '../sweep/grid';
import { recordedKnees } from '../sweep/knees';
import { kneePlanFor, kneesForSweep } from '../sweep/knees-for-grid';
import { formatBytes, formatDuration } from '../core/units';
import { EXIT_BUSY, failInput, UsageError } from './args';
import { assertQuietMachine, BusyMachineError } from '../core/machine-load';
import { parseSweepArgs, SWEEP_USAGE } from './sweep-args';
import { ParamError } from '../core/params';
import { formatNumber } from '../show/fragments';

/** Exit status after Ctrl-C, as a shell reports SIGINT. */
const EXIT_INTERRUPTED = 130;

function say(line: string): void {
  process.stderr.write(`sweep: ${line}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseSweepArgs(argv);
    if (!args.help && !args.dryRun) assertWritable(dataDir());
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ParamError || error instanceof DataDirError)) throw error;
    return failInput('npm run sweep', error.message);
  }
  if (!args.help && !args.dryRun) {
    try {
      assertQuietMachine(dataDir(), args.allowBusy);
    } catch (error) {
      if (!(error instanceof BusyMachineError)) throw error;
      process.stderr.write(`npm run sweep: ${error.message}\n`);
      return EXIT_BUSY;
    }
  }
  if (args.help) {
    process.stdout.write(`${SWEEP_USAGE}\n`);
    return 0;
  }
  const { grid } = args;
  const dir = dataDir();
  say(`grid ${grid.name}: ${grid.description}`);
  for (const block of grid.blocks) {
    const load = block.kneeFractions?.length
      ? block.kneeFractions.map(fractionLabel).join(', ')
      : `${block.rates.join(',')}/s × burst ${block.bursts.join(',')}`;
    say(
      `  ${block.purpose}: ${block.stacks.join(',')} × deflate ${block.deflate.join(',')} × ${block.payloads.join(',')} × ` +
        `${block.frameSizes.map(formatBytes).join(',')} × ${load} × ${block.repeats} repeat${block.repeats === 1 ? '' : 's'}`,
    );
  }
  say(
    `  every run: ${grid.clients} ${grid.client} clients (${grid.placement}), ${formatDuration(grid.duration)}, fragments of ${formatBytes(grid.fragmentSize)}, ` +
      `maxHttpBufferSize ${formatBytes(grid.maxHttpBufferSize)}, seed ${grid.seed}`,
  );
  const kneePlan = kneePlanFor(grid);
  if (args.dryRun) {
    const recorded = kneePlan && recordedKnees(kneePlan, dir);
    if (recorded && (recorded.missing > 0 || args.fresh)) {
      const runs = plannedRunCount(grid);
      say(
        `knees: ${args.fresh ? 'all' : recorded.missing} to measure first; then at most ${runs} runs, ` +
          `about ${formatDuration(runs * estimateRunMs(grid.duration))} of them`,
      );
      return 0;
    }
    const plan = planSweep(grid, dir, { fresh: args.fresh, retryFailed: args.retryFailed }, recorded?.knees);
    say(planLine(plan, dir));
    return 0;
  }

  const started = performance.now();
  const knees = await kneesForSweep(grid, dir, { fresh: args.fresh, progress: say });
  for (const gap of kneeGaps(grid, knees.knees)) say(`left out, no knee to take a fraction of: ${gap}`);
  const plan = planSweep(grid, dir, { fresh: args.fresh, retryFailed: args.retryFailed }, knees.knees);
  say(planLine(plan, dir));

  const stop = new AbortController();
  const onSigint = () => {
    say('interrupted: killing the current run');
    stop.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const { session } = await runSweep(grid, {
      dir: dir,
      fresh: args.fresh,
      retryFailed: args.retryFailed,
      signal: stop.signal,
      knees: knees,
    });
    const load = session.loadAverage;
    say(
      `${session.ran} runs made (${session.failed} failed), ${session.skipped} skipped, in ${formatDuration(session.wallMs)}` +
        (load
          ? `; 1-min load average the runs keep (${session.meta.loadAverageRead === 'before-recording' ? 'read before the sweep began' : "read at each run's end"}): median ${formatNumber(load.median)}, ${formatNumber(load.min)}–${formatNumber(load.max)} on ${session.cores} cores`
          : ''),
    );
    say(`records in ${path.join(dir, SWEEP_KIND)}, this invocation in ${path.join(dir, SESSION_KIND)}`);
    say(`wall time, knees included: ${formatDuration(performance.now() - started)}`);
  } finally {
    process.off('SIGINT', onSigint);
  }
  return stop.signal.aborted ? EXIT_INTERRUPTED : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run sweep: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

/** What a plan will do, in one line: the dry run prints it, and so does the real run before it starts. */
function planLine(plan: SweepPlan, dir: string): string {
  return (
    `${plan.planned.length} runs planned, ${plan.todo.length} to make (about ${formatDuration(estimateSweepMs(plan.todo))}), ` +
    `${plan.skipped.length} already recorded in ${path.join(dir, SWEEP_KIND)}`
  );
}
