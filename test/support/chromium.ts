/**
 * Headless Chromium for tests that open the report as a reader would. The flags stop Chromium's
 * own background connections (updates, sync, QUIC probes), which this machine refuses; without
 * them a "no request beyond the document" check would count Chromium's noise.
 */
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, headless Chromium (see the toolchain facts note). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Launches Chromium with a fresh profile (playwright makes a new user-data dir per launch). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** What a page loaded and shows. */
export interface PageVisit {
  /** Every request the page made, the document included. */
  requests: string[];
  /** Width and height of the first chart's SVG, or null if there is none or it is hidden. */
  chartBox: { width: number; height: number } | null;
}

/** Opens a file:// URL, waits for load, and reports requests and the first visible chart. */
export async function visit(browser: Browser, url: string): Promise<PageVisit> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    await page.goto(url, { waitUntil: 'load' });
    // Anything lazy (images below the fold, fonts) would ask within this time.
    await page.waitForTimeout(500);
    const chart = page.locator('figure.dl-chart svg').first();
    const visible = (await chart.count()) > 0 && (await chart.isVisible());
    const box = visible ? await chart.boundingBox() : null;
    return { requests: requests, chartBox: box ? { width: box.width, height: box.height } : null };
  } finally {
    await context.close();
  }
}
