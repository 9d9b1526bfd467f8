/** Debian's Chromium for the browser tests (playwright-core drives it; make deps installs the package). */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './daemon.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots (gitignored). */
export const ARTIFACTS = join(REPO, 'test-artifacts');
/** Headless, and nothing that reaches out: this machine's closed network refuses Chromium's own background connections. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** True when Chromium is there (and the artifacts folder made); otherwise the test fails saying how to get it. */
export function chromiumReady(t: { fail(message: string): unknown }): boolean {
  if (!existsSync(CHROMIUM)) {
    t.fail(`${CHROMIUM} missing: make deps installs the Debian chromium package`);
    return false;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return true;
}

/** Chromium for one test, closed (then the daemon stopped) when the test ends. */
export async function launchChromium(t: { teardown(fn: () => Promise<void>): void }, daemon: { stop(): Promise<unknown> }): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t.teardown(async () => {
    await browser.close();
    await daemon.stop();
  });
  return browser;
}

/** Opens the status page and waits until its live updates run; the page's script errors collect in the array returned. */
export async function openLive(page: Page, url: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.locator('#live[data-live="1"]').waitFor();
  return errors;
}
