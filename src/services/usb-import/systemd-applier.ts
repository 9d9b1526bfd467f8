/**
 * Applies an installed configuration by restarting the daemon's unit, and judges its health the way an
 * operator would: systemd says the unit is active (Type=notify: only after READY=1, i.e. the store is
 * loaded and SOAP listens) and, when the status page is on, `/api/status` answers with a healthy
 * snapshot. Healthy must hold for a few seconds in a row, so a daemon that starts and then crashes
 * (Restart=always would bring it up again and again) is not taken for healthy.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { Config } from '../../config/schema.js';
import type { Applier } from './importer.js';

export interface SystemdApplierOptions {
  unit: string;
  /** The systemctl command (tests give a stand-in). */
  systemctl?: string;
  settleMs?: number;
  pollMs?: number;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: String(stdout).trim() });
    });
  });
}

export function fetchStatus(cfg: Config, timeoutMs = 3000): Promise<{ ok: boolean; state: string; session: boolean } | null> {
  const host = cfg.status.bind === '0.0.0.0' || cfg.status.bind === '::' ? '127.0.0.1' : cfg.status.bind;
  const headers: Record<string, string> = {};
  if (cfg.status.require_auth) headers.Authorization = 'Basic ' + Buffer.from(`${cfg.status.login}:${cfg.status.password}`).toString('base64');
  return new Promise((resolve) => {
    const req = request({ host, port: cfg.status.port, path: '/api/status', headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          const s = JSON.parse(body) as { health?: { ok?: boolean }; state?: string; outbox?: { depth?: unknown }; session?: unknown };
          // Healthy: store writable and event loop on time, and the outbox read from the store (its
          // depth is there). Reports waiting for a network that is down do not make a unit unhealthy.
          resolve(res.statusCode === 200 ? { ok: s.health?.ok === true && typeof s.outbox?.depth === 'number', state: String(s.state), session: s.session !== null && s.session !== undefined } : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export class SystemdApplier implements Applier {
  constructor(private readonly o: SystemdApplierOptions) {}

  async apply(): Promise<void> {
    // --no-block: the health wait below has its own bound; a start that hangs must not hang the import.
    const r = await run(this.o.systemctl ?? 'systemctl', ['restart', '--no-block', this.o.unit], 30_000);
    if (r.code !== 0) throw new Error(`systemctl restart ${this.o.unit} exited with ${r.code}`);
  }

  /** systemd's restart counter of the unit (NRestarts), or null where it cannot be read. */
  private async restarts(): Promise<number | null> {
    const r = await run(this.o.systemctl ?? 'systemctl', ['show', '-p', 'NRestarts', '--value', this.o.unit], 5000);
    return r.code === 0 && /^\d+$/.test(r.out) ? Number(r.out) : null;
  }

  async healthyNow(cfg: Config): Promise<boolean> {
    const a = await run(this.o.systemctl ?? 'systemctl', ['is-active', this.o.unit], 5000);
    if (a.out !== 'active') return false;
    if (!cfg.status.enabled) return true;
    const s = await fetchStatus(cfg);
    // 'config-error': the daemon is up but could not load this file's board profile (the file itself was
    // validated before it was installed): it takes no payment, so the file is not applied.
    return s !== null && s.ok && s.state !== 'booting' && s.state !== 'unhealthy' && s.state !== 'config-error';
  }

  async waitHealthy(cfg: Config, timeoutMs: number): Promise<boolean> {
    const settle = this.o.settleMs ?? 5000;
    const poll = this.o.pollMs ?? 1000;
    const deadline = Date.now() + timeoutMs;
    let since: number | null = null;
    // A file that validates but makes the daemon exit at start (a bind address the unit does not have)
    // would let Restart=always burn through StartLimitBurst and reboot the unit, on the same bad file,
    // before the timeout: give up as soon as systemd has restarted the daemon twice since the apply.
    const baseline = await this.restarts();
    while (Date.now() < deadline) {
      const restarts = await this.restarts();
      if (baseline !== null && restarts !== null && restarts - baseline >= 2) return false;
      if (await this.healthyNow(cfg)) {
        since ??= Date.now();
        if (Date.now() - since >= settle) return true;
      } else since = null;
      await new Promise((r) => setTimeout(r, poll));
    }
    return false;
  }
}

/**
 * Reboots the unit (an update bundle was installed) at a moment when no payment session is open: a
 * session in progress finishes first (paid, cancelled or timed out: pos.session_timeout_s bounds it).
 * The daemon's /api/status tells; while it does not answer (restarting), the wait goes on, up to
 * maxWaitMs, after which the reboot happens anyway (a daemon that stays unreachable that long has no
 * customer in front of it).
 */
export async function rebootWhenIdle(cfg: Config, o: { systemctl?: string; pollMs?: number; maxWaitMs?: number; log?: (m: string) => void }): Promise<void> {
  const poll = o.pollMs ?? 1000;
  const deadline = Date.now() + (o.maxWaitMs ?? 2 * 3_600_000);
  let said = false;
  while (Date.now() < deadline) {
    const s = await fetchStatus(cfg);
    if (s !== null && !s.session) break;
    if (!said) o.log?.(s === null ? 'reboot: waiting for the daemon to answer' : 'reboot: waiting for the payment in progress to finish');
    said = true;
    await new Promise((r) => setTimeout(r, poll));
  }
  const r = await run(o.systemctl ?? 'systemctl', ['reboot', '--no-block'], 30_000);
  if (r.code !== 0) throw new Error(`systemctl reboot exited with ${r.code}`);
}
