/**
 * Chapter 9, row 1: memory per connection with deflate on. ws turned its server's deflate off by
 * default after reports of memory growing with every connection (websockets/ws#1107, 2017), and
 * engine.io followed in 3.5.0 (socket.io 2.4.0) and 4.0.0 (socket.io 3.0). The row is a recorded
 * dataset (`npm run record-history -- memory`, src/history/): this part reads it from the recorded
 * data dir, shows the four cells and words the finding, and measures one live spot check beside it
 * (socket.io 2.3.0 at its default and with deflate off, at small counts).
 */
import { showChart, showTable, showText, progress } from '../../show/display';
import { readRecords } from '../../core/records';
import { recordedDataDir } from '../../core/replay';
import { formatBytes } from '../../core/units';
import type { MeanEstimate } from '../../core/stats';
import { measureMemoryCell, type HistoryMemoryRecord } from '../../history/memory';
import { cellLabel, HISTORY_MEMORY_KIND, MEMORY_CELLS, MEMORY_PLAN } from '../../history/memory-plan';
import { summarizeMemory, type MemoryComparison, type MemorySummary } from '../../history/memory-summary';
import { replayable } from '../replayable';
import { step } from './step';

/** The command that records the row. */
export const RECORD_MEMORY_COMMAND = 'npm run record-history -- memory';

/** The recorded memory row in `dir` (the `--from-data` dir, else the committed data/). */
export function readRecordedMemory(dir: string = recordedDataDir()): HistoryMemoryRecord[] {
  return readRecords<HistoryMemoryRecord>(HISTORY_MEMORY_KIND, dir).records;
}

const kib = (bytes: number): number => Math.round(bytes / 102.4) / 10;

function intervalText(estimate: MeanEstimate): string {
  return estimate.interval === null ? 'one repeat' : `${kib(estimate.interval.low)}–${kib(estimate.interval.high)}`;
}

/** One row per cell: RSS and heap per connection (KiB, mean over repeats, 95% interval), with what it ran. */
export function memoryTableRows(summary: MemorySummary) {
  return summary.cells.map((c) => ({
    cell: c.label,
    versions: `engine.io ${c.versions['engine.io']}, ws ${c.versions.ws}`,
    'deflate negotiated': c.deflate ? 'yes' : 'no',
    'RSS / connection (KiB)': kib(c.rss.mean),
    'RSS 95% interval': intervalText(c.rss),
    'heap / connection (KiB)': kib(c.heapUsed.mean),
    'heap 95% interval': intervalText(c.heapUsed),
    repeats: c.repeats,
    connections: c.counts.join(' → '),
  }));
}

/** A difference in words: its mean, and its interval or why there is none; `verb` for a settled positive one. */
function differenceText(d: MeanEstimate, verb: string, negativeVerb: string): string {
  const repeats = `${d.n} paired repeat${d.n === 1 ? '' : 's'}`;
  const amount = formatBytes(Math.round(Math.abs(d.mean)));
  if (d.interval === null) return `${d.mean >= 0 ? verb : negativeVerb} ${amount} (${repeats}: no interval)`;
  const range = `95% interval ${formatBytes(Math.round(d.interval.low))} to ${formatBytes(Math.round(d.interval.high))}, ${repeats}`;
  if (d.interval.low > 0) return `${verb} ${amount} (${range})`;
  if (d.interval.high < 0) return `${negativeVerb} ${amount} (${range})`;
  return `made no difference that the runs can settle (${formatBytes(Math.round(d.mean))}; ${range})`;
}

/** Where the heap stood in a difference: how much of the RSS difference the JS heap holds. */
function heapText(c: MemoryComparison): string {
  if (Math.abs(c.rss.mean) === 0) return '';
  const share = c.heapUsed.mean / c.rss.mean;
  return ` The JS heap's share of it was ${formatBytes(Math.round(c.heapUsed.mean))} per connection (${Math.round(share * 100)}%)${share < 0.1 ? ': the rest lives outside the heap, where zlib keeps its streams' : ''}.`;
}

/** Words the row's finding from the summary: what deflate cost per connection, and what the default change saved. */
export function describeMemoryFinding(summary: MemorySummary): string {
  const { deflateCostOld: old, deflateCostNew: forced, defaultChangeSaved: saved } = summary;
  if (summary.cells.length === 0)
    return `No recorded run of the memory row held all its controls, so nothing is claimed (${summary.excluded} records left out).`;
  const at = summary.cells[0];
  const setting = `after each connection received one ${formatBytes(at.messageBytes)} JSON message, per connection as the slope between ${at.counts[0].toLocaleString('en')} and ${at.counts[at.counts.length - 1].toLocaleString('en')} connections`;
  const parts: string[] = [`Server memory ${setting}.`];
  if (old)
    parts.push(
      `On socket.io 2.3.0, deflate at its default (on) against \`perMessageDeflate: false\` ${differenceText(old.rss, 'cost', 'saved')} of RSS per connection.${heapText(old)}`,
    );
  if (forced)
    parts.push(
      `On socket.io 2.4.0, deflate forced on against its default (off) ${differenceText(forced.rss, 'cost', 'saved')} per connection.`,
    );
  if (saved) {
    const most = at.counts[at.counts.length - 1];
    const settled = saved.rss.interval !== null && saved.rss.interval.low > 0;
    parts.push(
      `The default change, 2.3.0's default against 2.4.0's, ${differenceText(saved.rss, 'saved', 'cost')} per connection` +
        (settled
          ? `: about ${formatBytes(Math.round(saved.rss.mean * most))} for a server holding ${most.toLocaleString('en')} connections.`
          : '.'),
    );
  }
  if (summary.excluded > 0)
    parts.push(`${summary.excluded} records were left out (a control did not hold, or other counts).`);
  return parts.join(' ');
}

/** Shows the recorded row: the table, a chart of RSS per connection with its interval, and the finding. */
export async function showRecordedMemory(
  records: readonly HistoryMemoryRecord[],
  dir: string = recordedDataDir(),
): Promise<MemorySummary | null> {
  if (records.length === 0) {
    showText(
      `No recording of the memory row in ${dir} yet: record it on a quiet machine with \`${RECORD_MEMORY_COMMAND}\` (${MEMORY_PLAN.counts.join(' and ')} connections, ${MEMORY_PLAN.repeats} repeats of each cell; \`--dry-run\` prints its time).`,
      { title: 'memory per connection: not recorded' },
    );
    return null;
  }
  const summary = summarizeMemory(records);
  showTable(memoryTableRows(summary), {
    caption: `Server memory per connection after one message each (recorded; a fresh server process per repeat, clients in another, sampled after a full GC)`,
  });
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 320,
      height: 160,
      data: {
        values: summary.cells.map((c) => ({
          cell: c.label,
          'KiB per connection': kib(c.rss.mean),
          low: kib(c.rss.interval?.low ?? c.rss.mean),
          high: kib(c.rss.interval?.high ?? c.rss.mean),
          deflate: c.deflate ? 'negotiated' : 'not negotiated',
        })),
      },
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'cell', type: 'nominal', sort: null, title: null },
            x: { field: 'KiB per connection', type: 'quantitative', title: 'server RSS per connection (KiB)' },
            color: { field: 'deflate', type: 'nominal' },
          },
        },
        {
          mark: 'rule',
          encoding: {
            y: { field: 'cell', type: 'nominal', sort: null },
            x: { field: 'low', type: 'quantitative' },
            x2: { field: 'high' },
          },
        },
      ],
    },
    { caption: 'Server RSS per connection in the four cells: mean over repeats, with its 95% interval (recorded)' },
  );
  showText(describeMemoryFinding(summary), { title: 'what the recording shows' });
  return summary;
}

/** The spot check's cells and counts: socket.io 2.3.0 at its default and with deflate off. */
export function spotCheckPlan(quick: boolean) {
  return {
    cells: MEMORY_CELLS.filter((c) => c.socketio === '2.3.0'),
    counts: quick ? [10, 50] : [100, 500],
    repeats: quick ? 1 : 3,
    messageBytes: MEMORY_PLAN.messageBytes,
    seed: MEMORY_PLAN.seed,
  };
}

/** Measures the spot check live (replayed under --from-data): the same code as the recording, at small counts. */
export async function runMemorySpotCheck(params: { quick: boolean }): Promise<HistoryMemoryRecord[]> {
  const plan = spotCheckPlan(params.quick);
  return replayable(step('memory-spot-check', { quick: params.quick, ...plan }), async () => {
    const bar = progress('memory spot check', plan.cells.length * plan.repeats);
    const records: HistoryMemoryRecord[] = [];
    try {
      // The pair of one repeat runs side by side: each cell has its own server and client processes,
      // and each server samples only its own memory, so they share the cores but not the figures.
      for (let repeat = 0; repeat < plan.repeats; repeat++) {
        const pair = await Promise.all(
          plan.cells.map(async (cell) => {
            const record = await measureMemoryCell(cell, repeat, plan, { quick: params.quick });
            bar.tick(1, cellLabel(cell));
            return record;
          }),
        );
        records.push(...pair);
      }
    } finally {
      bar.done();
    }
    return records;
  });
}

/** Words the spot check beside the recording: deflate's cost per connection live, and recorded. */
export function describeSpotCheck(live: MemorySummary, recorded: MemorySummary | null): string {
  const now = live.deflateCostOld;
  if (!now)
    return 'The spot check has no complete pair of socket.io 2.3.0 runs whose controls held, so it says nothing.';
  const counts = live.cells[0].counts;
  const text = `Live, at ${counts.join(' and ')} connections, deflate at socket.io 2.3.0's default against off ${differenceText(now.rss, 'cost', 'saved')} of RSS per connection.`;
  const then = recorded?.deflateCostOld;
  if (!then) return `${text} There is no recording to set it beside.`;
  const rc = recorded.cells[0].counts;
  const within =
    then.rss.interval !== null && now.rss.mean >= then.rss.interval.low && now.rss.mean <= then.rss.interval.high;
  const where =
    then.rss.interval === null
      ? 'which has no interval to hold it against'
      : `${within ? 'within' : 'outside'} its 95% interval (${formatBytes(Math.round(then.rss.interval.low))} to ${formatBytes(Math.round(then.rss.interval.high))})`;
  return `${text} The recording, at ${rc.join(' and ')} connections, gives ${formatBytes(Math.round(then.rss.mean))}: the live figure is ${where}.`;
}

/** Shows the spot check's cells and its sentence beside the recorded row. */
export function showMemorySpotCheck(records: readonly HistoryMemoryRecord[], recorded: MemorySummary | null): void {
  const live = summarizeMemory(records);
  showTable(memoryTableRows(live), { caption: 'Spot check, measured in this run at small counts' });
  showText(describeSpotCheck(live, recorded), { title: 'the spot check beside the recording' });
}
