/**
 * `npm run long-run`: the post's fix (deflate off on the 2015 stack) under the failing load for
 * LONG_RUN_DURATION_MS, recorded into data/long-run/ for chapter 4 to re-render. Prints a status
 * line every few seconds; exit 0 when recorded, 2 on bad input, 1 when the control did not fail.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { BOUNDS } from '../core/params';
import { DataDirError } from '../core/records';
import { ControlDidNotFailError, LONG_RUN_DURATION_MS, runLongRun } from '../traffic/long-run';
import { formatDuration, parseDuration, UnitError } from '../core/units';
import { EXIT_BUSY, failInput, writableDataDir } from './args';
import { assertQuietMachine, BusyMachineError } from '../core/machine-load';

/** Exit code when the control held, so the hour was not run. */
const EXIT_CONTROL_HELD = 1;

const USAGE = [
  'usage: npm run long-run -- [--duration 60min] [--data-dir DIR] [--allow-busy]',
  `  --duration   the deflate-off send window (default ${formatDuration(LONG_RUN_DURATION_MS)}, the post's hour; shorter runs are marked quick)`,
  '  --data-dir   where to record (default: data/, or DEFLATE_LAB_DATA_DIR); the record goes into its long-run/',
  '  --allow-busy record even when the 1-min load average is above half the cores',
  `Into data/ it refuses to start on a busy machine (exit ${EXIT_BUSY}). When the control (deflate on) does not fail,`,
  `the long run is not started and nothing is written (exit ${EXIT_CONTROL_HELD}).`,
].join('\n');

function fail(line: string): number {
  return failInput('npm run long-run', line);
}

async function main(argv: string[]): Promise<number> {
  let values: { duration?: string; 'data-dir'?: string; 'allow-busy'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string' },
        'data-dir': { type: 'string' },
        'allow-busy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return fail(`${(error as Error).message.split('\n')[0]}: see npm run long-run -- --help`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let duration = LONG_RUN_DURATION_MS;
  if (values.duration !== undefined) {
    try {
      duration = parseDuration(values.duration);
    } catch (error) {
      return fail(`--duration: ${(error as UnitError).message}`);
    }
    if (duration < BOUNDS.duration.min || duration > BOUNDS.duration.max)
      return fail(`--duration: ${values.duration} is out of range: use 100ms to 2h, e.g. 16min`);
  }
  let dir: string;
  try {
    dir = writableDataDir(values['data-dir']);
  } catch (error) {
    if (error instanceof DataDirError) return fail(error.message);
    throw error;
  }
  try {
    assertQuietMachine(dir, values['allow-busy'] ?? false);
  } catch (error) {
    if (!(error instanceof BusyMachineError)) throw error;
    fail(error.message);
    return EXIT_BUSY;
  }
  const say = (line: string) => process.stderr.write(`long-run: ${line}\n`);
  say(`2015 stack, deflate off, ${formatDuration(duration)}; recording into ${path.join(dir, 'long-run')}`);
  let recorded: Awaited<ReturnType<typeof runLongRun>>;
  try {
    recorded = await runLongRun({ duration: duration, dataDir: dir, onStatus: say });
  } catch (error) {
    if (!(error instanceof ControlDidNotFailError)) throw error;
    process.stderr.write(`npm run long-run: ${error.message}\n`);
    return EXIT_CONTROL_HELD;
  }
  const { record, file } = recorded;
  const r = record.run.result;
  say(
    `tested ${formatDuration(r.loadMs)}: ${r.sent} sent, ${r.delivered} delivered, ${r.failures} failures; blockers: ${record.blockers.join('; ') || 'none'}`,
  );
  say(`wrote ${path.relative(process.cwd(), file) || file}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`npm run long-run: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
