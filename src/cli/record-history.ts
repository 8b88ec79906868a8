/**
 * `npm run record-history -- RECORDING [flags]`: records one of chapter 9's datasets (src/history/
 * recordings.ts: `memory` is row 1) under `<data dir>/<kind>/`, one record per cell per repeat,
 * behind the same machine-load gate as the sweep. Runs already recorded are skipped (`--fresh`
 * records them again); `--dry-run` prints the plan and its time. Progress goes to stderr. Ctrl-C
 * stops after the run in progress. Exit status: 0 done, 1 a run failed (the others are kept),
 * 2 bad input, 3 busy machine, 130 interrupted.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assertWritable, DataDirError } from '../core/records';
import { dataDir } from '../core/paths';
import { InputError } from '../core/errors';
import { ALLOW_BUSY_FLAG, assertQuietMachine, BusyMachineError } from '../core/machine-load';
import { formatDuration } from '../core/units';
import { HISTORY_RECORDINGS, type HistoryRecording } from '../history/recordings';
import { recordRuns, runsToMake } from '../history/recorder';
import { EXIT_BUSY, failInput } from './args';

const COMMAND = 'npm run record-history';
const EXIT_INTERRUPTED = 130;

function usage(): string {
  return [
    `usage: ${COMMAND} -- RECORDING [flags] [--fresh] [--dry-run] [${ALLOW_BUSY_FLAG}]`,
    ...HISTORY_RECORDINGS.flatMap((r) => [
      `  ${r.name}: ${r.summary} (records in <data dir>/${r.kind}/)`,
      ...r.flags.map((f) => `    --${f.name}  ${f.help}`),
    ]),
    '  --fresh       record every planned run again (default: skip runs already recorded)',
    '  --dry-run     print the plan and its estimated time, measure nothing',
    `  ${ALLOW_BUSY_FLAG}  record into data/ even when the 1-min load average is above half the cores`,
    'data dir: data/, or DEFLATE_LAB_DATA_DIR',
    'exit: 0 done, 1 a run failed, 2 bad input, 3 busy machine, 130 interrupted',
  ].join('\n');
}

function say(line: string): void {
  process.stderr.write(`record-history: ${line}\n`);
}

interface Invocation {
  recording: HistoryRecording;
  flags: Record<string, string | undefined>;
  fresh: boolean;
  dryRun: boolean;
  allowBusy: boolean;
}

/** The command line checked: a recording's name first, then its flags and the common ones. */
function parse(argv: readonly string[]): Invocation | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const names = HISTORY_RECORDINGS.map((r) => r.name);
  const recording = HISTORY_RECORDINGS.find((r) => r.name === argv[0]);
  if (!recording)
    throw new InputError(
      `RECORDING: ${argv[0] === undefined ? 'none given' : `"${argv[0]}" is not one`}: use one of ${names.join(', ')}, e.g. ${COMMAND} -- memory`,
    );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv.slice(1),
      options: {
        ...Object.fromEntries(recording.flags.map((f) => [f.name, { type: 'string' as const }])),
        fresh: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        [ALLOW_BUSY_FLAG.slice(2)]: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new InputError(`${(error as Error).message.split('\n')[0]}: see ${COMMAND} -- --help`);
  }
  const flags = Object.fromEntries(recording.flags.map((f) => [f.name, values[f.name] as string | undefined]));
  return {
    recording: recording,
    flags: flags,
    fresh: values.fresh === true,
    dryRun: values['dry-run'] === true,
    allowBusy: values[ALLOW_BUSY_FLAG.slice(2)] === true,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let invocation;
  let planned;
  const dir = dataDir();
  try {
    invocation = parse(argv);
    if (invocation === 'help') {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    planned = invocation.recording.plan(invocation.flags);
    if (!invocation.dryRun) assertWritable(dir);
  } catch (error) {
    if (!(error instanceof InputError || error instanceof DataDirError)) throw error;
    return failInput(COMMAND, error.message);
  }
  const { recording } = invocation;
  if (!invocation.dryRun) {
    try {
      assertQuietMachine(dir, invocation.allowBusy);
    } catch (error) {
      if (!(error instanceof BusyMachineError)) throw error;
      process.stderr.write(`${COMMAND}: ${error.message}\n`);
      return EXIT_BUSY;
    }
  }
  say(`${recording.name}: ${recording.summary}`);
  for (const line of planned.lines) say(`  ${line}`);
  const todo = runsToMake(recording, planned.runs, dir, invocation.fresh);
  say(
    `${todo.length} of ${planned.runs.length} runs to make (about ${formatDuration(todo.reduce((s, r) => s + r.estimateMs, 0))}), ` +
      `${planned.runs.length - todo.length} already recorded in ${path.join(dir, recording.kind)}`,
  );
  if (invocation.dryRun) return 0;
  const stop = new AbortController();
  const onSigint = () => {
    say('interrupted: stopping after the run in progress');
    stop.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const outcome = await recordRuns(todo, dir, say, stop.signal);
    say(
      `${outcome.recorded} runs recorded, ${outcome.failed.length} failed, in ${formatDuration(outcome.wallMs)}; records in ${path.join(dir, recording.kind)}`,
    );
    if (stop.signal.aborted) return EXIT_INTERRUPTED;
    return outcome.failed.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${COMMAND}: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
