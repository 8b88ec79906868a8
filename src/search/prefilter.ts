/**
 * The literal a regex cannot match without: `invalid (compressed|distance)` needs `invalid `.
 * Searching the bytes for it first, and running the regex only on the lines that hold it, is what
 * keeps a regex search near grep's speed: decoding every file to a JavaScript string costs more than
 * reading it. Hand-rolled because no regex parser is installed (node_modules has no regexpp or
 * regjsparser); it is deliberately conservative and answers null whenever it is unsure, which only
 * costs speed, never a hit.
 */

// A literal shorter than this filters too little to repay the extra pass.
const MIN_LITERAL_CHARS = 3;

// Escapes that stand for a class or an assertion and consume exactly one character after `\`.
const ONE_CHAR_CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B']);
const CONTROL_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v' };

/** The longest literal every match must contain, or null when there is none the parser can be sure of. */
export function requiredLiteral(source: string, flags: string): string | null {
  if (flags.includes('i')) return null; // case folding would need every casing of the literal
  const runs: string[] = [];
  let run = '';
  let depth = 0;
  const endRun = (): void => {
    if (run) runs.push(run);
    run = '';
  };
  // A quantifier that allows zero repeats removes the character it follows from the run.
  const dropLast = (): void => {
    run = run.slice(0, -1);
    endRun();
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return null;
      i++;
      if (depth > 0) continue;
      if (/[A-Za-z0-9]/.test(next)) {
        if (next in CONTROL_ESCAPES) run += CONTROL_ESCAPES[next];
        else if (ONE_CHAR_CLASS_ESCAPES.has(next)) endRun();
        else return null; // \x41, \u{…}, \p{…}, \k<…>, back-references: not worth decoding here
      } else {
        run += next;
      }
    } else if (c === '[') {
      // Skip the class to its closing `]`, so that `(`, `)` or `|` inside it are not read as syntax.
      let j = i + 1;
      if (source[j] === '^') j++;
      for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
      if (j >= source.length) return null;
      i = j;
      if (depth === 0) endRun();
    } else if (c === '(') {
      depth++;
      endRun();
    } else if (c === ')') {
      depth--;
      if (depth < 0) return null;
    } else if (c === '|') {
      if (depth === 0) return null; // a top-level alternative need not contain any one literal
    } else if (depth > 0) {
      continue;
    } else if (c === '{') {
      const quantifier = /^\{\d+(,\d*)?\}/.exec(source.slice(i));
      if (quantifier) {
        dropLast(); // {0,…} allows zero repeats; dropping is right for the others too, just weaker
        i += quantifier[0].length - 1;
      } else {
        endRun(); // a literal `{` in JavaScript's legacy syntax: leave it out rather than reason about it
      }
    } else if (c === '?' || c === '*') {
      dropLast();
    } else if (c === '+') {
      endRun(); // the character is still required once
    } else if (c === '.' || c === '^' || c === '$') {
      endRun();
    } else {
      run += c;
    }
  }
  if (depth !== 0) return null;
  endRun();
  const longest = runs.reduce((best, r) => (r.length > best.length ? r : best), '');
  return longest.length >= MIN_LITERAL_CHARS && !longest.includes('\n') ? longest : null;
}
