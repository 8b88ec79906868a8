/**
 * Made-up records of chapter 9's memory row: one cell's repeat at 1,000 and 5,000 connections whose
 * samples give the slope asked for, with every control held; tests change what they need.
 */
import type { HistoryMemoryRecord } from '../../src/history/memory';
import { expectedDeflate, memoryRunKey, serverOptions, type MemoryCell } from '../../src/history/memory-plan';
import { META } from './made-up';

const ENGINE = { '2.3.0': '3.4.2', '2.4.0': '3.5.0' } as Record<string, string>;

/** A record of `cell`'s `repeat` whose RSS and heap grow by the given bytes per connection. */
export function memoryRecord(
  cell: MemoryCell,
  repeat: number,
  perConnection: { rss: number; heapUsed: number },
): HistoryMemoryRecord {
  const counts = [1000, 5000];
  const messageBytes = 16384;
  const deflate = expectedDeflate(cell, ENGINE[cell.socketio]);
  const sample = (n: number) => ({
    rss: 60_000_000 + n * perConnection.rss,
    heapUsed: 8_000_000 + n * perConnection.heapUsed,
    external: 2_000_000,
  });
  return {
    schema: 1,
    kind: 'history-memory',
    id: `made-up-${cell.socketio}-${cell.setting}-r${repeat}`,
    startedAt: `2026-12-08T00:0${repeat}:00.000Z`,
    endedAt: `2026-12-08T00:0${repeat}:30.000Z`,
    quick: false,
    meta: META,
    runKey: memoryRunKey(cell, { counts: counts, messageBytes: messageBytes, seed: 1 }),
    repeat: repeat,
    cell: cell,
    counts: counts,
    messageBytes: messageBytes,
    seed: 1,
    serverOptions: serverOptions(cell),
    perMessageDeflate: deflate ? { threshold: 1024 } : false,
    fileLimit: 6024,
    serverFileLimit: 6024,
    versions: { 'socket.io': cell.socketio, 'engine.io': ENGINE[cell.socketio], ws: '7.4.6' },
    baseline: sample(0),
    steps: counts.map((n) => ({
      connections: n,
      idle: sample(n),
      messaged: sample(n),
      serverSockets: n,
      clients: {
        held: n,
        connected: n,
        received: n,
        deflateAnswers: deflate ? n : 0,
        answers: [deflate ? 'permessage-deflate' : ''],
        wireBytes: n * (deflate ? 4600 : 20250),
        messageBytes: n * messageBytes,
      },
    })),
    perConnection: { ...perConnection },
  };
}
