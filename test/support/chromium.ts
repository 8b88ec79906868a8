/** Headless Chromium for tests that open the report as a reader would (launch and flags: src/chromium.ts). */
import type { Browser } from 'playwright-core';

export { launchChromium } from '../../src/chromium';

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
