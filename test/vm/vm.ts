/**
 * The virtual machine of the VM test: qemu-system-x86_64 (TCG) booting Debian's kernel on the disks of
 * make-disks.sh, and the ways the host talks to it: the daemon's SOAP API and status page, the
 * simulation control and a root shell (test-only units of test/vm/guest), all through qemu's user-mode
 * network forwarded from the host's loopback only (restrict=on: the guest reaches nothing else), and
 * QMP for the machine itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '../helpers/daemon.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface VmOptions {
  work: string;
  /** How the data disk is opened: straight with cache=none, or through the NBD write-cache model. */
  dataDrive: { kind: 'file'; file: string } | { kind: 'nbd'; socket: string };
  /** Name of the console log in WORK (appended). */
  console?: string;
  extraArgs?: string[];
  /** A guest reset restarts the machine (the hardware watchdog's reset) instead of ending qemu
   * (-no-reboot, the default: a reboot the test did not ask for shows up as an exit). */
  resetReboots?: boolean;
  /** Boot through the boot loader on the root disk (the update test's GRUB) instead of qemu -kernel. */
  bootFromDisk?: boolean;
}

export interface Ports {
  soap: number;
  status: number;
  shell: number;
  sim: number;
}

const agent = new Agent({ keepAlive: false });

export class Vm {
  child: ChildProcess | null = null;
  exited: Promise<number | null> = Promise.resolve(null);
  ports!: Ports;
  qmpPath: string;
  bootedAt = 0;

  constructor(readonly opts: VmOptions) {
    this.qmpPath = join(opts.work, 'qmp.sock');
  }

  async start(): Promise<void> {
    const w = this.opts.work;
    const [soap, status, shell, sim] = await freePorts(4);
    this.ports = { soap, status, shell, sim };
    const p = this.ports;
    const data =
      this.opts.dataDrive.kind === 'file'
        ? `file=${this.opts.dataDrive.file},if=none,id=data,format=raw,cache=none,aio=threads`
        : `file=nbd:unix:${this.opts.dataDrive.socket},if=none,id=data,format=raw,cache=writeback`;
    const args = [
      '-machine', 'q35', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', '1024',
      '-display', 'none', '-monitor', 'none', ...(this.opts.resetReboots ? [] : ['-no-reboot']), '-nodefaults',
      '-serial', `file:${join(w, this.opts.console ?? 'console.log')}`,
      '-qmp', `unix:${this.qmpPath},server=on,wait=off`,
      // no_timer_check: under TCG on a busy host the kernel's check that the timer interrupt works through
      // the IO-APIC can fail and panic at boot ("IO-APIC + timer doesn't work"), seen here under load.
      // systemd.show_status=error: a unit that fails at boot is named on the console log.
      ...(this.opts.bootFromDisk
        ? []
        : ['-kernel', join(w, 'vmlinuz'), '-initrd', join(w, 'initrd.img'),
           '-append', 'root=LABEL=rootA ro rootfstype=ext4 console=ttyS0 panic=-1 loglevel=4 systemd.show_status=error no_timer_check']),
      '-drive', `file=${join(w, 'root.img')},if=none,id=root,format=raw,cache=writeback`,
      '-device', `virtio-blk-pci,drive=root${this.opts.bootFromDisk ? ',bootindex=0' : ''}`,
      '-drive', data, '-device', 'virtio-blk-pci,drive=data',
      '-netdev',
      `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${p.soap}-:8080,hostfwd=tcp:127.0.0.1:${p.status}-:8081,` +
        `hostfwd=tcp:127.0.0.1:${p.shell}-:2222,hostfwd=tcp:127.0.0.1:${p.sim}-:8090`,
      '-device', 'virtio-net-pci,netdev=n0',
      ...(this.opts.extraArgs ?? []),
    ];
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    this.child = child;
    this.exited = new Promise((res) => child.on('exit', (code) => res(code)));
    void this.exited.then((code) => {
      if (code !== null && code !== 0) process.stderr.write(`qemu exited ${code}: ${err}\n`);
    });
    this.bootedAt = Date.now();
  }

  alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The power cut: qemu killed at once; the guest's memory (page cache included) is gone. */
  async cut(): Promise<void> {
    if (this.alive()) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** An orderly shutdown (systemctl poweroff), killed after a grace time. */
  async stop(graceMs = 60_000): Promise<void> {
    if (!this.alive()) return;
    await this.shell('systemctl poweroff --no-block').catch(() => undefined);
    const t = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Runs a shell command in the guest as root; resolves with its output (stdout and stderr). */
  shell(cmd: string, timeoutMs = 60_000): Promise<string> {
    return new Promise((res, rej) => {
      const s = connect(this.ports.shell, '127.0.0.1');
      let out = '';
      const t = setTimeout(() => {
        s.destroy();
        rej(new Error(`guest shell timed out: ${cmd}`));
      }, timeoutMs);
      s.setEncoding('utf8');
      s.on('connect', () => s.write(`${cmd}\nexit\n`));
      s.on('data', (d: string) => (out += d));
      s.on('close', () => {
        clearTimeout(t);
        res(out);
      });
      s.on('error', (e) => {
        clearTimeout(t);
        rej(e);
      });
    });
  }

  /** One command to the daemon's simulation control (one JSON line each way; no half-close: the
   * daemon's server would end the connection before answering). */
  sim(cmd: Record<string, unknown>, timeoutMs = 20_000): Promise<{ ok: boolean; message?: string; code?: number; data?: unknown }> {
    return new Promise((res, rej) => {
      const s = connect(this.ports.sim, '127.0.0.1');
      let buf = '';
      const t = setTimeout(() => {
        s.destroy();
        rej(new Error('sim control timed out'));
      }, timeoutMs);
      s.setEncoding('utf8');
      s.on('connect', () => s.write(JSON.stringify(cmd) + '\n'));
      s.on('data', (d: string) => (buf += d));
      s.on('close', () => {
        clearTimeout(t);
        try {
          res(JSON.parse(buf.trim()));
        } catch {
          rej(new Error(`sim control: no answer (${JSON.stringify(buf.slice(0, 100))})`));
        }
      });
      s.on('error', (e) => {
        clearTimeout(t);
        rej(e);
      });
    });
  }

  http(port: number, path: string, method = 'GET', body?: string, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ status: number; body: string }> {
    return new Promise((res, rej) => {
      const req = request({ host: '127.0.0.1', port, path, method, agent, headers, timeout: timeoutMs }, (r) => {
        let b = '';
        r.setEncoding('utf8');
        r.on('data', (d) => (b += d));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: b }));
        r.on('error', rej);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', rej);
      req.end(body);
    });
  }

  soap(body: string): Promise<{ status: number; body: string }> {
    return this.http(this.ports.soap, '/', 'POST', body, { 'Content-Type': 'text/xml; charset=utf-8' });
  }

  /** Waits until the daemon answers on its simulation control (it listens once the store loaded). */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end && this.alive()) {
      try {
        const r = await this.sim({ cmd: 'status' }, 5_000);
        if (r.ok) return true;
      } catch {
        /* not yet */
      }
      await sleep(500);
    }
    return false;
  }

  /** One QMP command (capabilities negotiated on a new connection each time). */
  qmp(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((res, rej) => {
      const s = connect(this.qmpPath);
      let buf = '';
      let stage = 0;
      const t = setTimeout(() => {
        s.destroy();
        rej(new Error(`QMP ${execute} timed out`));
      }, 20_000);
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const msg = JSON.parse(line) as Record<string, unknown>;
          if (msg.event) continue;
          if (stage === 0 && msg.QMP) {
            stage = 1;
            s.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
          } else if (stage === 1 && 'return' in msg) {
            stage = 2;
            s.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}) }) + '\n');
          } else if (stage === 2) {
            clearTimeout(t);
            s.end();
            if ('error' in msg) rej(new Error(`QMP ${execute}: ${JSON.stringify(msg.error)}`));
            else res(msg.return);
          }
        }
      });
      s.on('error', (e) => {
        clearTimeout(t);
        rej(e);
      });
    });
  }

  consoleText(): string {
    try {
      return readFileSync(join(this.opts.work, this.opts.console ?? 'console.log'), 'utf8');
    } catch {
      return '';
    }
  }
}
