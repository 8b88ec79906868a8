/**
 * `npm run check-data -- [DIR]`: re-classifies every record of a data dir (default: the data dir)
 * with the one failure rule, checks each zero against its run's controls, and prints per-kind
 * counts. Exit status: 0 clean, 1 a stored verdict disagrees with the rule or a zero is unproven,
 * 2 on bad input.
 */
import { parseArgs } from 'node:util';
import { checkData, checkDataReport, CheckDataError } from '../check-data';
import { dataDir } from '../core/paths';
import { failInput } from './args';

const USAGE = [
  'usage: npm run check-data -- [DIR]',
  '  DIR   a data dir (one folder per record kind); default: data/, or DEFLATE_LAB_DATA_DIR',
  'exit: 0 clean, 1 a stored verdict disagrees with the failure rule or a zero is unproven, 2 bad input',
].join('\n');

function fail(line: string): number {
  return failInput('npm run check-data', line);
}

function main(argv: string[]): number {
  let parsed: { values: { help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message.split('\n')[0]}: see npm run check-data -- --help`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length > 1)
    return fail(`DIR: one data dir at most, got ${parsed.positionals.length}: e.g. npm run check-data -- data`);
  let check;
  try {
    check = checkData(parsed.positionals[0] ?? dataDir());
  } catch (error) {
    if (error instanceof CheckDataError) return fail(`DIR: ${error.message}: give a data dir, e.g. data`);
    throw error;
  }
  process.stdout.write(`${checkDataReport(check)}\n`);
  return check.problems.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
