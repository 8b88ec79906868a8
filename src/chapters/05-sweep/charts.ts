/**
 * Chapter 5's six Vega-Lite specs (the knees, then five over the runs), built from the same rows the sentences read: lines of the
 * median over repeats with the range as error bars, deflate on and off in two colours, frame
 * sizes as ordered categories (a reader's own sizes, e.g. 3000 B or 1.5 MiB, keep their labels).
 */
import type { ChartSpec } from '../../show/charts';
import { formatBytes } from '../../core/units';
import type { DeflateMode } from '../../core/params';
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

/** Chart 1: disconnects per minute against frame size, deflate on vs off, one panel per stack. */
export function headlineChart(rows: readonly Row[]): ChartSpec {
  return linesBySize(
    points(rows, (r) => (r as Row).stack),
    { facetTitle: 'stack', yTitle: 'disconnects per minute of sending' },
  );
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

/** Chart 5: median disconnects per minute over frame size × (rate × burst), as a heat map with the value and n in each cell. */
export function heatmapChart(rows: readonly Row[]): ChartSpec {
  const values = rows
    .filter((row) => row.value !== null)
    .map((row) => {
      const v = row.value as NonNullable<Row['value']>;
      return {
        frame: formatBytes(row.frameSize),
        bytes: row.frameSize,
        load: `${row.rate}/s × ${row.burst}`,
        weight: row.rate * row.burst,
        median: round3(v.median),
        label: `${round3(v.median)} (n=${v.n})`,
      };
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
    width: 420,
    height: 160,
    encoding: { x: FRAME_X, y: y },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: { field: 'median', type: 'quantitative', title: 'disconnects / min', scale: { scheme: 'orangered' } },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.median > 0', value: 'black' }, value: '#777' },
        },
      },
    ],
  };
}

/** One server's capacity at one size: its knee, or a lower bound of it. */
export interface KneePoint {
  stack: string;
  deflate: DeflateMode;
  frameSize: number;
  MiBps: number;
  kind: 'knee' | 'at least';
}

/** The knees: delivered MiB/s at which each server stops keeping up, vs frame size, deflate on and off; a lower bound is a triangle. */
export function kneeChart(points: readonly KneePoint[]): ChartSpec {
  const values = points.map((p) => ({
    facet: p.stack,
    deflate: p.deflate,
    frame: formatBytes(p.frameSize),
    bytes: p.frameSize,
    MiBps: round3(p.MiBps),
    kind: p.kind,
  }));
  const y = { field: 'MiBps', type: 'quantitative', title: 'knee, MiB/s delivered', scale: { type: 'log' } };
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
              { field: 'MiBps' },
              { field: 'kind' },
            ],
          },
        },
      ],
    },
  };
}
