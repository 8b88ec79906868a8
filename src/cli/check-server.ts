/**
 * `npm run check-server -- --url http://127.0.0.1:3000 [options]`: the battery against a running
 * socket.io server. Every input is checked first (one line naming the flag, exit 2); the ceilings
 * of messages, bytes and time are printed before anything is sent; each case's verdict is printed
 * as it comes; the record goes to `<data dir>/check-server/`. Exit 0 when no case failed, 1 when
 * one did.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBattery, type CaseResult } from '../check-server/battery';
import { budget, budgetLine } from '../check-server/budget';
import {
  CHECK_CASES,
  CheckInputError,
  DEFAULT_LIMITS,
  resolveCheckOptions,
  type CheckOptions,
} from '../check-server/options';
import { assertNoSecrets, checkRow, writeCheckRecord } from '../check-server/record';
import { dataDir } from '../paths';
import { assertWritable, DataDirError } from '../records';
import { formatBytes, formatDuration } from '../units';
import { EXIT_BAD_INPUT, usageError } from './args';

const COMMAND = 'npm run check-server';

const USAGE = [
  `usage: ${COMMAND} -- --url http://host:port [options]`,
  '  --url URL            the server (origin only); off 127.0.0.0/8 and ::1 it needs --allow-remote',
  '  --path /socket.io    engine.io path        --namespace /      the namespace to join',
  '  --auth key=value     auth for the namespace join (repeatable; never recorded or printed)',
  `  --cases LIST         ${CHECK_CASES.join(',')} (default handshake,fragmented; cliff and silent are opt-in)`,
  `  --frame-sizes LIST   message sizes (default ${DEFAULT_LIMITS.frameSizes.map(formatBytes).join(',')})`,
  `  --fragment-size N    compressed bytes per frame (default ${formatBytes(DEFAULT_LIMITS.fragmentSize)})`,
  `  --burst N --bursts N messages back to back, and bursts per size (default ${DEFAULT_LIMITS.burst} and ${DEFAULT_LIMITS.bursts})`,
  `  --cliff-cap SIZE     the size cliff's upper bound (default ${formatBytes(DEFAULT_LIMITS.cliffCap)})`,
  `  --silent-max TIME    the silent client's longest wait (default ${formatDuration(DEFAULT_LIMITS.silentMaxMs)})`,
  '  --allow-remote       allow a target off loopback (a server you run)',
  '  --data-dir DIR       where to record (default data/, or DEFLATE_LAB_DATA_DIR)',
].join('\n');

const OPTIONS = {
  url: { type: 'string' },
  path: { type: 'string' },
  namespace: { type: 'string' },
  auth: { type: 'string', multiple: true },
  cases: { type: 'string' },
  'frame-sizes': { type: 'string' },
  'fragment-size': { type: 'string' },
  burst: { type: 'string' },
  bursts: { type: 'string' },
  'cliff-cap': { type: 'string' },
  'silent-max': { type: 'string' },
  'allow-remote': { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function fail(line: string): number {
  process.stderr.write(`${COMMAND}: ${line}\n`);
  return EXIT_BAD_INPUT;
}

function caseLine(result: CaseResult): string {
  return `${result.case}: ${result.verdict.toUpperCase()} (${formatDuration(result.ms)}): ${result.finding}`;
}

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return fail(usageError(error as Error & { code?: string }, COMMAND).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options: CheckOptions;
  try {
    options = resolveCheckOptions({
      url: values.url,
      path: values.path,
      namespace: values.namespace,
      auth: values.auth,
      cases: values.cases,
      frameSizes: values['frame-sizes'],
      fragmentSize: values['fragment-size'],
      burst: values.burst,
      bursts: values.bursts,
      cliffCap: values['cliff-cap'],
      silentMax: values['silent-max'],
      allowRemote: values['allow-remote'],
    });
  } catch (error) {
    if (error instanceof CheckInputError) return fail(error.message);
    throw error;
  }
  const dir = values['data-dir'] === undefined ? dataDir() : path.resolve(values['data-dir']);
  try {
    assertWritable(dir);
  } catch (error) {
    if (error instanceof DataDirError) return fail(error.message);
    throw error;
  }
  // Every printed line is checked for secrets before it is written.
  const say = (line: string) => {
    assertNoSecrets(line, options);
    process.stderr.write(`check-server: ${line}\n`);
  };
  const row = checkRow('your server', options, [], 0);
  const ceilings = budget(options);
  say(
    `target ${row.url} path ${row.path} namespace ${row.namespace}${row.authKeys.length ? ` auth keys ${row.authKeys.join(', ')}` : ''}`,
  );
  say(`cases ${options.cases.join(', ')}: ${budgetLine(ceilings)}`);
  const startedAt = new Date();
  const results = await runBattery(options, (result) => say(caseLine(result)));
  const { file } = await writeCheckRecord(
    options,
    ceilings,
    [checkRow('your server', options, results, Date.now() - startedAt.getTime())],
    startedAt,
    false,
    dir,
  );
  const relative = path.relative(process.cwd(), file);
  say(`wrote ${relative.startsWith('..') ? file : relative}`);
  return results.some((r) => r.verdict === 'fail') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`${COMMAND}: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
