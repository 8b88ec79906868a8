/**
 * `npm run sweep`: runs a grid of scenarios (src/sweep/), one progress line (runs done/total,
 * elapsed, ETA), every run recorded under `<data dir>/sweep/`. Ctrl-C kills the current run and
 * stops; the runs recorded so far are kept and skipped next time. Exit status: 0 done (failed
 * runs are recorded, not fatal), 2 bad input, 130 interrupted.
 */
import path from 'node:path';
import { DataDirError, assertWritable } from '../records';
import { dataDir } from '../paths';
import { planSweep, runSweep, SWEEP_KIND, SESSION_KIND } from '../sweep/run';
import { formatBytes, formatDuration } from '../units';
import { EXIT_BAD_INPUT, EXIT_BUSY, UsageError } from './args';
import { assertQuietMachine, BusyMachineError } from '../machine-load';
import { parseSweepArgs, SWEEP_USAGE } from './sweep-args';
import { ParamError } from '../params';
import { formatNumber } from '../html';

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
    process.stderr.write(`npm run sweep: ${error.message}\n`);
    return EXIT_BAD_INPUT;
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
  const plan = planSweep(grid, dir, { fresh: args.fresh, retryFailed: args.retryFailed });
  say(`grid ${grid.name}: ${grid.description}`);
  for (const block of grid.blocks) {
    say(
      `  ${block.purpose}: ${block.stacks.join(',')} × deflate ${block.deflate.join(',')} × ${block.payloads.join(',')} × ` +
        `${block.frameSizes.map(formatBytes).join(',')} × ${block.rates.join(',')}/s × burst ${block.bursts.join(',')} × ${block.repeats} repeat${block.repeats === 1 ? '' : 's'}`,
    );
  }
  say(
    `  every run: ${grid.clients} ${grid.client} clients (${grid.placement}), ${formatDuration(grid.duration)}, fragments of ${formatBytes(grid.fragmentSize)}, ` +
      `maxHttpBufferSize ${formatBytes(grid.maxHttpBufferSize)}, seed ${grid.seed}`,
  );
  say(
    `${plan.planned.length} runs planned, ${plan.todo.length} to make, ${plan.skipped.length} already recorded in ${path.join(dir, SWEEP_KIND)}`,
  );
  if (args.dryRun) return 0;

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
    });
    const load = session.loadAverage;
    say(
      `${session.ran} runs made (${session.failed} failed), ${session.skipped} skipped, in ${formatDuration(session.wallMs)}` +
        (load
          ? `; 1-min load average over the runs: median ${formatNumber(load.median)}, ${formatNumber(load.min)}–${formatNumber(load.max)} on ${session.cores} cores`
          : ''),
    );
    say(`records in ${path.join(dir, SWEEP_KIND)}, this invocation in ${path.join(dir, SESSION_KIND)}`);
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
