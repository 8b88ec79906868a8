/**
 * Charts: Vega-Lite specs compiled and rendered to SVG here, in Node (and so in the kernel), never
 * in the reader's browser. The result is plain markup that survives nbconvert and needs no script.
 */
import { createHash } from 'node:crypto';
import { collapsible, escapeText, preText } from './fragments';
import { NamedError } from '../core/errors';

/**
 * A Vega-Lite spec as plain JSON, typed loosely on purpose. vega-lite's `TopLevelSpec` lives in an
 * ESM-only package: a CommonJS module can name it only with a `resolution-mode` import attribute
 * (unstable in TypeScript 5.0), and tslab checks notebook cells with TypeScript 5.0 and Node10
 * resolution, which cannot find vega-lite's types at all (they are declared only under
 * `exports`). Exported signatures therefore stay plain; vega-lite checks the spec when
 * `renderSvg` compiles it.
 */
export interface ChartSpec {
  readonly [key: string]: unknown;
}

/** Thrown when a spec cannot be rendered; the message says what to change. */
export class ChartError extends NamedError {}

/**
 * vega and vega-lite are ESM-only. With module node16 this file compiles to CommonJS but keeps
 * `import()` as a real dynamic import, which Node can use to load ESM from CommonJS (a cell
 * cannot: tslab rewrites its `import()` to `require`). The types are inferred, not written,
 * for the same reason as ChartSpec.
 */
async function loadVega() {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  return { vega: vega, vl: vl };
}

/**
 * Vega numbers clip paths and gradients per process (`clip1`, `gradient_0`, …), so two charts
 * from two kernels on one report page would share ids and borrow each other's clips. Vega has no
 * id-prefix option; this prefixes every id with a hash of the SVG, which is unique per chart and
 * stable for the same chart.
 */
function scopeSvgIds(svg: string): string {
  const ids = [...svg.matchAll(/ id="([^"]+)"/g)].map((match) => match[1]);
  if (ids.length === 0) return svg;
  const prefix = `dl${createHash('sha256').update(svg).digest('hex').slice(0, 10)}-`;
  const idSet = new Set(ids);
  const scoped = (id: string, whole: string, make: (scopedId: string) => string): string =>
    idSet.has(id) ? make(prefix + id) : whole;
  return svg
    .replace(/ id="([^"]+)"/g, (whole, id: string) => scoped(id, whole, (s) => ` id="${s}"`))
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => scoped(id, whole, (s) => `url(#${s})`))
    .replace(/href="#([^"]+)"/g, (whole, id: string) => scoped(id, whole, (s) => `href="#${s}"`));
}

/**
 * Renders a Vega-Lite spec to an SVG string. Data must be inline (`data.values`): the loader
 * refuses every URL and file, so a chart never reaches outside, and any load or dataflow error
 * that vega would only log is thrown instead of giving an empty chart.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const { vega, vl } = await loadVega();
  let vgSpec;
  try {
    // A copy, because vega tags every data object it ingests (a `vega_id` symbol): the caller's
    // rows would come back changed.
    vgSpec = vl.compile(structuredClone(spec) as unknown as Parameters<typeof vl.compile>[0]).spec;
  } catch (error) {
    throw new ChartError(
      `not a valid Vega-Lite spec (${(error as Error).message}): see https://vega.github.io/vega-lite/docs/`,
    );
  }
  // The loader refuses every URL and file; vega only logs a failed load (and renders an empty
  // chart), so refusals and logged errors are collected here and thrown after rendering.
  const refused: string[] = [];
  const errors: string[] = [];
  const loader = vega.loader();
  loader.sanitize = async (uri: string) => {
    refused.push(uri);
    throw new ChartError(`refused to load ${uri}`);
  };
  const oneLine = (args: readonly unknown[]): string =>
    args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' ');
  const logger = vega.logger(vega.Warn);
  logger.error = (...args: readonly unknown[]) => {
    errors.push(oneLine(args));
    return logger;
  };
  logger.warn = (...args: readonly unknown[]) => {
    if (refused.length === 0) console.warn(`vega: ${oneLine(args)}`);
    return logger;
  };
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: loader, logger: logger });
  try {
    const svg = await view.toSVG();
    if (refused.length > 0) {
      throw new ChartError(
        `chart tried to load ${refused[0]}: a chart loads nothing from outside: put the data inline (data.values), and no image URLs`,
      );
    }
    if (errors.length > 0) throw new ChartError(`chart failed to render: ${errors[0]}`);
    return scopeSvgIds(svg);
  } finally {
    view.finalize();
  }
}

const JSON_LINE_LIMIT = 100;

/**
 * JSON indented like `JSON.stringify(value, null, 2)`, except that any part whose one-line form
 * fits in JSON_LINE_LIMIT stays on one line: a data row is then one line instead of four, easier
 * to scan and smaller (measured: a 2000-point line chart's HTML went from 214 KB to 160 KB).
 */
function readableJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value) ?? 'null';
  if (value === null || typeof value !== 'object' || flat.length <= JSON_LINE_LIMIT) return flat;
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((item) => inner + readableJson(item, inner))
    : Object.entries(value)
        .filter(([, item]) => JSON.stringify(item) !== undefined)
        .map(([key, item]) => `${inner}${JSON.stringify(key)}: ${readableJson(item, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${items.join(',\n')}\n${indent}${close}`;
}

/** How a chart is shown. */
export interface ChartOptions {
  /** A title above the chart (text, escaped). */
  caption?: string;
}

/**
 * A chart as one HTML fragment: the SVG, an optional caption, and a collapsed block holding the
 * spec (with its inline data) as escaped JSON, so a reader can see exactly what was plotted.
 */
export async function chartHtml(spec: ChartSpec, opts: ChartOptions = {}): Promise<string> {
  const svg = await renderSvg(spec);
  const caption = opts.caption === undefined ? '' : `<figcaption>${escapeText(opts.caption)}</figcaption>`;
  const source = collapsible('Vega-Lite spec and data', preText(readableJson(spec)));
  return `<figure class="dl-chart">${caption}${svg}${source}</figure>`;
}
