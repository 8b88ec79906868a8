/** Where things live. Every other module asks here, so a folder is named in one place. */
import fs from 'node:fs';
import path from 'node:path';

/** Environment variable that moves the data dir away from the committed `data/` (tests, quick runs). */
export const DATA_DIR_ENV = 'DEFLATE_LAB_DATA_DIR';

// Found by walking up rather than from a fixed `..`, so the root is found wherever the compiled
// file lands (dist/src/ today) and whichever folder a notebook or test runs from.
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'deflate-lab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`deflate-lab: no package.json named deflate-lab above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const NOTEBOOKS_DIR = path.join(PROJECT_ROOT, 'notebooks');
export const REPORT_DIR = path.join(PROJECT_ROOT, 'report');
export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates');
export const SCRIPTS_DIR = path.join(PROJECT_ROOT, 'scripts');
export const NODE_MODULES = path.join(PROJECT_ROOT, 'node_modules');
/** The project-local Jupyter dir: kernel specs and runtime files, never the user's ~/.local. */
/** The committed data dir: where recorded datasets live in the repository. */
export const COMMITTED_DATA_DIR = path.join(PROJECT_ROOT, 'data');
export const JUPYTER_DIR = path.join(PROJECT_ROOT, '.jupyter');
/** The interpreter Debian's Jupyter packages are installed for (not whatever `python3` is on PATH). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** The data dir: `data/` unless DEFLATE_LAB_DATA_DIR says otherwise. */
export function dataDir(): string {
  const override = process.env[DATA_DIR_ENV];
  return override ? path.resolve(override) : COMMITTED_DATA_DIR;
}
