/**
 * Chapter 7, part 4: the new cliff. socket.io ≥ 3 refuses any message larger than
 * maxHttpBufferSize (1e6 by default) and drops the connection that sent it. Frame sizes are swept
 * across the limit with everything else at its defaults; each run shows what each side reported,
 * the frames lost, the reconnect loop and how soon the first failure came.
 */
import { showChart, showTable, showText, progress } from '../../show/display';
import type { Params } from '../../core/params';
import { cannotSayNoFailure, failureReasons, classifyScenario } from '../../traffic/failure-rule';
import { runScenario, type ScenarioRecord, type ScenarioResult } from '../../traffic/scenario';
import { socketIoScenario } from '../../traffic/presets';
import { packageDir, stackPackageDirs } from '../../core/stack-catalog';
import { formatBytes, formatDuration } from '../../core/units';
import { replayable } from '../replayable';
import { step } from './step';

/** The stack whose limit is swept. */
export const CLIFF_STACK = 'today';

interface SocketIoParser {
  Encoder: new () => {
    encode(packet: { type: number; nsp: string; id?: number; data: unknown[] }): Array<string | Buffer>;
  };
  PacketType: { EVENT: number };
}
interface EngineIoParser {
  encodePacket(
    packet: { type: 'message'; data: string },
    supportsBinary: boolean,
    callback: (encoded: string) => void,
  ): void;
}

/**
 * The bytes one frame's WebSocket message takes beyond the frame itself, encoded by the installed
 * client's own parsers (socket.io-parser, then engine.io-parser) for the run's largest sequence
 * number and ack id, so the limit can be compared with what actually crosses the wire.
 */
export function envelopeBytes(largestSeq: number, clients: number, frameSize: number): number {
  const dirs = stackPackageDirs(CLIFF_STACK);
  const sio = require(packageDir('socket.io-parser', dirs['socket.io-client'])) as SocketIoParser;
  const eio = require(packageDir('engine.io-parser', dirs['engine.io-client'])) as EngineIoParser;
  // The load's metadata, with the widest values the run can have (crc32 at most 10 digits).
  const meta = { client: `c${clients - 1}`, seq: largestSeq, crc: 0xffffffff, length: frameSize };
  const [encoded] = new sio.Encoder().encode({
    type: sio.PacketType.EVENT,
    nsp: '/',
    id: largestSeq,
    data: ['frame', meta, 'x'],
  });
  let message = '';
  eio.encodePacket({ type: 'message', data: String(encoded) }, true, (e) => {
    message = e;
  });
  return Buffer.byteLength(message) - 1;
}

/** Sweeps params.frameSizes at the stack's default limit (clients in a child process). */
export async function runCliff(params: Params): Promise<ScenarioRecord[]> {
  return replayable(step('cliff', params), () => measureCliff(params));
}

async function measureCliff(params: Params): Promise<ScenarioRecord[]> {
  const bar = progress('frame sizes across maxHttpBufferSize', params.frameSizes.length);
  const records: ScenarioRecord[] = [];
  try {
    for (const frameSize of params.frameSizes) {
      records.push(
        await runScenario(socketIoScenario(params, CLIFF_STACK, frameSize, 'forked'), {
          quick: params.quick,
          onProgress: (p) =>
            bar.set(`${formatBytes(frameSize)}: ${p.sent} sent, ${p.delivered} delivered, ${p.failures} failures`),
        }),
      );
      bar.tick(1);
    }
  } finally {
    bar.done();
  }
  return records;
}

/** Reconnects: sessions a client opened beyond its first. */
export function reconnects(result: ScenarioResult, clients: number): number {
  return Math.max(0, result.clientConnects.length - clients);
}

/** Per minute of sending, or null for a run too short to say. */
export function perMinute(count: number, result: ScenarioResult): number | null {
  return result.loadMs > 0 ? (count * 60_000) / result.loadMs : null;
}

/** The first failure under the rule; "none" only from a run that completed and sent (the size limit, not deflate, is the subject). */
function firstFailureText(result: ScenarioResult): string {
  const first = classifyScenario(result).firstFailureMs;
  if (first !== null) return formatDuration(first);
  const cannotSay = cannotSayNoFailure(result, 'any load');
  return cannotSay === null ? 'none' : `not measured (${cannotSay})`;
}

const reasonsOn = (result: ScenarioResult, side: 'server' | 'client'): string =>
  Object.entries(failureReasons(result))
    .filter(([k]) => k.startsWith(`${side}: `))
    .map(([k, n]) => `${k.slice(side.length + 2)} ×${n}`)
    .join(', ') || 'none';

/** One row per frame size: the message against the limit, and what each side saw. */
export function cliffRows(records: ScenarioRecord[]) {
  return records.map(({ spec, result, server }) => {
    const packet = spec.frameSize + envelopeBytes(result.sent + result.notSent, spec.clients, spec.frameSize);
    const rc = reconnects(result, spec.clients);
    return {
      frame: formatBytes(spec.frameSize),
      'frame (bytes)': spec.frameSize,
      'message ≤ (bytes)': packet,
      limit: server.maxHttpBufferSize,
      'over the limit': packet > server.maxHttpBufferSize,
      sent: result.sent,
      delivered: result.delivered,
      lost: result.sent - result.delivered,
      'not sent (offline)': result.notSent,
      'server saw': reasonsOn(result, 'server'),
      'error underneath':
        Object.entries(result.underlyingErrors)
          .map(([e, n]) => `${e} ×${n}`)
          .join(', ') || 'none',
      'client saw': reasonsOn(result, 'client'),
      reconnects: rc,
      'reconnects / min': perMinute(rc, result),
      'first failure': firstFailureText(result),
    };
  });
}

/** Words the cliff from the rows: where it is, what each side says, what is lost and how fast. */
export function cliffFinding(records: ScenarioRecord[]): string {
  const rows = cliffRows(records);
  const passed = rows.filter(
    (r) => r['server saw'] === 'none' && r['client saw'] === 'none' && r.lost === 0 && r.sent > 0,
  );
  const failed = rows.filter((r) => !passed.includes(r));
  if (rows.length === 0) return 'No run.';
  const limit = rows[0].limit;
  const parts: string[] = [];
  if (passed.length > 0) {
    const largest = passed.reduce((a, b) => (b['frame (bytes)'] > a['frame (bytes)'] ? b : a));
    parts.push(
      `Frames up to ${largest['frame (bytes)'].toLocaleString('en-US')} characters (messages of at most ${largest['message ≤ (bytes)'].toLocaleString('en-US')} bytes) were all delivered under the ${limit.toLocaleString('en-US')}-byte limit.`,
    );
  }
  if (failed.length > 0) {
    const smallest = failed.reduce((a, b) => (b['frame (bytes)'] < a['frame (bytes)'] ? b : a));
    parts.push(
      `From ${smallest['frame (bytes)'].toLocaleString('en-US')} characters (a message of up to ${smallest['message ≤ (bytes)'].toLocaleString('en-US')} bytes) ` +
        `the server reported ${smallest['server saw']} (underneath: ${smallest['error underneath']}) and the client ${smallest['client saw']}; ` +
        `the first failure came ${smallest['first failure']} after sending began, ${smallest.delivered} of ${smallest.sent} frames sent arrived ` +
        `(${smallest['not sent (offline)']} more could not be sent while offline), and the clients reconnected ${smallest.reconnects} times ` +
        `(${smallest['reconnects / min'] === null ? '?' : Math.round(smallest['reconnects / min'])} a minute).`,
    );
  }
  const mismatched = rows.filter((r) => r['over the limit'] === passed.includes(r));
  if (mismatched.length > 0)
    parts.push(`The limit did not predict ${mismatched.map((r) => r.frame).join(', ')}: look at those runs.`);
  return parts.join(' ');
}

/** Shows the table, a chart of frames delivered and lost, and the generated finding. */
export async function showCliff(records: ScenarioRecord[]): Promise<void> {
  const rows = cliffRows(records);
  const s = records[0]?.spec;
  showTable(rows, {
    caption: s
      ? `socket.io ${records[0].stack.versions['socket.io']} at its defaults: ${s.clients} socket.io clients, ${s.payload} frames, ${s.rate}/s each, for ${formatDuration(s.duration)} per size (clients in a child process)`
      : 'no runs',
  });
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 360,
      height: 200,
      data: {
        values: rows.flatMap((r) => [
          { frame: r.frame, bytes: r['frame (bytes)'], outcome: 'delivered', frames: r.delivered },
          { frame: r.frame, bytes: r['frame (bytes)'], outcome: 'lost (sent, never delivered)', frames: r.lost },
          { frame: r.frame, bytes: r['frame (bytes)'], outcome: 'not sent (offline)', frames: r['not sent (offline)'] },
        ]),
      },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'frame', type: 'ordinal', sort: { field: 'bytes' }, title: 'frame size' },
        y: { field: 'frames', type: 'quantitative', stack: 'zero' },
        color: { field: 'outcome', type: 'nominal' },
      },
    },
    { caption: 'Frames delivered, lost and not sent, by frame size (measured in this run)' },
  );
  showText(cliffFinding(records), { title: 'what the runs show' });
}
