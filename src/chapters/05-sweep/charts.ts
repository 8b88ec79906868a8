/**
 * Chapter 5's six Vega-Lite specs (the knees, then five over the runs), built from the same rows
 * the sentences read: the disconnect rate per connection-hour with its 95% interval, deflate on
 * beside off, a zero drawn at its one-sided bound; the other metrics as lines of the median over
 * repeats with the range as error bars; deflate on and off in two colours, frame sizes as ordered
 * categories (a reader's own sizes, e.g. 3000 B or 1.5 MiB, keep their labels).
 */
import type { ChartSpec } from '../../show/charts';
import { formatBytes } from '../../core/units';
import type { DeflateMode } from '../../core/params';
import type { RateEstimate } from '../../core/stats';
import { rateNumber } from '../../traffic/rates';
import type { PooledRow, Row } from './rows';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const DEFLATE_COLOURS = { domain: ['on', 'off'], range: ['#d62728', '#1f77b4'] };
/** Frame sizes as ordered categories along x, smallest first. */
const FRAME_X = {
  field: 'frame',
  type: 'ordinal',
  sort: { field: 'bytes' },
  title: 'frame size',
  axis: { labelAngle: -40 },
};
/** Deflate on and off in their two colours. */
const DEFLATE_COLOR = { field: 'deflate', type: 'nominal', scale: DEFLATE_COLOURS, title: 'deflate' };

/** Three significant digits: charts carry rounded values, the tables and records the exact ones. */
export function round3(value: number): number {
  return value === 0 || !Number.isFinite(value) ? value : Number(value.toPrecision(3));
}

interface Point {
  [field: string]: string | number;
}

function points(rows: ReadonlyArray<Row | PooledRow>, facet: (row: Row | PooledRow) => string): Point[] {
  return rows
    .filter((row) => row.value !== null)
    .map((row) => {
      const v = row.value as NonNullable<Row['value']>;
      return {
        facet: facet(row),
        deflate: row.deflate,
        frame: formatBytes(row.frameSize),
        bytes: row.frameSize,
        median: round3(v.median),
        min: round3(v.min),
        max: round3(v.max),
        n: v.n,
      };
    });
}

/** Median line, range bars and points against frame size, one colour per deflate mode, one panel per facet. */
function linesBySize(values: Point[], opts: { facetTitle: string; yTitle: string; log?: boolean }): ChartSpec {
  const scale = opts.log ? { type: 'log' } : {};
  return {
    $schema: SCHEMA,
    data: { values: values },
    facet: { column: { field: 'facet', type: 'nominal', title: opts.facetTitle, sort: null } },
    spec: {
      width: 200,
      height: 180,
      layer: [
        {
          mark: { type: 'rule' },
          encoding: {
            x: FRAME_X,
            y: { field: 'min', type: 'quantitative', scale: scale, title: opts.yTitle },
            y2: { field: 'max' },
            color: DEFLATE_COLOR,
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: FRAME_X,
            y: { field: 'median', type: 'quantitative', scale: scale },
            color: DEFLATE_COLOR,
            tooltip: [
              { field: 'frame' },
              { field: 'deflate' },
              { field: 'median' },
              { field: 'min' },
              { field: 'max' },
              { field: 'n' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  };
}

/** How a rate is drawn: the legend's words for each kind of point. */
export const RATE_KINDS = {
  settled: 'rate',
  unsettled: 'rate, not settled',
  bound: 'none: 95% upper bound',
  unproven: 'none, controls failed: bound',
} as const;
const RATE_SHAPES: Record<keyof typeof RATE_KINDS, string> = {
  settled: 'circle',
  unsettled: 'diamond',
  bound: 'triangle-down',
  unproven: 'cross',
};

/** Which kind of point a cell's rate is drawn as. */
export function rateKind(rate: RateEstimate, unprovenZeros: number): keyof typeof RATE_KINDS {
  if (rate.events > 0) return rate.unsettled === null ? 'settled' : 'unsettled';
  return unprovenZeros > 0 ? 'unproven' : 'bound';
}

/** One cell of the rate chart: the point drawn (the rate, or a zero's bound), its interval and what it rests on. */
export interface RatePoint {
  [field: string]: string | number;
}

/** The rate chart's points, one per cell with a run to count. */
export function ratePoints(rows: readonly Row[]): RatePoint[] {
  return rows.flatMap((row) => {
    const rate = row.disconnectRate;
    if (rate === null) return [];
    const kind = rateKind(rate, row.unprovenZeros);
    const point: RatePoint = {
      facet: row.stack,
      deflate: row.deflate,
      frame: formatBytes(row.frameSize),
      bytes: row.frameSize,
      load: row.load,
      kind: RATE_KINDS[kind],
      // A zero is drawn at its bound: a rate of 0 cannot sit on a log axis, and 0 is not what was shown.
      y: round3(rate.events > 0 ? rate.rate : rate.interval.high),
      low: round3(rate.interval.low),
      high: round3(rate.interval.high),
      sides: rate.interval.sides,
      interval: kind === 'unsettled' ? 'not settled' : 'settled',
      disconnects: rate.events,
      connectionHours: round3(rate.exposure),
      runs: rate.units,
      label: rate.events > 0 ? rateNumber(rate.rate) : `≤ ${rateNumber(rate.interval.high)}`,
    };
    return [point];
  });
}

/**
 * Chart 1: disconnects per connection-hour against frame size, deflate on beside off, one panel
 * per stack, on a log axis: a rate with its 95% interval (dashed when not settled), a zero as a
 * downward triangle at its one-sided bound.
 */
export function headlineChart(rows: readonly Row[]): ChartSpec {
  const values = ratePoints(rows);
  const kinds = (Object.keys(RATE_KINDS) as Array<keyof typeof RATE_KINDS>).filter((k) =>
    values.some((v) => v.kind === RATE_KINDS[k]),
  );
  const y = { type: 'quantitative', scale: { type: 'log' }, title: 'disconnects per connection-hour (log)' };
  const intervalLayer = {
    transform: [{ filter: "datum.sides === 'two-sided'" }],
    mark: { type: 'rule', strokeWidth: 1.5 },
    encoding: {
      y: { ...y, field: 'low' },
      y2: { field: 'high' },
      strokeDash: {
        field: 'interval',
        type: 'nominal',
        scale: {
          domain: ['settled', 'not settled'],
          range: [
            [1, 0],
            [4, 3],
          ],
        },
        title: '95% interval',
      },
    },
  };
  return {
    $schema: SCHEMA,
    data: { values: values },
    facet: { column: { field: 'facet', type: 'nominal', title: 'stack', sort: null } },
    spec: {
      width: 220,
      height: 200,
      encoding: {
        x: { ...FRAME_X, scale: { type: 'band', paddingInner: 0.3 } },
        xOffset: { field: 'deflate', type: 'nominal', scale: { domain: DEFLATE_COLOURS.domain } },
        color: DEFLATE_COLOR,
      },
      layer: [
        // Only where there is an interval to draw: an empty layer gives vega an infinite extent to warn about.
        ...(values.some((v) => v.sides === 'two-sided') ? [intervalLayer] : []),
        {
          mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
          encoding: {
            y: { ...y, field: 'y' },
            shape: {
              field: 'kind',
              type: 'nominal',
              scale: { domain: kinds.map((k) => RATE_KINDS[k]), range: kinds.map((k) => RATE_SHAPES[k]) },
              title: 'point',
            },
            tooltip: [
              { field: 'facet', title: 'stack' },
              { field: 'deflate' },
              { field: 'frame' },
              { field: 'load' },
              { field: 'label', title: 'per connection-hour' },
              { field: 'low' },
              { field: 'high' },
              { field: 'disconnects' },
              { field: 'connectionHours', title: 'connection-hours' },
              { field: 'runs' },
              { field: 'kind' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
    config: { legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 } },
  };
}

/** Chart 2: server CPU ms per MiB delivered against frame size, on vs off, one panel per stack. */
export function cpuChart(rows: readonly Row[]): ChartSpec {
  return linesBySize(
    points(rows, (r) => (r as Row).stack),
    { facetTitle: 'stack', yTitle: 'server CPU ms per MiB delivered', log: true },
  );
}

/** Chart 3: bytes on the wire per message against frame size, on vs off, one panel per payload kind. */
export function wireChart(rows: readonly PooledRow[]): ChartSpec {
  return linesBySize(
    points(rows, (r) => r.payload),
    { facetTitle: 'payload', yTitle: 'wire bytes per message', log: true },
  );
}

/** Chart 4: p99 ack round trip against frame size, on vs off, one panel per stack. */
export function ackChart(rows: readonly Row[]): ChartSpec {
  return linesBySize(
    points(rows, (r) => (r as Row).stack),
    { facetTitle: 'stack', yTitle: 'p99 ack round trip, ms', log: true },
  );
}

/**
 * Chart 5: the disconnect rate per connection-hour over frame size × (rate × burst), as a heat map;
 * each cell gives the rate (`n.s.` when not settled) or a zero's bound (`≤`), and its runs.
 */
export function heatmapChart(rows: readonly Row[]): ChartSpec {
  const values = rows.flatMap((row) => {
    const rate = row.disconnectRate;
    if (rate === null) return [];
    const notSettled = rate.events > 0 && rate.unsettled !== null;
    return [
      {
        frame: formatBytes(row.frameSize),
        bytes: row.frameSize,
        load: `${row.rate}/s × ${row.burst}`,
        weight: row.rate * row.burst,
        perHour: round3(rate.rate),
        disconnects: rate.events,
        label: `${ratePoints([row])[0].label}${notSettled ? ' n.s.' : ''} (${rate.units} run${rate.units === 1 ? '' : 's'})`,
      },
    ];
  });
  const y = {
    field: 'load',
    type: 'ordinal',
    sort: { field: 'weight', order: 'descending' },
    title: 'rate per client × burst',
  };
  return {
    $schema: SCHEMA,
    data: { values: values },
    width: 480,
    height: 160,
    encoding: { x: FRAME_X, y: y },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: {
            condition: { test: 'datum.disconnects === 0', value: '#f2f2f2' },
            field: 'perHour',
            type: 'quantitative',
            title: 'disconnects per connection-hour',
            scale: { scheme: 'orangered' },
            legend: { titleLimit: 300 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.disconnects > 0', value: 'black' }, value: '#777' },
        },
      },
    ],
  };
}

/** One server's capacity at one size: its knee (the median of its searches, with their range), or a lower bound of it. */
export interface KneePoint {
  stack: string;
  deflate: DeflateMode;
  frameSize: number;
  /** Offered payload MiB/s. */
  MiBps: number;
  kind: 'knee' | 'at least';
  /** The range over the searches that found a knee (both MiBps for a bound or a single search). */
  min: number;
  max: number;
  /** The same knee on the wire (median), null when no knee step counted its wire bytes. */
  wireMiBps: number | null;
  /** Searches made. */
  searches: number;
}

/** The knees: offered payload MiB/s each server still meets, vs frame size, deflate on and off, with the searches' range; a lower bound is a triangle. */
export function kneeChart(points: readonly KneePoint[]): ChartSpec {
  const values = points.map((p) => ({
    facet: p.stack,
    deflate: p.deflate,
    frame: formatBytes(p.frameSize),
    bytes: p.frameSize,
    MiBps: round3(p.MiBps),
    min: round3(p.min),
    max: round3(p.max),
    wireMiBps: p.wireMiBps === null ? null : round3(p.wireMiBps),
    searches: p.searches,
    kind: p.kind,
  }));
  const y = { field: 'MiBps', type: 'quantitative', title: 'knee, payload MiB/s offered', scale: { type: 'log' } };
  return {
    $schema: SCHEMA,
    data: { values: values },
    facet: { column: { field: 'facet', type: 'nominal', title: 'stack', sort: null } },
    spec: {
      width: 200,
      height: 180,
      layer: [
        { mark: { type: 'line' }, encoding: { x: FRAME_X, y: y, color: DEFLATE_COLOR } },
        {
          mark: { type: 'rule' },
          encoding: { x: FRAME_X, y: { ...y, field: 'min' }, y2: { field: 'max' }, color: DEFLATE_COLOR },
        },
        {
          mark: { type: 'point', size: 70, filled: true },
          encoding: {
            x: FRAME_X,
            y: y,
            color: DEFLATE_COLOR,
            shape: {
              field: 'kind',
              type: 'nominal',
              scale: { domain: ['knee', 'at least'], range: ['circle', 'triangle-up'] },
              title: 'found',
            },
            tooltip: [
              { field: 'facet' },
              { field: 'deflate' },
              { field: 'frame' },
              { field: 'MiBps', title: 'payload MiB/s (median)' },
              { field: 'min', title: 'lowest search' },
              { field: 'max', title: 'highest search' },
              { field: 'wireMiBps', title: 'wire MiB/s (median)' },
              { field: 'searches' },
              { field: 'kind' },
            ],
          },
        },
      ],
    },
  };
}
