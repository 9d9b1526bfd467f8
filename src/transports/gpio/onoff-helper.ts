/**
 * Entry of the GPIO helper process: the only place the daemon loads onoff (and its `epoll` addon). Started
 * by onoff-gpio.ts with child_process.fork; talks over the IPC channel (onoff-host.ts's messages).
 *
 * Why a process, not a worker thread: `epoll` 4.0.2 registers with NODE_MODULE (not context-aware) and
 * creates its wake-up handle on uv_default_loop(), the MAIN thread's loop. Loaded in a worker, it loads,
 * but the first edge runs the worker's JavaScript callback on the main thread and Node aborts ("Cannot
 * create a handle without a HandleScope", in Epoll::DispatchEvent). In a process of its own its default
 * loop is this process's loop.
 *
 * Priority: the helper first lowers its own nice value (argv[2]; Linux nice is per thread, so this is
 * the thread that runs onoff's callbacks, and epoll's watcher thread, created later by it, inherits it).
 * An unprivileged unit may go down to its RLIMIT_NICE (systemd/paypoint.service, LimitNICE=). Failing to
 * is reported to the daemon, which logs it; the helper runs on at the default priority.
 */
import { appendFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';
import { GpioUnsupported, OnoffHost, type HostMessage, type HostRequest, type OnoffFactory } from './onoff-host.js';

export function runHelper(factory: () => Promise<OnoffFactory>, nice: number | null): OnoffHost {
  let niceError: string | undefined;
  if (nice !== null) {
    try {
      setPriority(0, nice);
    } catch (e) {
      niceError = (e as Error).message;
    }
  }
  const trace = edgeTrace(process.env.PAYPOINT_GPIO_TRACE);
  const post = (m: HostMessage) => {
    if (m.t === 'edge') trace?.(m);
    if (process.connected) process.send!(m);
  };
  const host = new OnoffHost(factory, post);
  process.on('message', (m) => void host.handle(m as HostRequest));
  // systemd's stop (SIGTERM to the whole unit) and a technician's Ctrl-C reach the helper too: it stays
  // until the daemon has stopped its drivers and closed the channel, so the daemon never sees its lines
  // vanish mid-shutdown (which it treats as a failure).
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  // The daemon is gone (exited, or closed the provider): release the lines (unexport) and end.
  process.on('disconnect', () => {
    host.releaseAll();
    process.exit(0);
  });
  post({ t: 'started', pid: process.pid, nice: getPriority(0), ...(niceError ? { niceError } : {}) });
  return host;
}

/**
 * PAYPOINT_GPIO_TRACE=FILE: every edge as the helper read it, "NS LEVEL ID" (+ " m" when missed), appended
 * once a second (never in the epoll callback): the VM test compares it with what its pulse player wrote.
 */
function edgeTrace(file: string | undefined): ((m: HostMessage & { t: 'edge' }) => void) | null {
  if (!file) return null;
  let lines: string[] = [];
  setInterval(() => {
    if (lines.length === 0) return;
    const text = lines.join('');
    lines = [];
    try {
      appendFileSync(file, text);
    } catch {
      // A diagnostic only.
    }
  }, 1000).unref();
  return (m) => lines.push(`${m.at} ${m.level} ${m.id}${m.missed ? ' m' : ''}\n`);
}

let onoff: Promise<OnoffFactory> | null = null;
/** The real onoff, loaded once, after the priority is set. */
export function realOnoff(): Promise<OnoffFactory> {
  onoff ??= import('onoff').then(({ Gpio }) => {
    if (!Gpio.accessible) throw new GpioUnsupported('GPIO is not accessible on this machine (no /sys/class/gpio)');
    return (n: number, direction: 'in' | 'out' | 'high' | 'low', edge: 'none' | 'both', options: { activeLow: boolean }) =>
      new Gpio(n, direction, edge, { activeLow: options.activeLow });
  });
  return onoff;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  runHelper(realOnoff, arg === undefined || arg === '' ? null : Number(arg));
}
