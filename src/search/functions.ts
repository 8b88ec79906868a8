/**
 * Which named function encloses a place in JavaScript source, and a named function's source.
 *
 * Hand-rolled, and why: no JavaScript parser is installed except TypeScript's compiler, which takes
 * 0.4 s to load and parses a whole file (0.1 s for the 2015 socket.io.js bundle, 0.8 s for
 * playwright's 3.3 MB utilsBundle.js, both measured here), when all a search needs is the brace
 * nesting at a few places. A single forward pass over the file's bytes that skips strings,
 * template literals, comments and regex literals gives that nesting at about the cost of reading
 * the file, for ES5, modern classes and minified bundles alike. Its one guess is the classic one:
 * whether `/` starts a regex literal is decided from the token before it.
 *
 * Names follow the ES5 code of 2015, so that old and new versions read alike: a class method is
 * `Class.prototype.method` (a static one `Class.method`, the constructor `Class`), an assigned
 * function takes what it is assigned to (`Receiver.prototype.applyExtensions`, `module.exports`),
 * an arrow function its variable. Anonymous functions are passed over for the next one out.
 *
 * Offsets are byte offsets. Everything reads bytes (the bytes of a UTF-8 multi-byte character are
 * all >= 0x80, and only occur in identifiers, strings and comments), so a file is never decoded:
 * decoding a 3 MB bundle costs more than scanning it.
 */
import fs from 'node:fs';

/** A named function found in a file: its qualified name and where its source is. */
export interface FunctionSource {
  file: string;
  /** As a reader names it: `Receiver.prototype.applyExtensions`, `Socket.prototype.onError`, `createServer`. */
  name: string;
  /** 1-based lines of the header and of the closing brace. */
  startLine: number;
  endLine: number;
  /** The whole lines from startLine to endLine, as installed. */
  text: string;
}

/** A function's source with its line numbers, as the post listed code. */
export function numbered(fn: FunctionSource): string {
  const width = String(fn.endLine).length;
  return fn.text
    .split('\n')
    .map((line, i) => `${String(fn.startLine + i).padStart(width)} ${line}`)
    .join('\n');
}

const TEMPLATE = -1; // marks a `${` on the brace stack
// Words that take `(…) {` without being functions.
const CONTROL_KEYWORDS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'with',
  'function',
  'return',
  'typeof',
  'await',
  'yield',
  'new',
  'super',
]);
const METHOD_MODIFIERS = new Set(['static', 'async', 'get', 'set']);
// How far back a header is looked for before its `{`, in bytes.
const HEADER_REACH = 2000;
const NEWLINE = 0x0a;

// Byte classes for the scan, looked up by byte (a table beats a chain of comparisons in the loop
// that sees every byte of a bundle).
const enum Kind {
  Punct, // operators and punctuation: an expression may start after them
  Space,
  Ident, // letters, `_`, `$`, `#`, `\`, and every byte of a multi-byte character
  Number,
  Dot,
  Quote,
  Backtick,
  Slash,
  Open,
  Close,
  CloseParen, // ) ]
  PlusMinus,
}
const KINDS = new Uint8Array(256).fill(Kind.Ident);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  KINDS[c] = /[A-Za-z_$#\\]/.test(ch)
    ? Kind.Ident
    : /[0-9]/.test(ch)
      ? Kind.Number
      : /\s/.test(ch)
        ? Kind.Space
        : ch === '.'
          ? Kind.Dot
          : ch === '"' || ch === "'"
            ? Kind.Quote
            : ch === '`'
              ? Kind.Backtick
              : ch === '/'
                ? Kind.Slash
                : ch === '{'
                  ? Kind.Open
                  : ch === '}'
                    ? Kind.Close
                    : ch === ')' || ch === ']'
                      ? Kind.CloseParen
                      : ch === '+' || ch === '-'
                        ? Kind.PlusMinus
                        : Kind.Punct;
}

function isIdentByte(c: number): boolean {
  const kind = KINDS[c];
  return kind === Kind.Ident || kind === Kind.Number;
}

// Whether bytes[start, end) spell `word` (ASCII).
function spells(bytes: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (bytes[start + k] !== word.charCodeAt(k)) return false;
  return true;
}

// Whether the word bytes[start, end) is one after which an expression starts (so `/` opens a regex).
function isExpressionKeyword(bytes: Uint8Array, start: number, end: number): boolean {
  switch (bytes[start]) {
    case 0x72:
      return spells(bytes, start, end, 'return'); // r
    case 0x74:
      return spells(bytes, start, end, 'typeof') || spells(bytes, start, end, 'throw'); // t
    case 0x69:
      return spells(bytes, start, end, 'in') || spells(bytes, start, end, 'instanceof'); // i
    case 0x6f:
      return spells(bytes, start, end, 'of'); // o
    case 0x6e:
      return spells(bytes, start, end, 'new'); // n
    case 0x64:
      return spells(bytes, start, end, 'delete') || spells(bytes, start, end, 'do'); // d
    case 0x76:
      return spells(bytes, start, end, 'void'); // v
    case 0x63:
      return spells(bytes, start, end, 'case'); // c
    case 0x65:
      return spells(bytes, start, end, 'else'); // e
    case 0x79:
      return spells(bytes, start, end, 'yield'); // y
    case 0x61:
      return spells(bytes, start, end, 'await'); // a
    default:
      return false;
  }
}

function stringEnd(bytes: Uint8Array, from: number, quote: number): number {
  for (let j = from + 1; j < bytes.length; j++) {
    const c = bytes[j];
    if (c === quote) return j + 1;
    if (c === 0x5c) j++;
    else if (c === NEWLINE) return j; // unterminated: stop at the line end rather than swallow the file
  }
  return bytes.length;
}

// The offset after a regex literal starting at `from`, or -1 when it is not one (no closing `/`
// on the line: then it was a division).
function regexEnd(bytes: Uint8Array, from: number): number {
  let inClass = false;
  for (let j = from + 1; j < bytes.length; j++) {
    const c = bytes[j];
    if (c === 0x5c) j++;
    else if (c === NEWLINE || c === 0x0d) return -1;
    else if (inClass) inClass = c !== 0x5d;
    else if (c === 0x5b) inClass = true;
    else if (c === 0x2f) {
      j++;
      while (j < bytes.length && bytes[j] >= 0x61 && bytes[j] <= 0x7a) j++; // flags
      return j;
    }
  }
  return -1;
}

// From just inside a template literal: the offset after its closing backtick, or after a `${`,
// which is then pushed on the brace stack.
function templateEnd(bytes: Uint8Array, from: number, stack: number[]): number {
  for (let j = from; j < bytes.length; j++) {
    const c = bytes[j];
    if (c === 0x5c) j++;
    else if (c === 0x60) return j + 1;
    else if (c === 0x24 && bytes[j + 1] === 0x7b) {
      stack.push(TEMPLATE);
      return j + 2;
    }
  }
  return bytes.length;
}

/**
 * Scans `bytes` once. Returns the open braces (offsets of `{`, innermost last) at each of `stops`
 * (ascending offsets), and calls `onPair` for every matched pair with the braces still open around it.
 */
function scan(
  bytes: Buffer,
  stops: readonly number[],
  onPair?: (open: number, close: number, outer: readonly number[]) => void,
): number[][] {
  const n = bytes.length;
  const stack: number[] = [];
  const found: number[][] = [];
  let stop = 0;
  let nextStop = stops.length > 0 ? stops[0] : n;
  let regexAllowed = true;
  let i = 0;
  while (i < n) {
    if (i >= nextStop) {
      while (stop < stops.length && stops[stop] <= i) found[stop++] = stack.filter((open) => open !== TEMPLATE);
      if (stop === stops.length && !onPair) return found; // nothing after the last stop matters
      nextStop = stop < stops.length ? stops[stop] : n;
    }
    const c = bytes[i];
    switch (KINDS[c]) {
      case Kind.Space:
        i++;
        break;
      case Kind.Ident: {
        const start = i++;
        while (i < n && isIdentByte(bytes[i])) i++;
        regexAllowed = isExpressionKeyword(bytes, start, i);
        break;
      }
      case Kind.Number:
      case Kind.Dot:
        i++; // a property name or the rest of a number follows: then a value, so `/` divides
        while (i < n && isIdentByte(bytes[i])) i++;
        regexAllowed = false;
        break;
      case Kind.Quote:
        i = stringEnd(bytes, i, c);
        regexAllowed = false;
        break;
      case Kind.Backtick:
        i = templateEnd(bytes, i + 1, stack);
        regexAllowed = stack[stack.length - 1] === TEMPLATE;
        break;
      case Kind.Slash: {
        const next = bytes[i + 1];
        if (next === 0x2f) {
          const end = bytes.indexOf(NEWLINE, i);
          i = end === -1 ? n : end;
        } else if (next === 0x2a) {
          const end = bytes.indexOf('*/', i + 2);
          i = end === -1 ? n : end + 2;
        } else {
          const end: number = regexAllowed ? regexEnd(bytes, i) : -1;
          i = end === -1 ? i + 1 : end;
          regexAllowed = end === -1;
        }
        break;
      }
      case Kind.Open:
        stack.push(i++);
        regexAllowed = true;
        break;
      case Kind.Close: {
        const open = stack.pop();
        if (open === TEMPLATE) {
          i = templateEnd(bytes, i + 1, stack);
          regexAllowed = stack[stack.length - 1] === TEMPLATE;
        } else {
          if (open !== undefined && onPair) onPair(open, i, stack);
          i++;
          regexAllowed = true;
        }
        break;
      }
      case Kind.CloseParen:
        i++;
        regexAllowed = false;
        break;
      case Kind.PlusMinus:
        if (bytes[i + 1] === c) {
          i += 2; // ++ -- (a postfix one is followed by a division)
          regexAllowed = false;
        } else {
          i++;
          regexAllowed = true;
        }
        break;
      default:
        i++;
        regexAllowed = true;
    }
  }
  while (stop < stops.length) found[stop++] = stack.filter((open) => open !== TEMPLATE);
  return found;
}

// ---- Reading a header backwards from its `{`, byte by byte with no decoding: most braces are
// blocks or object literals, rejected at the first byte before them.

/** Bytes seen as latin1 characters: one character per byte, so offsets stay byte offsets. */
class Source {
  constructor(readonly bytes: Buffer) {}

  /** The character at `j`, or NUL outside the bytes (a character no check looks for). */
  at(j: number): string {
    return j >= 0 && j < this.bytes.length ? String.fromCharCode(this.bytes[j]) : '\0';
  }

  code(j: number): number {
    return this.bytes[j];
  }

  slice(from: number, to: number): string {
    return this.bytes.toString('latin1', from, to);
  }
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\v' || ch === '\f';
}

function skipSpaceBack(src: Source, from: number): number {
  let j = from;
  while (j >= 0 && isSpace(src.at(j))) j--;
  return j;
}

// Start offset of the identifier ending at `end` (inclusive), or end + 1 when there is none.
function identStartBack(src: Source, end: number): number {
  let j = end;
  while (j >= 0 && isIdentByte(src.code(j))) j--;
  return j + 1;
}

// Offset of the `(` matching the `)` at `close`, or -1.
function openParenBack(src: Source, close: number): number {
  let depth = 0;
  for (let j = close; j >= 0 && j > close - HEADER_REACH; j--) {
    const c = src.at(j);
    if (c === ')') depth++;
    else if (c === '(' && --depth === 0) return j;
  }
  return -1;
}

// The member chain assigned to, or the property defined, by `target = ` / `target: ` ending
// just before `end`: `Receiver.prototype.applyExtensions`, `module.exports`, `onError`.
function assignedName(src: Source, end: number): { name: string; start: number } | null {
  let j = skipSpaceBack(src, end - 1);
  const asyncStart = identStartBack(src, j);
  if (src.slice(asyncStart, j + 1) === 'async') j = skipSpaceBack(src, asyncStart - 1);
  const op = src.at(j);
  if (op === '=') {
    if ('=!<>+-*/%&|^?'.includes(src.at(j - 1))) return null; // a comparison or a compound assignment
  } else if (op !== ':') {
    return null;
  }
  j = skipSpaceBack(src, j - 1);
  const quote = src.at(j);
  if (op === ':' && (quote === '"' || quote === "'")) {
    const open = j > 0 ? src.bytes.lastIndexOf(src.code(j), j - 1) : -1;
    return open === -1 ? null : { name: src.slice(open + 1, j), start: open };
  }
  const parts: string[] = [];
  let start = j + 1;
  for (;;) {
    const identStart = identStartBack(src, j);
    if (identStart > j) return null;
    parts.unshift(src.slice(identStart, j + 1));
    start = identStart;
    const dot = skipSpaceBack(src, identStart - 1);
    if (op !== '=' || src.at(dot) !== '.') break;
    j = skipSpaceBack(src, dot - 1);
  }
  if (/^[0-9]/.test(parts[0]) || (parts.length === 1 && ['var', 'let', 'const'].includes(parts[0]))) return null;
  return { name: parts.join('.'), start };
}

interface Header {
  name: string;
  /** Where the header starts (its first line is the function's first line). */
  start: number;
  /** A method in a class body takes the class's name in front of it. */
  method: 'instance' | 'static' | null;
}

// The named function whose body opens with the `{` at `open`, or null (blocks, object literals,
// anonymous functions).
function headerAt(src: Source, open: number): Header | null {
  let j = skipSpaceBack(src, open - 1);
  if (src.at(j) === '>' && src.at(j - 1) === '=') {
    // arrow function: `name = (a, b) => {`, `name: async x => {`
    j = skipSpaceBack(src, j - 2);
    const paramsStart = src.at(j) === ')' ? openParenBack(src, j) : identStartBack(src, j);
    if (paramsStart === -1 || paramsStart > j) return null;
    const target = assignedName(src, paramsStart);
    return target && { ...target, method: null };
  }
  if (src.at(j) !== ')') return null;
  const paramsStart = openParenBack(src, j);
  if (paramsStart === -1) return null;
  let wordEnd = skipSpaceBack(src, paramsStart - 1);
  if (src.at(wordEnd) === '*') wordEnd = skipSpaceBack(src, wordEnd - 1); // function* and *method
  const wordStart = identStartBack(src, wordEnd);
  const word = src.slice(wordStart, wordEnd + 1);
  if (word === 'function') {
    const target = assignedName(src, wordStart);
    return target && { ...target, method: null };
  }
  if (word === '') return null;
  let beforeWord = skipSpaceBack(src, wordStart - 1);
  if (src.at(beforeWord) === '*') beforeWord = skipSpaceBack(src, beforeWord - 1); // function* name
  const prevStart = identStartBack(src, beforeWord);
  const prev = src.slice(prevStart, beforeWord + 1);
  if (prev === 'function') {
    // `function name(…) {`, preferring what it is assigned to: `X.prototype.y = function y(…) {`
    const target = assignedName(src, prevStart);
    return target ? { ...target, method: null } : { name: word, start: prevStart, method: null };
  }
  if (CONTROL_KEYWORDS.has(word) || src.at(beforeWord) === '.' || /^[0-9]/.test(word)) return null;
  // A method: `name(…) {` in a class or an object literal, maybe after static/async/get/set.
  let start = wordStart;
  let isStatic = false;
  for (let k = beforeWord; ;) {
    const modifierStart = identStartBack(src, k);
    const modifier = src.slice(modifierStart, k + 1);
    if (!METHOD_MODIFIERS.has(modifier)) break;
    start = modifierStart;
    isStatic ||= modifier === 'static';
    k = skipSpaceBack(src, modifierStart - 1);
  }
  return { name: word, start, method: isStatic ? 'static' : 'instance' };
}

// The class whose body opens at `open`: `class Socket extends Emitter {`, `X = class {`.
function classNameAt(src: Source, open: number): string | null {
  const base = Math.max(0, open - HEADER_REACH);
  const before = src.slice(base, open);
  const match = /(?:^|[^\w$.])class(?:\s+([A-Za-z_$][\w$]*))?(?:\s+extends\s+[^{};]*?)?\s*$/.exec(before);
  if (!match) return null;
  return match[1] ?? assignedName(src, base + match.index + match[0].indexOf('class'))?.name ?? null;
}

// A name read as latin1, back to the UTF-8 it was written in.
function utf8Name(latin1: string): string {
  return /[^\x00-\x7f]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

// The qualified name of the function opening at opens[level], given the braces around it.
function nameAt(src: Source, opens: readonly number[], level: number): { name: string; start: number } | null {
  const header = headerAt(src, opens[level]);
  if (!header) return null;
  let name = header.name;
  if (header.method && level > 0) {
    const owner = classNameAt(src, opens[level - 1]);
    // An object literal's method keeps its own name.
    if (owner)
      name =
        name === 'constructor' ? owner : header.method === 'static' ? `${owner}.${name}` : `${owner}.prototype.${name}`;
  }
  return { name: utf8Name(name), start: header.start };
}

/** For each byte offset (ascending) in JavaScript source, the innermost named function whose body holds it, or null. */
export function enclosingFunctions(bytes: Buffer, offsets: readonly number[]): Array<string | null> {
  // Hits share their outer braces (a file can have thousands of hits in a few functions).
  const names = new Map<number, string | null>();
  const src = new Source(bytes);
  return scan(bytes, offsets).map((opens) => {
    for (let level = opens.length - 1; level >= 0; level--) {
      let name = names.get(opens[level]);
      if (name === undefined) {
        name = nameAt(src, opens, level)?.name ?? null;
        names.set(opens[level], name);
      }
      if (name !== null) return name;
    }
    return null;
  });
}

// The first `{` after the parameter list that follows `at`, or -1. Parentheses are counted
// without regard to strings: a rare miss only loses one candidate, never a wrong name (nameAt
// still checks the header).
function braceAfterParameters(bytes: Buffer, at: number): number {
  const open = bytes.indexOf(0x28, at);
  if (open === -1 || open - at >= HEADER_REACH) return -1;
  let depth = 0;
  for (let j = open; j < bytes.length && j - open < HEADER_REACH; j++) {
    if (bytes[j] === 0x28) depth++;
    else if (bytes[j] === 0x29 && --depth === 0) return bytes.indexOf(0x7b, j);
  }
  return -1;
}

/**
 * The source of the function named `name` in an installed file: the full name
 * (`Receiver.prototype.applyExtensions`) or, when only one function ends that way, its last part.
 */
export function functionSource(file: string, name: string): FunctionSource {
  const bytes = readBytes(file);
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (last === '')
    throw new Error(
      `functionSource: no function name in "${name}"; pass one such as Receiver.prototype.applyExtensions`,
    );
  // Only braces shortly after a mention of the name can open its body; naming every brace of a
  // large file would cost more than the scan. Two per mention: the first `{`, and the first after
  // the parameter list closes (a default parameter such as `opts = {}` holds the first).
  const candidates = new Set<number>();
  // A class constructor is named for its class, which its header does not mention.
  for (const word of [last, 'constructor']) {
    for (let at = bytes.indexOf(word); at !== -1; at = bytes.indexOf(word, at + 1)) {
      for (const brace of [bytes.indexOf(0x7b, at), braceAfterParameters(bytes, at)]) {
        if (brace !== -1 && brace - at < HEADER_REACH) candidates.add(brace);
      }
    }
  }
  const found: Array<{ name: string; start: number; close: number }> = [];
  const src = new Source(bytes);
  scan(bytes, [], (open, close, outer) => {
    if (!candidates.has(open)) return;
    const named = nameAt(src, [...outer, open], outer.length);
    if (named && (named.name === name || named.name.endsWith(`.${name}`))) found.push({ ...named, close });
  });
  const exact = found.filter((f) => f.name === name);
  const chosen = exact.length > 0 ? exact : found;
  if (chosen.length === 0)
    throw new Error(`functionSource: no function named ${name} in ${file}; search() the file first to see its names`);
  const names = [...new Set(chosen.map((f) => f.name))];
  if (names.length > 1)
    throw new Error(`functionSource: ${name} is ambiguous in ${file} (${names.join(', ')}); pass the full name`);
  const first = chosen.reduce((a, b) => (b.start < a.start ? b : a));
  const startLine = lineAt(bytes, first.start);
  const endLine = lineAt(bytes, first.close);
  return { file, name: first.name, startLine, endLine, text: linesText(bytes, startLine, endLine) };
}

/** Lines `from`..`to` (1-based, inclusive) of an installed file, as they are on disk. */
export function sourceLines(file: string, from: number, to: number): string {
  const bytes = readBytes(file);
  const count = lineAt(bytes, bytes.length) - (bytes[bytes.length - 1] === NEWLINE ? 1 : 0);
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from || from > count) {
    throw new Error(`sourceLines: lines ${from}-${to} are outside ${file} (1-${count}); pass 1 <= from <= to`);
  }
  return linesText(bytes, from, Math.min(to, count));
}

function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new Error(`cannot read ${file}: pass the path of an installed file (a search hit's file)`);
  }
}

// The 1-based line holding byte `offset`.
function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let at = bytes.indexOf(NEWLINE); at !== -1 && at < offset; at = bytes.indexOf(NEWLINE, at + 1)) line++;
  return line;
}

function linesText(bytes: Buffer, from: number, to: number): string {
  let start = 0;
  for (let line = 1; line < from; line++) start = bytes.indexOf(NEWLINE, start) + 1;
  let end = start - 1;
  for (let line = from; line <= to; line++) {
    end = bytes.indexOf(NEWLINE, end + 1);
    if (end === -1) return bytes.toString('utf8', start);
  }
  return bytes.toString('utf8', start, end);
}
