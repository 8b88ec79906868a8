/**
 * The layers of src/, checked by `npm run lint` (dependency-cruiser, type imports included).
 * docs/architecture.md draws the same table and says why each folder sits where it does.
 *
 * MAY_IMPORT lists, for each folder of src/, the folders it may import besides itself. The table
 * must be acyclic (checked below, when this file loads), so no two folders import each other and
 * `core/` imports nothing above it. Every file cycle is an error too, counting type imports.
 */
const MAY_IMPORT = {
  core: [],
  show: ['core'],
  observe: ['core'],
  jupyter: ['core'],
  stacks: ['core', 'observe'],
  search: ['core', 'stacks'],
  clients: ['core', 'observe', 'stacks'],
  traffic: ['core', 'observe', 'stacks', 'clients'],
  'bare-ws': ['core', 'observe', 'stacks', 'clients', 'traffic'],
  capacity: ['core', 'show', 'observe', 'stacks', 'clients', 'traffic'],
  'check-server': ['core', 'show', 'observe', 'stacks', 'clients', 'traffic'],
  sweep: ['core', 'show', 'observe', 'stacks', 'clients', 'traffic', 'capacity'],
  history: ['core', 'observe', 'stacks', 'clients', 'traffic', 'bare-ws'],
  'check-data': ['core', 'stacks', 'traffic', 'bare-ws', 'capacity', 'sweep', 'history'],
  chapters: [
    'core',
    'show',
    'observe',
    'jupyter',
    'stacks',
    'search',
    'clients',
    'traffic',
    'bare-ws',
    'capacity',
    'check-server',
    'sweep',
    'history',
  ],
  report: ['core', 'show', 'jupyter', 'traffic', 'chapters'],
  bench: ['core', 'show', 'stacks', 'search', 'clients', 'traffic', 'capacity', 'sweep', 'report'],
  cli: [
    'core',
    'show',
    'jupyter',
    'stacks',
    'search',
    'traffic',
    'bare-ws',
    'capacity',
    'check-server',
    'sweep',
    'history',
    'check-data',
    'chapters',
    'report',
    'bench',
  ],
};

// A folder that imports one above it in the table would make a cycle of folders: refuse the table itself.
function assertAcyclic(table) {
  const state = {};
  const visit = (folder, trail) => {
    if (!(folder in table))
      throw new Error(`.dependency-cruiser.cjs: '${folder}' is imported but has no row in MAY_IMPORT`);
    if (state[folder] === 'done') return;
    if (state[folder] === 'visiting')
      throw new Error(`.dependency-cruiser.cjs: MAY_IMPORT has a cycle: ${[...trail, folder].join(' -> ')}`);
    state[folder] = 'visiting';
    for (const below of table[folder]) visit(below, [...trail, folder]);
    state[folder] = 'done';
  };
  for (const folder of Object.keys(table)) visit(folder, []);
}
assertAcyclic(MAY_IMPORT);

const escape = (name) => name.replace(/[-]/g, '\\-');
const folderRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
  name: `layer-${folder}`,
  comment: `src/${folder}/ may import only ${allowed.length ? allowed.join(', ') : 'node and npm packages'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${escape(folder)}/` },
  to: { path: '^src/', pathNot: `^src/(${[folder, ...allowed].map(escape).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A file cycle, type imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'folder-not-in-the-table',
      comment: 'Every folder of src/ has a row in MAY_IMPORT.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${Object.keys(MAY_IMPORT).map(escape).join('|')})/` },
      to: {},
    },
    ...folderRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
