/**
 * Parameter injection in papermill's convention (papermill has no TypeScript translator): the
 * values given on the command line become a cell tagged `injected-parameters`, placed after the
 * cell tagged `parameters` in the executed copy. The cell assigns to the `let` variables that the
 * parameters cell declares, so it type-checks like any other cell. scripts/nbrun.py inserts it.
 */
import fs from 'node:fs';
import { cellLiteral, PARAM_NAMES, type Params, type RawParams } from '../core/params';
import { InputError } from '../core/errors';

export const PARAMETERS_TAG = 'parameters';
export const INJECTED_TAG = 'injected-parameters';

/** How a parameters cell declares a name. */
export type Declaration = 'let' | 'const' | 'var';

/** Thrown when a notebook cannot take the injection; the message names the notebook and the fix. */
export class InjectionError extends InputError {}

interface NotebookJson {
  cells: Array<{ cell_type: string; source: string | string[]; metadata?: { tags?: string[] } }>;
}

/** One top-level variable a parameters cell declares: its name, keyword, and string value if it is a string literal. */
interface TopLevelVariable {
  name: string;
  kind: Declaration;
  text: string | undefined;
}

/** The top-level variables of a parameters cell, read with the TypeScript parser (any layout, `let a = 1, b = 2`). */
function topLevelVariables(source: string): TopLevelVariable[] {
  // Loaded on first use: the compiler takes about a second to load, and a command line that
  // fails on a bad flag should not pay for it.
  const ts = require('typescript') as typeof import('typescript');
  const file = ts.createSourceFile('parameters.ts', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const variables: TopLevelVariable[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const flags = statement.declarationList.flags;
    const kind: Declaration = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name)) continue;
      const init = declaration.initializer;
      variables.push({
        name: declaration.name.text,
        kind: kind,
        text: init && ts.isStringLiteralLike(init) ? init.text : undefined,
      });
    }
  }
  return variables;
}

/** The top-level names a parameters cell declares, with their keyword. */
export function declaredNames(source: string): Map<string, Declaration> {
  return new Map(topLevelVariables(source).map((v) => [v.name, v.kind]));
}

/** The string a parameters cell gives `name` (`let frameSizes = '1MiB'` → `1MiB`); undefined when it declares none or another kind of value. */
export function declaredString(source: string, name: string): string | undefined {
  return topLevelVariables(source).find((v) => v.name === name)?.text;
}

/** The source of the notebook's `parameters` cell; throws if there is none. */
export function parametersSource(notebookFile: string): string {
  let nb: NotebookJson;
  try {
    nb = JSON.parse(fs.readFileSync(notebookFile, 'utf8')) as NotebookJson;
  } catch (error) {
    throw new InjectionError(`${notebookFile}: cannot read the notebook: ${(error as Error).message.split('\n')[0]}`);
  }
  const cell = nb.cells.find((c) => c.cell_type === 'code' && (c.metadata?.tags ?? []).includes(PARAMETERS_TAG));
  if (!cell) throw new InjectionError(`${notebookFile}: no cell tagged "${PARAMETERS_TAG}": tag the cell that declares the parameters`);
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** What to inject into one notebook, and which given values it does not take. */
export interface Injection {
  /** The injected cell's source; undefined when there is nothing to assign. */
  source: string | undefined;
  /** The values assigned, as written on the command line or in the chapter registry. */
  assigned: RawParams;
  /** Given on the command line, but not a parameter of this notebook. */
  unused: Array<keyof Params>;
}

/**
 * Plans the injected cell. `required` values (a chapter's quick overrides) must be declared by
 * the notebook, or quick mode would silently run full size; `optional` ones (command-line values)
 * apply where the notebook declares them. Later layers win.
 */
export function planInjection(notebookFile: string, required: RawParams, optional: RawParams): Injection {
  const declared = declaredNames(parametersSource(notebookFile));
  const assigned: RawParams = {};
  const unused: Array<keyof Params> = [];
  for (const name of PARAM_NAMES) {
    const value = optional[name] ?? required[name];
    if (value === undefined) continue;
    const kind = declared.get(name);
    if (kind === undefined && required[name] !== undefined) {
      throw new InjectionError(`${notebookFile}: quick mode sets '${name}', which the parameters cell does not declare: declare it there with let, or drop it from src/chapters/registry.ts`);
    }
    if (kind === undefined) {
      unused.push(name);
      continue;
    }
    if (kind !== 'let') {
      throw new InjectionError(`${notebookFile}: parameter '${name}' is declared with ${kind}: declare it with let so it can be injected`);
    }
    assigned[name] = value as never;
  }
  const lines = (Object.keys(assigned) as Array<keyof Params>).map((name) => `${name} = ${cellLiteral(name, assigned[name])};`);
  const source =
    lines.length === 0
      ? undefined
      : // `void 0` ends the cell: tslab would otherwise echo the last assignment as output.
        ['// Injected by npm run report: values given on the command line (or by --quick).', ...lines, 'void 0;'].join('\n');
  return { source: source, assigned: assigned, unused: unused };
}
