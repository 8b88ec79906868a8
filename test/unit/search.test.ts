import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { benchSearch } from '../../src/bench/search-bench';
import { NODE_MODULES } from '../../src/core/paths';
import {
  functionSource,
  grouped,
  search,
  sourceLines,
  stackScope,
  SHOWN_LINE_CHARS,
  COPY_KINDS,
  type SearchHit,
} from '../../src/search';
import { GREP_BUFFER_BYTES } from '../../src/search/files';
import { runGrep } from '../../src/search/grep';
import { STACKS } from '../../src/core/stack-catalog';
import { requiredLiteral } from '../../src/search/prefilter';

// ---------------------------------------------------------------------------------------------
// The fixture: a small install made at test time (node_modules folders are git-ignored). Two
// server packages (an npm alias of socket.io 1.3.7 with engine.io and ws nested, and a socket.io 4
// whose server code is in dist/), a client package with a browserify bundle, a minified build, and
// engine.io-client with its own nested ws; a standalone ws; docs, a test, a binary file, a file
// with a NUL after grep's first buffer, a symlinked folder, and a long generated file.
// ---------------------------------------------------------------------------------------------

const NEEDLE = 'transport error';
const REGEX = 'invalid (compressed|distance)';

const RECEIVER = [
  'Receiver.prototype.applyExtensions = function(messageBuffer, fin, compressed, callback) {',
  '  var self = this;',
  '  if (compressed) {',
  "    this.extensions['permessage-deflate'].decompress(messageBuffer, fin, function(err, buffer) {",
  '      if (self.dead) return;',
  '      if (err) {',
  "        callback(new Error('invalid compressed data'));",
  '        return;',
  '      }',
  '      callback(null, buffer);',
  '    });',
  '  } else {',
  '    callback(null, messageBuffer);',
  '  }',
  '};',
  '',
  "Receiver.prototype.error = function (reason) { this.onerror('invalid distance code'); };",
];

const SERVER_SOCKET = [
  '/**',
  ' * Called upon transport error.',
  ' */',
  '',
  'Socket.prototype.onError = function (err) {',
  "  debug('transport error');",
  '  var brace = /[{]/, quote = "}{", tpl = `${"}"}`; // braces in a regex, a string, a template',
  "  this.onClose('transport error', err); // } in a comment",
  '};',
  '',
  'function setup() {',
  '  return function () {',
  "    emit('transport error');",
  '  };',
  '}',
];

const CLIENT_SOCKET = [
  "import { Emitter } from './emitter';",
  'export class Socket extends Emitter {',
  '  onError(err) {',
  '    const message = `${err.message} {`;',
  "    this.onClose('transport error', err);",
  '  }',
  '',
  '  static probe() {',
  "    return 'transport error';",
  '  }',
  '}',
  '',
  'const report = async (err) => {',
  "  console.log('transport error', err);",
  '};',
];

const BROWSERIFY_BUNDLE = [
  '!function(e){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=e();else window.io=e()}(function(){',
  'Socket.prototype.onError = function (err) {',
  "  this.onClose('transport error', err);",
  '};',
  '});',
];

// One minified line far longer than a decoded-whole line, with 2- and 4-byte characters before
// the hit so that the column (in UTF-16 units) is tested.
const MINIFIED_PREFIX = 'var é="😀",a=' + JSON.stringify('x'.repeat(100_000)) + ';';
const MINIFIED = [
  MINIFIED_PREFIX + 'n.prototype.onError=function(e){this.onClose("transport error",e)};var z=1;' + 'y'.repeat(5000),
];

const SOCKET_IO_4_SERVER = [
  '"use strict";',
  'Object.defineProperty(exports, "__esModule", { value: true });',
  'class Socket {',
  '    constructor(nsp) {',
  '        this.nsp = nsp; // no transport error yet',
  '    }',
  '    _onerror(err) {',
  '        this._onclose("transport error", err);',
  '    }',
  '}',
];

const ROLLUP_BUNDLE = [
  '/*!',
  ' * Socket.IO v4.8.4',
  ' */',
  '(function (global, factory) {',
  '  factory();',
  '})(this, (function () {',
  '  function onError() { return "transport error"; }',
  '}));',
];

// A long file with a closing brace on every 37th line, crossing the 64 KiB decode pieces.
const GENERATED = Array.from({ length: 6000 }, (_, i) => (i % 37 === 5 ? '  }' : `  x${i} = ${'1'.repeat(i % 50)};`));

interface FixtureFile {
  path: string;
  lines?: string[];
  bytes?: Buffer;
}

const FIXTURE: FixtureFile[] = [
  { path: 'node_modules/socket.io-old/package.json', lines: ['{"name": "socket.io", "version": "1.3.7"}'] },
  {
    path: 'node_modules/socket.io-old/History.md',
    lines: ['1.3.7 / 2015-09-21', '==================', '', '  * fix reconnect after transport error'],
  },
  {
    path: 'node_modules/socket.io-old/lib/naïve.js',
    lines: ['function café(é) {', "  return 'transport error';", '}'],
  },
  {
    path: 'node_modules/socket.io-old/node_modules/engine.io/package.json',
    lines: ['{"name": "engine.io", "version": "1.5.4"}'],
  },
  { path: 'node_modules/socket.io-old/node_modules/engine.io/lib/socket.js', lines: SERVER_SOCKET },
  {
    path: 'node_modules/socket.io-old/node_modules/engine.io/test/socket.js',
    lines: ["it('closes on transport error', function () {", '});'],
  },
  { path: 'node_modules/socket.io-old/node_modules/ws/package.json', lines: ['{"name": "ws", "version": "0.8.0"}'] },
  { path: 'node_modules/socket.io-old/node_modules/ws/lib/Receiver.js', lines: RECEIVER },
  { path: 'node_modules/socket.io-old/node_modules/ws/lib/package.json', lines: ['{"type": "commonjs"}'] },
  { path: 'node_modules/socket.io-new/package.json', lines: ['{"name": "socket.io", "version": "4.8.4"}'] },
  { path: 'node_modules/socket.io-new/dist/socket.js', lines: SOCKET_IO_4_SERVER },
  { path: 'node_modules/socket.io-new/client-dist/socket.io.js', lines: ROLLUP_BUNDLE },
  {
    path: 'node_modules/socket.io-client-old/package.json',
    lines: ['{"name": "socket.io-client", "version": "1.3.7"}'],
  },
  { path: 'node_modules/socket.io-client-old/socket.io.js', lines: BROWSERIFY_BUNDLE },
  { path: 'node_modules/socket.io-client-old/dist/socket.io.min.js', lines: MINIFIED },
  {
    path: 'node_modules/socket.io-client-old/node_modules/engine.io-client/package.json',
    lines: ['{"name": "engine.io-client", "version": "1.5.4"}'],
  },
  { path: 'node_modules/socket.io-client-old/node_modules/engine.io-client/lib/socket.js', lines: CLIENT_SOCKET },
  {
    path: 'node_modules/socket.io-client-old/node_modules/engine.io-client/README.md',
    lines: ['# engine.io-client', '', 'A connection attempt following a transport error will use the next transport.'],
  },
  {
    path: 'node_modules/socket.io-client-old/node_modules/engine.io-client/node_modules/ws/package.json',
    lines: ['{"name": "ws", "version": "0.8.0"}'],
  },
  {
    path: 'node_modules/socket.io-client-old/node_modules/engine.io-client/node_modules/ws/lib/Receiver.js',
    lines: RECEIVER,
  },
  { path: 'node_modules/ws-1.0.1/package.json', lines: ['{"name": "ws", "version": "1.0.1"}'] },
  { path: 'node_modules/ws-1.0.1/lib/Receiver.js', lines: RECEIVER },
  {
    path: 'assets/logo.png',
    bytes: Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]),
      Buffer.from(`${NEEDLE}\n${REGEX}\n`),
    ]),
  },
  // A NUL in the third grep buffer: the hit on line 1 is reported, the one after the NUL is not.
  {
    path: 'logs/late-nul.log',
    bytes: Buffer.concat([
      Buffer.from(`${NEEDLE}\n`),
      Buffer.from(('.'.repeat(79) + '\n').repeat(Math.ceil((2.5 * GREP_BUFFER_BYTES) / 80))),
      Buffer.from(`\0\n${NEEDLE}\n`),
    ]),
  },
  { path: 'logs/generated.js', lines: GENERATED },
  { path: 'logs/no-final-newline.txt', bytes: Buffer.from(`first\nlast ${NEEDLE}`) },
];

let root = '';

function write(file: FixtureFile): void {
  const target = path.join(root, file.path);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, file.bytes ?? file.lines!.join('\n') + '\n');
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-search-'));
  for (const file of FIXTURE) write(file);
  // grep -r does not follow a symlink below its root: its hits must not appear twice.
  fs.symlinkSync(
    path.join(root, 'node_modules/socket.io-old/node_modules/engine.io'),
    path.join(root, 'linked-engine.io'),
  );
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Line numbers (1-based) of `lines` that contain `needle`: the expected hits, by construction. */
function linesWith(lines: readonly string[], needle: string | RegExp): number[] {
  return lines.flatMap((line, i) =>
    (typeof needle === 'string' ? line.includes(needle) : needle.test(line)) ? [i + 1] : [],
  );
}

function pairs(hits: readonly SearchHit[]): string[] {
  return hits.map((hit) => `${hit.file}:${hit.line}`).sort();
}

function grepPairs(query: { literal: string } | { regex: string }, roots: string[]): string[] {
  return runGrep(query, roots)
    .pairs.map(([file, line]) => `${path.resolve(file)}:${line}`)
    .sort();
}

function hitsIn(hits: readonly SearchHit[], relative: string): SearchHit[] {
  return hits.filter((hit) => hit.file === path.join(root, relative));
}

// ---------------------------------------------------------------------------------------------

test('each hit says where it is, whose package, which copy and which function', () => {
  const hits = search({ roots: root, literal: NEEDLE });
  const expected: Array<[string, string[], string, string, Array<string | null>]> = [
    [
      'node_modules/socket.io-old/History.md',
      ['fix reconnect after transport error'],
      'socket.io@1.3.7',
      'docs',
      [null],
    ],
    ['node_modules/socket.io-old/lib/naïve.js', ['transport error'], 'socket.io@1.3.7', 'server', ['café']],
    [
      'node_modules/socket.io-old/node_modules/engine.io/lib/socket.js',
      SERVER_SOCKET,
      'engine.io@1.5.4',
      'server',
      [null, 'Socket.prototype.onError', 'Socket.prototype.onError', 'setup'],
    ],
    [
      'node_modules/socket.io-old/node_modules/engine.io/test/socket.js',
      ['closes on transport error'],
      'engine.io@1.5.4',
      'tests',
      [null],
    ],
    [
      'node_modules/socket.io-new/dist/socket.js',
      SOCKET_IO_4_SERVER,
      'socket.io@4.8.4',
      'server',
      ['Socket', 'Socket.prototype._onerror'],
    ],
    ['node_modules/socket.io-new/client-dist/socket.io.js', ROLLUP_BUNDLE, 'socket.io@4.8.4', 'bundle', ['onError']],
    [
      'node_modules/socket.io-client-old/socket.io.js',
      BROWSERIFY_BUNDLE,
      'socket.io-client@1.3.7',
      'bundle',
      ['Socket.prototype.onError'],
    ],
    [
      'node_modules/socket.io-client-old/dist/socket.io.min.js',
      MINIFIED,
      'socket.io-client@1.3.7',
      'bundle',
      ['n.prototype.onError'],
    ],
    [
      'node_modules/socket.io-client-old/node_modules/engine.io-client/lib/socket.js',
      CLIENT_SOCKET,
      'engine.io-client@1.5.4',
      'client',
      ['Socket.prototype.onError', 'Socket.probe', 'report'],
    ],
    [
      'node_modules/socket.io-client-old/node_modules/engine.io-client/README.md',
      ['following a transport error'],
      'engine.io-client@1.5.4',
      'docs',
      [null],
    ],
  ];
  for (const [relative, lines, pkg, copy, enclosing] of expected) {
    const found = hitsIn(hits, relative);
    const fileLines = FIXTURE.find((f) => f.path === relative)!.lines!;
    const wanted = linesWith(fileLines, NEEDLE);
    assert.deepEqual(
      found.map((h) => h.line),
      wanted,
      relative,
    );
    assert.ok(lines.length > 0);
    for (const [i, hit] of found.entries()) {
      const text = fileLines[hit.line - 1];
      assert.equal(hit.column, text.indexOf(NEEDLE) + 1, `${relative}:${hit.line} column`);
      assert.equal(`${hit.package?.name}@${hit.package?.version}`, pkg, relative);
      assert.equal(hit.copy, copy, relative);
      assert.equal(hit.enclosing, enclosing[i], `${relative}:${hit.line} enclosing`);
      assert.equal(hit.path, hit.file, 'outside the project the path stays absolute');
    }
  }
  // The text files outside any package, and nothing else.
  const others = hits.filter((hit) => !expected.some(([relative]) => hit.file === path.join(root, relative)));
  assert.deepEqual(
    others.map((hit) => [path.relative(root, hit.file), hit.line, hit.copy, hit.package]),
    [
      ['logs/late-nul.log', 1, 'other', null],
      ['logs/no-final-newline.txt', 2, 'other', null],
    ],
  );
});

test("a regex finds the copies of ws: the server's, the client's, and a standalone one", () => {
  const hits = search({ roots: root, regex: REGEX });
  const receivers = hits.filter((hit) => hit.file.endsWith('Receiver.js'));
  assert.deepEqual(
    receivers.map((hit) => [
      path.relative(root, hit.file),
      hit.line,
      hit.copy,
      `${hit.package?.name}@${hit.package?.version}`,
      hit.enclosing,
    ]),
    [
      [
        'node_modules/socket.io-client-old/node_modules/engine.io-client/node_modules/ws/lib/Receiver.js',
        7,
        'client',
        'ws@0.8.0',
        'Receiver.prototype.applyExtensions',
      ],
      [
        'node_modules/socket.io-client-old/node_modules/engine.io-client/node_modules/ws/lib/Receiver.js',
        17,
        'client',
        'ws@0.8.0',
        'Receiver.prototype.error',
      ],
      [
        'node_modules/socket.io-old/node_modules/ws/lib/Receiver.js',
        7,
        'server',
        'ws@0.8.0',
        'Receiver.prototype.applyExtensions',
      ],
      [
        'node_modules/socket.io-old/node_modules/ws/lib/Receiver.js',
        17,
        'server',
        'ws@0.8.0',
        'Receiver.prototype.error',
      ],
      ['node_modules/ws-1.0.1/lib/Receiver.js', 7, 'other', 'ws@1.0.1', 'Receiver.prototype.applyExtensions'],
      ['node_modules/ws-1.0.1/lib/Receiver.js', 17, 'other', 'ws@1.0.1', 'Receiver.prototype.error'],
    ],
  );
  // Files sorted by name: socket.io-client-old comes before socket.io-old.
  assert.equal(receivers[2].column, RECEIVER[6].indexOf('invalid') + 1);
  assert.deepEqual(linesWith(RECEIVER, new RegExp(REGEX)), [7, 17]);
});

test('binary files are skipped, a late NUL ends the text, symlinks below the root are not followed', () => {
  const hits = search({ roots: root, literal: NEEDLE });
  assert.equal(hitsIn(hits, 'assets/logo.png').length, 0);
  assert.deepEqual(
    hitsIn(hits, 'logs/late-nul.log').map((h) => h.line),
    [1],
  );
  assert.ok(!hits.some((hit) => hit.file.includes('linked-engine.io')));
  // A symlinked root is followed, as grep follows its arguments.
  const linked = search({ roots: path.join(root, 'linked-engine.io'), literal: NEEDLE });
  assert.deepEqual(
    linked.map((h) => h.line),
    [2, 6, 8, 13, 1],
  );
});

test('long lines are shown clipped around the match, with the column kept', () => {
  const [hit] = hitsIn(
    search({ roots: root, literal: NEEDLE }),
    'node_modules/socket.io-client-old/dist/socket.io.min.js',
  );
  assert.equal(hit.clipped, true);
  assert.equal(hit.column, MINIFIED[0].indexOf(NEEDLE) + 1);
  assert.ok(hit.text.startsWith('…') && hit.text.endsWith('…'), hit.text);
  assert.equal(hit.text.length, SHOWN_LINE_CHARS + 2);
  assert.ok(hit.text.includes('this.onClose("transport error",e)'), hit.text);
  const short = hitsIn(search({ roots: root, literal: NEEDLE }), 'node_modules/socket.io-old/History.md')[0];
  assert.equal(short.clipped, false);
  assert.equal(short.text, '  * fix reconnect after transport error');
  // A line a little over the limit, in the decoded-whole path, clipped at its start only.
  const line = 'x'.repeat(400) + NEEDLE;
  fs.writeFileSync(path.join(root, 'logs/wide.txt'), line + '\n');
  try {
    const [wide] = search({ roots: path.join(root, 'logs/wide.txt'), literal: NEEDLE });
    assert.equal(wide.column, 401);
    assert.equal(wide.text, '…' + line.slice(line.length - SHOWN_LINE_CHARS));
  } finally {
    fs.rmSync(path.join(root, 'logs/wide.txt'));
  }
});

test('hits group as server, client, bundle, docs, tests, other', () => {
  const groups = grouped(search({ roots: root, literal: NEEDLE }));
  assert.deepEqual(Object.keys(groups), [...COPY_KINDS]);
  assert.deepEqual(Object.fromEntries(Object.entries(groups).map(([kind, hits]) => [kind, hits.length])), {
    server: 7,
    client: 3,
    bundle: 3,
    docs: 2,
    tests: 1,
    other: 2,
  });
});

test('scope: several roots are searched once each, an include filter keeps files by relative path', () => {
  const engine = path.join(root, 'node_modules/socket.io-old/node_modules/engine.io');
  const both = search({ roots: [root, engine], literal: NEEDLE });
  assert.deepEqual(pairs(both), pairs(search({ roots: root, literal: NEEDLE })));
  const onlyJs = search({ roots: root, literal: NEEDLE, include: (relative) => relative.endsWith('.js') });
  assert.ok(onlyJs.length > 0 && onlyJs.every((hit) => hit.file.endsWith('.js')));
  const libOnly = search({ roots: engine, literal: NEEDLE, include: (relative) => relative.startsWith('lib/') });
  assert.deepEqual(
    libOnly.map((h) => h.line),
    [2, 6, 8, 13],
  );
  // Known package folders decide the side, ahead of the package names.
  const sided = search({ roots: root, regex: REGEX, sides: { [path.join(root, 'node_modules/ws-1.0.1')]: 'client' } });
  assert.equal(sided.find((hit) => hit.file.includes('ws-1.0.1'))?.copy, 'client');
});

test('same (path, line) pairs as GNU grep on the fixture', () => {
  const queries: Array<{ literal: string } | { regex: string }> = [
    { literal: NEEDLE },
    { literal: 'function' },
    { regex: REGEX },
    { regex: '(?:transport|invalid) (error|compressed)' }, // no literal to filter by
    { regex: '^\\s*\\}' }, // crosses newlines in a whole-piece match
    { regex: '^  x\\d+ = 1{49};$' },
  ];
  for (const query of queries) {
    const ours = pairs(search({ roots: root, ...query }));
    assert.ok(ours.length > 0, JSON.stringify(query));
    assert.deepEqual(ours, grepPairs(query, [root]), JSON.stringify(query));
  }
  // By construction, too: the generated file's braces.
  const braces = search({ roots: path.join(root, 'logs/generated.js'), regex: '^\\s*\\}' });
  assert.deepEqual(
    braces.map((h) => h.line),
    linesWith(GENERATED, /^\s*\}/),
  );
});

test('same (path, line) pairs as GNU grep on an installed package: socket.io 1.3.7', () => {
  const installed = path.join(NODE_MODULES, 'socket.io-2015');
  const queries: Array<{ literal: string } | { regex: string }> = [
    { literal: NEEDLE },
    { literal: 'function' },
    { regex: REGEX },
    { regex: 'prototype\\.\\w+ = function' },
    { regex: '^\\s*\\}\\)?;?$' },
  ];
  for (const query of queries) {
    const ours = pairs(search({ roots: installed, ...query }));
    assert.ok(ours.length > 0, JSON.stringify(query));
    assert.deepEqual(ours, grepPairs(query, [installed]), JSON.stringify(query));
  }
});

test("a named function's source is read whole from the installed file", () => {
  const file = path.join(root, 'node_modules/socket.io-old/node_modules/ws/lib/Receiver.js');
  const source = functionSource(file, 'Receiver.prototype.applyExtensions');
  assert.deepEqual([source.startLine, source.endLine], [1, 15]);
  assert.equal(source.text, RECEIVER.slice(0, 15).join('\n'));
  // The last part of the name is enough when only one function ends that way.
  assert.equal(functionSource(file, 'error').name, 'Receiver.prototype.error');
  const client = path.join(root, 'node_modules/socket.io-client-old/node_modules/engine.io-client/lib/socket.js');
  const method = functionSource(client, 'onError');
  assert.deepEqual([method.name, method.startLine, method.endLine], ['Socket.prototype.onError', 3, 6]);
  assert.equal(functionSource(client, 'report').text, CLIENT_SOCKET.slice(12, 15).join('\n'));
  const constructor = functionSource(path.join(root, 'node_modules/socket.io-new/dist/socket.js'), 'Socket');
  assert.deepEqual([constructor.startLine, constructor.endLine], [4, 6]);
  assert.throws(() => functionSource(file, 'nowhere'), /no function named nowhere/);
  assert.throws(() => functionSource(path.join(root, 'missing.js'), 'x'), /cannot read/);
  // A default parameter's `{}` comes before the body's brace (engine.io 6's BaseServer).
  const defaults = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deflate-lab-defaults-')), 'defaults.js');
  fs.writeFileSync(
    defaults,
    ['class Server extends events.EventEmitter {', '  constructor(opts = {}) {', '    super();', '  }', '}', ''].join(
      '\n',
    ),
  );
  assert.deepEqual(Object.values(functionSource(defaults, 'Server')).slice(1, 4), ['Server', 2, 4]);
  assert.equal(sourceLines(file, 6, 7), RECEIVER.slice(5, 7).join('\n'));
  assert.throws(() => sourceLines(file, 0, 3), /outside/);
});

test('functionSource finds the 2015 functions in the installed engine.io and ws', () => {
  const scope = stackScope('2015');
  const hits = search({ ...scope, literal: 'invalid compressed data' });
  assert.deepEqual(
    hits.map((hit) => [hit.copy, hit.enclosing]),
    [
      ['server', 'Receiver.prototype.applyExtensions'],
      ['client', 'Receiver.prototype.applyExtensions'],
    ],
  );
  const source = functionSource(hits[0].file, hits[0].enclosing!);
  assert.ok(source.startLine <= hits[0].line && hits[0].line <= source.endLine);
  assert.match(source.text, /^Receiver\.prototype\.applyExtensions = function/);
  assert.match(source.text, /\n};$/);
});

test('a stack scope marks each package folder with its side, hoisted ws included', () => {
  // In the own install of socket.io 1.3.7 + ws 0.8.1, the server's ws sits at the top of its
  // node_modules, outside engine.io: only the catalog knows it is the server's.
  const scope = stackScope('2015+ws0.8.1');
  const hits = search({ ...scope, literal: 'invalid compressed data' });
  assert.deepEqual(
    hits.map((hit) => [hit.copy, `${hit.package?.name}@${hit.package?.version}`, hit.enclosing]),
    [
      ['server', `ws@${STACKS['2015+ws0.8.1'].expected.ws}`, 'Receiver.prototype.applyExtensions'],
      ['client', `ws@${STACKS['2015+ws0.8.1'].expected['client ws']}`, 'Receiver.prototype.applyExtensions'],
    ],
  );
  // Roots nested in another root are dropped; every listed folder keeps its side.
  assert.ok(scope.roots.every((r) => !scope.roots.some((o) => o !== r && r.startsWith(o + path.sep))));
  assert.equal(Object.values(scope.sides).filter((side) => side === 'server').length, 3);
});

test('a RegExp object keeps its flags', () => {
  const folded = search({ roots: root, regex: /TRANSPORT ERROR/i });
  assert.deepEqual(pairs(folded), pairs(search({ roots: root, literal: NEEDLE })));
});

test('the bench times both tools on the same files and finds the same hits (numbers only, no timing goal)', () => {
  const result = benchSearch({ root, literal: NEEDLE, regex: REGEX, runs: 2 });
  assert.equal(result.files, FIXTURE.length);
  assert.deepEqual(
    result.timings.map((t) => [t.kind, t.pattern]),
    [
      ['literal', NEEDLE],
      ['regex', REGEX],
    ],
  );
  for (const timing of result.timings) {
    assert.equal(timing.hits, timing.grepHits);
    assert.equal(timing.oursRunsMs.length, 2);
    assert.ok(timing.oursMs > 0 && timing.grepMs > 0);
    assert.equal(timing.ratio, timing.oursMs / timing.grepMs);
    assert.match(timing.grepCommand, /^LC_ALL=C grep -rnIZ[FP] /);
  }
  assert.throws(() => benchSearch({ root }), /give a literal, a regex, or both/);
});

test('bad input gets a one-line error that says what to do', () => {
  assert.throws(() => search({ roots: root, literal: '' }), /empty literal/);
  assert.throws(() => search({ roots: root, literal: 'a\nb' }), /cannot span lines/);
  assert.throws(() => search({ roots: root, regex: '(' }), /invalid regex/);
  assert.throws(() => search({ roots: path.join(root, 'nope'), literal: NEEDLE }), /does not exist/);
  assert.throws(() => search({ roots: [], literal: NEEDLE }), /no roots/);
});

test('the regex prefilter takes only a literal every match must contain', () => {
  const cases: Array<[string, string, string | null]> = [
    ['invalid (compressed|distance)', '', 'invalid '],
    ['transport error', '', 'transport error'],
    ['a|transport', '', null],
    ['prototype\\.\\w+ = function', '', ' = function'],
    ['colou?r code', '', 'r code'],
    ['ab{2}cdef', '', 'cdef'],
    ['[)(|]transport', '', 'transport'],
    ['\\x41BCDEF', '', null],
    ['transport error', 'i', null],
    ['(?:transport|invalid) (error|compressed)', '', null],
    ['x+yzw', '', 'yzw'],
    ['x+yz', '', null],
  ];
  for (const [source, flags, literal] of cases) assert.equal(requiredLiteral(source, flags), literal, source);
});
