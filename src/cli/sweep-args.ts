/**
 * The sweep's command line: a named grid, optionally with dimensions replaced, and how to treat
 * runs already recorded. Values are checked with the parameter model (src/core/params.ts), so a bad
 * size or rate gets the same one-line error as in the report; `--rate` and `--burst` take lists
 * here, because a sweep crosses them.
 */
import { parseArgs } from 'node:util';
import { splitList, type ParamError, type Params, type RawParams } from '../core/params';
import { overrideGrid, SWEEP_GRIDS, type GridName, type SweepGrid } from '../sweep/grid';
import { checkedFlag, EXIT_BUSY, usageError, UsageError } from './args';

/** `npm run sweep -- --help`. */
export const SWEEP_USAGE = [
  'usage: npm run sweep -- [options]',
  '',
  `  --grid ${Object.keys(SWEEP_GRIDS).join('|')}     which grid (default hour: fits an hour on 2 cores, knee searches included; full: every combination at fixed rates, 1296 runs)`,
  "The hour grid sets most loads as fractions of each server's knee: the knees are read from <data dir>/capacity/,",
  'or searched first (and recorded there) when any is missing. The estimated time is printed before the runs start.',
  'Replace a dimension in every block of the grid (checked as in npm run report; see src/core/params.ts):',
  '  --frame-sizes 3000,200KiB,1.5MiB  --rate 2,10  --burst 1,3  --stacks 2015,today  --deflate on,off',
  '  --payload data-url,png,json  --repeats 3  --duration 10s  --clients 4  --fragment-size 100KiB  --seed 1',
  '  (lists are comma-separated with no empty element; a value given twice, such as 1MiB,1048576, runs once)',
  '  (--rate or --burst replaces the knee fractions with that fixed load)',
  'Runs already recorded under their resume key (parameters, repeat, package versions) are skipped:',
  '  --fresh          measure every run again, and the knees',
  '  --retry-failed   measure again the runs recorded as failed',
  '  --dry-run        print the plan (runs planned, to do, skipped) and stop',
  '  --allow-busy     record even when the 1-min load average is above half the cores',
  `Records go to <data dir>/sweep/ (data/, or DEFLATE_LAB_DATA_DIR). Into data/ the sweep refuses to start on a busy machine (exit ${EXIT_BUSY}).`,
].join('\n');

/** A parsed sweep command line. */
export interface SweepArgs {
  help: boolean;
  grid: SweepGrid;
  fresh: boolean;
  retryFailed: boolean;
  dryRun: boolean;
  allowBusy: boolean;
}

// The model's parameters a sweep takes from the command line, by flag.
const LIST_FLAGS = {
  'frame-sizes': 'frameSizes',
  rate: 'rate',
  burst: 'burst',
  stacks: 'stacks',
  deflate: 'deflate',
  payload: 'payload',
  repeats: 'repeats',
  duration: 'duration',
  clients: 'clients',
  'fragment-size': 'fragmentSize',
  seed: 'seed',
} as const satisfies Record<string, keyof Params>;

const OPTIONS = {
  ...Object.fromEntries(Object.keys(LIST_FLAGS).map((flag) => [flag, { type: 'string' }])),
  grid: { type: 'string' },
  fresh: { type: 'boolean' },
  'retry-failed': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'allow-busy': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string }>;

// Rate and burst are single values in the model; a sweep crosses several, each checked alone.
function listOf<K extends 'rate' | 'burst'>(flag: string, name: K, raw: string): Array<Params[K]> {
  let items: string[];
  try {
    items = splitList(name, raw, name === 'rate' ? '2,10' : '1,3');
  } catch (error) {
    throw new UsageError(`--${flag}${(error as ParamError).message.slice(name.length)}`);
  }
  if (items.length === 0)
    throw new UsageError(
      `--${flag}: empty: give one or more values, e.g. --${flag} ${name === 'rate' ? '2,10' : '1,3'}`,
    );
  return [...new Set(items.map((item) => checkedFlag(flag, name, item)))];
}

/** Parses and checks the sweep's command line; throws a one-line UsageError. */
export function parseSweepArgs(argv: readonly string[]): SweepArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw usageError(error as Error, 'npm run sweep');
  }
  const gridName = (values.grid as string | undefined) ?? 'hour';
  if (!(gridName in SWEEP_GRIDS))
    throw new UsageError(`--grid: unknown '${gridName}': use one of ${Object.keys(SWEEP_GRIDS).join(', ')}`);
  const text = (flag: keyof typeof LIST_FLAGS): string | undefined => values[flag] as string | undefined;
  const given = <K extends keyof Params>(flag: keyof typeof LIST_FLAGS, name: K): Params[K] | undefined => {
    const raw = text(flag);
    return raw === undefined ? undefined : checkedFlag(flag, name, raw as RawParams[K]);
  };
  const rate = text('rate');
  const burst = text('burst');
  const grid = overrideGrid(SWEEP_GRIDS[gridName as GridName], {
    frameSizes: given('frame-sizes', 'frameSizes'),
    rates: rate === undefined ? undefined : listOf('rate', 'rate', rate),
    bursts: burst === undefined ? undefined : listOf('burst', 'burst', burst),
    stacks: given('stacks', 'stacks'),
    deflate: given('deflate', 'deflate'),
    payloads: given('payload', 'payload'),
    repeats: given('repeats', 'repeats'),
    duration: given('duration', 'duration'),
    clients: given('clients', 'clients'),
    fragmentSize: given('fragment-size', 'fragmentSize'),
    seed: given('seed', 'seed'),
  });
  return {
    help: values.help === true,
    grid: grid,
    fresh: values.fresh === true,
    retryFailed: values['retry-failed'] === true,
    dryRun: values['dry-run'] === true,
    allowBusy: values['allow-busy'] === true,
  };
}
