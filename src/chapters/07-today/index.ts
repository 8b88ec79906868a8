/**
 * Chapter 7, today's socket.io: what a reader with a mysterious disconnect today needs. The
 * default (deflate off, and since when), deflate forced on under the load that broke 2015, what
 * deflate costs per connection, the new cliff (maxHttpBufferSize), a field guide to every
 * disconnect reason, and advice worded from the measurements. Each part lives in ./today/.
 */
import { showTable } from '../../show/display';
import { resolveParams, type Params, type RawParams } from '../../core/params';
import {
  deflateHistory,
  liveDefaults,
  readInstalledWarnings,
  readStackDeflateSource,
  readTodayDeflateSource,
  showDefaultsTable,
  showHistory,
  showTodayDeflateSource,
  type HistoryEntry,
  type LiveDefault,
  type SourceEvidence,
  type StackDeflateSource,
  type TodayDeflateSource,
} from './defaults';
import { STACK_NAMES } from '../../core/params';
import { formatBytes } from '../../core/units';
import { showFinding } from '../show-finding';
import { replayable } from '../replayable';
import { step } from './step';

export { runFragmentedLoad, showFragmentedLoad } from './fragmented';
export { runConnectionMemory, showConnectionMemory } from './memory';
export { runCliff, showCliff } from './cliff';
export { runGuide, showGuide } from './field-guide-page';
export { runAdvice, readSweep, showAdvice } from './advice';

/** Checks the notebook's parameters (the same model and errors as the CLI). */
export function todayParams(raw: RawParams): Params {
  return resolveParams(raw);
}

/** What each part of this chapter does with the frame sizes it was given, in sentences. */
export function todaySizesSentences(params: Params): string[] {
  const sorted = [...params.frameSizes].sort((a, b) => a - b);
  const sizes = sorted.map(formatBytes).join(', ');
  return [
    `Frame ${params.frameSizes.length === 1 ? 'size' : 'sizes'}: ${sizes}.`,
    'The defaults (part 1), the fragmented load (part 2) and the memory per connection (part 3) do not depend on them: each uses the load or the message it names.',
    "The cliff (part 4) runs every size at the server's default limit: where the cliff sits does not depend on the sizes (it is the limit itself), only which sizes fall over it.",
    'The field guide (part 5) does not depend on them: each row is one thing done on purpose, with its own small message.',
    params.quick
      ? `In quick mode the advice (part 6) is given at the largest size only, ${formatBytes(sorted[sorted.length - 1])}; a full run gives it for each size.`
      : 'The advice (part 6) is given for each size.',
  ];
}

/** Says what each part does with the sizes. */
export function showTodaySizes(params: Params): void {
  showFinding(todaySizesSentences(params));
}

/** Everything part 1 found: the source read, each stack's live handshake, and the history. */
export interface Defaults {
  today: TodayDeflateSource;
  stacks: StackDeflateSource[];
  live: LiveDefault[];
  warnings: SourceEvidence[];
  history: HistoryEntry[];
  /** today's maxHttpBufferSize, read back from a server started at its defaults. */
  limit: number;
}

/** Reads the defaults from the installed source and confirms them on the wire, on every stack. */
export async function runDefaults(params: Params): Promise<Defaults> {
  return replayable(step('defaults', params), () => readDefaults(params));
}

async function readDefaults(params: Params): Promise<Defaults> {
  const today = readTodayDeflateSource();
  const stacks = STACK_NAMES.map((stack) => readStackDeflateSource(stack));
  const live = await liveDefaults({ quick: params.quick });
  const warnings = readInstalledWarnings();
  const todayLive = live.find((l) => l.stack === 'today');
  if (!todayLive) throw new Error("the live check did not run today's stack");
  return {
    today,
    stacks,
    live,
    warnings,
    history: deflateHistory(stacks, today, warnings),
    limit: todayLive.record.server.maxHttpBufferSize,
  };
}

/** Shows part 1: today's source, every stack's default (read and live), the limits, and the history. */
export function showDefaults(defaults: Defaults): void {
  showTodayDeflateSource(defaults.today);
  showDefaultsTable(defaults.live, defaults.stacks);
  showTable(
    defaults.live.map((l) => ({
      stack: l.stack,
      'maxHttpBufferSize (read back from the running server)': l.record.server.maxHttpBufferSize,
      'pingInterval ms': l.record.server.pingInterval,
      'pingTimeout ms': l.record.server.pingTimeout,
    })),
    { caption: 'The other defaults that decide disconnects, read back from each server' },
  );
  showHistory(defaults.history);
}
