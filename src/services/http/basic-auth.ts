/** HTTP Basic (RFC 7617) checked in constant time: the comparison never tells how much matched. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class BasicAuth {
  private readonly expected: Buffer;

  constructor(
    login: string,
    password: string,
    readonly realm = 'PayPoint',
  ) {
    // Comparing fixed-length digests keeps the time independent of the lengths too.
    this.expected = digest(`${login}:${password}`);
  }

  check(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(h);
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    return timingSafeEqual(digest(decoded), this.expected);
  }

  challenge(): string {
    return `Basic realm="${this.realm}", charset="UTF-8"`;
  }
}
