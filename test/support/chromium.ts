/** Headless Chromium for tests that open the report as a reader would (launch and flags: src/core/chromium.ts). */
import type { Browser, Page } from 'playwright-core';

export { launchChromium } from '../../src/core/chromium';

type Box = { width: number; height: number };

/** What a page loaded and shows. */
export interface PageVisit {
  /** Every request the page made, the document included. */
  requests: string[];
  /** Messages of any dialog a script opened (none should). */
  dialogs: string[];
  /** Width and height of the first chart's SVG, or null if there is none or it is hidden. */
  chartBox: Box | null;
  /** Every chart's SVG box, in document order; null where one is hidden. */
  charts: Array<Box | null>;
  /** How far the page scrolls sideways (document width beyond the viewport), in CSS pixels. */
  sideways: number;
}

/** How to open a page: the viewport width (a phone is 390), and checks to run while it is open. */
export interface VisitOptions<T> {
  width?: number;
  inspect?: (page: Page) => Promise<T>;
}

/** Opens a file:// URL, waits for load, and reports requests, dialogs, charts and sideways scroll. */
export async function visit<T = undefined>(
  browser: Browser,
  url: string,
  options: VisitOptions<T> = {},
): Promise<PageVisit & { inspected: T | undefined }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    // Anything lazy (images below the fold, fonts) would ask within this time.
    await page.waitForTimeout(500);
    const charts: Array<Box | null> = [];
    for (const chart of await page.locator('figure.dl-chart svg').all()) {
      const box = (await chart.isVisible()) ? await chart.boundingBox() : null;
      charts.push(box ? { width: box.width, height: box.height } : null);
    }
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const inspected = options.inspect ? await options.inspect(page) : undefined;
    return {
      requests: requests,
      dialogs: dialogs,
      chartBox: charts.find((box) => box !== null) ?? null,
      charts: charts,
      sideways: sideways,
      inspected: inspected,
    };
  } finally {
    await context.close();
  }
}
