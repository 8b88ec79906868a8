/**
 * Rows as CSV, and a link that downloads them from a report page with no script and no request: a
 * `data:` URI in an `<a download>`. The quoting is RFC 4180's, written here because it is a few
 * lines and no maintained CSV writer is among the project's dependencies.
 */
import { escapeText } from './fragments';

/** One CSV row: column name to value (null and undefined are empty fields). */
export type CsvRow = Record<string, string | number | boolean | null | undefined>;

/** A field quoted when it holds a comma, a quote or a line break, with its quotes doubled (RFC 4180). */
function csvField(value: CsvRow[string]): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV text, the columns of the first row in its order, CRLF line ends (RFC 4180). */
export function csvText(rows: readonly CsvRow[], columns: readonly string[] = Object.keys(rows[0] ?? {})): string {
  const lines = [columns.map(csvField).join(','), ...rows.map((row) => columns.map((c) => csvField(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** An `<a download>` whose href is the CSV itself, percent-encoded in a `data:` URI and escaped for the attribute. */
export function csvDownloadLink(fileName: string, rows: readonly CsvRow[], label: string): string {
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(csvText(rows))}`;
  return `<a class="dl-download" download="${escapeText(fileName)}" href="${escapeText(href)}">${escapeText(label)}</a>`;
}
