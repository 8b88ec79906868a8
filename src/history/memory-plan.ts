/**
 * Chapter 9, row 1: what a socket.io connection costs its server with permessage-deflate on, in
 * the versions around the default change. ws turned server deflate off by default after reports of
 * memory growing with connections (websockets/ws#1107, 2017); engine.io followed in 3.5.0 (socket.io
 * 2.4.0) and 4.0.0 (socket.io 3.0). The four cells, the plan a recording runs, and the one rule for
 * which cells negotiate deflate live here.
 */
import { InputError } from '../core/errors';
import { hardFileLimit } from '../core/file-limit';
import { KiB } from '../core/params';
import { compareVersions } from '../core/version-cache';

/** The record kind (folder under the data dir) of the memory recording. */
export const HISTORY_MEMORY_KIND = 'history-memory';

/** How a cell sets the server's deflate: the release's default, explicitly off, or forced on. */
export type DeflateSetting = 'default' | 'off' | 'forced';

/** One cell: a socket.io release and its deflate setting. */
export interface MemoryCell {
  socketio: string;
  setting: DeflateSetting;
}

/** socket.io 2.3.0 (engine.io 3.4.x: deflate on by default) and 2.4.0 (engine.io 3.5.0: off), each both ways. */
export const MEMORY_CELLS: readonly MemoryCell[] = [
  { socketio: '2.3.0', setting: 'default' },
  { socketio: '2.3.0', setting: 'off' },
  { socketio: '2.4.0', setting: 'default' },
  { socketio: '2.4.0', setting: 'forced' },
];

/**
 * How deflate is forced on where it is off by default: engine.io 3.4's own default, written out
 * (`true` becomes `{ threshold: 1024 }` there), so the forced cell runs what the old default ran.
 */
export const FORCED_DEFLATE = { threshold: 1024 } as const;

/** The first engine.io release whose server negotiates no deflate unless told to. */
export const ENGINE_DEFLATE_OFF_FROM = '3.5.0';

/** The server options a cell passes to socket.io: nothing at the default. */
export function serverOptions(cell: MemoryCell): { perMessageDeflate?: false | typeof FORCED_DEFLATE } {
  if (cell.setting === 'off') return { perMessageDeflate: false };
  if (cell.setting === 'forced') return { perMessageDeflate: { ...FORCED_DEFLATE } };
  return {};
}

/** Whether a cell's server should accept permessage-deflate, given the engine.io its socket.io resolved. */
export function expectedDeflate(cell: MemoryCell, engineIo: string): boolean {
  if (cell.setting === 'off') return false;
  if (cell.setting === 'forced') return true;
  return compareVersions(engineIo, ENGINE_DEFLATE_OFF_FROM) < 0;
}

/** `socket.io 2.3.0, deflate default` and so on. */
export function cellLabel(cell: MemoryCell): string {
  return `socket.io ${cell.socketio}, deflate ${cell.setting === 'forced' ? `forced on (${JSON.stringify(FORCED_DEFLATE)})` : cell.setting}`;
}

/** What a memory recording measures: every cell at every count, `repeats` times. */
export interface MemoryPlan {
  /** Connection counts, ascending; the per-connection figure is the slope between the first and the last. */
  counts: number[];
  repeats: number;
  /** The one message each connection receives: JSON text of this many characters (compressible, like a real payload). */
  messageBytes: number;
  /** The payload's seed: the same message in every cell. */
  seed: number;
  cells: MemoryCell[];
}

/** The recorded plan: 1,000 and 5,000 connections, 5 repeats of each cell, one 16 KiB JSON message each. */
export const MEMORY_PLAN: MemoryPlan = {
  counts: [1000, 5000],
  repeats: 5,
  messageBytes: 16 * KiB,
  seed: 1,
  cells: [...MEMORY_CELLS],
};

/** Files a child needs beyond its sockets (Node's own, the IPC channel, the listening socket), with room to spare. */
const FILE_MARGIN = 1024;

/** The open-file limit each child of a run with up to `connections` connections is started with. */
export function fileLimitFor(connections: number): number {
  return connections + FILE_MARGIN;
}

/** The most repeats a recording takes. */
const MAX_REPEATS = 20;

/** Checks a plan before anything starts; throws a one-line InputError naming the parameter. */
export function checkMemoryPlan(plan: MemoryPlan): MemoryPlan {
  const hard = hardFileLimit() ?? Infinity;
  const most = Math.min(20_000, hard - FILE_MARGIN);
  const { counts } = plan;
  if (counts.length < 2 || counts.some((c, i) => !Number.isInteger(c) || c < 1 || (i > 0 && c <= counts[i - 1])))
    throw new InputError(`counts: ${counts.join(',')}: give two or more ascending whole numbers, e.g. 1000,5000`);
  if (counts[counts.length - 1] > most)
    throw new InputError(
      `counts: ${counts[counts.length - 1]} connections need ${fileLimitFor(counts[counts.length - 1])} open files, above what this machine allows (hard limit ${hard}): use at most ${most}`,
    );
  if (!Number.isInteger(plan.repeats) || plan.repeats < 1 || plan.repeats > MAX_REPEATS)
    throw new InputError(`repeats: ${plan.repeats}: use a whole number from 1 to ${MAX_REPEATS}`);
  if (!Number.isInteger(plan.messageBytes) || plan.messageBytes < 2 * KiB || plan.messageBytes > 1024 * KiB)
    throw new InputError(
      `messageBytes: ${plan.messageBytes}: use a whole number of bytes from 2048 (above the 1024-byte threshold) to 1048576`,
    );
  if (plan.cells.length === 0) throw new InputError('cells: none given: name at least one, e.g. 2.3.0-default');
  return plan;
}

/** `2.3.0-default`: how a cell is named on the command line and in record ids. */
export function cellName(cell: MemoryCell): string {
  return `${cell.socketio}-${cell.setting}`;
}

/** Parses `2.3.0-default,2.4.0-forced` (or `all`) into cells of MEMORY_CELLS. */
export function parseCells(raw: string): MemoryCell[] {
  if (raw === 'all') return [...MEMORY_CELLS];
  return raw.split(',').map((name) => {
    const cell = MEMORY_CELLS.find((c) => cellName(c) === name);
    if (!cell)
      throw new InputError(
        `cells: "${name}" is not a cell: use all, or some of ${MEMORY_CELLS.map(cellName).join(',')}`,
      );
    return cell;
  });
}

/**
 * What a record must share with the plan to count as one of its repeats (skipped when the recorder
 * runs the plan again): the cell and every fixed parameter.
 */
export function memoryRunKey(cell: MemoryCell, plan: Omit<MemoryPlan, 'cells' | 'repeats'>): string {
  return `${cellName(cell)}_n${plan.counts.join('-')}_m${plan.messageBytes}_s${plan.seed}`;
}
