/**
 * The VTK link session (VTK 1.12 sections 1-3.6, 3.11): one open link at a time to the terminal, its
 * framing, the IDL keep-alive, link loss (3*Tk + slack of silence), the operation timeout while a VRP
 * or FIN answer is awaited, reconnection, and the terminal's timers (tags 05, 06). It knows nothing of
 * operations: VRP and FIN answers go to the operation machine (vtk-operations.ts) through `events`.
 */
import { encodeFrame, VtkDeframer, VtkDiscriminator, type VtkFraming } from '../../codecs/vtk/frame.js';
import { decodeMessage, describeMessage, encodeMessage, type VtkMessage } from '../../codecs/vtk/message.js';
import type { ByteLink, LinkOpener } from './byte-link.js';
import { mono, type VtkLog } from './vtk-log.js';
import { Backoff, openError, type OpenFault } from '../late/reopen.js';
import { watchPath, type PathWatch } from '../late/path-watch.js';

export interface VtkLinkOptions {
  name: string;
  framing: VtkFraming;
  open: LinkOpener;
  keepaliveMs: number;
  opTimeoutMs: number;
  linkSlackMs: number;
  interByteMs: number;
  reconnectMs: number;
  /** Failed opens back off from reconnectMs, doubling up to this (README.md, "Devices that cannot be opened"). */
  maxReconnectMs: number;
  /** The terminal's path or address, named in the fault when the link cannot be opened. */
  target: string;
  honourTerminalTimers: boolean;
  /** Serial: the device path, watched while the link is down so that a replugged adapter is tried at once (path-watch.ts). */
  watchPath?: string;
}

export interface VtkLinkEvents {
  /** A VRP or FIN answer from the terminal. */
  onAnswer(m: VtkMessage): void;
  /** The link went INACTIVE (3.5/3.6): a VRP that may have arrived becomes a question. */
  onInactive(): void;
  /** Something changed on the link: the operation machine may send what it waits to send. */
  onReady(): void;
  /** An operation waits for the terminal: reconnect at the plain interval, without backing off. */
  busy(): boolean;
}

export class VtkLinkSession {
  private link: ByteLink | null = null;
  private gen = 0;
  private connecting = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly deframer: VtkDeframer;
  private running = false;
  /** The terminal answered on this link: it is in the IDLE state (3.2). */
  private active = false;
  private lastRxAt = 0;
  private lastIdlAt = 0;
  /** The terminal's current operation number from its IDL/DIS answers on this link (3.3). */
  posOpNumber: number | null = null;
  /** The request whose answer is awaited (3.6 timeout). */
  awaiting: { name: 'VRP' | 'FIN'; opNumber: number; since: number } | null = null;
  private keepaliveMs: number;
  private opTimeoutMs: number;
  lastLinkError: string | null = null;
  /** The link cannot be opened (error 506); null once it opens. */
  openFault: OpenFault | null = null;
  private readonly backoff: Backoff;
  private watcher: PathWatch | null = null;
  /** The watched path changed while a connect was under way: if it fails, try again at once. */
  private poked = false;
  /** Garbled frames and malformed messages dropped (shown in health). */
  dropped = 0;

  constructor(
    private readonly o: VtkLinkOptions,
    private readonly log: VtkLog,
    private readonly events: VtkLinkEvents,
  ) {
    this.keepaliveMs = o.keepaliveMs;
    this.opTimeoutMs = o.opTimeoutMs;
    this.deframer = new VtkDeframer(o.framing, { interByteMs: o.interByteMs });
    this.backoff = new Backoff({ firstMs: o.reconnectMs, maxMs: Math.max(o.reconnectMs, o.maxReconnectMs) });
  }

  /** A link is open and the terminal answers on it. */
  get ready(): boolean {
    return this.link !== null && this.active;
  }

  get open(): boolean {
    return this.link !== null;
  }

  get description(): string | undefined {
    return this.link?.description;
  }

  start(): void {
    this.running = true;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.watcher?.close();
    this.watcher = null;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const l = this.drop();
    await l?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (!this.running || this.link || this.connecting) return;
    this.connecting = true;
    this.poked = false;
    let link: ByteLink;
    try {
      link = await this.o.open();
    } catch (e) {
      this.connecting = false;
      const msg = (e as Error).message;
      // Backs off while nothing waits for the terminal; an operation in flight keeps the plain interval,
      // so its outcome is learned as soon as the terminal is back.
      let delay = this.events.busy() ? (this.backoff.reset(), this.o.reconnectMs) : this.backoff.next();
      if (this.poked) delay = 0;
      const error = openError(this.o.name, this.o.target, e);
      this.openFault = { error, attempts: (this.openFault?.attempts ?? 0) + 1, nextAt: Date.now() + delay };
      if (msg !== this.lastLinkError) {
        this.log.error({ device: this.o.name, target: this.o.target, code: error.code, err: { message: msg }, retryInMs: delay }, 'VTK: cannot open the link: faulted, trying again');
      }
      this.lastLinkError = msg;
      this.scheduleReconnect(delay);
      return;
    }
    this.connecting = false;
    if (!this.running) {
      await link.close().catch(() => undefined);
      return;
    }
    const gen = ++this.gen;
    this.link = link;
    this.watcher?.close();
    this.watcher = null;
    if (this.openFault) this.log.info({ device: this.o.name, target: this.o.target, failedTries: this.openFault.attempts }, 'VTK: link opened: fault cleared');
    this.openFault = null;
    this.backoff.reset();
    this.lastLinkError = null;
    this.deframer.reset();
    this.active = false;
    this.posOpNumber = null;
    this.awaiting = null;
    this.lastRxAt = mono();
    link.onData((chunk) => {
      if (gen === this.gen) this.onChunk(chunk);
    });
    link.onClose((err) => {
      if (gen === this.gen) this.goInactive(`link closed${err ? `: ${err.message}` : ''}`);
    });
    this.log.info({ device: this.o.name, link: link.description }, 'VTK: link open');
    // 4.1: from the INACTIVE state the VMC starts sending IDL.
    await this.sendIdl();
  }

  private scheduleReconnect(delay = this.o.reconnectMs): void {
    if (!this.running || this.reconnectTimer) return;
    if (this.o.watchPath && !this.watcher) this.watcher = watchPath(this.o.watchPath, () => this.pathChanged());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.openFault) this.openFault = { ...this.openFault, nextAt: null };
      void this.connect();
    }, delay);
  }

  /** The serial device's path changed while the link is down (plugged back): connect now, not at the timer. */
  private pathChanged(): void {
    if (!this.running || this.link) return;
    if (this.connecting) {
      this.poked = true;
      return;
    }
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.openFault) this.openFault = { ...this.openFault, nextAt: null };
    void this.connect();
  }

  private drop(): ByteLink | null {
    const l = this.link;
    this.link = null;
    this.gen++;
    this.active = false;
    this.awaiting = null;
    this.posOpNumber = null;
    return l;
  }

  /**
   * 3.5/3.6: on link loss or an operation timeout the VMC moves to INACTIVE, restores the default
   * keep-alive and timeout, and (TCP) closes the connection.
   */
  goInactive(reason: string): void {
    if (!this.link) return;
    this.log.warn({ device: this.o.name, reason, link: this.link.description }, 'VTK: terminal link inactive');
    this.lastLinkError = reason;
    this.keepaliveMs = this.o.keepaliveMs;
    this.opTimeoutMs = this.o.opTimeoutMs;
    this.events.onInactive();
    const l = this.drop();
    void l?.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  /** Timers of the link: the answer timeout (3.6), link loss (3.5), the next keep-alive. */
  tick(now: number): void {
    if (!this.link) return;
    if (this.awaiting) {
      if (now - this.awaiting.since >= this.opTimeoutMs) this.goInactive(`no ${this.awaiting.name} answer within ${this.opTimeoutMs} ms (VTK 3.6)`);
      return;
    }
    if (now - this.lastRxAt >= 3 * this.keepaliveMs + this.o.linkSlackMs) {
      this.goInactive(`nothing received for 3*${this.keepaliveMs} + ${this.o.linkSlackMs} ms (VTK 3.5)`);
      return;
    }
    if (now - this.lastIdlAt >= this.keepaliveMs) void this.sendIdl();
  }

  async send(m: VtkMessage): Promise<boolean> {
    const link = this.link;
    if (!link) return false;
    try {
      await link.write(encodeFrame(this.o.framing, VtkDiscriminator.FromVmc, encodeMessage(m)));
      this.log.debug({ device: this.o.name, tx: describeMessage(m) }, 'VTK: sent');
      return true;
    } catch (e) {
      if (link === this.link) this.goInactive(`write failed: ${(e as Error).message}`);
      return false;
    }
  }

  async sendIdl(): Promise<void> {
    this.lastIdlAt = mono();
    await this.send({ name: 'IDL' });
  }

  private onChunk(chunk: Buffer): void {
    for (const ev of this.deframer.push(chunk, mono())) {
      if (ev.kind === 'dropped') {
        this.dropped++;
        this.log.debug({ device: this.o.name, reason: ev.reason, bytes: ev.bytes }, 'VTK: bytes dropped');
        if (ev.fatal) return this.goInactive('TCP stream out of step (impossible length)');
        continue;
      }
      if (ev.discriminator !== VtkDiscriminator.FromPos) continue; // NFCReader frames, or our own echo
      let m: VtkMessage;
      try {
        m = decodeMessage(ev.message);
      } catch (e) {
        this.dropped++;
        this.log.warn({ device: this.o.name, err: { message: (e as Error).message } }, 'VTK: malformed message ignored');
        continue;
      }
      this.onMessage(m);
    }
  }

  private onMessage(m: VtkMessage): void {
    this.lastRxAt = mono();
    this.log.debug({ device: this.o.name, rx: describeMessage(m) }, 'VTK: received');
    if (this.o.honourTerminalTimers) {
      // 3.5/3.6: any non-zero value from any message is taken; zero is prohibited and ignored.
      if (m.keepaliveS) this.keepaliveMs = m.keepaliveS * 1000;
      if (m.opTimeoutS) this.opTimeoutMs = m.opTimeoutS * 1000;
    }
    if (!this.active) {
      this.active = true;
      this.log.info({ device: this.o.name, link: this.link?.description, posOpNumber: m.opNumber ?? null }, 'VTK: terminal answering');
    }
    switch (m.name) {
      case 'IDL':
      case 'DIS':
        if (m.opNumber !== undefined) this.posOpNumber = m.opNumber;
        break;
      case 'VRP':
      case 'FIN':
        this.events.onAnswer(m);
        break;
      case 'CON':
        // 3.11: this kiosk offers no TCP connection service; "no service" lets the terminal use its own.
        void this.send({ name: 'CON', tcpDestination: conNoService(m.tcpDestination) });
        break;
      case 'DAT':
      case 'DSC':
        void this.send({ name: 'DSC', tcpDestination: Buffer.from([m.tcpDestination?.[0] ?? 0]) });
        break;
      default:
        break; // STA, MFR, CDP and names from later versions: nothing for the kiosk to do
    }
    this.events.onReady();
  }
}

/** 3.11: a CON answer with the POS's destination and connection status 0x00 (no service). */
function conNoService(dest: Buffer | undefined): Buffer {
  const out = Buffer.alloc(8);
  if (dest) dest.copy(out, 0, 0, Math.min(7, dest.length));
  out[7] = 0x00;
  return out;
}
