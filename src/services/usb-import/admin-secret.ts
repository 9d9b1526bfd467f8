/**
 * Physical-access security for the USB import (docs/appliance.md). Design:
 *   - The unit's configuration holds only a hash: `[unit] admin_secret_sha256 = "<64 hex>"`.
 *   - A unit whose current configuration has no hash (a new unit, as it leaves the image) accepts its
 *     first file. Every file imported from a stick must set `admin_secret_sha256`, so after the first
 *     import the unit always has one.
 *   - From then on, a stick must carry the current secret in clear in `paypoint-secret.txt` (one line;
 *     a BOM, surrounding spaces and the line end are ignored). Its SHA-256 must equal the hash, or the
 *     whole stick (configuration and export) is refused and the result file says so.
 *   - Changing the secret: the stick carries the current secret and a file with the new hash.
 * The secret itself is never stored on the unit, never logged, never written to the result file.
 * Make the hash with `printf '%s' 'THE SECRET' | sha256sum`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const SECRET_FILE = 'paypoint-secret.txt';
export const MAX_SECRET_BYTES = 1024;

export function secretText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r?\n$/, '').trim();
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Constant-time comparison of the stick's secret with the unit's hash. */
export function secretMatches(secret: string, expectedHex: string): boolean {
  const got = createHash('sha256').update(secret, 'utf8').digest();
  const want = Buffer.from(expectedHex, 'hex');
  return want.length === got.length && timingSafeEqual(got, want);
}
