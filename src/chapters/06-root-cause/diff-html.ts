/**
 * A diff (./linediff) as an HTML fragment: one block per file, old and new line numbers, removed
 * lines on red, added lines on green, every text escaped. Styles are inline so the fragment needs
 * nothing from the page it lands in.
 */
import { escapeText } from '../../show/fragments';
import type { DiffLine, Hunk } from './linediff';

const STYLE = {
  pre: 'font-family:monospace;font-size:12px;line-height:1.35;background:#f8f8f8;padding:4px 0;margin:4px 0;overflow-x:auto',
  line: 'display:block;white-space:pre;padding:0 6px',
  removed: 'background:#ffd7d5',
  added: 'background:#ccffd8',
  hunk: 'color:#6a737d;background:#eef3fb',
  number: 'display:inline-block;width:3.5em;color:#888;text-align:right;margin-right:6px',
  note: 'color:#b3261e;font-weight:600;margin-left:1em',
} as const;

/** One file's hunks; `note(line)` may return a short label shown beside a line (escaped). */
export interface DiffFile {
  title: string;
  hunks: readonly Hunk[];
  note?: (line: DiffLine) => string | undefined;
}

function lineHtml(line: DiffLine, note: string | undefined): string {
  const sign = line.kind === 'same' ? ' ' : line.kind === 'removed' ? '-' : '+';
  const bg = line.kind === 'removed' ? STYLE.removed : line.kind === 'added' ? STYLE.added : '';
  const num = (n: number | undefined) => `<span style="${STYLE.number}">${n ?? ''}</span>`;
  const label = note ? `<span style="${STYLE.note}">← ${escapeText(note)}</span>` : '';
  return `<span style="${STYLE.line};${bg}">${num(line.oldLine)}${num(line.newLine)}${escapeText(sign + line.text)}${label}</span>`;
}

/** The files' diffs as HTML; a file without hunks says it is unchanged. */
export function diffHtml(files: readonly DiffFile[]): string {
  return files
    .map((file) => {
      const body =
        file.hunks.length === 0
          ? '<p class="dl-empty">(unchanged)</p>'
          : `<pre style="${STYLE.pre}">${file.hunks
              .map((h) =>
                [
                  `<span style="${STYLE.line};${STYLE.hunk}">${escapeText(`@@ -${h.oldStart},${h.oldCount} +${h.newStart},${h.newCount} @@`)}</span>`,
                  ...h.lines.map((line) => lineHtml(line, file.note?.(line))),
                ].join(''),
              )
              .join('')}</pre>`;
      return `<div><b>${escapeText(file.title)}</b>${body}</div>`;
    })
    .join('');
}
