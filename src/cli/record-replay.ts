/**
 * `npm run record-replay`: records the replay set that `npm run report -- --from-data data` reads.
 * It runs every chapter once with its default parameters (the full report) under the
 * quiet-machine gate, into a scratch data dir, and only when every chapter ran clean replaces
 * data/replay/ with what the cells recorded. Exit 0 recorded, 1 a chapter failed (data/ left as
 * it was), 2 bad input, 3 busy machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assertQuietMachine, BusyMachineError } from '../core/machine-load';
import { COMMITTED_DATA_DIR, DATA_DIR_ENV } from '../core/paths';
import { buildReport, planReport, reportProblems } from '../report/build';
import { CHAPTERS } from '../chapters/registry';
import { REPLAY_KIND } from '../core/replay';
import { formatBytes, formatDuration } from '../core/units';
import { EXIT_BUSY, failInput } from './args';
import { onReportEvent, sayReport } from './report-progress';

const USAGE = [
  'usage: npm run record-replay -- [--allow-busy]',
  `  Runs every chapter with its default parameters (the full report, about 11 min on 2 cores) and replaces`,
  `  data/${REPLAY_KIND}/ with what its cells recorded, for npm run report -- --from-data data.`,
  '  --allow-busy record even when the 1-min load average is above half the cores',
  `It refuses to start on a busy machine (exit ${EXIT_BUSY}); when a chapter fails, data/ is left as it was (exit 1).`,
].join('\n');

function folderBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
}

async function main(argv: string[]): Promise<number> {
  let values: { 'allow-busy'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { 'allow-busy': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (error) {
    return failInput('npm run record-replay', `${(error as Error).message.split('\n')[0]}: see --help`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    // Keeps the reading in the environment, so every kernel's record carries it.
    assertQuietMachine(COMMITTED_DATA_DIR, values['allow-busy'] ?? false);
  } catch (error) {
    if (!(error instanceof BusyMachineError)) throw error;
    process.stderr.write(`npm run record-replay: ${error.message}\n`);
    return EXIT_BUSY;
  }
  // A scratch data dir: the chapters' other records (scenarios, traces) stay out of data/.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-replay-'));
  process.env[DATA_DIR_ENV] = scratch;
  const started = Date.now();
  const target = path.join(COMMITTED_DATA_DIR, REPLAY_KIND);
  try {
    const record = await buildReport(planReport({ chapters: CHAPTERS, given: {}, fresh: true }), onReportEvent);
    const problems = reportProblems(record);
    if (problems.length > 0) {
      process.stderr.write(
        `npm run record-replay: exit 1, data/${REPLAY_KIND}/ left as it was: ${problems.join('; ')}\n`,
      );
      return 1;
    }
    // Swapped in whole: a reader never sees half of the old set and half of the new.
    const incoming = `${target}.incoming`;
    fs.rmSync(incoming, { recursive: true, force: true });
    fs.cpSync(path.join(scratch, REPLAY_KIND), incoming, { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(incoming, target);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const files = fs.readdirSync(target).length;
  sayReport(
    `recorded ${files} steps into data/${REPLAY_KIND}/ (${formatBytes(folderBytes(target))}) in ${formatDuration(Date.now() - started)}; ` +
      `commit them with git add -f data/${REPLAY_KIND} (the folder is git-ignored, so that the report's own runs stay out of git)`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run record-replay: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
