/**
 * The sweep's grid: which runs a sweep makes. A grid is a list of blocks, each a full cartesian
 * product of stacks × deflate × payloads × frame sizes × rates × bursts, with its own repeat
 * count; settings shared by every run (clients, duration, fragment size, …) belong to the grid.
 * The full grid is one block at fixed rates; the grid `npm run sweep` runs by default is a union of
 * smaller ones that fits an hour on 2 cores, most of them at fractions of the servers' knees
 * (src/sweep/knees.ts) so that every run offers work the server can take. Each run has a resume
 * key: a hash of everything that defines it (every parameter and the knee it is a fraction of, the
 * repeat index, the resolved package versions), never the commit.
 */
import { createHash } from 'node:crypto';
import type { KneeResult } from '../capacity/measure';
import type { ClientKind } from '../clients/types';
import { BOUNDS, KiB, MiB, type DeflateMode, type Params, type PayloadKind, type StackName } from '../core/params';
import type { ClientPlacement, ScenarioSpec } from '../traffic/scenario';
import { installedVersions } from '../core/stack-catalog';
import { formatBytes } from '../core/units';
import { kneeBasis, kneeSchedule, type KneeLoad } from './knees';

/** One cartesian block of a grid, and why it is there. */
export interface GridBlock {
  /** Why this block exists; the chapter shows it beside the grid. */
  purpose: string;
  stacks: StackName[];
  deflate: DeflateMode[];
  payloads: PayloadKind[];
  frameSizes: number[];
  /** Messages per second per client (empty when the block's loads are knee fractions). */
  rates: number[];
  /** Messages sent back to back per tick (empty when the block's loads are knee fractions). */
  bursts: number[];
  /**
   * Loads as fractions of the slower deflate setting's knee at each stack and frame size, instead
   * of fixed rates and bursts: each run's rate and burst are derived from the knee.
   */
  kneeFractions?: number[];
  repeats: number;
}

/** A sweep's definition: shared settings and the blocks whose union is the set of runs. */
export interface SweepGrid {
  name: string;
  /** How the grid came about, in a sentence (for a shrunk grid, the rule). */
  description: string;
  client: ClientKind;
  placement: ClientPlacement;
  clients: number;
  /** Send window per run, ms. */
  duration: number;
  fragmentSize: number;
  seed: number;
  /** The server's message limit on every stack. */
  maxHttpBufferSize: number;
  blocks: GridBlock[];
}

/** Everything that defines one run except its repeat index: a scenario with deflate forced and the limit set. */
export type SweepCell = Omit<ScenarioSpec, 'deflate' | 'maxHttpBufferSize' | 'stopOnFirstFailure'> & {
  deflate: DeflateMode;
  maxHttpBufferSize: number;
  /** The knee fraction the rate and burst were derived from, when the block set the load so. */
  knee?: KneeLoad;
};

/** One run of a sweep: a cell, which repeat, and its resume key. */
export interface PlannedRun {
  cell: SweepCell;
  repeat: number;
  /** The resolved versions of the cell's stack packages, keyed `<stack>/<package>`. */
  versions: Record<string, string>;
  key: string;
}

/**
 * Above every frame size the parameter model accepts, on every stack, so the size limit (chapter
 * 7's subject) never decides a run here; the same value for every run keeps runs comparable.
 */
export const SWEEP_MAX_HTTP_BUFFER_SIZE = 2 * BOUNDS.frameSize.max;

/** The sweep's frame sizes. */
export const SWEEP_FRAME_SIZES = [1 * KiB, 8 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
/**
 * The sizes whose load is set from a knee: from 64 KiB, where the fixed load reaches megabytes a
 * second; the sizes the capacity recording searches (each knee 3 times).
 */
export const KNEE_FRAME_SIZES = [64 * KiB, 1 * MiB, 4 * MiB];
/** The fixed load for frames too small to approach a knee, and for a knee block given --rate or --burst: 10/s × 3. */
const STANDARD_LOAD = { rates: [10], bursts: [3] };
const SWEEP_STACKS: StackName[] = ['2015', '2016-fixed', 'today'];
const SWEEP_PAYLOADS: PayloadKind[] = ['data-url', 'png', 'json'];
const BOTH: DeflateMode[] = ['on', 'off'];

// Shared by every named grid: the Node fragmenting client (it splits compressed messages into
// continuation frames as a browser does, which is what makes ws 0.8.0 fail on demand), placed in
// its own process so the server's CPU and memory are measured alone.
const SHARED = {
  client: 'fragmenting',
  placement: 'forked',
  clients: 4,
  fragmentSize: 100 * KiB,
  seed: 1,
  maxHttpBufferSize: SWEEP_MAX_HTTP_BUFFER_SIZE,
} as const satisfies Partial<SweepGrid>;

/** The full grid: 6 sizes × 2 rates × 2 bursts × 2 deflate × 3 stacks × 3 payloads × 3 repeats, 15 s each. */
export const FULL_GRID: SweepGrid = {
  ...SHARED,
  name: 'full',
  description: 'every combination at fixed rates, 3 repeats of 15 s',
  duration: 15_000,
  blocks: [
    {
      purpose: 'every combination',
      stacks: SWEEP_STACKS,
      deflate: BOTH,
      payloads: SWEEP_PAYLOADS,
      frameSizes: SWEEP_FRAME_SIZES,
      rates: [2, 10],
      bursts: [1, 3],
      repeats: 3,
    },
  ],
};

/**
 * The grid `npm run sweep` runs by default, knees included, within an hour on 2 cores. The full grid
 * (1296 runs of 15 s at fixed rates, most of them beyond what a server here takes at 1 MiB and up)
 * is cut to 210 runs of 5 s: every cell of the main chart 5 times (enough for a rate or a CPU pair
 * to settle), at half the knee from 64 KiB and at a fixed load far below any knee under it; single
 * runs at 25% and 90% of the knee; and the heat map and the payload kinds at fixed loads on the
 * cells they need.
 */
export const HOUR_GRID: SweepGrid = {
  ...SHARED,
  name: 'hour',
  description:
    'the default grid cut to fit an hour on 2 cores, knee searches included: runs of 5 s; from 64 KiB, data URLs on every ' +
    "stack at 50% of the slower setting's knee (5 repeats, deflate on and off), and at 25% and 90% at 64 KiB, 1 MiB and 4 MiB " +
    '(once); 1 KiB and 8 KiB at 10/s × 3 (5 repeats); every rate × burst for 2015 with deflate on at 64 KiB, 256 KiB and ' +
    '1 MiB (the heat map, once); binary PNG and JSON on today at 2/s × 1 at 8 KiB, 64 KiB and 1 MiB (once)',
  duration: 5_000,
  blocks: [
    {
      purpose: 'headline: deflate on vs off on every stack at half the knee, 5 repeats for the on/off comparisons',
      stacks: SWEEP_STACKS,
      deflate: BOTH,
      payloads: ['data-url'],
      frameSizes: KNEE_FRAME_SIZES,
      rates: [],
      bursts: [],
      kneeFractions: [0.5],
      repeats: 5,
    },
    {
      purpose: 'small frames: the same comparison at a fixed load, far below any knee',
      stacks: SWEEP_STACKS,
      deflate: BOTH,
      payloads: ['data-url'],
      frameSizes: [1 * KiB, 8 * KiB],
      ...STANDARD_LOAD,
      repeats: 5,
    },
    {
      purpose: 'below and near the knee: deflate on vs off at 25% and 90% of it',
      stacks: SWEEP_STACKS,
      deflate: BOTH,
      payloads: ['data-url'],
      frameSizes: KNEE_FRAME_SIZES,
      rates: [],
      bursts: [],
      kneeFractions: [0.25, 0.9],
      repeats: 1,
    },
    {
      purpose: 'heat map: every rate × burst for 2015 with deflate on, around where it starts to fail',
      stacks: ['2015'],
      deflate: ['on'],
      payloads: ['data-url'],
      frameSizes: [64 * KiB, 256 * KiB, 1 * MiB],
      rates: [2, 10],
      bursts: [1, 3],
      repeats: 1,
    },
    {
      purpose:
        'payload kinds: bytes on the wire for a binary image and JSON, on a stack whose deflate-on runs deliver what they send',
      stacks: ['today'],
      deflate: BOTH,
      payloads: ['png', 'json'],
      frameSizes: [8 * KiB, 64 * KiB, 1 * MiB],
      rates: [2],
      bursts: [1],
      repeats: 1,
    },
  ],
};

/** The grids the CLI knows by name. */
export const SWEEP_GRIDS = { hour: HOUR_GRID, full: FULL_GRID } as const;
/** A named grid. */
export type GridName = keyof typeof SWEEP_GRIDS;

/** A one-block grid from the parameter model (a notebook's parameters cell): one rate and one burst. */
export function paramsGrid(params: Params, name: string, description: string): SweepGrid {
  return {
    ...SHARED,
    name: name,
    description: description,
    clients: params.clients,
    duration: params.duration,
    fragmentSize: params.fragmentSize,
    seed: params.seed,
    blocks: [
      {
        purpose: 'the parameters cell',
        stacks: params.stacks,
        deflate: params.deflate,
        payloads: params.payload,
        frameSizes: params.frameSizes,
        rates: [params.rate],
        bursts: [params.burst],
        repeats: params.repeats,
      },
    ],
  };
}

/** A grid of exactly one cell, `repeats` times (e.g. to measure a recorded cell again). */
export function cellGrid(cell: SweepCell, repeats: number, name: string, description: string): SweepGrid {
  return {
    name: name,
    description: description,
    client: cell.client,
    placement: cell.placement,
    clients: cell.clients,
    duration: cell.duration,
    fragmentSize: cell.fragmentSize,
    seed: cell.seed,
    maxHttpBufferSize: cell.maxHttpBufferSize,
    blocks: [
      {
        purpose: name,
        stacks: [cell.stack],
        deflate: [cell.deflate],
        payloads: [cell.payload],
        frameSizes: [cell.frameSize],
        rates: [cell.rate],
        bursts: [cell.burst],
        repeats: repeats,
      },
    ],
  };
}

/**
 * JSON with object keys sorted at every level, so equal values always hash alike (JSON.stringify
 * follows insertion order, which differs between a cell built here and one read from a record).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, item]) => `${JSON.stringify(k)}:${canonicalJson(item)}`).join(',')}}`;
}

/** The cell's identity without its repeat index, for grouping repeats. */
export function cellKey(cell: SweepCell): string {
  return canonicalJson(cell);
}

/** A run's resume key: a hash of every parameter, the repeat index and the resolved package versions. */
export function resumeKey(cell: SweepCell, repeat: number, versions: Record<string, string>): string {
  return createHash('sha256')
    .update(canonicalJson({ cell: cell, repeat: repeat, versions: versions }))
    .digest('hex')
    .slice(0, 20);
}

/** The resolved versions of one stack's packages, from all of them (`<stack>/<package>` keys). */
export function stackVersions(
  stack: StackName,
  all: Record<string, string> = installedVersions(),
): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith(`${stack}/`)));
}

/** The loads a block offers at one stack and frame size: fixed rate × burst, or knee fractions with a usable knee. */
function blockLoads(
  block: GridBlock,
  stack: StackName,
  frameSize: number,
  clients: number,
  knees: readonly KneeResult[],
): Array<{ rate: number; burst: number; knee?: KneeLoad }> {
  if (block.kneeFractions?.length) {
    const basis = kneeBasis(knees, stack, frameSize);
    if (typeof basis === 'string') return [];
    return block.kneeFractions.map((fraction) => {
      const load = { fraction: fraction, basis: basis };
      return { ...kneeSchedule(load, frameSize, clients), knee: load };
    });
  }
  return block.rates.flatMap((rate) => block.bursts.map((burst) => ({ rate: rate, burst: burst })));
}

/**
 * Every run of the grid, each once (a cell in two blocks gets the larger repeat count), ordered
 * repeat by repeat so a partial sweep already covers every cell, and with deflate on and off of
 * a cell next to each other so the pair meets the same machine load. A block's knee fractions
 * need `knees` (src/sweep/knees.ts); a stack and size without a usable knee is left out
 * (kneeGaps says which and why).
 */
export function expandGrid(
  grid: SweepGrid,
  versions: Record<string, string> = installedVersions(),
  knees: readonly KneeResult[] = [],
): PlannedRun[] {
  const cells = new Map<string, { cell: SweepCell; repeats: number }>();
  for (const block of grid.blocks) {
    for (const stack of block.stacks) {
      for (const payload of block.payloads) {
        for (const frameSize of block.frameSizes) {
          for (const load of blockLoads(block, stack, frameSize, grid.clients, knees)) {
            for (const deflate of block.deflate) {
              const cell: SweepCell = {
                stack: stack,
                deflate: deflate,
                payload: payload,
                frameSize: frameSize,
                rate: load.rate,
                burst: load.burst,
                client: grid.client,
                placement: grid.placement,
                clients: grid.clients,
                duration: grid.duration,
                fragmentSize: grid.fragmentSize,
                seed: grid.seed,
                maxHttpBufferSize: grid.maxHttpBufferSize,
                ...(load.knee ? { knee: load.knee } : {}),
              };
              const key = cellKey(cell);
              const seen = cells.get(key);
              if (!seen) cells.set(key, { cell: cell, repeats: block.repeats });
              else seen.repeats = Math.max(seen.repeats, block.repeats);
            }
          }
        }
      }
    }
  }
  const maxRepeats = Math.max(0, ...[...cells.values()].map((c) => c.repeats));
  const runs: PlannedRun[] = [];
  for (let repeat = 0; repeat < maxRepeats; repeat++) {
    for (const { cell, repeats } of cells.values()) {
      if (repeat >= repeats) continue;
      const own = stackVersions(cell.stack, versions);
      runs.push({ cell: cell, repeat: repeat, versions: own, key: resumeKey(cell, repeat, own) });
    }
  }
  return runs;
}

/** The stacks and sizes a grid's knee fractions cannot be set for with `knees`, each with why. */
export function kneeGaps(grid: SweepGrid, knees: readonly KneeResult[]): string[] {
  const gaps = new Set<string>();
  for (const block of grid.blocks) {
    if (!block.kneeFractions?.length) continue;
    for (const stack of block.stacks) {
      for (const frameSize of block.frameSizes) {
        const basis = kneeBasis(knees, stack, frameSize);
        if (typeof basis === 'string') gaps.add(`${stack} at ${formatBytes(frameSize)}: ${basis}`);
      }
    }
  }
  return [...gaps];
}

/**
 * How many runs a grid plans before its knees are known: each knee fraction counts as one load. A
 * cell two blocks share counts twice, so this is an upper bound.
 */
export function plannedRunCount(grid: SweepGrid): number {
  let count = 0;
  for (const block of grid.blocks) {
    const loads = block.kneeFractions?.length ? block.kneeFractions.length : block.rates.length * block.bursts.length;
    count +=
      block.stacks.length *
      block.deflate.length *
      block.payloads.length *
      block.frameSizes.length *
      loads *
      block.repeats;
  }
  return count;
}

/** `50% of the knee`: a knee fraction as a reader names it. */
export function fractionLabel(fraction: number): string {
  return `${Math.round(fraction * 100)}% of the knee`;
}

/** `50% of the knee` or `10/s × 3`: a cell's load as a reader names it. */
export function loadLabel(cell: Pick<SweepCell, 'rate' | 'burst' | 'knee'>): string {
  return cell.knee ? fractionLabel(cell.knee.fraction) : `${cell.rate}/s × ${cell.burst}`;
}

/** How recorded runs are treated when a sweep starts again. */
export interface ResumeOptions {
  /** Measure every run again. */
  fresh?: boolean;
  /** Measure again the runs recorded as failed (they hold no measurement). */
  retryFailed?: boolean;
}

/** The runs still to make, given the status recorded under each key: by default every run without a record. */
export function runsToDo(
  runs: readonly PlannedRun[],
  recorded: ReadonlyMap<string, 'completed' | 'failed'>,
  opts: ResumeOptions = {},
): { todo: PlannedRun[]; skipped: PlannedRun[] } {
  const keep = (run: PlannedRun): boolean => {
    const status = recorded.get(run.key);
    if (opts.fresh || status === undefined) return false;
    return !(opts.retryFailed && status === 'failed');
  };
  return { todo: runs.filter((r) => !keep(r)), skipped: runs.filter(keep) };
}

/** Replaces dimensions in every block and shared settings (command-line or notebook values over a named grid). */
export function overrideGrid(
  grid: SweepGrid,
  over: Partial<Omit<GridBlock, 'purpose'>> &
    Partial<Pick<SweepGrid, 'clients' | 'duration' | 'fragmentSize' | 'seed'>>,
): SweepGrid {
  const { clients, duration, fragmentSize, seed, ...dims } = over;
  const changed = Object.keys(over).filter((k) => over[k as keyof typeof over] !== undefined);
  if (changed.length === 0) return grid;
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...grid,
    ...defined({ clients: clients, duration: duration, fragmentSize: fragmentSize, seed: seed }),
    name: `${grid.name} with ${changed.join(', ')} set`,
    blocks: grid.blocks.map((block) => {
      // A fixed rate or burst replaces a block's knee fractions: the load is then what was given.
      if (!block.kneeFractions || (dims.rates === undefined && dims.bursts === undefined))
        return { ...block, ...defined(dims) };
      const fixed: GridBlock = { ...block, ...STANDARD_LOAD, ...defined(dims) };
      delete fixed.kneeFractions;
      return fixed;
    }),
  };
}
