// Fails (exit 1) on any function in src/ longer than 120 lines, one line per offender:
//   FILE:LINE: NAME is N lines (limit 120)
// unless the line just above the function (or just above its JSDoc) says why, in this form:
//   // long function: <reason>
// A function is every function-like node with a body (declarations, expressions, arrows, methods,
// constructors, accessors) in src/**/*.ts and src/**/*.js, node_modules excluded; its length is
// the lines from its first token to its closing brace, both included, blank lines and comments
// counted. A function nested in another is measured on its own (and also counts in the outer one).
//
// Usage: node scripts/check-function-length.mjs [ROOT]   (ROOT defaults to the project; src/ under it is read)
//
// Hand-written, on the compiler API of the `typescript` package the project already ships, because
// no package fits as it stands: ESLint's max-lines-per-function would bring ESLint and a TypeScript
// parser (typescript-eslint) for one rule. oxlint (a 16.7 MB native binary) and Biome (100 MB) have
// the same rule without ESLint, but neither can require the exemption to carry a reason, which is
// the point of the comment, and this check is 100 lines on a parser already installed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const LIMIT = 120;
const EXEMPTION = /^\s*\/\/ long function: \S/;

function sourceFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') found.push(...sourceFiles(full));
    } else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      found.push(full);
    }
  }
  return found;
}

// The statement or member whose first line the exemption comment sits above: `const f = () => {…}`
// is commented above `const`, `{ key: function () {…} }` above `key`.
function anchorOf(fn) {
  let node = fn;
  for (;;) {
    const parent = node.parent;
    if (ts.isParenthesizedExpression(parent) || ts.isPropertyAssignment(parent) || ts.isExportAssignment(parent)) {
      node = parent;
    } else if (ts.isVariableDeclaration(parent) && parent.initializer === node) {
      const list = parent.parent;
      node = list.declarations.length === 1 && ts.isVariableStatement(list.parent) ? list.parent : parent;
    } else if (
      ts.isBinaryExpression(parent) &&
      parent.right === node &&
      parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isExpressionStatement(parent.parent)
    ) {
      node = parent.parent;
    } else {
      return node;
    }
  }
}

function nameOf(fn) {
  if (fn.name) return fn.name.getText();
  if (ts.isConstructorDeclaration(fn)) return 'constructor';
  const parent = fn.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText();
  if (ts.isBinaryExpression(parent) && parent.right === fn) return parent.left.getText();
  // An anonymous function is named after the nearest named function around it.
  for (let outer = parent; outer; outer = outer.parent) {
    if (ts.isFunctionLike(outer) && outer.body) return `(function inside ${nameOf(outer)})`;
  }
  return '(anonymous function)';
}

function isExempt(lines, anchorLine) {
  let above = anchorLine - 1;
  if (above >= 0 && lines[above].trim().endsWith('*/')) {
    while (above >= 0 && !lines[above].includes('/*')) above--;
    above--;
  }
  return above >= 0 && EXEMPTION.test(lines[above]);
}

function offendersIn(file, root) {
  const text = fs.readFileSync(file, 'utf8');
  const kind = file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const lines = text.split('\n');
  const lineOf = (pos) => source.getLineAndCharacterOfPosition(pos).line;
  const offenders = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const first = lineOf(node.getStart(source));
      const length = lineOf(node.getEnd()) - first + 1;
      if (length > LIMIT && !isExempt(lines, lineOf(anchorOf(node).getStart(source)))) {
        const where = path.relative(root, file).split(path.sep).join('/');
        offenders.push(`${where}:${first + 1}: ${nameOf(node)} is ${length} lines (limit ${LIMIT})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return offenders;
}

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const srcDir = path.join(root, 'src');
if (!fs.existsSync(srcDir) || !fs.statSync(srcDir).isDirectory()) {
  console.error(`check-function-length: ROOT must be a folder holding src/ (got '${process.argv[2] ?? root}')`);
  process.exit(2);
}
const offenders = sourceFiles(srcDir)
  .sort()
  .flatMap((file) => offendersIn(file, root));
for (const line of offenders) console.log(line);
process.exit(offenders.length > 0 ? 1 : 0);
