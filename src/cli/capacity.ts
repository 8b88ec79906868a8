/**
 * `npm run capacity`: the load generator's capacity and each server's knee, measured apart
 * (src/capacity), printed as tables and recorded in `<data dir>/capacity/`. Every value is checked
 * before anything starts; the most the run can take is printed before it starts.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { KNEE_REPEATS } from '../capacity/knee';
import {
  DEFAULT_CAPACITY_PLAN,
  capacityBoundMs,
  capacityEstimateMs,
  runCapacity,
  type CapacityPlan,
} from '../capacity/measure';
import {
  generatorHeadroom,
  generatorRows,
  kneeRows,
  offOverOn,
  ratioCell,
  GENERATOR_HEADROOM_GOAL,
} from '../capacity/summary';
import { textTable } from '../show/display';
import { ALLOW_BUSY_FLAG, assertQuietMachine, BusyMachineError } from '../core/machine-load';
import { type Params } from '../core/params';
import { dataDir } from '../core/paths';
import { assertWritable, DataDirError } from '../core/records';
import { formatBytes, formatDuration } from '../core/units';
import { checkedFlag, EXIT_BUSY, failInput, usageError, UsageError } from './args';

/** `npm run capacity -- --help`. */
export const CAPACITY_USAGE = [
  'usage: npm run capacity -- [options]',
  '  --frame-sizes 64KiB,1MiB,4MiB       data-url frame sizes (default 64KiB,1MiB,4MiB)',
  '  --stacks 2015,2015+ws0.8.1,2016-fixed,today   stacks whose knee is searched (default those four)',
  '  --deflate on,off                    deflate forced on, off, or both (default both)',
  `  --repeats N                         independent searches of each knee (default ${KNEE_REPEATS}, 1 to 20)`,
  '  --unpinned                          do not pin the generator and the server to a core each',
  `  ${ALLOW_BUSY_FLAG}                        record even when the 1-min load average is above half the cores`,
  `Records go to <data dir>/capacity/ (data/, or DEFLATE_LAB_DATA_DIR). Into data/ it refuses to start on a busy machine (exit ${EXIT_BUSY}).`,
].join('\n');

/** A parsed capacity command line. */
export interface CapacityArgs {
  help: boolean;
  plan: CapacityPlan;
  allowBusy: boolean;
}

const FLAGS = {
  'frame-sizes': 'frameSizes',
  stacks: 'stacks',
  deflate: 'deflate',
  repeats: 'repeats',
} as const satisfies Record<string, keyof Params>;

/** Parses and checks the capacity command line; throws a one-line UsageError. */
export function parseCapacityArgs(argv: readonly string[]): CapacityArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        unpinned: { type: 'boolean' },
        'allow-busy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (error) {
    throw usageError(error as Error, 'npm run capacity');
  }
  const given = <F extends keyof typeof FLAGS>(flag: F): Params[(typeof FLAGS)[F]] | undefined => {
    const raw = values[flag] as string | undefined;
    return raw === undefined ? undefined : checkedFlag(flag, FLAGS[flag], raw);
  };
  return {
    help: values.help === true,
    plan: {
      ...DEFAULT_CAPACITY_PLAN,
      frameSizes: given('frame-sizes') ?? DEFAULT_CAPACITY_PLAN.frameSizes,
      stacks: given('stacks') ?? DEFAULT_CAPACITY_PLAN.stacks,
      deflate: given('deflate') ?? DEFAULT_CAPACITY_PLAN.deflate,
      repeats: given('repeats') ?? DEFAULT_CAPACITY_PLAN.repeats,
      pin: values.unpinned !== true,
    },
    allowBusy: values['allow-busy'] === true,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let args: CapacityArgs;
  try {
    args = parseCapacityArgs(argv);
    if (args.help) {
      console.log(CAPACITY_USAGE);
      return 0;
    }
    assertWritable(dataDir());
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof DataDirError)) throw error;
    return failInput('npm run capacity', error.message);
  }
  try {
    assertQuietMachine(dataDir(), args.allowBusy);
  } catch (error) {
    if (!(error instanceof BusyMachineError)) throw error;
    console.error(`npm run capacity: ${error.message}`);
    return EXIT_BUSY;
  }
  const { plan } = args;
  const knees = plan.frameSizes.length * plan.stacks.length * plan.deflate.length;
  console.error(
    `capacity: generator at ${plan.frameSizes.map(formatBytes).join(', ')}; ${knees} knees, each searched ${plan.repeats ?? 1} times ` +
      `(${plan.stacks.join(', ')} × deflate ${plan.deflate.join(', ')}); ${plan.pin ? 'pinned where the machine allows' : 'unpinned'}; ` +
      `load average ${os.loadavg()[0].toFixed(1)}; typically ${formatDuration(capacityEstimateMs(plan))}, at most ${formatDuration(capacityBoundMs(plan))}`,
  );
  const started = performance.now();
  const record = await runCapacity(plan, { progress: (line) => console.error(`capacity: ${line}`) });
  console.log(`\ngenerator capacity (load average ${record.machineLoad?.loadAverageBefore ?? 'n/a'} before the run)`);
  console.log(textTable(generatorRows(record.generator)));
  if (record.knees.length) {
    console.log('\nserver knees');
    console.log(textTable(kneeRows(record.knees, record.meta.cores)));
    const ratios = [
      ...generatorHeadroom(record.generator, record.knees).map((r) => ({
        figure: `generator ÷ today's knee (deflate on), ${formatBytes(r.frameSize)}`,
        value: ratioCell(r),
        goal: `≥ ${GENERATOR_HEADROOM_GOAL}`,
      })),
      ...plan.stacks.flatMap((stack) =>
        offOverOn(record.knees, stack).map((r) => ({
          figure: `${stack} knee off ÷ on, ${formatBytes(r.frameSize)}`,
          value: ratioCell(r),
          goal: 'finding',
        })),
      ),
    ];
    if (ratios.length) console.log(`\n${textTable(ratios)}`);
  }
  console.log(
    `\nwall time ${formatDuration(performance.now() - started)}; recorded ${dataDir()}/capacity/${record.id}.json`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(`capacity: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
