/** Debian's Chromium for the browser tests (playwright-core drives it; make deps installs the package). */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
