/**
 * The report's command line: flags mapped onto the parameter model (src/core/params.ts) and the
 * runner's options, every value checked before any kernel starts. Bad input is one line on
 * stderr and exit status 2, with nothing written.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { flagName, ParamError, PARAM_NAMES, resolveParams, type Params, type RawParams } from '../core/params';
import type { ReportRequest } from '../report/build';
import { CHAPTERS, selectChapters } from '../chapters/registry';
import { LIMIT_BOUNDS, type RunLimits } from '../report/execute';
import { parseDuration, UnitError } from '../core/units';
import { InputError } from '../core/errors';
import { dataDir } from '../core/paths';
import { assertWritable } from '../core/records';

/** Exit status for input the user must fix. */
export const EXIT_BAD_INPUT = 2;

/** Prints a command's one-line refusal (`npm run long-run: …`) and returns the bad-input exit status. */
export function failInput(command: string, line: string): number {
  process.stderr.write(`${command}: ${line}\n`);
  return EXIT_BAD_INPUT;
}

/** The data dir a `--data-dir` value names (data/ when absent), checked writable first: DataDirError says why not. */
export function writableDataDir(value: string | undefined): string {
  const dir = value === undefined ? dataDir() : path.resolve(value);
  assertWritable(dir);
  return dir;
}
/** Exit status when a recorder refuses to write committed data on a busy machine. */
export const EXIT_BUSY = 3;

/** Thrown for a malformed command line (unknown flag, missing value); the message says what to do. */
export class UsageError extends InputError {}

/**
 * One parameter checked with the model, its error worded for the command line: the model names
 * the parameter, the user wrote `--flag`.
 */
export function checkedFlag<K extends keyof Params>(flag: string, name: K, raw: RawParams[K]): Params[K] {
  try {
    return resolveParams({ [name]: raw })[name];
  } catch (error) {
    if (!(error instanceof ParamError)) throw error;
    throw new UsageError(`--${flag}${error.message.slice(error.param.length)}`);
  }
}

// One flag per model parameter, named from the model (frameSizes -> --frame-sizes), so a new
// parameter gets its flag without a second list to keep in step.
const PARAM_FLAGS = new Map<string, keyof Params>(PARAM_NAMES.map((name) => [flagName(name), name]));

const OPTIONS = {
  ...Object.fromEntries(
    [...PARAM_FLAGS].map(([flag, name]) => [flag, { type: name === 'quick' ? 'boolean' : 'string' }]),
  ),
  only: { type: 'string', multiple: true },
  'from-data': { type: 'string' },
  fresh: { type: 'boolean' },
  'report-dir': { type: 'string' },
  rerun: { type: 'boolean' },
  pdf: { type: 'boolean' },
  'cell-timeout': { type: 'string' },
  'notebook-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** `npm run report -- --help`. */
export const REPORT_USAGE = [
  'usage: npm run report -- [options]',
  '',
  'Parameters (injected into each chapter that declares them; see src/core/params.ts for bounds):',
  '  --frame-sizes 4KiB,64KiB  --fragment-size 100KiB  --rate 10  --clients 2  --burst 1',
  '  --duration 20s  --stacks 2015,today  --deflate on,off  --payload data-url  --seed 1  --repeats 1',
  '  (lists are comma-separated with no empty element; a value given twice, such as 1MiB,1048576, runs once)',
  '  --quick                  small values (per chapter, src/chapters/registry.ts); records go to a temp dir',
  'Which chapters and how:',
  `  --only 5 | --only harness  run the named chapters (numbers or names, comma-separated): ${CHAPTERS.map((c) => c.slug).join(', ')}`,
  '  --from-data DIR          replay: every chapter re-renders its latest records of the same parameters from DIR, measuring nothing',
  "  --fresh                  start from an empty report (drop earlier chapters' pages)",
  '  --report-dir DIR         write the report there instead of report/',
  '  --pdf                    also print the one-file report (deflate-lab.html) to deflate-lab.pdf',
  "  --rerun                  run every notebook's cells a second time in the same kernel",
  '  --cell-timeout 5min  --notebook-timeout 15min   time limits (kernel killed, cell named)',
].join('\n');

/** A parsed report command line. */
export interface ReportArgs {
  help: boolean;
  request: ReportRequest;
}

function limitMs(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const form = `use a duration from ${LIMIT_BOUNDS.min / 1000}s to ${LIMIT_BOUNDS.max / 3_600_000}h, e.g. 90s or 5min`;
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (error) {
    throw new UsageError(`--${flag}: ${(error as UnitError).message}`);
  }
  if (!(ms >= LIMIT_BOUNDS.min && ms <= LIMIT_BOUNDS.max))
    throw new UsageError(`--${flag}: ${raw} is out of range: ${form}`);
  return ms;
}

/** A node:util parseArgs error as one line that says what to do, for `command` (`npm run report`, …). */
export function usageError(error: Error & { code?: string }, command = 'npm run report'): UsageError {
  const flag = /'(-[^' ]+)/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${flag}: see ${command} -- --help`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(error.message))
        return new UsageError(`${flag}: needs a value, e.g. ${flag} 10: see ${command} -- --help`);
      // `--seed -1`: parseArgs will not take a value that looks like a flag unless it is attached.
      if (/ambiguous/.test(error.message))
        return new UsageError(`${flag}: a value starting with '-' must be attached: write ${flag}=<value>`);
      return new UsageError(`${flag}: takes no value: write ${flag.replace(/=.*/, '')} alone`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(
        `unexpected argument '${/'([^']*)'/.exec(error.message)?.[1] ?? ''}': write options as --name value, see ${command} -- --help`,
      );
    default:
      return new UsageError(error.message.split('\n')[0]);
  }
}

/** Parses and checks the report's command line; throws a one-line input error. */
export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw usageError(error as Error & { code?: string });
  }
  const given: RawParams = {};
  for (const [flag, name] of PARAM_FLAGS) {
    const value = values[flag];
    if (value !== undefined) given[name] = value as never;
  }
  try {
    resolveParams(given);
  } catch (error) {
    // The model names parameters in camelCase; on the command line the user wrote the flag.
    if (!(error instanceof ParamError) || !PARAM_FLAGS.has(flagName(error.param))) throw error;
    throw new UsageError(`--${flagName(error.param)}${error.message.slice(error.param.length)}`);
  }
  const limits: Partial<RunLimits> = {};
  const cell = limitMs('cell-timeout', values['cell-timeout'] as string | undefined);
  const notebook = limitMs('notebook-timeout', values['notebook-timeout'] as string | undefined);
  if (cell !== undefined) limits.cellTimeoutMs = cell;
  if (notebook !== undefined) limits.notebookTimeoutMs = notebook;
  return {
    help: values.help === true,
    request: {
      chapters: selectChapters(values.only as string[] | undefined),
      given: given,
      fromData: values['from-data'] as string | undefined,
      fresh: values.fresh === true,
      reportDir: values['report-dir'] as string | undefined,
      rerun: values.rerun === true,
      pdf: values.pdf === true,
      limits: limits,
    },
  };
}

/** The one line to print for an error the user must fix (an InputError), or undefined for anything else (a bug). */
export function inputErrorLine(error: unknown): string | undefined {
  if (!(error instanceof InputError)) return undefined;
  return error.message.replace(/\s*\n\s*/g, ' ');
}
