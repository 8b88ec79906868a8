#!/usr/bin/env node
/**
 * `node scripts/check-paths.mjs [ROOT]` (part of `npm run lint`): checks that every project path
 * named in the project's text exists, so a comment, a `--help` line, an error message, a notebook
 * or a page of docs never sends a reader to a file that moved. Prints one line per missing path,
 * `file:line: names 'X', which does not exist`, and exits 1; prints one summary line and exits 0
 * when all exist. ROOT is the project (default: the folder above this script).
 *
 * Written here because no maintained package checks paths named in prose and comments: link
 * checkers (markdown-link-check, remark-validate-links) follow markdown links only. The parsing is
 * not hand-written: TypeScript's own parser (already a dependency) finds the comments and strings.
 * Plain JS, so lint needs no build.
 *
 * What is read:
 * - comments and string literals of src/**\/*.ts and test/**\/*.ts (help texts and error messages
 *   are strings); not module specifiers (`import … from '../core/paths'`), which tsc resolves, nor
 *   regular expressions, nor code;
 * - notebooks/*.ipynb: the cells' sources (code cells as TypeScript, as above; markdown cells as
 *   markdown), never their outputs;
 * - README.md, the markdown pages under docs/ and data/README.md, whole, plus their relative links;
 * - scripts/*, templates/** and .ci/run, whole;
 * - what the code cells of notebooks/*.ipynb and test/fixtures/notebooks/*.ipynb import from dist/
 *   (tsc never compiles a notebook), as `file:line: imports 'X', which does not exist`;
 * - not the files in NOT_READ below.
 *
 * What names a path:
 * - a token that starts with a top-level folder (TOP_FOLDERS) and is not part of a longer path or
 *   word: `node_modules/socket.io/dist/x.js`, `tslab/dist/jupyter`, `…/vega-lite/docs/` and
 *   URLs are not, nor is prose such as "on/off". A trailing `.` or `,` ends the sentence, not the
 *   path. A top-level folder named alone (`report/`, `docs/`) is the folder's name, not checked;
 * - in markdown, a relative link target `[…](target)`, resolved from the file's folder (anchors
 *   and queries dropped; URLs, `mailto:` and `#anchor` links are not paths).
 *
 * When it exists:
 * - as written, or with `.ts` added: comments name modules without extension (`src/core/params`);
 * - `dist/src/…` and `dist/test/…` are tsc's output: they exist when their source does
 *   (`dist/src/core/paths.js` → src/core/paths.ts). Any other `dist/…` is not ours to check: the
 *   build's stamps, or a path inside an npm package (socket.io's `dist/socket.io.js`);
 * - globs and placeholders (`data/replay/*.json`, `scripts/<name>`, `src/stacks/{a,b}`, a
 *   template literal's `${…}`): the part before the first segment holding one must be an existing
 *   folder; the rest is not checked, since a glob may match nothing on a fresh clone;
 * - inside a git checkout, "exists" means on disk and not ignored by git: what a fresh clone plus
 *   your own changes holds, so a file that runs leave behind does not pass here and fail in CI;
 * - GENERATED below: paths that runs write, absent from a fresh clone.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const TOP_FOLDERS = ['src', 'test', 'notebooks', 'data', 'docs', 'scripts', 'templates', 'dist', 'report', '.ci'];

/** Paths that runs generate, so a fresh clone lacks them: each with the run that writes it. */
const GENERATED = [
  ['report/*.html', 'the chapter pages, the contents page (index.html) and the one-file report: npm run report'],
  ['report/*.ipynb', 'the executed notebooks: npm run report'],
  ['report/*.findings.json', "each chapter's findings: npm run report"],
  ['report/report.json', "the contents page's data: npm run report"],
  ['report/*.pdf', 'the one-file report printed: npm run report -- --pdf'],
  ['data/scenario/**', 'scenario records a run writes on your machine (ignored by git)'],
  ['data/connection-memory/**', "chapter 7's memory records, written by its runs (ignored by git)"],
  ['data/field-guide/**', "chapter 7's field-guide records, written by its runs (ignored by git)"],
  ['data/check-server/**', 'npm run check-server records (ignored by git)'],
];

/** Files not read, each with why. */
const NOT_READ = [
  [
    'test/unit/check-paths.test.ts',
    'its paths are in the made-up project it plants in a temp dir, to test this script',
  ],
  [
    'test/unit/function-length.test.ts',
    'its paths are in the made-up src/ it plants in a temp dir, to test the length check',
  ],
];

const TOKEN = new RegExp(
  // Not preceded by anything that would make it the tail of a longer path, word or URL.
  String.raw`(?<![\w./@~$%-])(?:\./)?((?:${TOP_FOLDERS.map((f) => f.replace('.', '\\.')).join('|')})/[\w.*<>{}$@+/-]*)`,
  'g',
);
const PLACEHOLDER = /[*?<>{}$[\]]/;
const MARKDOWN_LINK = /!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm;

function usage(message) {
  process.stderr.write(
    `check-paths: ${message}; usage: node scripts/check-paths.mjs [ROOT], ROOT an existing folder\n`,
  );
  process.exit(2);
}

/** Every file under `dir` (relative to root, with `/`), node_modules left out. */
function walk(root, dir) {
  const absolute = path.join(root, dir);
  if (!fs.existsSync(absolute)) return [];
  if (!fs.statSync(absolute).isDirectory()) return [dir];
  return fs
    .readdirSync(absolute, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules')
    .flatMap((entry) => walk(root, path.posix.join(dir, entry.name)));
}

/** The files read, each with how: 'ts', 'notebook', 'markdown' or 'text'. */
function filesToRead(root) {
  const kind = (file) => {
    if (/^(src|test)\/.*\.ts$/.test(file) && !file.startsWith('test/fixtures/')) return 'ts';
    if (/^notebooks\/[^/]+\.ipynb$/.test(file)) return 'notebook';
    if (/^docs\/.*\.md$/.test(file) || file === 'README.md' || file === 'data/README.md') return 'markdown';
    if (/^scripts\/[^/]+$/.test(file) || file.startsWith('templates/') || file === '.ci/run') return 'text';
    return null;
  };
  const skipped = new Set(NOT_READ.map(([file]) => file));
  return ['src', 'test', 'notebooks', 'docs', 'scripts', 'templates', '.ci', 'README.md', 'data/README.md']
    .flatMap((top) => walk(root, top))
    .map((file) => [file, kind(file)])
    .filter(([file, how]) => how !== null && !skipped.has(file));
}

/** The files and folders a git clone of root plus its uncommitted changes holds; null when root is not a checkout. */
function cloneContents(root) {
  let listed;
  try {
    listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (fs.realpathSync(top) !== fs.realpathSync(root)) return null;
  } catch {
    return null;
  }
  const contents = new Set();
  for (const file of listed.split('\0').filter(Boolean)) {
    for (let p = file; p !== '.' && !contents.has(p); p = path.posix.dirname(p)) contents.add(p);
  }
  return contents;
}

/** `*` within a segment, a trailing `/**` the folder and anything under it. */
function globToRegExp(glob) {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  const [head, anyBelow] = escaped.endsWith('/**') ? [escaped.slice(0, -3), '(/.*)?'] : [escaped, ''];
  return new RegExp(`^${head.replace(/\*/g, '[^/]*')}${anyBelow}$`);
}
const GENERATED_PATTERNS = GENERATED.map(([glob]) => globToRegExp(glob));

/** Ranges [start, end) of the comments and string literals of a TypeScript text, module specifiers left out. */
function textRanges(code) {
  const source = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const ranges = new Map();
  const comments = (list) => list?.forEach((c) => ranges.set(c.pos, { start: c.pos, end: c.end, masks: [] }));
  const isModuleSpecifier = (node) => {
    const parent = node.parent;
    if (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) return parent.moduleSpecifier === node;
    if (ts.isExternalModuleReference(parent)) return true;
    if (ts.isLiteralTypeNode(parent)) return ts.isImportTypeNode(parent.parent); // import('…').T
    if (!ts.isCallExpression(parent)) return false;
    const callee = parent.expression.getText(source);
    return (
      ['import', 'require', 'require.resolve'].includes(callee) ||
      parent.expression.kind === ts.SyntaxKind.ImportKeyword
    );
  };
  const visit = (node) => {
    comments(ts.getLeadingCommentRanges(code, node.pos));
    comments(ts.getTrailingCommentRanges(code, node.end));
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (!isModuleSpecifier(node))
        ranges.set(node.getStart(source), { start: node.getStart(source), end: node.end, masks: [] });
      return;
    }
    if (ts.isTemplateExpression(node)) {
      // Each `${…}` becomes a placeholder: `<___>`, as long as the original so lines stay put.
      const masks = node.templateSpans.map((span, i) => {
        const before = i === 0 ? node.head : node.templateSpans[i - 1].literal;
        return [before.end - 2, span.literal.getStart(source) + 1];
      });
      ranges.set(node.getStart(source), { start: node.getStart(source), end: node.end, masks });
      return;
    }
    node.getChildren(source).forEach((child) => {
      if (!ts.isJSDoc(child)) visit(child);
    });
  };
  visit(source);
  return [...ranges.values()].map(({ start, end, masks }) => {
    let text = code.slice(start, end);
    for (const [from, to] of masks) {
      const inner = code.slice(from + 1, to - 1).replace(/[^\n]/g, '_');
      text = text.slice(0, from - start) + '<' + inner + '>' + text.slice(to - start);
    }
    return { start, text };
  });
}

/** Path tokens of `text` (offset `start` in the whole), as { offset, written }. */
function pathTokens(text, start) {
  return [...text.matchAll(TOKEN)].map((m) => ({
    offset: start + m.index + m[0].length - m[1].length,
    written: m[1].replace(/[.,:;]+$/, ''),
  }));
}

/** Relative link targets of markdown `text`, as { offset, written, resolved }. */
function markdownLinks(text, start, fromDir) {
  return [...text.matchAll(MARKDOWN_LINK)]
    .map((m) => ({ offset: start + m.index, written: m[1] ?? m[2] }))
    .filter(({ written }) => !/^([a-z][a-z0-9+.-]*:|#|\/\/)/i.test(written))
    .map((link) => {
      const target = link.written.replace(/[#?].*$/, '').replace(/%20/g, ' ');
      return { ...link, resolved: target === '' ? null : path.posix.normalize(path.posix.join(fromDir, target)) };
    })
    .filter((link) => link.resolved !== null);
}

/** { offset, written, resolved? } for each path named in one piece of text of the given kind. */
function namedPaths(text, kind, fromDir) {
  if (kind === 'ts') return textRanges(text).flatMap((range) => pathTokens(range.text, range.start));
  const tokens = pathTokens(text, 0);
  return kind === 'markdown' ? [...tokens, ...markdownLinks(text, 0, fromDir)] : tokens;
}

/** The notebook's cell sources, each with the file line its first source line is on. */
function notebookCells(raw) {
  const notebook = JSON.parse(raw);
  const lines = raw.split('\n');
  const sourceLines = lines.flatMap((line, i) => (/^\s*"source": /.test(line) ? [i + 1] : []));
  return notebook.cells.map((cell, i) => {
    const parts = Array.isArray(cell.source) ? cell.source : [cell.source];
    // One source line per file line when Jupyter wrote it (indent 1); otherwise the cell's "source" line.
    const first = sourceLines[i] ?? 1;
    const onOwnLines = parts.every((part, j) => lines[first + j]?.trim().replace(/,$/, '') === JSON.stringify(part));
    return { kind: cell.cell_type, text: parts.join(''), lineOf: (n) => (onOwnLines ? first + 1 + n : first) };
  });
}

function main() {
  const args = process.argv.slice(2);
  if (args.length > 1) usage(`one ROOT at most, got ${args.length} arguments`);
  const root = path.resolve(args[0] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) usage(`ROOT '${args[0]}' is not a folder`);

  const clone = cloneContents(root);
  const exists = (p) => (clone === null || clone.has(p)) && fs.existsSync(path.join(root, p));
  const existsAsNamed = (written, resolved) => {
    let p = resolved ?? path.posix.normalize(written.replace(/\/$/, ''));
    if (resolved === undefined && TOP_FOLDERS.includes(p)) return true; // the folder's name alone
    if (p.startsWith('dist/')) {
      const built = /^dist\/((?:src|test)\/.*?)(\.js|\.d\.ts|\.js\.map)?$/.exec(p);
      if (built === null) return true;
      p = built[1];
    }
    if (GENERATED_PATTERNS.some((re) => re.test(p))) return true;
    const segments = p.split('/');
    const open = segments.findIndex((s) => PLACEHOLDER.test(s));
    if (open !== -1) {
      const folder = segments.slice(0, open).join('/');
      return folder === '' || (exists(folder) && fs.statSync(path.join(root, folder)).isDirectory());
    }
    return exists(p) || exists(`${p}.ts`);
  };

  const missing = [];
  let named = 0;
  const files = filesToRead(root);
  for (const [file, kind] of files) {
    const raw = fs.readFileSync(path.join(root, file), 'utf8');
    const lineAt = (text, offset) => text.slice(0, offset).split('\n').length;
    const pieces =
      kind === 'notebook'
        ? notebookCells(raw)
            .filter((cell) => cell.kind === 'code' || cell.kind === 'markdown')
            .map((cell) => ({ ...cell, kind: cell.kind === 'code' ? 'ts' : 'markdown' }))
        : [{ kind, text: raw, lineOf: (n) => n + 1 }];
    const seen = new Set();
    for (const piece of pieces) {
      for (const found of namedPaths(piece.text, piece.kind, path.posix.dirname(file))) {
        const line = piece.lineOf(lineAt(piece.text, found.offset) - 1);
        const key = `${line}\0${found.resolved ?? found.written}`;
        if (seen.has(key)) continue;
        seen.add(key);
        named++;
        if (!existsAsNamed(found.written, found.resolved))
          missing.push(`${file}:${line}: names '${found.written}', which does not exist`);
      }
    }
  }
  // tsc never sees a notebook, so what its cells import from dist/ is checked here: the chapters'
  // notebooks and the test fixtures' (whose prose is made up on purpose, so only their imports).
  const notebooks =
    clone === null ? [] : [...clone].filter((f) => /^(notebooks|test\/fixtures\/notebooks)\/[^/]+\.ipynb$/.test(f));
  for (const file of notebooks) {
    for (const cell of notebookCells(fs.readFileSync(path.join(root, file), 'utf8'))) {
      if (cell.kind !== 'code') continue;
      for (const match of cell.text.matchAll(
        /(?:from\s+|require\(\s*|import\(\s*)['"]((?:\.\.\/)+dist\/[^'"]+)['"]/g,
      )) {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]));
        named++;
        if (!existsAsNamed(match[1], resolved)) {
          const line = cell.lineOf(cell.text.slice(0, match.index).split('\n').length - 1);
          missing.push(`${file}:${line}: imports '${match[1]}', which does not exist`);
        }
      }
    }
  }
  if (missing.length > 0) {
    process.stdout.write(missing.join('\n') + '\n');
    process.exit(1);
  }
  process.stdout.write(`check-paths: ${named} paths named in ${files.length} files, all exist\n`);
}

main();
