/**
 * Chapter 7, part 1: is permessage-deflate on or off by default, on each installed stack? Read
 * from the installed source with the source search, then confirmed live: each stack's server,
 * left at its defaults, answers its own client's offer (the answer is read off the wire).
 */
import path from 'node:path';
import { showTable, showText } from '../../show/display';
import { STACK_NAMES, type StackName } from '../../core/params';
import { runScenario, type ScenarioRecord } from '../../traffic/scenario';
import { functionSource, search, sourceLines, stackScope, type SearchHit } from '../../search';
import { stackPackageDirs } from '../../core/stack-catalog';
import { acceptsDeflate } from '../../observe/wire';

/** Where a line of evidence was read: `path:line` and the installed package. */
export interface SourceEvidence {
  where: string;
  package: string;
  text: string;
}

/** What the installed source of one stack says about its server's deflate default. */
export interface StackDeflateSource {
  stack: StackName;
  /** The server ws's own default for `perMessageDeflate`, as written in its WebSocketServer. */
  wsDefault: SourceEvidence | null;
  /** engine.io's lines that set or pass `perMessageDeflate` (none: it leaves ws's default). */
  engine: SourceEvidence[];
}

/** today's engine.io in detail: its defaults object, what it passes to ws, the threshold it adds. */
export interface TodayDeflateSource {
  /** engine.io's `Object.assign({ … }, opts)` defaults, as installed. */
  defaults: SourceEvidence;
  /** Whether that defaults object names perMessageDeflate at all. */
  defaultsNameDeflate: boolean;
  /** The lines that add a threshold when deflate is asked for, and pass the option to ws. */
  whenAskedFor: SourceEvidence;
  passedToWs: SourceEvidence;
  /** The documented default in engine.io's type declarations. */
  declared: SourceEvidence;
  /** The threshold engine.io adds (bytes), read from `whenAskedFor`. */
  threshold: number | null;
  /** ws's server default, read from its WebSocketServer. */
  wsDefault: SourceEvidence;
  /** What the source says, derived from the lines above. */
  verdict: 'off' | 'on';
}

/** The handshake of a stack left at its defaults: what the client offered and the server answered. */
export interface LiveDefault {
  stack: StackName;
  versions: string;
  offer: string;
  answer: string;
  deflate: 'on' | 'off';
  record: ScenarioRecord;
}

function evidence(hit: SearchHit, text = hit.text.trim()): SourceEvidence {
  return {
    where: `${hit.path}:${hit.line}`,
    package: hit.package ? `${hit.package.name}@${hit.package.version}` : 'unknown',
    text: text,
  };
}

function inPackage(hit: SearchHit, name: string): boolean {
  return hit.package?.name === name;
}

const WS_SERVER_FILE = /(^|[\\/])(WebSocketServer|websocket-server)\.js$/;
const ENGINE_SERVER_FILE = /(^|[\\/])server\.js$/;

/** The server-side lines naming perMessageDeflate in a stack's engine.io and ws (no docs, maps or bundles). */
export function readStackDeflateSource(stack: StackName): StackDeflateSource {
  const dirs = stackPackageDirs(stack);
  const sides = stackScope(stack).sides;
  // One search per package: ws often sits inside engine.io's folder, and a file is listed once,
  // under the first root that holds it.
  const inside = (dir: string) =>
    search({
      literal: 'perMessageDeflate',
      roots: [dir],
      sides: sides,
      include: (relative) => relative.endsWith('.js') && !relative.includes('node_modules'),
    });
  const hits = [...inside(dirs['engine.io']), ...inside(dirs.ws)].filter((hit) => hit.copy === 'server');
  const wsHit = hits.find(
    (hit) =>
      inPackage(hit, 'ws') && WS_SERVER_FILE.test(hit.file) && /perMessageDeflate:\s*(true|false)/.test(hit.text),
  );
  return {
    stack,
    wsDefault: wsHit ? evidence(wsHit) : null,
    // Only the lines that read the user's option (`opts.perMessageDeflate`, not `this.opts.…`) decide the default.
    engine: hits
      .filter(
        (hit) =>
          inPackage(hit, 'engine.io') &&
          ENGINE_SERVER_FILE.test(hit.file) &&
          /(^|[^.\w])opts\.perMessageDeflate/.test(hit.text),
      )
      .map((hit) => evidence(hit)),
  };
}

function single(hits: SearchHit[], what: string): SearchHit {
  if (hits.length !== 1)
    throw new Error(
      `reading today's deflate default: expected one ${what}, found ${hits.length}; the installed engine.io changed, update src/chapters/07-today/defaults.ts`,
    );
  return hits[0];
}

/** today's server default, read line by line from engine.io 6 and ws 8 as installed. */
export function readTodayDeflateSource(): TodayDeflateSource {
  const dirs = stackPackageDirs('today');
  const scope = stackScope('today');
  const engineHits = search({
    literal: 'perMessageDeflate',
    roots: [dirs['engine.io']],
    sides: scope.sides,
    include: (r) => r.startsWith('build') && !r.includes('node_modules'),
  });
  const serverJs = engineHits.filter((hit) => hit.path.endsWith(path.join('engine.io', 'build', 'server.js')));
  const asked = single(
    serverJs.filter((hit) => /if \(opts\.perMessageDeflate\)/.test(hit.text)),
    "'if (opts.perMessageDeflate)' line",
  );
  // The function that reads the option is the one whose defaults object matters.
  const ctorName = asked.enclosing;
  if (!ctorName)
    throw new Error(
      "reading today's deflate default: 'if (opts.perMessageDeflate)' is outside a named function; update src/chapters/07-today/defaults.ts",
    );
  const ctor = functionSource(asked.file, ctorName);
  const found = /this\.opts = Object\.assign\(\{[\s\S]*?\}, opts\);/.exec(ctor.text);
  if (!found)
    throw new Error(
      `reading today's deflate default: no 'this.opts = Object.assign({…}, opts)' in ${ctorName}; update src/chapters/07-today/defaults.ts`,
    );
  const defaultsText = found[0];
  const defaultsLine = ctor.startLine + ctor.text.slice(0, found.index).split('\n').length - 1;
  const askedText = sourceLines(asked.file, asked.line, asked.line + 4);
  const passed = single(
    serverJs.filter((hit) => /perMessageDeflate: this\.opts\.perMessageDeflate/.test(hit.text)),
    'option passed to ws',
  );
  const declaredHit = single(
    engineHits.filter(
      (hit) => hit.path.endsWith(path.join('build', 'server.d.ts')) && /perMessageDeflate\?:/.test(hit.text),
    ),
    'declaration in server.d.ts',
  );
  const declaredText = sourceLines(declaredHit.file, Math.max(1, declaredHit.line - 4), declaredHit.line);
  const ws = readStackDeflateSource('today').wsDefault;
  if (!ws)
    throw new Error(
      "reading today's deflate default: no 'perMessageDeflate: true|false' default in ws's WebSocketServer; update src/chapters/07-today/defaults.ts",
    );
  const defaultsNameDeflate = defaultsText.includes('perMessageDeflate');
  const threshold = /threshold:\s*(\d+)/.exec(askedText)?.[1];
  return {
    defaults: { where: `${asked.path}:${defaultsLine}`, package: evidence(asked).package, text: defaultsText },
    defaultsNameDeflate,
    whenAskedFor: { ...evidence(asked), text: askedText.trimEnd() },
    passedToWs: evidence(passed),
    declared: { ...evidence(declaredHit), text: declaredText.trimEnd() },
    threshold: threshold === undefined ? null : Number(threshold),
    wsDefault: ws,
    // engine.io names no default, so the option reaches ws unset (or falsy), and ws's own default decides.
    verdict: !defaultsNameDeflate && /perMessageDeflate:\s*false/.test(ws.text) ? 'off' : 'on',
  };
}

/** The live check: each stack at its defaults, one client, one small frame; the handshake off the wire. */
export async function liveDefaults(options: { quick?: boolean } = {}): Promise<LiveDefault[]> {
  const live: LiveDefault[] = [];
  for (const stack of STACK_NAMES) {
    const record = await runScenario(
      {
        stack,
        client: 'socket.io',
        payload: 'json',
        frameSize: 1024,
        fragmentSize: 1024,
        rate: 5,
        clients: 1,
        burst: 1,
        deflate: 'default',
        duration: 200,
        seed: 1,
        placement: 'in-process',
      },
      { quick: options.quick },
    );
    const handshake = record.result.handshakes[0];
    const v = record.stack.versions;
    live.push({
      stack,
      versions: `socket.io ${v['socket.io']}, engine.io ${v['engine.io']}, ws ${v.ws}`,
      offer: handshake?.offer ?? '',
      answer: handshake?.answer ?? '',
      deflate: handshake && acceptsDeflate(handshake.answer) ? 'on' : 'off',
      record,
    });
  }
  return live;
}

/** Shows what the source says for today, line by line, and the generated verdict. */
export function showTodayDeflateSource(source: TodayDeflateSource): void {
  const block = (title: string, e: SourceEvidence) =>
    showText(e.text, { title: `${title} — ${e.package}, ${e.where}` });
  block("engine.io's defaults (the options object every server starts from)", source.defaults);
  block('what engine.io does when perMessageDeflate is asked for', source.whenAskedFor);
  block('what engine.io hands to ws', source.passedToWs);
  block("ws's own server default", source.wsDefault);
  block('the documented default', source.declared);
  showText(
    `engine.io's defaults object ${source.defaultsNameDeflate ? 'names' : 'does not name'} perMessageDeflate; ` +
      `it passes this.opts.perMessageDeflate to ws as is, and ws's server default is \`${source.wsDefault.text}\`. ` +
      `So the source says: ${source.verdict}.` +
      (source.threshold === null
        ? ''
        : ` When it is asked for, engine.io adds a threshold of ${source.threshold} bytes: smaller messages go uncompressed.`),
    { title: 'read from the installed source' },
  );
}

/** Shows, per stack, the ws default and engine.io lines read from its source beside the live handshake. */
export function showDefaultsTable(live: LiveDefault[], sources: StackDeflateSource[]): void {
  showTable(
    live.map((l) => {
      const source = sources.find((s) => s.stack === l.stack);
      return {
        stack: l.stack,
        versions: l.versions,
        'ws server default (read)': source?.wsDefault
          ? `${source.wsDefault.text} (${source.wsDefault.where})`
          : 'not found',
        'engine.io lines naming it (read)':
          source && source.engine.length > 0
            ? source.engine.map((e) => `${e.where.split(':').pop()}: ${e.text}`).join(' · ')
            : 'none: ws decides',
        'client offered (live)': l.offer || '(nothing)',
        'server answered (live)': l.answer || '(no extension)',
        'deflate by default': l.deflate,
      };
    }),
    { caption: 'Each stack left at its defaults: source read with the search module, handshake read off the wire' },
  );
}

/** One step in the history of the default: when, what changed, and where the claim comes from. */
export interface HistoryEntry {
  when: string;
  change: string;
  /** `read: path:line` for what the installed files show; `cited: URL` for public history not installed here. */
  evidence: string;
}

/**
 * Public history that no installed file records (engine.io 6 ships no changelog; ws ships none).
 * Cited, with links; each entry says so in the table.
 */
export const CITED_HISTORY: readonly HistoryEntry[] = [
  {
    when: 'May 2017',
    change:
      'ws 3.0.0 turns permessage-deflate off by default on the server (the client keeps offering it). engine.io 2.x–3.x keep turning it on themselves, so socket.io servers still negotiate it.',
    evidence:
      'cited: https://github.com/websockets/ws/releases/tag/3.0.0 ; a dependent documenting the change when moving to ws ^3.0.0: https://github.com/max-mapper/websocket-stream/pull/123',
  },
  {
    when: 'Sep 2017',
    change:
      'ws #1202 "RFC: Concurrency limit on zlib": many concurrent zlib streams fragment memory on Linux until it cannot be recovered (nodejs/node#8871).',
    evidence: 'cited: https://github.com/websockets/ws/issues/1202',
  },
  {
    when: '2018',
    change: 'ws #1369, on memory use with permessage-deflate.',
    evidence: 'cited from the project brief, not read here: https://github.com/websockets/ws/issues/1369',
  },
  {
    when: 'Sep 2020',
    change:
      'engine.io 4.0.0: "disable perMessageDeflate by default" (commit 078527a: "adds some extra memory overhead for each WebSocket connection, and results in huge memory usage in production deployments") and "decrease the default value of maxHttpBufferSize" (734f9d1). socket.io 3.0 (November 2020) is built on it.',
    evidence:
      'cited: https://github.com/socketio/engine.io/releases/tag/4.0.0 ; https://github.com/socketio/engine.io/commit/078527a384b70dc46d99083fa218be5d45213e51',
  },
  {
    when: 'Dec 2020 – Jan 2021',
    change: 'The same default backported: engine.io 3.5.0, socket.io 2.4.0.',
    evidence: 'cited: https://github.com/socketio/socket.io/releases/tag/2.4.0',
  },
];

/** Lines of the installed ws README that state today's default and the memory warning behind it. */
export function readInstalledWarnings(): SourceEvidence[] {
  const dirs = stackPackageDirs('today');
  const wanted = [/disabled by default on the server/, /memory fragmentation/, /^\[node-zlib-bug\]:/];
  const hits = search({
    regex: new RegExp(wanted.map((re) => re.source).join('|')),
    roots: [dirs.ws],
    include: (relative) => relative === 'README.md',
  });
  return hits.map((hit) => evidence(hit));
}

/** The value a `perMessageDeflate: true|false` default line sets, or null when none was read. */
export function defaultValue(line: SourceEvidence | null | undefined): 'true' | 'false' | null {
  const found = line ? /perMessageDeflate:\s*(true|false)/.exec(line.text) : null;
  return found ? (found[1] as 'true' | 'false') : null;
}

/** One stack's server default in words, from the lines read out of its installed ws and engine.io. */
export function stackDefaultText(source: StackDeflateSource | undefined): string {
  if (!source) return 'Not read: the stack was not searched.';
  const ws = defaultValue(source.wsDefault);
  const wsText =
    ws === null
      ? "no perMessageDeflate default was found in ws's WebSocketServer"
      : `ws's server default is ${ws} (${ws === 'true' ? 'it accepts permessage-deflate when a client offers it' : 'it declines permessage-deflate'})`;
  const lines = `${source.engine.length} line${source.engine.length === 1 ? '' : 's'}`;
  const engineText =
    source.engine.length === 0
      ? "engine.io does not read the option, so ws's default decides"
      : source.engine.some((e) => /false\s*!==|!==\s*false/.test(e.text))
        ? `engine.io reads the option and turns deflate on unless it is false (${lines})`
        : `engine.io reads the option (${lines})`;
  return `${wsText}; ${engineText}.`;
}

/** engine.io's line that asks for compression on each packet unless told not to, as installed; null when none is found. */
export function readCompressDefault(): SourceEvidence | null {
  const dirs = stackPackageDirs('today');
  const hits = search({
    regex: /options\.compress = (options\.compress !== false|false !== options\.compress)/,
    roots: [dirs['engine.io']],
    include: (relative) => relative === path.join('build', 'socket.js'),
  });
  return hits[0] ? evidence(hits[0]) : null;
}

/** The history: the installed files' own evidence (read now) and the cited public history, in time order. */
export function deflateHistory(
  sources: StackDeflateSource[],
  today: TodayDeflateSource,
  warnings: SourceEvidence[],
): HistoryEntry[] {
  const read = (stack: StackName): string => {
    const source = sources.find((s) => s.stack === stack);
    const lines = [source?.wsDefault, ...(source?.engine ?? [])].filter(
      (e): e is SourceEvidence => e !== null && e !== undefined,
    );
    return lines.map((e) => `read: ${e.where} \`${e.text}\``).join(' ; ') || 'read: nothing found';
  };
  const ws = defaultValue(today.wsDefault);
  return [
    {
      when: '2015 (socket.io 1.3.7)',
      change: stackDefaultText(sources.find((s) => s.stack === '2015')),
      evidence: read('2015'),
    },
    {
      when: 'Jan 2016 (socket.io 1.4.0)',
      change: stackDefaultText(sources.find((s) => s.stack === '2016-fixed')),
      evidence: read('2016-fixed'),
    },
    ...CITED_HISTORY,
    {
      when: `installed (${today.defaults.package})`,
      change:
        `${today.verdict === 'off' ? 'Off' : 'On'}: engine.io's defaults ${today.defaultsNameDeflate ? 'name it' : 'do not name it'} ` +
        `and ws's server default is ${ws ?? 'not found'}; asked for, it gets a ${today.threshold ?? '?'}-byte threshold.` +
        (warnings.length > 0 ? ` ws's README warns why (${warnings.length} lines read).` : ''),
      evidence: [today.defaults, today.wsDefault, ...warnings]
        .map((e) => `read: ${e.where}${e === today.defaults ? '' : ` \`${e.text}\``}`)
        .join(' ; '),
    },
  ];
}

/** Shows the history table. */
export function showHistory(entries: HistoryEntry[]): void {
  showTable(entries, {
    caption:
      'When the server default changed, and why: each row says whether it was read from an installed file or cited',
  });
}

/** Where ws 8 decides whether an outgoing message is compressed: the only place the threshold is read. */
export function readThresholdRule(): SourceEvidence & { enclosing: string | null } {
  const dirs = stackPackageDirs('today');
  const hits = search({
    regex: /if \(this\._firstFragment\) \{|rsv1 = byteLength >= perMessageDeflate\._threshold/,
    roots: [dirs.ws],
    include: (relative) => relative === path.join('lib', 'sender.js'),
  });
  const rule = hits.find((hit) => hit.text.includes('_threshold'));
  const start = rule && hits.filter((hit) => hit.line < rule.line && hit.text.includes('_firstFragment')).pop();
  if (!rule || !start)
    throw new Error(
      "reading ws's threshold rule: no 'rsv1 = byteLength >= perMessageDeflate._threshold' under 'if (this._firstFragment)' in ws lib/sender.js; update src/chapters/07-today/defaults.ts",
    );
  return {
    ...evidence(rule, sourceLines(rule.file, start.line, rule.line + 3).trimEnd()),
    where: `${rule.path}:${start.line}-${rule.line + 3}`,
    enclosing: rule.enclosing,
  };
}
