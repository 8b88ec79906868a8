/**
 * Debian's Chromium, driven through playwright-core (which never downloads a browser of its own):
 * the one place its path, its flags and its launch live, for browser clients and report checks alike.
 */
import type { Browser } from 'playwright-core';
import { assertMeasuring } from './replay';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for every launch. playwright adds --headless and --no-sandbox, and gives every launch a
 * fresh --user-data-dir of its own (a temporary profile it deletes on close).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--disable-gpu',
  // Without these Chromium makes its own connection attempts, which this machine refuses, and a
  // "no request beyond the document" check would count that noise.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Headless Chromium still throttles every tab but one as a background tab; pages must all send
  // at the set rate.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** How long Chromium may take to start before a run fails. */
export const LAUNCH_TIMEOUT_MS = 30_000;

/** Launches headless Chromium with the flags above; playwright-core is loaded on first use (it takes seconds). */
export async function launchChromium(): Promise<Browser> {
  assertMeasuring('Chromium');
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    timeout: LAUNCH_TIMEOUT_MS,
  });
}
