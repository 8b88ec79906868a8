/**
 * HTML fragments for notebook outputs and the report: escaped text, tables, collapsed blocks, and
 * the few inline CSS rules that give them one look. Everything here is self-contained: no scripts,
 * no links, no URLs, so an output reads the same in a notebook, in the report, and offline.
 */
import escapeHtml from 'escape-html';

/**
 * The whole look, inline. Class names carry the `dl-` prefix so they never collide with the
 * notebook's own CSS. Rules start with `.dl-out` because JupyterLab right-aligns every cell with
 * `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td` (specificity 0,2,1); `.dl-out .dl-table td`
 * ties it and, coming later in the page, wins, so text columns stay left-aligned.
 */
export const DL_CSS = [
  '.dl-out{font-family:sans-serif;font-size:13px;line-height:1.4}',
  '.dl-out .dl-table{border-collapse:collapse;margin:4px 0}',
  '.dl-out .dl-table caption{caption-side:top;text-align:left;font-weight:600;padding:2px 0}',
  '.dl-out .dl-table th,.dl-out .dl-table td{border-bottom:1px solid #ddd;padding:2px 10px;text-align:left;vertical-align:top}',
  '.dl-out .dl-table th{border-bottom:2px solid #999}',
  '.dl-out .dl-table .dl-num{text-align:right;font-variant-numeric:tabular-nums}',
  '.dl-out .dl-pre{font-family:monospace;font-size:12px;white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:6px;margin:4px 0}',
  '.dl-out summary{cursor:pointer;color:#333}',
  '.dl-out .dl-chart{margin:4px 0}',
  '.dl-out .dl-chart figcaption{font-weight:600;margin-bottom:4px}',
  '.dl-out .dl-progress{font-family:monospace}',
  '.dl-out .dl-empty{color:#777;font-style:italic}',
].join('');

/** Escapes text for HTML element content and attribute values (&, <, >, ", '). */
export function escapeText(text: string): string {
  return escapeHtml(text);
}

/** Wraps a fragment with the inline CSS, so each output carries its own look (nothing external). */
export function withStyle(fragmentHtml: string): string {
  return `<div class="dl-out"><style>${DL_CSS}</style>${fragmentHtml}</div>`;
}

/** Text shown as-is in a monospace block, escaped. */
export function preText(text: string): string {
  return `<pre class="dl-pre">${escapeText(text)}</pre>`;
}

/** A collapsed block: the summary is text (escaped), the body is HTML made by this module. */
export function collapsible(summary: string, bodyHtml: string, opts: { open?: boolean } = {}): string {
  return `<details${opts.open ? ' open' : ''}><summary>${escapeText(summary)}</summary>${bodyHtml}</details>`;
}

/** How a table is laid out; every key is optional. */
export interface TableOptions<Row extends object> {
  /** A title above the table (text, escaped). */
  caption?: string;
  /** Which columns, in which order; default: every key of every row, in first-seen order. */
  columns?: ReadonlyArray<keyof Row & string>;
  /** Header text per column; default: the key. */
  labels?: { readonly [K in keyof Row]?: string };
  /** Custom text per column (e.g. `formatBytes`); a numeric column stays right-aligned. */
  format?: { readonly [K in keyof Row]?: (value: Row[K]) => string };
}

/** A table ready for any output: header texts, cell texts, and which columns are numeric. */
export interface TableCells {
  caption?: string;
  headers: string[];
  rows: string[][];
  numeric: boolean[];
}

/**
 * Formats a number for reading: integers with thousands separators, other values with three
 * significant digits (whole numbers from 1000 up), so a column of measurements is not noise.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Object.is(value, -0)) return '0';
  if (Number.isInteger(value) || Math.abs(value) >= 1000) {
    return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
  }
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Lays rows out as cells: column choice, header labels, formatting and numeric alignment. */
export function tableCells<Row extends object>(rows: readonly Row[], opts: TableOptions<Row> = {}): TableCells {
  let columns: ReadonlyArray<keyof Row & string>;
  if (opts.columns) {
    columns = opts.columns;
  } else {
    const seen = new Set<keyof Row & string>();
    for (const row of rows) for (const key of Object.keys(row)) seen.add(key as keyof Row & string);
    columns = [...seen];
  }
  const numeric = columns.map((column) => {
    const values = rows.map((row) => row[column]).filter((value) => value !== null && value !== undefined);
    return values.length > 0 && values.every((value) => typeof value === 'number');
  });
  return {
    caption: opts.caption,
    headers: columns.map((column) => opts.labels?.[column] ?? column),
    rows: rows.map((row) =>
      columns.map((column) => {
        const custom = opts.format?.[column];
        return custom ? custom(row[column]) : cellText(row[column]);
      }),
    ),
    numeric: numeric,
  };
}

/** An HTML table from rows (array of objects); numbers right-aligned; every text escaped. */
export function htmlTable<Row extends object>(rows: readonly Row[], opts: TableOptions<Row> = {}): string {
  const cells = tableCells(rows, opts);
  const caption = cells.caption === undefined ? '' : `<caption>${escapeText(cells.caption)}</caption>`;
  if (cells.rows.length === 0) {
    return `<table class="dl-table">${caption}</table><p class="dl-empty">(no rows)</p>`;
  }
  const cls = (index: number): string => (cells.numeric[index] ? ' class="dl-num"' : '');
  const head = cells.headers.map((header, index) => `<th${cls(index)}>${escapeText(header)}</th>`).join('');
  const body = cells.rows
    .map((row) => `<tr>${row.map((text, index) => `<td${cls(index)}>${escapeText(text)}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="dl-table">${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
