/**
 * Finding the matching lines of one file's bytes, with grep's line semantics: a line matches when
 * the literal, or the regex run on that line alone, occurs in it; each matching line is one hit.
 * Bytes are searched first and only the lines around a hit are decoded.
 */
import { requiredLiteral } from './prefilter';

/** Shown characters of a hit's line; longer (minified) lines are clipped around the match. */
export const SHOWN_LINE_CHARS = 160;
// Characters kept before the match when a line is clipped.
const SHOWN_CHARS_BEFORE_MATCH = 60;
const ELLIPSIS = '…';

// Lines shorter than this are decoded whole; longer ones only around the match (a minified
// bundle can be one line of several MB).
const LONG_LINE_BYTES = 64 * 1024;
// Without a literal to look for, files are decoded in pieces of about this size: V8 takes strings
// this small from its young generation, while a fresh multi-MB string costs page faults that
// dominate the whole search (measured: 27 ms for one 9 MB file, 9 ms in 64 KiB pieces).
const DECODE_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 10;

/** What to look for, prepared once per search. */
export type Matcher =
  { kind: 'literal'; needle: Buffer } | { kind: 'regex'; line: RegExp; whole: RegExp; prefilter: Buffer | null };

/** One matching line: 1-based line and column (UTF-16 units of the decoded line), and its shown text. */
export interface LineMatch {
  line: number;
  column: number;
  /** Byte offset of the match in the file. */
  offset: number;
  text: string;
  /** Whether `text` is a part of a longer line. */
  clipped: boolean;
}

/** Prepares a literal or a regex (JavaScript syntax, as grep -P for common patterns); throws a one-line error on bad input. */
export function makeMatcher(query: { literal: string } | { regex: string | RegExp }): Matcher {
  if ('literal' in query) {
    if (query.literal === '') throw new Error('search: an empty literal matches every line; give the text to look for');
    if (query.literal.includes('\n'))
      throw new Error('search: a literal cannot span lines (grep matches line by line); search for one line of it');
    return { kind: 'literal', needle: Buffer.from(query.literal, 'utf8') };
  }
  const source = typeof query.regex === 'string' ? query.regex : query.regex.source;
  const flags = typeof query.regex === 'string' ? '' : query.regex.flags.replace(/[gmy]/g, '');
  if (source === '') throw new Error('search: an empty regex matches every line; give the pattern to look for');
  let line: RegExp;
  let whole: RegExp;
  try {
    line = new RegExp(source, flags);
    whole = new RegExp(source, `${flags}gm`);
  } catch (error) {
    throw new Error(
      `search: invalid regex /${source}/: ${(error as Error).message.split('\n')[0]}; write it in JavaScript RegExp syntax`,
    );
  }
  const literal = requiredLiteral(source, flags);
  return { kind: 'regex', line, whole, prefilter: literal === null ? null : Buffer.from(literal, 'utf8') };
}

/** The matching lines of a file's bytes, in order. */
export function matchLines(bytes: Buffer, matcher: Matcher): LineMatch[] {
  if (matcher.kind === 'literal') return literalLines(bytes, matcher.needle);
  if (matcher.prefilter) return prefilteredLines(bytes, matcher.prefilter, matcher.line);
  return regexLines(bytes, matcher);
}

/**
 * Walks from one candidate byte to the line that holds it, counting lines only as far as needed,
 * so a file without hits costs no line counting at all.
 */
class LineCursor {
  line = 1;
  start = 0;

  constructor(private readonly bytes: Buffer) {}

  /** Moves to the line holding byte `at` and returns that line's end (its newline, or the end of the bytes). */
  seek(at: number): number {
    for (;;) {
      const newline = this.bytes.indexOf(NEWLINE, this.start);
      if (newline === -1 || newline >= at) return newline === -1 ? this.bytes.length : newline;
      this.line++;
      this.start = newline + 1;
    }
  }

  /** Moves past the line ending at `end`; false when that was the last line. */
  next(end: number): boolean {
    if (end >= this.bytes.length) return false;
    this.start = end + 1;
    this.line++;
    return true;
  }
}

function literalLines(bytes: Buffer, needle: Buffer): LineMatch[] {
  const hits: LineMatch[] = [];
  const cursor = new LineCursor(bytes);
  for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, cursor.start)) {
    const end = cursor.seek(at);
    hits.push(shownLine(bytes, cursor.start, end, at, cursor.line));
    if (!cursor.next(end)) break;
  }
  return hits;
}

function prefilteredLines(bytes: Buffer, literal: Buffer, regex: RegExp): LineMatch[] {
  const hits: LineMatch[] = [];
  const cursor = new LineCursor(bytes);
  for (let at = bytes.indexOf(literal); at !== -1; at = bytes.indexOf(literal, cursor.start)) {
    const end = cursor.seek(at);
    const text = bytes.toString('utf8', cursor.start, end);
    const match = regex.exec(text);
    if (match) {
      const offset = cursor.start + Buffer.byteLength(text.slice(0, match.index));
      hits.push({ line: cursor.line, column: match.index + 1, offset, ...clip(text, match.index, false, false) });
    }
    if (!cursor.next(end)) break;
  }
  return hits;
}

function regexLines(bytes: Buffer, matcher: { line: RegExp; whole: RegExp }): LineMatch[] {
  const hits: LineMatch[] = [];
  let line = 1; // the line number at byte `countedTo`, which is always a line start
  let countedTo = 0;
  for (let chunkStart = 0; chunkStart < bytes.length;) {
    let chunkEnd = Math.min(chunkStart + DECODE_CHUNK_BYTES, bytes.length);
    if (chunkEnd < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, chunkEnd - 1);
      chunkEnd = newline === -1 ? bytes.length : newline + 1; // pieces end on whole lines
    }
    const text = bytes.toString('utf8', chunkStart, chunkEnd);
    const whole = matcher.whole;
    whole.lastIndex = 0;
    let lineStart = 0; // in `text`; `line` is its number once this piece is being counted
    let counting = false;
    let measuredTo = 0; // an index in `text`, and its byte offset from the piece's start
    let measuredBytes = 0;
    for (let match = whole.exec(text); match; match = whole.exec(text)) {
      if (!counting) {
        line += countNewlines(bytes, countedTo, chunkStart);
        countedTo = chunkStart;
        counting = true;
      }
      for (let nl = text.indexOf('\n', lineStart); nl !== -1 && nl < match.index; nl = text.indexOf('\n', lineStart)) {
        line++;
        lineStart = nl + 1;
      }
      if (lineStart === text.length) break; // past the last newline: no line there
      // The whole-piece match may run across a newline; the line it starts on is tested alone.
      const newline = text.indexOf('\n', match.index);
      const lineEnd = newline === -1 ? text.length : newline;
      const lineText = text.slice(lineStart, lineEnd);
      const lineMatch = matcher.line.exec(lineText);
      if (lineMatch) {
        // Byte offsets advance from the last hit's, so a piece is measured once however many hits it holds.
        const index = lineStart + lineMatch.index;
        measuredBytes += Buffer.byteLength(text.slice(measuredTo, index));
        measuredTo = index;
        hits.push({
          line,
          column: lineMatch.index + 1,
          offset: chunkStart + measuredBytes,
          ...clip(lineText, lineMatch.index, false, false),
        });
      }
      if (newline === -1) break;
      whole.lastIndex = lineStart = newline + 1;
      line++;
    }
    if (counting) {
      // This piece was counted up to lineStart: finish it here, where the text is at hand.
      for (let nl = text.indexOf('\n', lineStart); nl !== -1; nl = text.indexOf('\n', nl + 1)) line++;
      countedTo = chunkEnd;
    }
    chunkStart = chunkEnd;
  }
  return hits;
}

function countNewlines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE, from); at !== -1 && at < to; at = bytes.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

// The hit for a literal found at byte `at` of the line [start, end).
function shownLine(bytes: Buffer, start: number, end: number, at: number, line: number): LineMatch {
  if (end - start <= LONG_LINE_BYTES) {
    const text = bytes.toString('utf8', start, end);
    const index = at === start ? 0 : bytes.toString('utf8', start, at).length;
    return { line, column: index + 1, offset: at, ...clip(text, index, false, false) };
  }
  // Decode a window of bytes around the match, starting on a character boundary.
  let from = Math.max(start, at - 4 * SHOWN_CHARS_BEFORE_MATCH);
  while (from > start && (bytes[from] & 0xc0) === 0x80) from--;
  const to = Math.min(end, at + 4 * SHOWN_LINE_CHARS);
  const window = bytes.toString('utf8', from, to);
  const indexInWindow = bytes.toString('utf8', from, at).length;
  return {
    line,
    column: utf16Length(bytes, start, from) + indexInWindow + 1,
    offset: at,
    ...clip(window, indexInWindow, from > start, to < end),
  };
}

// UTF-16 length of UTF-8 bytes without decoding them: every byte that starts a character counts
// one, and a 4-byte character (a surrogate pair) one more.
function utf16Length(bytes: Buffer, from: number, to: number): number {
  let length = 0;
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if ((b & 0xc0) !== 0x80) length += b >= 0xf0 ? 2 : 1;
  }
  return length;
}

// `text` shown around the match at `index`; `moreBefore`/`moreAfter` say the line goes on beyond it.
function clip(
  text: string,
  index: number,
  moreBefore: boolean,
  moreAfter: boolean,
): { text: string; clipped: boolean } {
  if (text.length <= SHOWN_LINE_CHARS && !moreBefore && !moreAfter) return { text, clipped: false };
  let from = Math.max(0, index - SHOWN_CHARS_BEFORE_MATCH);
  const to = Math.min(text.length, from + SHOWN_LINE_CHARS);
  from = Math.max(0, to - SHOWN_LINE_CHARS);
  const before = from > 0 || moreBefore ? ELLIPSIS : '';
  const after = to < text.length || moreAfter ? ELLIPSIS : '';
  return { text: before + text.slice(from, to) + after, clipped: true };
}
