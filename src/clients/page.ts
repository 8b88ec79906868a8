/**
 * The pages Chromium opens, served by the stack's own HTTP server: an image page that draws a
 * changing picture on a canvas and emits `canvas.toDataURL()` several times a second (the post's
 * tabs), and a chat page that emits short text (the post's contrast case). Each page loads the
 * stack's own client bundle from `/socket.io/socket.io.js`.
 *
 * No playwright here: the scenario imports this module to serve pages, whatever the client kind.
 */
import type http from 'node:http';

/** What a page sends: a canvas picture as a PNG data URL, or a chat line. */
export type PageKind = 'image' | 'chat';

/** Where the stack's server serves the page. */
export const PAGE_PATH = '/lab/page.html';
/** Where socket.io serves its client bundle to browsers (both generations, default path). */
export const CLIENT_BUNDLE_PATH = '/socket.io/socket.io.js';
/** Characters in one chat message: a line a person would type, far below a WebSocket fragment. */
export const CHAT_MESSAGE_CHARS = 160;
/** The canvas the image page measures first; the facts note's 640×480 noise gives a ~650 KB data URL. */
export const PROBE_CANVAS = { width: 640, height: 480 } as const;
/** The name the page calls to report events to Node (exposed by playwright). */
export const REPORT_FUNCTION = '__deflateLabReport';

// Static markup: nothing from a run is written into it, so there is nothing to escape.
const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>deflate-lab page</title></head>
<body><canvas id="picture"></canvas><pre id="chat"></pre>
<script src="${CLIENT_BUNDLE_PATH}"></script></body></html>
`;

/** Serves the page (the `onRequest` hook of a stack server); anything else socket.io did not take is 404. */
export function servePages(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'GET' && req.url === PAGE_PATH) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE_HTML);
    return;
  }
  res.writeHead(404).end();
}

/** What one page is told before it connects. */
export interface PageConfig {
  client: string;
  /** The page's position among the run's pages: seeds its pictures apart from the others'. */
  index: number;
  kind: PageKind;
  /** Messages per second. */
  rate: number;
  /** The page stops sending this long after start(), whatever Node does. */
  durationMs: number;
  /** Target data URL length (image) or message length (chat), in characters. */
  frameSize: number;
  seed: number;
  /** The page skips a tick while its WebSocket has more than this waiting to be sent. */
  maxBacklog: number;
  reconnectionDelay: number;
}

/** An event a page reports; Node stamps the time when it arrives. */
export type PageEvent =
  | { type: 'connect'; sid: string | undefined }
  | { type: 'disconnect'; reason: string; sid: string | undefined }
  | { type: 'sent'; length: number; encodeMs: number }
  | { type: 'notSent'; backlog: number; connected: boolean }
  | { type: 'ack'; ok: boolean; rttMs: number }
  | { type: 'error'; message: string };

/** What a page returns when told to stop. */
export interface PageSummary {
  /** Largest WebSocket bufferedAmount seen at a tick, bytes. */
  maxBacklog: number;
  canvas: { width: number; height: number } | null;
}

/** The control surface the page program installs on `window`. */
export interface PageControl {
  start(): void;
  stop(): PageSummary;
  close(): void;
}

/** The property of `window` that holds the PageControl. */
export const PAGE_CONTROL = '__deflateLab';

/** The property of `window` where pageContent() leaves what pageProgram() sends. */
export const PAGE_CONTENT = '__deflateLabContent';

/** The messages a page sends, made in the page by pageContent(). */
export interface PageContent {
  /** The next message: a new picture's data URL (image page) or chat line `seq` (chat page). */
  next(seq: number): string;
  /** crc32 (IEEE) of the text's UTF-8 bytes, as the server's zlib.crc32 computes it. */
  crc32(text: string): number;
  /** The canvas the image page draws on; null on a chat page. */
  canvasSize(): { width: number; height: number } | null;
}

// The page's socket.io client, as far as the page program uses it.
type PageSocket = {
  connected: boolean;
  io: { engine?: { id?: string; transport?: { ws?: WebSocket } } };
  on(event: string, listener: (...a: never[]) => void): void;
  emit(event: string, ...a: unknown[]): void;
  disconnect(): void;
};

/**
 * The first of the two programs a page runs, each handed to `page.evaluate` (playwright sends a
 * function's source text, so neither may refer to anything outside itself: the constants they
 * need come in as arguments, and this one hands its work to the next through `window[content]`).
 * Makes the page's messages: a seeded noise picture sized so its data URL comes near frameSize
 * (image page), or chat lines (chat page).
 */
export function pageContent(args: {
  config: PageConfig;
  content: string;
  probe: { width: number; height: number };
}): void {
  const { config, content, probe } = args;
  // crc32 (IEEE) over UTF-8 bytes, as the server's zlib.crc32 computes it; no library in a page.
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  const encoder = new TextEncoder();
  const crc32 = (text: string): number => {
    const bytes = encoder.encode(text);
    let crc = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  };
  // mulberry32, seeded per page: the same seed draws the same pictures.
  let state = (config.seed * 7919 + config.index) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const canvas = document.getElementById('picture') as HTMLCanvasElement;
  const context = canvas.getContext('2d') as CanvasRenderingContext2D;
  let frameNo = 0;
  // A grey-noise picture (different every frame) with a bar that moves across it.
  const draw = (): string => {
    const image = context.createImageData(canvas.width, canvas.height);
    const px = image.data;
    for (let i = 0; i < px.length; i += 4) {
      const grey = (random() * 256) | 0;
      px[i] = grey;
      px[i + 1] = grey;
      px[i + 2] = grey;
      px[i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    context.fillStyle = '#c33';
    context.fillRect((frameNo++ * 17) % canvas.width, 0, Math.max(4, canvas.width / 20), canvas.height);
    return canvas.toDataURL('image/png');
  };
  if (config.kind === 'image') {
    // The picture is sized so its data URL comes near frameSize: noise PNG length grows with the
    // pixel count, so one probe at the facts note's 640×480 gives the scale.
    canvas.width = probe.width;
    canvas.height = probe.height;
    const probeLength = draw().length;
    const scale = Math.sqrt(config.frameSize / probeLength);
    canvas.width = Math.max(8, Math.round(probe.width * scale));
    canvas.height = Math.max(8, Math.round(probe.height * scale));
  }
  const chatLine = (seq: number): string => {
    const words = ['ok', 'see', 'you', 'at', 'the', 'meeting', 'later', 'thanks', 'sounds', 'good', 'lunch', 'now'];
    let text = `${config.client} #${seq}:`;
    while (text.length < config.frameSize) text += ` ${words[(random() * words.length) | 0]}`;
    return text.slice(0, config.frameSize);
  };
  const made: PageContent = {
    next: (seq) => (config.kind === 'image' ? draw() : chatLine(seq)),
    crc32,
    canvasSize: () => (config.kind === 'image' ? { width: canvas.width, height: canvas.height } : null),
  };
  (window as unknown as Record<string, unknown>)[content] = made;
}

/**
 * The second program a page runs, after pageContent() (see there for how both reach the page).
 * Connects with the stack's client over WebSocket only, reports connects and disconnects, and on
 * start() emits one `frame` per tick with the metadata the server verifies.
 */
export function pageProgram(args: {
  config: PageConfig;
  content: string;
  reportFunction: string;
  control: string;
}): void {
  const { config, reportFunction, control } = args;
  const win = window as unknown as Record<string, unknown>;
  const content = win[args.content] as PageContent;
  const io = win.io as (url: string, options: object) => PageSocket;
  const report = (event: PageEvent) => {
    (win[reportFunction] as (e: PageEvent) => Promise<void>)(event).catch(() => undefined);
  };

  const socket = io(location.origin, {
    transports: ['websocket'],
    forceNew: true,
    multiplex: false,
    reconnection: true,
    reconnectionDelay: config.reconnectionDelay,
  });
  let closed = false;
  let sid: string | undefined;
  socket.on('connect', () => {
    sid = socket.io.engine?.id;
    report({ type: 'connect', sid });
  });
  socket.on('disconnect', (reason: string) => {
    if (!closed) report({ type: 'disconnect', reason: String(reason), sid });
  });
  window.addEventListener('error', (event) => report({ type: 'error', message: String(event.message) }));

  const backlog = () => socket.io.engine?.transport?.ws?.bufferedAmount ?? 0;
  let maxBacklog = 0;
  let seq = 0;
  let timer: number | undefined;
  let deadline: number | undefined;
  const tick = () => {
    const waiting = backlog();
    maxBacklog = Math.max(maxBacklog, waiting);
    if (!socket.connected || waiting > config.maxBacklog) {
      report({ type: 'notSent', backlog: waiting, connected: socket.connected });
      return;
    }
    const began = performance.now();
    const data = content.next(seq);
    const meta = { client: config.client, seq: seq++, crc: content.crc32(data), length: data.length };
    const sentAt = performance.now();
    socket.emit('frame', meta, data, (ack: { ok: boolean }) =>
      report({ type: 'ack', ok: ack.ok, rttMs: performance.now() - sentAt }),
    );
    report({ type: 'sent', length: data.length, encodeMs: sentAt - began });
  };
  const stop = (): PageSummary => {
    window.clearInterval(timer);
    window.clearTimeout(deadline);
    return { maxBacklog, canvas: content.canvasSize() };
  };
  const controls: PageControl = {
    start: () => {
      // The first tick is queued, not run here: start() returns to Node before any drawing.
      window.setTimeout(tick, 0);
      timer = window.setInterval(tick, 1000 / config.rate);
      deadline = window.setTimeout(stop, config.durationMs);
    },
    stop,
    close: () => {
      closed = true;
      stop();
      socket.disconnect();
    },
  };
  win[control] = controls;
}
