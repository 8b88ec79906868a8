/**
 * Chapter 7, part 3: what deflate costs per connection in the server's memory, at 10 and 100
 * connections, idle and after one exchange each way (src/chapters/07-today/connection-memory.ts measures; this
 * part plans the runs, summarises them and words the finding).
 */
import { showChart, showTable, showText, progress } from '../../show/display';
import {
  EXCHANGE_BYTES,
  measureConnectionMemory,
  type ConnectionMemoryRecord,
  type MemorySample,
} from './connection-memory';
import { DEFLATE_MODES, type DeflateMode, type Params } from '../../core/params';
import { median } from '../../core/stats';
import { formatBytes } from '../../core/units';
import { readCompressDefault, readThresholdRule, type SourceEvidence } from './defaults';
import { replayable } from '../replayable';
import { step } from './step';

/** How many connections each memory run holds open, one run per count. */
export const MEMORY_CONNECTIONS: readonly number[] = [10, 100];

/** The memory runs, and the installed source lines that explain them (read by a search). */
export interface MemoryRun {
  records: ConnectionMemoryRecord[];
  thresholdRule: ReturnType<typeof readThresholdRule>;
  compressDefault: SourceEvidence | null;
}

/**
 * Runs every (connections × deflate) measurement `params.repeats` times, with one held-clients
 * process, and reads where ws and engine.io decide to compress.
 */
export async function runConnectionMemory(params: Params): Promise<MemoryRun> {
  return replayable(step('connection-memory', params), async () => ({
    records: await measureMemoryRuns(params),
    thresholdRule: readThresholdRule(),
    compressDefault: readCompressDefault(),
  }));
}

async function measureMemoryRuns(params: Params): Promise<ConnectionMemoryRecord[]> {
  const specs = [];
  for (let r = 0; r < params.repeats; r++) {
    for (const connections of MEMORY_CONNECTIONS) {
      for (const deflate of DEFLATE_MODES)
        specs.push({ deflate, connections, exchangeBytes: EXCHANGE_BYTES, seed: params.seed });
    }
  }
  const bar = progress('memory per connection', specs.length);
  try {
    return await measureConnectionMemory(specs, {
      quick: params.quick,
      onMeasured: (record) => bar.tick(1, `${record.spec.connections} connections, deflate ${record.spec.deflate}`),
    });
  } finally {
    bar.done();
  }
}

/** The median per-connection figures of one (connections, deflate) cell. */
export interface MemoryCell {
  connections: number;
  deflate: DeflateMode;
  runs: number;
  idle: MemorySample;
  exchanged: MemorySample;
  /** Smallest and largest RSS per connection after the exchange, over the runs. */
  exchangedRssRange: [number, number];
  /** Whether every handshake of every run agreed with the setting (deflate accepted iff on). */
  negotiatedAsSet: boolean;
  compressedMessages: number;
  /** zlib streams the server created per connection (median over runs): connected idle, and after the exchange. */
  zlibPerConnection: { idle: number; exchanged: number };
}

function medianSample(samples: MemorySample[]): MemorySample {
  return {
    rss: median(samples.map((s) => s.rss)),
    heapUsed: median(samples.map((s) => s.heapUsed)),
    external: median(samples.map((s) => s.external)),
  };
}

/** Groups the records by (connections, deflate) and takes medians over repeats. */
export function memoryCells(records: ConnectionMemoryRecord[]): MemoryCell[] {
  const cells: MemoryCell[] = [];
  for (const connections of [...new Set(records.map((r) => r.spec.connections))].sort((a, b) => a - b)) {
    for (const deflate of DEFLATE_MODES) {
      const runs = records.filter((r) => r.spec.connections === connections && r.spec.deflate === deflate);
      if (runs.length === 0) continue;
      const rss = runs.map((r) => r.perConnection.exchanged.rss);
      cells.push({
        connections,
        deflate,
        runs: runs.length,
        idle: medianSample(runs.map((r) => r.perConnection.idle)),
        exchanged: medianSample(runs.map((r) => r.perConnection.exchanged)),
        exchangedRssRange: [Math.min(...rss), Math.max(...rss)],
        negotiatedAsSet: runs.every((r) => r.handshakes.deflate === (deflate === 'on' ? r.handshakes.total : 0)),
        compressedMessages: runs.reduce((sum, r) => sum + r.compressedMessages, 0),
        zlibPerConnection: {
          idle: median(runs.map((r) => (r.zlibStreams.idle - r.zlibStreams.baseline) / connections)),
          exchanged: median(runs.map((r) => (r.zlibStreams.exchanged - r.zlibStreams.baseline) / connections)),
        },
      });
    }
  }
  return cells;
}

const kib = (bytes: number): number => Math.round(bytes / 102.4) / 10;

/** One row per cell, in KiB per connection. */
export function memoryRows(cells: MemoryCell[]) {
  return cells.map((c) => ({
    connections: c.connections,
    deflate: c.deflate,
    runs: c.runs,
    'RSS idle (KiB/conn)': kib(c.idle.rss),
    'RSS after exchange (KiB/conn)': kib(c.exchanged.rss),
    'RSS after exchange, range': `${kib(c.exchangedRssRange[0])}–${kib(c.exchangedRssRange[1])}`,
    'heap after exchange (KiB/conn)': kib(c.exchanged.heapUsed),
    'external after exchange (KiB/conn)': kib(c.exchanged.external),
    'zlib streams / conn, idle': c.zlibPerConnection.idle,
    'zlib streams / conn, after exchange': c.zlibPerConnection.exchanged,
    'negotiated as set': c.negotiatedAsSet,
    'compressed client messages': c.compressedMessages,
  }));
}

/** Words the finding from the cells: the deflate-on minus deflate-off RSS per connection at each count. */
export function memoryFinding(cells: MemoryCell[]): string {
  const parts: string[] = [];
  for (const connections of [...new Set(cells.map((c) => c.connections))]) {
    const on = cells.find((c) => c.connections === connections && c.deflate === 'on');
    const off = cells.find((c) => c.connections === connections && c.deflate === 'off');
    if (!on || !off) continue;
    if (!on.negotiatedAsSet || !off.negotiatedAsSet) {
      parts.push(`At ${connections} connections the handshakes did not match the setting, so no comparison is made.`);
      continue;
    }
    // Deflate negotiated but never used is not deflate on: the comparison would be of two plain servers.
    if (on.compressedMessages === 0) {
      parts.push(`At ${connections} connections no message was compressed with deflate on, so no comparison is made.`);
      continue;
    }
    parts.push(
      `At ${connections} connections, after one ${formatBytes(EXCHANGE_BYTES)} message each way, a connection cost the server ` +
        `${formatBytes(Math.round(on.exchanged.rss))} of RSS with deflate on and ${formatBytes(Math.round(off.exchanged.rss))} with it off ` +
        `(${on.exchanged.rss > off.exchanged.rss ? `${formatBytes(Math.round(on.exchanged.rss - off.exchanged.rss))} more` : 'no more'} with deflate; ` +
        `idle: ${formatBytes(Math.round(on.idle.rss))} vs ${formatBytes(Math.round(off.idle.rss))}; median of ${Math.min(on.runs, off.runs)} run${Math.min(on.runs, off.runs) === 1 ? '' : 's'}). ` +
        `With deflate on the server had created ${on.zlibPerConnection.idle} zlib stream${on.zlibPerConnection.idle === 1 ? '' : 's'} per connection before any application message, and ${on.zlibPerConnection.exchanged} after the exchange.`,
    );
  }
  return parts.join(' ') || 'No complete (on, off) pair was measured.';
}

/** Shows the table, a chart and the generated finding. */
export async function showConnectionMemory(memory: MemoryRun): Promise<void> {
  const { records, thresholdRule: rule } = memory;
  const cells = memoryCells(records);
  showTable(memoryRows(cells), {
    caption: `Server memory per connection (${records[0]?.versions['socket.io'] ? `socket.io ${records[0].versions['socket.io']}, ws ${records[0].versions.ws}` : ''}; a fresh server process per measurement, clients in another; sampled after a full GC)`,
  });
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 280,
      height: 180,
      data: {
        values: cells.flatMap((c) => [
          {
            connections: String(c.connections),
            deflate: c.deflate,
            state: 'idle',
            'KiB per connection': kib(c.idle.rss),
          },
          {
            connections: String(c.connections),
            deflate: c.deflate,
            state: 'after one exchange',
            'KiB per connection': kib(c.exchanged.rss),
          },
        ]),
      },
      mark: { type: 'bar' },
      encoding: {
        column: { field: 'state', type: 'nominal', title: null, sort: ['idle', 'after one exchange'] },
        x: { field: 'connections', type: 'ordinal' },
        xOffset: { field: 'deflate' },
        color: { field: 'deflate', type: 'nominal' },
        y: { field: 'KiB per connection', type: 'quantitative', title: 'server RSS per connection (KiB)' },
      },
    },
    { caption: 'Server RSS per connection, deflate on vs off (median over runs, measured in this run)' },
  );
  showText(memoryFinding(cells), { title: 'what the runs show' });
  const answers = [...new Set(records.filter((r) => r.spec.deflate === 'on').flatMap((r) => r.handshakes.answers))];
  showText(rule.text, {
    title: `where ws decides to compress a message — ${rule.package}, ${rule.where} (${rule.enclosing ?? 'top level'})`,
  });
  const why = thresholdFinding(cells, answers, memory.compressDefault);
  showText(why.text, { title: why.title });
}

/**
 * Why (or whether) an idle connection costs more with deflate on, worded from the cells measured,
 * the handshake answers seen and engine.io's per-packet compress line as read (null: not found).
 */
export function thresholdFinding(
  cells: MemoryCell[],
  answers: string[],
  compressDefault: SourceEvidence | null,
): { title: string; text: string } {
  const pairs = [...new Set(cells.map((c) => c.connections))].flatMap((n) => {
    const on = cells.find((c) => c.connections === n && c.deflate === 'on' && c.negotiatedAsSet);
    const off = cells.find((c) => c.connections === n && c.deflate === 'off' && c.negotiatedAsSet);
    return on && off ? [{ on: on, off: off }] : [];
  });
  const idleMore = pairs.length > 0 && pairs.every((p) => p.on.idle.rss > p.off.idle.rss);
  const title = idleMore
    ? 'why an idle connection already costs more with deflate on'
    : pairs.length === 0
      ? 'where ws decides to compress a message (no complete on/off pair measured)'
      : 'where ws decides to compress a message (an idle connection did not cost more with deflate on at every count)';
  const takeover = answers.some((a) => a.includes('server_no_context_takeover'));
  const perPacket = compressDefault
    ? `engine.io asks for compression on every packet unless the sender says otherwise, ${compressDefault.where}: \`${compressDefault.text}\``
    : 'no line of the installed engine.io was found that sets compression per packet';
  const text =
    `ws compares a message with the threshold only inside this condition, that is only when server_no_context_takeover was negotiated. ` +
    `The server's answers in these runs were ${answers.map((a) => `"${a}"`).join(', ') || '(none)'}: ` +
    (takeover
      ? 'it was, so small messages went uncompressed.'
      : `it was not, so ws compresses whatever the server sends, however small (${perPacket})` +
        (idleMore
          ? ', and each connection gets its deflate stream with its first packet: the zlib streams counted above.'
          : '.'));
  return { title: title, text: text };
}
