/**
 * Debian's Firefox ESR (the `firefox-esr` package, installed by scripts/setup), driven through
 * puppeteer-core over WebDriver BiDi: the one place its path and its launch live. puppeteer-core
 * never downloads a browser (only the `puppeteer` package does, in its install script); given
 * `executablePath` it starts this binary with a temporary profile of its own, deleted on close.
 */
import type { Browser } from 'puppeteer-core';
import { assertMeasuring } from './replay';
import { LAUNCH_TIMEOUT_MS } from './chromium';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/** The Debian package that installs FIREFOX_PATH. */
export const FIREFOX_PACKAGE = 'firefox-esr';

/** Launches headless Firefox ESR; puppeteer-core is loaded on first use. */
export async function launchFirefox(): Promise<Browser> {
  assertMeasuring('Firefox');
  const puppeteer = require('puppeteer-core') as typeof import('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
  });
}
