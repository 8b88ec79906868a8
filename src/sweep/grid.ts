/**
 * The sweep's grid: which runs a sweep makes. A grid is a list of blocks, each a full cartesian
 * product of stacks × deflate × payloads × frame sizes × rates × bursts, with its own repeat
 * count; settings shared by every run (clients, duration, fragment size, …) belong to the grid.
 * The issue's default grid is one block; the grid `npm run sweep` runs is a union of smaller ones
 * that fits an hour on 2 cores. Each run has a resume key: a hash of everything that defines it
 * (every parameter, the repeat index, the resolved package versions), never the commit.
 */
import { createHash } from 'node:crypto';
import type { ClientKind } from '../clients/types';
import { BOUNDS, KiB, MiB, type DeflateMode, type Params, type PayloadKind, type StackName } from '../params';
import type { ClientPlacement, ScenarioSpec } from '../scenario';
import { installedVersions } from '../stacks/catalog';

/** One cartesian block of a grid, and why it is there. */
export interface GridBlock {
  /** Why this block exists; the chapter shows it beside the grid. */
  purpose: string;
  stacks: StackName[];
  deflate: DeflateMode[];
  payloads: PayloadKind[];
  frameSizes: number[];
  /** Messages per second per client. */
  rates: number[];
  /** Messages sent back to back per tick. */
  bursts: number[];
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

/** The issue's frame sizes. */
export const SWEEP_FRAME_SIZES = [1 * KiB, 8 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
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

/** The issue's default grid: 6 sizes × 2 rates × 2 bursts × 2 deflate × 3 stacks × 3 payloads × 3 repeats, 15 s each. */
export const FULL_GRID: SweepGrid = {
  ...SHARED,
  name: 'full',
  description: 'the default grid of the issue: every combination, 3 repeats of 15 s',
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
 * The grid `npm run sweep` runs by default: the full grid (1296 runs of 15 s; measured here at
 * about 20 s of wall time per 10 s run on a loaded 2-core machine, so more than 7 h) cut to 150
 * runs. Every chart keeps its axes; what is cut is repetition where no on/off comparison needs it,
 * and combinations no chart shows.
 */
export const HOUR_GRID: SweepGrid = {
  ...SHARED,
  name: 'hour',
  description:
    'the default grid cut to fit an hour on 2 cores: runs of 10 s instead of 15 s; 3 repeats only for the headline ' +
    '(data URLs on every stack at the heaviest load, 10/s × 3, deflate on and off); the other three rate × burst ' +
    'combinations only for 2015 with deflate on (the heat map), once; binary PNG and JSON once, on today, at the lightest load (2/s × 1)',
  duration: 10_000,
  blocks: [
    {
      purpose: 'headline: deflate on vs off on every stack, 3 repeats for the stable-conclusion check',
      stacks: SWEEP_STACKS,
      deflate: BOTH,
      payloads: ['data-url'],
      frameSizes: SWEEP_FRAME_SIZES,
      rates: [10],
      bursts: [3],
      repeats: 3,
    },
    {
      purpose: 'heat map: every rate × burst for 2015 with deflate on',
      stacks: ['2015'],
      deflate: ['on'],
      payloads: ['data-url'],
      frameSizes: SWEEP_FRAME_SIZES,
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
      frameSizes: SWEEP_FRAME_SIZES,
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

/**
 * Every run of the grid, each once (a cell in two blocks gets the larger repeat count), ordered
 * repeat by repeat so a partial sweep already covers every cell, and with deflate on and off of
 * a cell next to each other so the pair meets the same machine load.
 */
export function expandGrid(grid: SweepGrid, versions: Record<string, string> = installedVersions()): PlannedRun[] {
  const cells = new Map<string, { cell: SweepCell; repeats: number }>();
  for (const block of grid.blocks) {
    for (const stack of block.stacks) {
      for (const payload of block.payloads) {
        for (const frameSize of block.frameSizes) {
          for (const rate of block.rates) {
            for (const burst of block.bursts) {
              for (const deflate of block.deflate) {
                const cell: SweepCell = {
                  stack: stack,
                  deflate: deflate,
                  payload: payload,
                  frameSize: frameSize,
                  rate: rate,
                  burst: burst,
                  client: grid.client,
                  placement: grid.placement,
                  clients: grid.clients,
                  duration: grid.duration,
                  fragmentSize: grid.fragmentSize,
                  seed: grid.seed,
                  maxHttpBufferSize: grid.maxHttpBufferSize,
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
    blocks: grid.blocks.map((block) => ({ ...block, ...defined(dims) })),
  };
}
