/**
 * Which named function encloses a place in JavaScript source, and a named function's source.
 *
 * Hand-rolled, and why: no JavaScript parser is installed except TypeScript's compiler, which takes
 * 0.4 s to load and parses a whole file (0.1 s for the 2015 socket.io.js bundle, 0.8 s for
 * playwright's 3.3 MB utilsBundle.js, both measured here), when all a search needs is the brace
 * nesting at a few places. A single forward pass that skips strings, template literals, comments
 * and regex literals gives that nesting at about the cost of reading the file, for ES5, modern
 * classes and minified bundles alike. Its one guess is the classic one: whether `/` starts a regex
 * literal is decided from the token before it.
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

const TEMPLATE = -1; // marks a `${` on the brace stack
// After these words an expression starts, so a `/` is a regex literal, not a division.
const EXPRESSION_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);
// Words that take `(…) {` without being functions.
const CONTROL_KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'function', 'return', 'typeof', 'await', 'yield', 'new', 'super']);
const METHOD_MODIFIERS = new Set(['static', 'async', 'get', 'set']);
// How far back a header is looked for before its `{`.
const HEADER_REACH = 2000;

// Character classes for the scan, looked up by char code (a table beats a chain of comparisons
// in the loop that sees every character of a bundle).
const enum Kind {
  Punct, // operators and punctuation: an expression may start after them
  Space,
  Ident, // letters, `_`, `$`, `#`, `\`, non-ASCII
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
const KINDS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  KINDS[c] = /[A-Za-z_$#\\]/.test(ch) ? Kind.Ident
    : /[0-9]/.test(ch) ? Kind.Number
    : /\s/.test(ch) ? Kind.Space
    : ch === '.' ? Kind.Dot
    : ch === '"' || ch === "'" ? Kind.Quote
    : ch === '`' ? Kind.Backtick
    : ch === '/' ? Kind.Slash
    : ch === '{' ? Kind.Open
    : ch === '}' ? Kind.Close
    : ch === ')' || ch === ']' ? Kind.CloseParen
    : ch === '+' || ch === '-' ? Kind.PlusMinus
    : Kind.Punct;
}

// Identifier characters: letters, digits, `_`, `$`, `#`, `\`, and any non-ASCII one but spaces.
function isIdentCode(c: number): boolean {
  const kind = kindOf(c);
  return kind === Kind.Ident || kind === Kind.Number;
}

function kindOf(c: number): Kind {
  if (c < 128) return KINDS[c];
  return c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 ? Kind.Space : Kind.Ident;
}

// Whether the word src[start, end) is one after which an expression starts (so `/` opens a regex).
function isExpressionKeyword(src: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 2 || length > 10) return false;
  switch (src.charCodeAt(start)) {
    case 0x72: return length === 6 && src.startsWith('return', start); // r
    case 0x74: return (length === 6 && src.startsWith('typeof', start)) || (length === 5 && src.startsWith('throw', start)); // t
    case 0x69: return (length === 2 && src.startsWith('in', start)) || (length === 10 && src.startsWith('instanceof', start)); // i
    case 0x6f: return length === 2 && src.startsWith('of', start); // o
    case 0x6e: return length === 3 && src.startsWith('new', start); // n
    case 0x64: return (length === 6 && src.startsWith('delete', start)) || (length === 2 && src.startsWith('do', start)); // d
    case 0x76: return length === 4 && src.startsWith('void', start); // v
    case 0x63: return length === 4 && src.startsWith('case', start); // c
    case 0x65: return length === 4 && src.startsWith('else', start); // e
    case 0x79: return length === 5 && src.startsWith('yield', start); // y
    case 0x61: return length === 5 && src.startsWith('await', start); // a
    default: return false;
  }
}

// From just inside a template literal: the offset after its closing backtick, or after a `${`,
// which is then pushed on the brace stack.
function templateEnd(src: string, from: number, stack: number[]): number {
  for (let j = from; j < src.length; j++) {
    const c = src.charCodeAt(j);
    if (c === 0x5c) j++; // backslash
    else if (c === 0x60) return j + 1;
    else if (c === 0x24 && src.charCodeAt(j + 1) === 0x7b) {
      stack.push(TEMPLATE);
      return j + 2;
    }
  }
  return src.length;
}

/**
 * Scans `src` once. Returns the open braces (offsets of `{`, innermost last) at each of `stops`
 * (ascending offsets), and calls `onPair` for every matched pair with the braces still open around it.
 */
function scan(src: string, stops: readonly number[], onPair?: (open: number, close: number, outer: readonly number[]) => void): number[][] {
  const n = src.length;
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
    const c = src.charCodeAt(i);
    switch (kindOf(c)) {
      case Kind.Space:
        i++;
        break;
      case Kind.Ident: {
        const start = i++;
        while (i < n && isIdentCode(src.charCodeAt(i))) i++;
        regexAllowed = isExpressionKeyword(src, start, i);
        break;
      }
      case Kind.Number:
      case Kind.Dot:
        i++; // a property name or the rest of a number follows: then a value, so `/` divides
        while (i < n && isIdentCode(src.charCodeAt(i))) i++;
        regexAllowed = false;
        break;
      case Kind.Quote:
        i = stringEnd(src, i, c);
        regexAllowed = false;
        break;
      case Kind.Backtick:
        i = templateEnd(src, i + 1, stack);
        regexAllowed = stack[stack.length - 1] === TEMPLATE;
        break;
      case Kind.Slash: {
        const next = src.charCodeAt(i + 1);
        if (next === 0x2f) {
          const end = src.indexOf('\n', i);
          i = end === -1 ? n : end;
        } else if (next === 0x2a) {
          const end = src.indexOf('*/', i + 2);
          i = end === -1 ? n : end + 2;
        } else {
          const end: number = regexAllowed ? regexEnd(src, i) : -1;
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
          i = templateEnd(src, i + 1, stack);
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
        if (src.charCodeAt(i + 1) === c) {
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

function stringEnd(src: string, from: number, quote: number): number {
  for (let j = from + 1; j < src.length; j++) {
    const c = src.charCodeAt(j);
    if (c === quote) return j + 1;
    if (c === 0x5c) j++;
    else if (c === 0x0a) return j; // unterminated: stop at the line end rather than swallow the file
  }
  return src.length;
}

// The offset after a regex literal starting at `from`, or -1 when it is not one (no closing `/`
// on the line: then it was a division).
function regexEnd(src: string, from: number): number {
  let inClass = false;
  for (let j = from + 1; j < src.length; j++) {
    const c = src.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x0a || c === 0x0d) return -1;
    else if (inClass) inClass = c !== 0x5d;
    else if (c === 0x5b) inClass = true;
    else if (c === 0x2f) {
      j++;
      while (j < src.length && /[a-z]/.test(src[j])) j++;
      return j;
    }
  }
  return -1;
}

function skipSpaceBack(src: string, from: number): number {
  let j = from;
  while (j >= 0 && /\s/.test(src[j])) j--;
  return j;
}

// Start offset of the identifier ending at `end` (inclusive), or end + 1 when there is none.
function identStartBack(src: string, end: number): number {
  let j = end;
  while (j >= 0 && isIdentCode(src.charCodeAt(j))) j--;
  return j + 1;
}

// Offset of the `(` matching the `)` at `close`, or -1.
function openParenBack(src: string, close: number): number {
  let depth = 0;
  for (let j = close; j >= 0 && j > close - HEADER_REACH; j--) {
    const c = src[j];
    if (c === ')') depth++;
    else if (c === '(' && --depth === 0) return j;
  }
  return -1;
}

// The member chain assigned to, or the property defined, by `target = ` / `target: ` ending
// just before `end`: `Receiver.prototype.applyExtensions`, `module.exports`, `onError`.
function assignedName(src: string, end: number): { name: string; start: number } | null {
  let j = skipSpaceBack(src, end - 1);
  const asyncStart = identStartBack(src, j);
  if (src.slice(asyncStart, j + 1) === 'async') j = skipSpaceBack(src, asyncStart - 1);
  const op = src[j];
  if (op === '=') {
    if ('=!<>+-*/%&|^?'.includes(src[j - 1])) return null; // a comparison or a compound assignment
  } else if (op !== ':') {
    return null;
  }
  j = skipSpaceBack(src, j - 1);
  if (op === ':' && (src[j] === '"' || src[j] === "'")) {
    const open = src.lastIndexOf(src[j], j - 1);
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
    if (op !== '=' || src[dot] !== '.') break;
    j = skipSpaceBack(src, dot - 1);
  }
  if (/^[0-9]/.test(parts[0]) || (parts.length === 1 && ['var', 'let', 'const'].includes(parts[0]))) return null;
  return { name: parts.join('.'), start };
}

interface Header {
  name: string;
  /** Offset where the header starts (its first line is the function's first line). */
  start: number;
  /** A method in a class body takes the class's name in front of it. */
  method: 'instance' | 'static' | null;
}

// The named function whose body opens with the `{` at `open`, or null (blocks, object literals,
// anonymous functions).
function headerAt(src: string, open: number): Header | null {
  let j = skipSpaceBack(src, open - 1);
  if (src[j] === '>' && src[j - 1] === '=') {
    // arrow function: `name = (a, b) => {`, `name: async x => {`
    j = skipSpaceBack(src, j - 2);
    const paramsStart = src[j] === ')' ? openParenBack(src, j) : identStartBack(src, j);
    if (paramsStart === -1 || paramsStart > j) return null;
    const target = assignedName(src, paramsStart);
    return target && { ...target, method: null };
  }
  if (src[j] !== ')') return null;
  const paramsStart = openParenBack(src, j);
  if (paramsStart === -1) return null;
  let wordEnd = skipSpaceBack(src, paramsStart - 1);
  if (src[wordEnd] === '*') wordEnd = skipSpaceBack(src, wordEnd - 1); // function* and *method
  const wordStart = identStartBack(src, wordEnd);
  const word = src.slice(wordStart, wordEnd + 1);
  if (word === 'function') {
    const target = assignedName(src, wordStart);
    return target && { ...target, method: null };
  }
  if (word === '') return null;
  let beforeWord = skipSpaceBack(src, wordStart - 1);
  if (src[beforeWord] === '*') beforeWord = skipSpaceBack(src, beforeWord - 1); // function* name
  const prevStart = identStartBack(src, beforeWord);
  const prev = src.slice(prevStart, beforeWord + 1);
  if (prev === 'function') {
    // `function name(…) {`, preferring what it is assigned to: `X.prototype.y = function y(…) {`
    const target = assignedName(src, prevStart);
    return target ? { ...target, method: null } : { name: word, start: prevStart, method: null };
  }
  if (CONTROL_KEYWORDS.has(word) || src[beforeWord] === '.' || /^[0-9]/.test(word)) return null;
  // A method: `name(…) {` in a class or an object literal, maybe after static/async/get/set.
  let start = wordStart;
  let isStatic = false;
  for (let k = beforeWord; ; ) {
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
function classNameAt(src: string, open: number): string | null {
  const before = src.slice(Math.max(0, open - HEADER_REACH), open);
  const match = /(?:^|[^\w$.])class(?:\s+([A-Za-z_$][\w$]*))?(?:\s+extends\s+[^{};]*?)?\s*$/.exec(before);
  if (!match) return null;
  if (match[1]) return match[1];
  return assignedName(src, open - before.length + match.index + match[0].indexOf('class'))?.name ?? null;
}

// The qualified name of the function opening at open[level], given the braces around it.
function nameAt(src: string, opens: readonly number[], level: number): { name: string; start: number } | null {
  const header = headerAt(src, opens[level]);
  if (!header) return null;
  if (!header.method) return header;
  const className = level > 0 ? classNameAt(src, opens[level - 1]) : null;
  if (!className) return header; // an object literal's method keeps its own name
  return { name: header.method === 'static' ? `${className}.${header.name}` : `${className}.prototype.${header.name}`, start: header.start };
}

/** For each offset (ascending) in JavaScript source, the innermost named function whose body holds it, or null. */
export function enclosingFunctions(src: string, offsets: readonly number[]): Array<string | null> {
  return scan(src, offsets).map((opens) => {
    for (let level = opens.length - 1; level >= 0; level--) {
      const named = nameAt(src, opens, level);
      if (named) return named.name;
    }
    return null;
  });
}

/**
 * The source of the function named `name` in an installed file: the full name
 * (`Receiver.prototype.applyExtensions`) or, when only one function ends that way, its last part.
 */
export function functionSource(file: string, name: string): FunctionSource {
  const src = readSource(file);
  const last = name.slice(name.lastIndexOf('.') + 1);
  // Only braces shortly after a mention of the name can open its body; naming every brace of a
  // large file would cost more than the scan.
  const candidates = new Set<number>();
  for (let at = src.indexOf(last); at !== -1; at = src.indexOf(last, at + 1)) {
    const brace = src.indexOf('{', at);
    if (brace !== -1 && brace - at < HEADER_REACH) candidates.add(brace);
  }
  const found: Array<{ name: string; start: number; close: number }> = [];
  scan(src, [], (open, close, outer) => {
    if (!candidates.has(open)) return;
    const named = nameAt(src, [...outer, open], outer.length);
    if (named && (named.name === name || named.name.endsWith(`.${name}`))) found.push({ ...named, close });
  });
  const exact = found.filter((f) => f.name === name);
  const chosen = exact.length > 0 ? exact : found;
  if (chosen.length === 0) throw new Error(`functionSource: no function named ${name} in ${file}; search() the file first to see its names`);
  const names = [...new Set(chosen.map((f) => f.name))];
  if (names.length > 1) throw new Error(`functionSource: ${name} is ambiguous in ${file} (${names.join(', ')}); pass the full name`);
  const first = chosen.reduce((a, b) => (b.start < a.start ? b : a));
  const startLine = lineOf(src, first.start);
  const endLine = lineOf(src, first.close);
  return { file, name: first.name, startLine, endLine, text: linesOf(src, startLine, endLine) };
}

/** Lines `from`..`to` (1-based, inclusive) of an installed file, as they are on disk. */
export function sourceLines(file: string, from: number, to: number): string {
  const src = readSource(file);
  const count = lineOf(src, src.length);
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from || from > count) {
    throw new Error(`sourceLines: lines ${from}-${to} are outside ${file} (1-${count}); pass 1 <= from <= to`);
  }
  return linesOf(src, from, Math.min(to, count));
}

function readSource(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`cannot read ${file}: pass the path of an installed file (a search hit's file)`);
  }
}

function lineOf(src: string, offset: number): number {
  let line = 1;
  for (let at = src.indexOf('\n'); at !== -1 && at < offset; at = src.indexOf('\n', at + 1)) line++;
  return line;
}

function linesOf(src: string, from: number, to: number): string {
  let start = 0;
  for (let line = 1; line < from; line++) start = src.indexOf('\n', start) + 1;
  let end = start - 1;
  for (let line = from; line <= to; line++) {
    end = src.indexOf('\n', end + 1);
    if (end === -1) return src.slice(start);
  }
  return src.slice(start, end);
}
