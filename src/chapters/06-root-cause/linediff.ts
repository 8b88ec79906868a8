/**
 * A line diff of two texts, grouped into hunks with context, like `diff -u`. Hand-rolled because
 * no diff package is installed (node_modules has neither `diff` nor an equivalent) and adding one
 * is not allowed here: a longest-common-subsequence table over the lines between the common head
 * and tail, which for two releases of one file is a few lines and costs nothing.
 */

/** One line of a diff. Line numbers are 1-based; a removed line has only oldLine, an added one only newLine. */
export interface DiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
  oldLine?: number;
  newLine?: number;
}

/** A run of changes with its context, as `@@ -oldStart,oldCount +newStart,newCount @@`. */
export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  lines: DiffLine[];
}

/** Lines of context around each change, as `diff -u` uses. */
export const DEFAULT_CONTEXT = 3;
/** Largest LCS table (cells) this diff builds; beyond it the texts are too different for it. */
export const MAX_LCS_CELLS = 25_000_000;

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Every line of both texts, in order, marked same, removed or added (a shortest edit by LCS). */
export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const n = midA.length;
  const m = midB.length;
  if ((n + 1) * (m + 1) > MAX_LCS_CELLS) {
    throw new Error(`diff: ${n} × ${m} differing lines is too much for this line diff; compare smaller files`);
  }
  // lcs[i][j] = length of the LCS of midA[i..] and midB[j..], in one flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        midA[i] === midB[j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const out: DiffLine[] = [];
  for (let k = 0; k < head; k++) out.push({ kind: 'same', text: a[k], oldLine: k + 1, newLine: k + 1 });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      out.push({ kind: 'same', text: midA[i], oldLine: head + i + 1, newLine: head + j + 1 });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j])) {
      out.push({ kind: 'added', text: midB[j], newLine: head + j + 1 });
      j++;
    } else {
      out.push({ kind: 'removed', text: midA[i], oldLine: head + i + 1 });
      i++;
    }
  }
  for (let k = 0; k < tail; k++) {
    out.push({
      kind: 'same',
      text: a[a.length - tail + k],
      oldLine: a.length - tail + k + 1,
      newLine: b.length - tail + k + 1,
    });
  }
  // Within a change, removed lines read before added ones, as diff -u prints them.
  for (let s = 0; s < out.length; s++) {
    if (out[s].kind === 'same') continue;
    let e = s;
    while (e < out.length && out[e].kind !== 'same') e++;
    const block = out.slice(s, e);
    out.splice(s, e - s, ...block.filter((l) => l.kind === 'removed'), ...block.filter((l) => l.kind === 'added'));
    s = e;
  }
  return out;
}

/** Groups a diff into hunks with `context` unchanged lines around each change; none when the texts are equal. */
export function diffHunks(lines: readonly DiffLine[], context = DEFAULT_CONTEXT): Hunk[] {
  const changed = lines.map((l, i) => (l.kind === 'same' ? -1 : i)).filter((i) => i >= 0);
  const hunks: Hunk[] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k] - context);
    let end = Math.min(lines.length, changed[k] + context + 1);
    k++;
    while (k < changed.length && changed[k] - context <= end) {
      end = Math.min(lines.length, changed[k] + context + 1);
      k++;
    }
    const slice = lines.slice(start, end);
    // A hunk's start is the first line it shows on each side (diff -u counts from the line before an empty side).
    const firstOld = slice.find((l) => l.oldLine !== undefined)?.oldLine;
    const firstNew = slice.find((l) => l.newLine !== undefined)?.newLine;
    const before = lines.slice(0, start);
    const oldCount = slice.filter((l) => l.kind !== 'added').length;
    const newCount = slice.filter((l) => l.kind !== 'removed').length;
    hunks.push({
      oldStart: firstOld ?? before.filter((l) => l.kind !== 'added').length,
      oldCount,
      newStart: firstNew ?? before.filter((l) => l.kind !== 'removed').length,
      newCount,
      lines: slice,
    });
  }
  return hunks;
}

/** The hunks as `diff -u` body text (without file headers). */
export function unifiedText(hunks: readonly Hunk[]): string {
  return hunks
    .map((h) =>
      [
        `@@ -${h.oldStart},${h.oldCount} +${h.newStart},${h.newCount} @@`,
        ...h.lines.map((l) => `${l.kind === 'same' ? ' ' : l.kind === 'removed' ? '-' : '+'}${l.text}`),
      ].join('\n'),
    )
    .join('\n');
}
