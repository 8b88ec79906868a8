/**
 * Chapter 9, row 6: do browsers accept a compressed message that ends in an empty final
 * continuation frame? A compressed message may be cut into frames anywhere, and RFC 6455 allows a
 * final continuation frame of length 0, so a sender that only learns the message has ended after
 * writing a non-final frame (RFC 7692 §7.2.3.6) may finish it with an empty frame, or with the
 * single byte 0x00 that §7.2.3.6 describes (an empty stored DEFLATE block once the receiver
 * appends 00 00 ff ff).
 *
 * A server written here on node:http's 'upgrade' event serves a page, accepts permessage-deflate in
 * a hand-written handshake and sends each connection two compressed text messages (context kept,
 * so the second refers back into the first) in one of four framings, then a close frame (1000).
 * ws cannot be used as this server: its sender chooses the frames itself and never writes an empty
 * final fragment. The frames are encoded by ws's own Sender.frame. The page reports what each
 * connection received, its error events and its close code; the server reads the browser's close
 * frame with ws's own Receiver. Headless Chromium (playwright-core) and Firefox ESR (puppeteer-core
 * over WebDriver BiDi) each run every framing `repeats` times, one connection at a time.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import WebSocket from 'ws';
import { compressMessage } from '../clients/deflate-sender';
import { launchChromium } from '../core/chromium';
import { FIREFOX_PACKAGE, FIREFOX_PATH, launchFirefox } from '../core/firefox';
import { LOOPBACK } from '../core/net';
import { assertMeasuring } from '../core/replay';
import { websocketAccept } from '../clients/frames';

/** The framings, in the order they run: the case and its controls. */
export const FRAMINGS = ['one-frame', 'empty-final', 'split', 'zero-byte-final', 'rsv1-continuation'] as const;
export type Framing = (typeof FRAMINGS)[number];

/** What each framing is, for tables and sentences. */
export const FRAMING_LABELS: Record<Framing, string> = {
  'one-frame': 'one frame (control)',
  'empty-final': 'all bytes, then an empty final frame (the case)',
  split: 'split in two non-empty frames (control)',
  'zero-byte-final': 'all bytes with the 00 00 ff ff flush, then a final frame of one 0x00 byte (§7.2.3.6)',
  'rsv1-continuation': 'as the 0x00 one, with RSV1 also on the final frame (forbidden: the refusal control)',
};

/**
 * The framing a browser must refuse (RFC 7692 §6.1: RSV1 only on a message's first frame): proof,
 * in the same run, that the page sees a refusal when there is one.
 */
export const REFUSAL_CONTROL: Framing = 'rsv1-continuation';

export const BROWSERS = ['chromium', 'firefox'] as const;
export type BrowserName = (typeof BROWSERS)[number];

export const BROWSER_LABELS: Record<BrowserName, string> = { chromium: 'Chromium', firefox: 'Firefox ESR' };

/**
 * The two messages of every connection: text with multi-byte characters, the second repeating most
 * of the first, so under context takeover it compresses into references back into the first.
 */
const REPEATED = 'The quick brown fox, é€😀, jumps over the lazy dog. ';
export const MESSAGES: readonly string[] = [
  `message 1 of 2: ${REPEATED.repeat(20)}`,
  `message 2 of 2, which repeats message 1: ${REPEATED.repeat(20)}`,
];

/** How long one connection may take in the page before it is closed and counted as timed out. */
export const CONNECTION_TIMEOUT_MS = 5_000;
/** How long the server waits for the browser's close frame after sending its own. */
const SERVER_LINGER_MS = 2_000;
/** How long a page may take to load. */
const PAGE_LOAD_TIMEOUT_MS = 10_000;

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const SYNC_FLUSH_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** One frame as the server writes it (unmasked, as a server must). */
export interface FrameSpec {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** A frame as the record keeps it: its header bits, its payload length and its first header bytes. */
export interface FrameSummary {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
  header: string;
}

// ws's internals, exported by its index but not typed by @types/ws.
interface WsInternals {
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; rsv1: boolean; opcode: number; mask: false; readOnly: boolean },
    ): Buffer[];
  };
  Receiver: new (options: { isServer: boolean; extensions: Record<string, unknown> }) => Writable & EventEmitter;
}
const ws = WebSocket as unknown as WsInternals;

/**
 * Compresses the messages as one permessage-deflate sender with its context kept (the default
 * when neither side asked for no_context_takeover): each message sync-flushed, its 00 00 ff ff
 * tail removed (RFC 7692 7.2.1).
 */
export async function compressMessages(messages: readonly string[]): Promise<Buffer[]> {
  const deflate = {
    stream: zlib.createDeflateRaw({ windowBits: 15, memLevel: 8 }),
    windowBits: 15,
    resetEachMessage: false,
  };
  try {
    const out: Buffer[] = [];
    for (const message of messages) out.push(await compressMessage(deflate, Buffer.from(message)));
    return out;
  } finally {
    deflate.stream.close();
  }
}

/** The frames of one compressed message (tail already removed) in a framing. */
export function messageFrames(framing: Framing, compressed: Buffer): FrameSpec[] {
  const first = (payload: Buffer, fin: boolean): FrameSpec => ({ fin, rsv1: true, opcode: OPCODE_TEXT, payload });
  const last = (payload: Buffer): FrameSpec => ({ fin: true, rsv1: false, opcode: OPCODE_CONTINUATION, payload });
  switch (framing) {
    case 'one-frame':
      return [first(compressed, true)];
    case 'empty-final':
      return [first(compressed, false), last(Buffer.alloc(0))];
    case 'split': {
      const half = Math.ceil(compressed.length / 2);
      return [first(compressed.subarray(0, half), false), last(compressed.subarray(half))];
    }
    case 'zero-byte-final':
      return [first(Buffer.concat([compressed, SYNC_FLUSH_TAIL]), false), last(Buffer.from([0x00]))];
    case 'rsv1-continuation':
      return [first(Buffer.concat([compressed, SYNC_FLUSH_TAIL]), false), { ...last(Buffer.from([0x00])), rsv1: true }];
  }
}

/** Encodes frames with ws's own Sender.frame: the bytes the server writes. */
export function encodeFrames(frames: readonly FrameSpec[]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) =>
      ws.Sender.frame(f.payload, { fin: f.fin, rsv1: f.rsv1, opcode: f.opcode, mask: false, readOnly: false }),
    ),
  );
}

/** A close frame with its status code and reason. */
export function closeFrame(code: number, reason: string): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return encodeFrames([{ fin: true, rsv1: false, opcode: OPCODE_CLOSE, payload }]);
}

/** What the record keeps of a frame. */
export function summarize(frame: FrameSpec): FrameSummary {
  const [header] = ws.Sender.frame(frame.payload, { ...frame, mask: false, readOnly: false });
  return {
    fin: frame.fin,
    rsv1: frame.rsv1,
    opcode: frame.opcode,
    length: frame.payload.length,
    header: header.toString('hex'),
  };
}

/** The bytes a connection of each framing receives: every message, then the close frame. */
export interface Wire {
  compressed: Buffer[];
  bytes: Record<Framing, Buffer>;
  frames: Record<Framing, FrameSummary[][]>;
}

export const SERVER_CLOSE = { code: 1000, reason: 'done' } as const;

/** Compresses the messages and frames them in every framing. */
export async function buildWire(): Promise<Wire> {
  const compressed = await compressMessages(MESSAGES);
  const framed = (framing: Framing) => compressed.map((c) => messageFrames(framing, c));
  const entries = FRAMINGS.map((framing) => [framing, framed(framing)] as const);
  return {
    compressed,
    bytes: Object.fromEntries(
      entries.map(([framing, messages]) => [
        framing,
        Buffer.concat([...messages.map(encodeFrames), closeFrame(SERVER_CLOSE.code, SERVER_CLOSE.reason)]),
      ]),
    ) as Record<Framing, Buffer>,
    frames: Object.fromEntries(
      entries.map(([framing, messages]) => [framing, messages.map((m) => m.map(summarize))]),
    ) as Record<Framing, FrameSummary[][]>,
  };
}

/** What the server saw of one connection. */
export interface ServerSide {
  /** The browser's Sec-WebSocket-Extensions offer. */
  offer: string;
  /** Whether the handshake accepted permessage-deflate (refused, the connection is not opened). */
  accepted: boolean;
  bytesWritten: number;
  /** The status code of the browser's close frame (1005: one without a code), or null if none came. */
  browserCloseCode: number | null;
  /** An error ws's Receiver raised on what the browser sent, if any. */
  receiveError: string | null;
}

/** What the page saw of one connection. */
export interface PageSide {
  extensions: string;
  messages: string[];
  errors: number;
  close: { code: number; reason: string; wasClean: boolean } | null;
  timedOut: boolean;
}

/** One connection: its framing, its repeat, and what each side saw. */
export interface ConnectionOutcome {
  framing: Framing;
  repeat: number;
  page: PageSide;
  server: ServerSide | null;
  /** Console lines the browser logged naming this connection's URL. */
  console: string[];
}

/** One browser's runs. */
export interface BrowserRun {
  browser: BrowserName;
  /** The browser's own version string, or null when it could not be driven. */
  version: string | null;
  userAgent: string | null;
  /** Why the browser could not be driven (not installed, failed to start), or null. */
  unavailable: string | null;
  launchMs: number;
  runMs: number;
  connections: ConnectionOutcome[];
  /** Console lines that named no connection. */
  otherConsole: string[];
}

export interface EmptyFragmentParams {
  quick: boolean;
  repeats: number;
  browsers: BrowserName[];
  /** The framings run (all of FRAMINGS): part of the replay key, so a record of another set is never replayed. */
  framings: Framing[];
}

export interface EmptyFragmentResult {
  params: EmptyFragmentParams;
  messages: string[];
  /** The frames of each framing's messages, as written (the wire control). */
  frames: Record<Framing, FrameSummary[][]>;
  /** The compressed size of each message (tail removed). */
  compressedBytes: number[];
  runs: BrowserRun[];
}

/** The page: runs connections one at a time and returns what each saw. Plain script, the same for every browser. */
const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>empty final fragment</title><link rel="icon" href="data:,"><script>
function runConnection(url, timeoutMs) {
  return new Promise(function (resolve) {
    var out = { extensions: '', messages: [], errors: 0, close: null, timedOut: false };
    var socket = new WebSocket(url);
    var timer = setTimeout(function () { out.timedOut = true; socket.close(); resolve(out); }, timeoutMs);
    socket.onopen = function () { out.extensions = socket.extensions; };
    socket.onmessage = function (e) { out.messages.push(typeof e.data === 'string' ? e.data : '[binary]'); };
    socket.onerror = function () { out.errors++; };
    socket.onclose = function (e) {
      clearTimeout(timer);
      out.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
      resolve(out);
    };
  });
}
async function runPlan(urls, timeoutMs) {
  var results = [];
  for (var i = 0; i < urls.length; i++) results.push(await runConnection(urls[i], timeoutMs));
  return results;
}
</script>`;

/** The path of connection `id`: fixed width, so no URL is a prefix of another in a console line. */
const connectionPath = (id: number) => `/ws/c${String(id).padStart(4, '0')}`;

/** The server: the page on GET /, a WebSocket on /ws/cNNNN whose bytes depend on the connection's framing. */
export class EmptyFragmentServer {
  private readonly server = http.createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
    else res.writeHead(404).end();
  });
  private readonly sockets = new Set<net.Socket>();
  private readonly framings = new Map<string, Framing>();
  readonly seen = new Map<string, ServerSide>();
  private nextId = 0;
  port = 0;

  constructor(private readonly wire: Wire) {
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => this.upgrade(req, socket));
  }

  async listen(): Promise<void> {
    assertMeasuring('the empty-fragment server');
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, LOOPBACK, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get pageUrl(): string {
    return `http://${LOOPBACK}:${this.port}/`;
  }

  /** Reserves a connection for `framing` and returns its URL. */
  connectionUrl(framing: Framing): string {
    const path = connectionPath(this.nextId++);
    this.framings.set(path, framing);
    return `ws://${LOOPBACK}:${this.port}${path}`;
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const framing = this.framings.get(req.url ?? '');
    const key = req.headers['sec-websocket-key'];
    const offer = String(req.headers['sec-websocket-extensions'] ?? '');
    const side: ServerSide = { offer, accepted: false, bytesWritten: 0, browserCloseCode: null, receiveError: null };
    this.seen.set(req.url ?? '', side);
    // A browser offers `permessage-deflate; client_max_window_bits`; answering the bare name accepts
    // it with every parameter at its default (15-bit windows, context kept on both sides).
    if (!framing || typeof key !== 'string' || !/(^|,)\s*permessage-deflate\s*(;|,|$)/.test(offer)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    side.accepted = true;
    const accept = websocketAccept(key);
    const receiver = new ws.Receiver({ isServer: true, extensions: {} });
    receiver.on('conclude', (code: number) => {
      side.browserCloseCode = code;
      socket.end();
    });
    receiver.on('error', (error: Error) => {
      side.receiveError = error.message;
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => receiver.write(chunk));
    const linger = setTimeout(() => socket.destroy(), CONNECTION_TIMEOUT_MS + SERVER_LINGER_MS);
    socket.once('close', () => clearTimeout(linger));
    const bytes = this.wire.bytes[framing];
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
    );
    socket.write(bytes, () => {
      side.bytesWritten = bytes.length;
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What the runs need of a browser, whichever library drives it. */
interface DrivenBrowser {
  version: string;
  open(onConsole: (text: string) => void): Promise<{
    goto(url: string): Promise<unknown>;
    evaluate(expression: string): Promise<unknown>;
  }>;
  close(): Promise<void>;
}

async function drive(browser: BrowserName): Promise<DrivenBrowser> {
  if (browser === 'chromium') {
    const chromium = await launchChromium();
    return {
      version: chromium.version(),
      open: async (onConsole) => {
        const page = await chromium.newPage();
        page.on('console', (m) => onConsole(m.text()));
        return { goto: (url) => page.goto(url, { timeout: PAGE_LOAD_TIMEOUT_MS }), evaluate: (e) => page.evaluate(e) };
      },
      close: () => chromium.close(),
    };
  }
  if (!fs.existsSync(FIREFOX_PATH))
    throw new Error(`${FIREFOX_PATH} is not installed (Debian package ${FIREFOX_PACKAGE}; scripts/setup installs it)`);
  const firefox = await launchFirefox();
  try {
    return {
      // "firefox/153.8.0": the browser's name, then its version.
      version: (await firefox.version()).replace(/^firefox\//, ''),
      open: async (onConsole) => {
        const page = await firefox.newPage();
        page.on('console', (m) => onConsole(m.text()));
        return { goto: (url) => page.goto(url, { timeout: PAGE_LOAD_TIMEOUT_MS }), evaluate: (e) => page.evaluate(e) };
      },
      close: () => firefox.close(),
    };
  } catch (error) {
    await firefox.close();
    throw error;
  }
}

/** Rejects after `ms` with a message naming `what`; the timer never outlives the promise. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every framing `repeats` times in one browser (round-robin over the framings), always closing it. */
export async function runInBrowser(
  server: EmptyFragmentServer,
  browser: BrowserName,
  repeats: number,
): Promise<BrowserRun> {
  const run: BrowserRun = {
    browser,
    version: null,
    userAgent: null,
    unavailable: null,
    launchMs: 0,
    runMs: 0,
    connections: [],
    otherConsole: [],
  };
  const plan = Array.from({ length: repeats }, (_, repeat) => FRAMINGS.map((framing) => ({ framing, repeat }))).flat();
  const urls = plan.map((p) => server.connectionUrl(p.framing));
  const launchedAt = Date.now();
  let driven: DrivenBrowser;
  try {
    driven = await drive(browser);
  } catch (error) {
    run.unavailable = (error as Error).message.split('\n')[0];
    return run;
  }
  const consoleLines: string[] = [];
  try {
    run.launchMs = Date.now() - launchedAt;
    run.version = driven.version;
    const page = await driven.open((text) => consoleLines.push(text));
    await page.goto(server.pageUrl);
    run.userAgent = String(await page.evaluate('navigator.userAgent'));
    const startedAt = Date.now();
    const pages = (await within(
      page.evaluate(`runPlan(${JSON.stringify(urls)}, ${CONNECTION_TIMEOUT_MS})`),
      urls.length * (CONNECTION_TIMEOUT_MS + 1_000),
      `${BROWSER_LABELS[browser]}'s ${urls.length} connections`,
    )) as PageSide[];
    run.runMs = Date.now() - startedAt;
    run.connections = plan.map(({ framing, repeat }, i) => ({
      framing,
      repeat,
      page: pages[i],
      server: server.seen.get(new URL(urls[i]).pathname) ?? null,
      console: consoleLines.filter((line) => line.includes(new URL(urls[i]).pathname)),
    }));
    run.otherConsole = consoleLines.filter((line) => !urls.some((url) => line.includes(new URL(url).pathname)));
  } finally {
    await driven.close();
  }
  return run;
}

/** The row's parameters: every framing `repeats` times; quick runs Chromium only (Firefox takes about 3 s to start). */
export function emptyFragmentParams(quick: boolean): EmptyFragmentParams {
  return { quick, repeats: 3, browsers: quick ? ['chromium'] : ['chromium', 'firefox'], framings: [...FRAMINGS] };
}

/** Runs the row: one server, each browser in turn, everything closed whatever happens. */
export async function measureEmptyFragment(
  params: EmptyFragmentParams,
  onBrowser?: (browser: BrowserName, finished: boolean) => void,
): Promise<EmptyFragmentResult> {
  const wire = await buildWire();
  const server = new EmptyFragmentServer(wire);
  await server.listen();
  const runs: BrowserRun[] = [];
  try {
    for (const browser of params.browsers) {
      onBrowser?.(browser, false);
      runs.push(await runInBrowser(server, browser, params.repeats));
      onBrowser?.(browser, true);
    }
  } finally {
    await server.close();
  }
  return {
    params,
    messages: [...MESSAGES],
    frames: wire.frames,
    compressedBytes: wire.compressed.map((c) => c.length),
    runs,
  };
}

/** What became of one connection, from the page's side. */
export type Outcome = 'accepted' | 'refused' | 'wrong text' | 'timed out';

/**
 * accepted: every message arrived with the text sent and the connection closed normally (1000);
 * wrong text: a message arrived that differs from the one sent; refused: the browser failed the
 * connection (an error event or another close code) before every message arrived.
 */
export function connectionOutcome(connection: ConnectionOutcome, sent: readonly string[]): Outcome {
  const { page } = connection;
  if (page.timedOut) return 'timed out';
  if (page.messages.some((text, i) => text !== sent[i])) return 'wrong text';
  const delivered = page.messages.length === sent.length;
  if (delivered && page.errors === 0 && page.close?.code === SERVER_CLOSE.code) return 'accepted';
  return 'refused';
}

/** A framing's outcome over its repeats in one browser: the one outcome they share, or 'mixed'. */
export interface FramingVerdict {
  framing: Framing;
  outcome: Outcome | 'mixed';
  counts: Partial<Record<Outcome, number>>;
  repeats: number;
  /** The close codes the page saw, and those of the browser's close frames to the server ('none': no close frame). */
  pageCloseCodes: string[];
  browserCloseCodes: string[];
  /** What the browser logged about these connections, each line once, the URL cut out. */
  said: string[];
  /** Whether every connection the page opened reported permessage-deflate, and the server accepted every one. */
  negotiated: boolean;
}

const unique = (items: readonly string[]) => [...new Set(items)];

/** A console line without the connection's URL, so the lines of repeats compare equal. */
export function consoleReason(line: string): string {
  return line.replace(/^WebSocket connection to '[^']*' failed: /, '').replace(/'wss?:\/\/[^']*'/g, 'the connection');
}

export function framingVerdicts(run: BrowserRun, sent: readonly string[]): FramingVerdict[] {
  return FRAMINGS.map((framing) => {
    const connections = run.connections.filter((c) => c.framing === framing);
    const outcomes = connections.map((c) => connectionOutcome(c, sent));
    const counts: Partial<Record<Outcome, number>> = {};
    for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
    const kinds = Object.keys(counts) as Outcome[];
    return {
      framing,
      outcome: kinds.length === 1 ? kinds[0] : 'mixed',
      counts,
      repeats: connections.length,
      pageCloseCodes: unique(connections.map((c) => String(c.page.close?.code ?? 'none'))),
      browserCloseCodes: unique(connections.map((c) => String(c.server?.browserCloseCode ?? 'none'))),
      // Chromium names the URL ("WebSocket connection to 'ws://…' failed: Invalid frame header"): keep the reason.
      said: unique(connections.flatMap((c) => c.console.map(consoleReason))),
      negotiated: connections.every(
        (c) =>
          c.server?.accepted === true &&
          // A connection the browser failed before its open event has no extensions to report.
          (c.page.extensions === 'permessage-deflate' ||
            (c.page.extensions === '' && connectionOutcome(c, sent) !== 'accepted')),
      ),
    };
  });
}
