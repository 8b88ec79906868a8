/**
 * Headless Chromium pages as a scenario's clients: Debian's chromium driven through playwright-core
 * (no browser download), one tab per page, each loading the stack's own client bundle from the
 * stack's server and sending on its own timers. What the pages see (connects, disconnects with
 * socket.io's reason, sends, acks) flows back through an exposed function into a LoadResult, the
 * same record shape as the Node clients'.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LoadSpec } from './load-spec';
import { emptyLoadResult, type BrowserRun, type LoadResult, type PageStats } from './load-result';
import { connected, drain, sleep } from '../core/timing';
import type { PayloadKind } from '../core/params';
import { loadStack } from '../stacks';
import { quantileSorted } from '../core/stats';
import { MAX_SEND_BACKLOG, RECONNECT_DELAY_MS } from '../clients/fragmenting';
import {
  CLIENT_BUNDLE_PATH,
  PAGE_CONTENT,
  PAGE_CONTROL,
  PAGE_PATH,
  pageContent,
  pageProgram,
  PROBE_CANVAS,
  REPORT_FUNCTION,
  CHAT_MESSAGE_CHARS,
  type PageConfig,
  type PageControl,
  type PageEvent,
  type PageKind,
  type PageSummary,
} from '../clients/page';
import { CHROMIUM_FLAGS, launchChromium } from '../core/chromium';

/** How long a page may take to load and run its program. */
const PAGE_SETUP_TIMEOUT_MS = 15_000;

/** The page kind a payload stands for; the browser makes its own pictures, so only these two. */
export function pageKindFor(payload: PayloadKind): PageKind {
  if (payload === 'data-url') return 'image';
  if (payload === 'json') return 'chat';
  throw new Error(
    `client 'browser' sends a canvas data URL ('data-url') or chat text ('json'), not '${payload}': choose one of those`,
  );
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

interface Tab {
  page: Page;
  stats: PageStats;
  lengths: number;
  encodeMs: number[];
  online: boolean;
}

/** The pages of a run: `clients` of the payload's kind, then `chatPages` chat pages. */
function pageConfigs(spec: LoadSpec): PageConfig[] {
  const kind = pageKindFor(spec.payload);
  const kinds: PageKind[] = [
    ...Array<PageKind>(spec.clients).fill(kind),
    ...Array<PageKind>(spec.chatPages ?? 0).fill('chat'),
  ];
  const counters: Record<PageKind, number> = { image: 0, chat: 0 };
  return kinds.map((k, index) => ({
    client: `${k}-${counters[k]++}`,
    index,
    kind: k,
    rate: spec.rate,
    durationMs: spec.duration,
    frameSize: k === 'chat' && kind !== 'chat' ? CHAT_MESSAGE_CHARS : spec.frameSize,
    seed: spec.seed,
    maxBacklog: MAX_SEND_BACKLOG,
    reconnectionDelay: RECONNECT_DELAY_MS,
  }));
}

/** What a browser load gathers as it goes: its result, and the tabs and bundle reads it waits for. */
interface BrowserLoadRun {
  result: LoadResult;
  browser: BrowserRun;
  /** In the configs' order, whatever order the tabs finished setting up in; a tab whose setup failed leaves its slot empty. */
  tabs: Tab[];
  // Reading a response body is asynchronous: awaited before the browser closes.
  bundleReads: Array<Promise<void>>;
  onTick?: (sent: number, acked: number, handed: number | null) => void;
}

/**
 * Opens one Chromium tab per page against the stack server at `url` (which must serve the pages:
 * `onRequest: servePages`), lets each send for `spec.duration` (or until `stop` aborts), waits
 * for outstanding acks, and closes the browser whatever happens.
 */
export async function runBrowserLoad(
  spec: LoadSpec,
  url: string,
  onTick?: (sent: number, acked: number, handed: number | null) => void,
  stop?: AbortSignal,
): Promise<LoadResult> {
  if (spec.burst !== 1)
    throw new Error(`client 'browser': pages send one message per tick; set burst to 1 (got ${spec.burst})`);
  const configs = pageConfigs(spec);
  const stack = loadStack(spec.stack);
  const stackBundle = fs.readFileSync(stack.clientBundle);
  const browser: BrowserRun = {
    chromium: '',
    flags: [...CHROMIUM_FLAGS],
    launchMs: 0,
    setupMs: 0,
    pages: [],
    bundles: [],
    pageErrors: [],
  };
  // A page's socket.io client buffers inside the library: when its frames reach the socket is not visible.
  const result: LoadResult = { ...emptyLoadResult(null), browser: browser };
  const run: BrowserLoadRun = { result, browser, tabs: [], bundleReads: [], onTick };

  // playwright-core takes seconds to load: only runs that use a browser pay for it.
  let chromiumBrowser: Browser | undefined;
  try {
    const launchedAt = Date.now();
    chromiumBrowser = await launchChromium();
    browser.launchMs = Date.now() - launchedAt;
    browser.chromium = chromiumBrowser.version();
    // One context: the pages are tabs of one browser window, like the post's.
    const context = await chromiumBrowser.newContext();
    // Tabs are set up side by side (each loads the bundle and draws a probe picture).
    const bundle = { file: stack.clientBundle, bytes: stackBundle };
    await Promise.all(configs.map((config) => openTab(run, context, config, url, bundle)));
    await connected(
      () => run.tabs.every((tab) => tab.online),
      () =>
        `browser pages did not connect to ${url} (${run.tabs.filter((tab) => tab.online).length}/${run.tabs.length} connected); page errors: ${browser.pageErrors.join('; ') || 'none'}`,
    );

    result.startedAt = Date.now();
    browser.setupMs = result.startedAt - launchedAt - browser.launchMs;
    await sendFromPages(run, spec, stop);
    await drain(
      () => result.acked,
      () => result.sent,
    );
    result.drainEndedAt = Date.now();
    await Promise.all(run.bundleReads);
    if (browser.pageErrors.length > 0) throw new Error(`a browser page failed: ${browser.pageErrors.join('; ')}`);
  } finally {
    for (const tab of run.tabs.filter((t) => t !== undefined)) await closeTab(run, tab);
    await chromiumBrowser?.close();
    result.endedAt = Date.now();
  }
  return result;
}

/** Notes what a page reported in the tab's figures and the load's. */
function onPageEvent(run: BrowserLoadRun, tab: Tab, event: PageEvent): void {
  const { result, browser } = run;
  const t = Date.now();
  const { stats } = tab;
  switch (event.type) {
    case 'connect':
      tab.online = true;
      result.connects.push({ t, client: stats.client, sid: event.sid });
      break;
    case 'disconnect':
      tab.online = false;
      result.disconnects.push({ t, client: stats.client, reason: event.reason, sid: event.sid });
      break;
    case 'sent':
      stats.sent++;
      result.sent++;
      result.payloadBytes += event.length;
      tab.lengths += event.length;
      tab.encodeMs.push(event.encodeMs);
      run.onTick?.(result.sent, result.acked, null);
      break;
    case 'notSent':
      stats.notSent++;
      result.notSent++;
      if (tab.online) result.backlogFull++;
      break;
    case 'ack':
      stats.acked++;
      result.acked++;
      result.rtt.push(event.rttMs);
      result.ackAt.push(Date.now());
      if (!event.ok) {
        stats.ackedCorrupt++;
        result.ackedCorrupt++;
      }
      break;
    case 'error':
      browser.pageErrors.push(`${stats.client}: ${event.message}`);
      break;
  }
}

/** Opens the page's tab in its slot of `run.tabs`, loads the page and runs its program; the bundle it loads is recorded. */
async function openTab(
  run: BrowserLoadRun,
  context: BrowserContext,
  config: PageConfig,
  url: string,
  stackBundle: { file: string; bytes: Buffer },
): Promise<void> {
  const { browser } = run;
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_SETUP_TIMEOUT_MS);
  const tab: Tab = {
    page,
    lengths: 0,
    encodeMs: [],
    online: false,
    stats: {
      client: config.client,
      kind: config.kind,
      sent: 0,
      notSent: 0,
      acked: 0,
      ackedCorrupt: 0,
      meanLength: null,
      encodeMsP50: null,
      maxBacklog: 0,
      canvas: null,
    },
  };
  run.tabs[config.index] = tab;
  await page.exposeFunction(REPORT_FUNCTION, (event: PageEvent) => onPageEvent(run, tab, event));
  page.on('pageerror', (error) => browser.pageErrors.push(`${config.client}: ${error.message}`));
  page.on('response', (response) => {
    if (new URL(response.url()).pathname !== CLIENT_BUNDLE_PATH) return;
    run.bundleReads.push(
      response.body().then(
        (body) => {
          browser.bundles.push({
            url: response.url(),
            sha256: sha256(body),
            bytes: body.length,
            stackFile: stackBundle.file,
            stackSha256: sha256(stackBundle.bytes),
          });
        },
        (error: Error) => {
          browser.pageErrors.push(`${config.client}: could not read ${CLIENT_BUNDLE_PATH}: ${error.message}`);
        },
      ),
    );
  });
  await page.goto(`${url}${PAGE_PATH}`, { waitUntil: 'load' });
  await page.evaluate(pageContent, { config, content: PAGE_CONTENT, probe: PROBE_CANVAS });
  await page.evaluate(pageProgram, {
    config,
    content: PAGE_CONTENT,
    reportFunction: REPORT_FUNCTION,
    control: PAGE_CONTROL,
  });
}

/** Starts the pages a fraction of a period apart, lets them send for the duration, and stops them all at once. */
async function sendFromPages(run: BrowserLoadRun, spec: LoadSpec, stop: AbortSignal | undefined): Promise<void> {
  const { result, tabs } = run;
  // Pages start a fraction of a period apart, as tabs opened by hand would.
  const period = 1000 / spec.rate;
  for (const tab of tabs) {
    await tab.page.evaluate(
      (control) => (window as unknown as Record<string, PageControl>)[control].start(),
      PAGE_CONTROL,
    );
    await sleep(period / tabs.length, stop);
  }
  await sleep(result.startedAt + spec.duration - Date.now(), stop);
  // All at once: a busy renderer answers late, and the window ends when the last page stopped.
  const summaries = await Promise.all(
    tabs.map((tab) =>
      tab.page.evaluate((control) => (window as unknown as Record<string, PageControl>)[control].stop(), PAGE_CONTROL),
    ),
  );
  result.sendEndedAt = Date.now();
  // The pages' own timers are not visible from here: what the schedule called for over the
  // window, less what the pages sent or counted as not sent, is what their timers missed.
  result.nominal = Math.round((tabs.length * spec.rate * (result.sendEndedAt - result.startedAt)) / 1000);
  result.ticksMissed = Math.max(0, result.nominal - result.sent - result.notSent);
  summaries.forEach((summary: PageSummary, i) => {
    tabs[i].stats.maxBacklog = summary.maxBacklog;
    tabs[i].stats.canvas = summary.canvas;
  });
}

/** Completes the tab's figures into the run's pages and closes its socket. */
async function closeTab(run: BrowserLoadRun, tab: Tab): Promise<void> {
  tab.stats.meanLength = tab.stats.sent > 0 ? Math.round(tab.lengths / tab.stats.sent) : null;
  const sorted = [...tab.encodeMs].sort((a, b) => a - b);
  tab.stats.encodeMsP50 = sorted.length > 0 ? Number(quantileSorted(sorted, 0.5).toFixed(1)) : null;
  run.browser.pages.push(tab.stats);
  // The socket closes on purpose first, so the page reports no disconnect for it.
  await tab.page
    .evaluate(
      (control) => (window as unknown as Record<string, PageControl | undefined>)[control]?.close(),
      PAGE_CONTROL,
    )
    .catch(() => undefined);
}
