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

/**
 * Beyond puppeteer's own preferences (updates, telemetry and captive-portal checks off): Firefox
 * looks up its remote-settings host (firefox.settings.services.mozilla.com) at start, a name a run
 * on 127.0.0.1 has no business asking for. A release build ignores another server URL unless
 * MOZ_REMOTE_SETTINGS_DEVTOOLS=1 is in its environment; with both, a run makes no DNS query at all
 * (checked with strace: only connections to 127.0.0.1).
 */
const FIREFOX_PREFS: Record<string, string> = { 'services.settings.server': 'data:,#remote-settings-dummy/v1' };

/** Launches headless Firefox ESR; puppeteer-core is loaded on first use. */
export async function launchFirefox(): Promise<Browser> {
  assertMeasuring('Firefox');
  const puppeteer = require('puppeteer-core') as typeof import('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
    extraPrefsFirefox: FIREFOX_PREFS,
    env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
  });
}
