/**
 * Chapter 0, the harness: proves the whole pipeline on today's socket.io. A server in this kernel,
 * socket.io-client clients streaming frames of each size for a few seconds, a live progress line,
 * a results table and a chart, and everything closed afterwards (so the cell can be rerun).
 */
import { showChart, showTable, progress } from '../../show/display';
import { resolveParams, type Params, type RawParams } from '../../core/params';
import { failureReasons } from '../../traffic/failure-rule';
import { loadLabel } from '../../traffic/offered-load';
import { runScenario, type ScenarioRecord } from '../../traffic/scenario';
import { socketIoScenario } from '../../traffic/presets';
import { replaySteps } from '../../core/replay';
import { replayable } from '../replayable';
import { formatBytes } from '../../core/units';

/** The stack and client this chapter exercises: today's, left at its defaults. */
const HARNESS_STACK = 'today';

const step = replaySteps('harness');

/** Checks the notebook's parameters (the same model and errors as the CLI). */
export function harnessParams(raw: RawParams): Params {
  return resolveParams(raw);
}

/** Runs one scenario per frame size, showing one live progress line; returns the records. */
export async function runHarness(params: Params): Promise<ScenarioRecord[]> {
  return replayable(step('runs', params), () => measureHarness(params));
}

async function measureHarness(params: Params): Promise<ScenarioRecord[]> {
  const bar = progress(`harness, ${params.clients} clients at ${params.rate}/s`, params.frameSizes.length);
  const records: ScenarioRecord[] = [];
  for (const frameSize of params.frameSizes) {
    const record = await runScenario(socketIoScenario(params, HARNESS_STACK, frameSize, 'in-process'), {
      quick: params.quick,
      onProgress: (p) =>
        bar.set(`${formatBytes(frameSize)}: ${p.sent} sent, ${p.delivered} delivered, ${p.failures} failures`),
    });
    records.push(record);
    bar.tick(1, `${formatBytes(frameSize)} done`);
  }
  bar.done(`${records.length} runs, every server closed`);
  return records;
}

/** One row per run: what was sent and received, the bytes on the wire, disconnects by reason, and whether it met its load. */
export function harnessRows(records: ScenarioRecord[]) {
  return records.map(({ spec, result }) => ({
    frame: formatBytes(spec.frameSize),
    sent: result.sent,
    delivered: result.delivered,
    verified: result.verified,
    'wire bytes / frame': result.delivered > 0 ? Math.round(result.wire.payloadBytes / result.delivered) : null,
    'ack p50 ms': result.ackRttMs.p50,
    'disconnects while sending':
      Object.entries(failureReasons(result))
        .map(([reason, n]) => `${reason} ×${n}`)
        .join(', ') ||
      // A run that did not meet its load proves no zero.
      (result.saturation?.length ? 'none seen, load not met' : 'none'),
    load: loadLabel(result.offered, result.failures > 0),
  }));
}

/** Shows the table of runs. */
export function showHarnessTable(records: ScenarioRecord[]): void {
  showTable(harnessRows(records), {
    caption: `socket.io ${records[0]?.stack.versions['socket.io'] ?? ''} in this kernel, clients in-process`,
  });
}

/** Charts delivered frames per second against frame size. */
export async function showHarnessChart(records: ScenarioRecord[]): Promise<void> {
  const values = records.map(({ spec, result }) => ({
    frame: formatBytes(spec.frameSize),
    bytes: spec.frameSize,
    'delivered per second': Number((result.delivered / Math.max(result.loadMs / 1000, 0.001)).toFixed(2)),
  }));
  await showChart(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 360,
      height: 200,
      data: { values },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'frame', type: 'ordinal', sort: { field: 'bytes' }, title: 'frame size' },
        y: { field: 'delivered per second', type: 'quantitative' },
      },
    },
    { caption: 'Frames delivered per second, by frame size (measured in this run)' },
  );
}
