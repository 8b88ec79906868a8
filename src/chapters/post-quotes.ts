/**
 * What the 2015 post printed, quoted so that a chapter can set its own live output beside it:
 * its two greps over node_modules, the `err` it logged in engine.io, and the zlib errors under
 * that. These are the post's facts (December 2015, socket.io 1.3.7), never measurements of ours.
 */

/** One line of the post's `grep -nHr`: the path as the post printed it, and the line number. */
export interface PostGrepHit {
  path: string;
  line: number;
  text: string;
}

/** The post's `grep -nHr 'transport error' ./node_modules/`, line for line. */
export const POST_TRANSPORT_ERROR_GREP: readonly PostGrepHit[] = [
  {
    path: './node_modules/socket.io/History.md',
    line: 308,
    text: '  * Fixes manager.js failure to close connection after transport error has happened',
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/socket.js',
    line: 109,
    text: ' * Called upon transport error.',
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/socket.js',
    line: 116,
    text: "  debug('transport error');",
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/socket.js',
    line: 117,
    text: "  this.onClose('transport error', err);",
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/socket.js',
    line: 219,
    text: '  // silence further transport errors and prevent uncaught exceptions',
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/socket.js',
    line: 229,
    text: ' * `transport error`, `server close`, `transport close`',
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/transport.js',
    line: 65,
    text: ' * Called with a transport error.',
  },
  {
    path: './node_modules/socket.io/node_modules/engine.io/lib/transport.js',
    line: 79,
    text: "    debug('ignored transport error %s (%s)', msg, desc);",
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/engine.io.js',
    line: 654,
    text: ' * Called upon transport error',
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/engine.io.js',
    line: 663,
    text: "  this.onClose('transport error', err);",
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/History.md',
    line: 386,
    text: "  * socket: handle probe's transport errors [indutny]",
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/README.md',
    line: 192,
    text: '        try websocket. A connection attempt following a transport error will use the',
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/lib/socket.js',
    line: 636,
    text: ' * Called upon transport error',
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/lib/socket.js',
    line: 645,
    text: "  this.onClose('transport error', err);",
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/socket.io.js',
    line: 2159,
    text: ' * Called upon transport error',
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/socket.io.js',
    line: 2168,
    text: "  this.onClose('transport error', err);",
  },
];

/** The post's `grep -nHr 'invalid compressed data' ./node_modules/`. */
export const POST_INVALID_COMPRESSED_GREP: readonly PostGrepHit[] = [
  {
    path: './node_modules/socket.io/node_modules/engine.io/node_modules/ws/lib/Receiver.js',
    line: 359,
    text: "        callback(new Error('invalid compressed data'));",
  },
  {
    path: './node_modules/socket.io/node_modules/socket.io-client/node_modules/engine.io-client/node_modules/ws/lib/Receiver.js',
    line: 358,
    text: "        callback(new Error('invalid compressed data'));",
  },
];

/** What the post's `console.log(err)` in engine.io's `Socket.prototype.onError` printed (Node of 2015), and its fields. */
export const POST_ON_ERROR_ERR = {
  printed: '{ [Error: invalid compressed data] description: 1007 }',
  message: 'invalid compressed data',
  fields: { description: 1007 } as Readonly<Record<string, unknown>>,
} as const;

/** Two of the errors the post saw from ws's decompress, under `invalid compressed data` ("among several patterns"). */
export const POST_ZLIB_ERRORS: readonly string[] = [
  "{ [Error: invalid distance code] errno: -3, code: 'Z_DATA_ERROR' }",
  "{ [Error: invalid block type] errno: -3, code: 'Z_DATA_ERROR' }",
];

/** engine.io 1.5.4's defaults and its WebSocketServer options, as the post's listing of lib/server.js (lines 30–52) shows them. */
export const POST_SERVER_JS = {
  defaults: { pingTimeout: 60000, pingInterval: 25000, upgradeTimeout: 10000, maxHttpBufferSize: 10e7 },
  /** Line 50: `new WebSocketServer({ noServer: true, clientTracking: false })`, the post's "fixed arguments". */
  wsOptions: { noServer: true, clientTracking: false },
  wsLine: 50,
} as const;

/** The post's edit to engine.io 1.5.4 lib/server.js (lines 49–50), which turned deflate off. */
export const POST_SERVER_JS_EDIT = [
  "  if (~this.transports.indexOf('websocket')) {",
  '    this.ws = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });',
  '    // this.ws = new WebSocketServer({ noServer: true, clientTracking: false });',
  '  }',
].join('\n');

/** The post's three claims about the fix, in its order. */
export const POST_CLAIMS = {
  disconnects: 'kept connected for about an hour; the socket id no longer changed',
  cpu: "the node process's CPU use fell to less than half of what it was with compression on",
  bytes: 'raw data now crosses the wire, so the line carries more',
} as const;

/** The duration the post says it tested the fix for (ms). */
export const POST_TESTED_MS = 3_600_000;

/** Which side a path's copy is on: inside a client package (`socket.io-client…`, `engine.io-client…`) or not. */
export function sideOfPath(filePath: string): 'server' | 'client' {
  return /(^|\/)(socket\.io-client|engine\.io-client)[^/]*\//.test(filePath) ? 'client' : 'server';
}

/** Where a post path sits inside its package: `engine.io/lib/socket.js` from `./node_modules/socket.io/node_modules/engine.io/lib/socket.js`. */
export function postPackagePath(postPath: string): string {
  const parts = postPath.split('/node_modules/');
  return parts[parts.length - 1];
}
