/** Serves the simulation control channel (sim-control-protocol.ts) for the simulated devices. */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import type { InsertResult } from '../../drivers/sim/sim-cash-acceptor.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { PaymentEngine } from '../payment/payment-engine.js';
import type { Logger } from '../log.js';
import { parseSimCommand, type SimCommand, type SimReply } from './sim-control-protocol.js';

/** The customer at the card reader: answers resolve once the terminal has been told. */
export interface SimCardCustomer {
  approve(): Promise<number>;
  decline(): Promise<void>;
}

/** The customer at a cash acceptor: insert resolves once the credit is stored (or it was refused). */
export interface SimCashCustomer {
  readonly name: string;
  denominations(): number[];
  insert(value: number): Promise<InsertResult>;
}

/** What `paypoint sim` can act on; null where the configured device has no simulator behind it. */
export interface SimDevices {
  coin: SimCashCustomer | null;
  bill: SimCashCustomer | null;
  card: SimCardCustomer | null;
  dispenser: { levels(): Record<number, number> } | null;
  cancel: { press(): Promise<void> } | null;
}

const MAX_LINE = 4096;

export class SimControlServer {
  private server: Server | null = null;

  constructor(
    private readonly path: string,
    private readonly devices: SimDevices,
    private readonly engine: PaymentEngine,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      unlinkSync(this.path); // a socket left by a killed daemon
    } catch {
      /* none */
    }
    this.server = createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(sock: Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        sock.end(JSON.stringify({ ok: false, code: ErrorCode.Usage, message: 'line too long' }) + '\n');
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      const cmd = parseSimCommand(line);
      const reply: Promise<SimReply> = cmd
        ? this.run(cmd).catch((e) => ({ ok: false as const, code: e instanceof PayPointError ? e.code : ErrorCode.Internal, message: (e as Error).message }))
        : Promise.resolve({ ok: false as const, code: ErrorCode.Usage, message: 'unknown command' });
      void reply.then((r) => sock.end(JSON.stringify(r) + '\n'));
    });
    sock.on('error', () => undefined);
  }

  /**
   * Resolves once the engine has stored the card module's answer for this session (a terminal behind a
   * link answers asynchronously): the customer is told only what is on disk.
   */
  private cardSettled(sessionId: string, opId: string | null): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.engine.off('changed', onChange);
        resolve();
      };
      const onChange = (s: { _id: string; card: { opId: string | null } }): void => {
        if (s._id === sessionId && s.card.opId !== opId) done();
      };
      const timer = setTimeout(done, 15_000);
      this.engine.on('changed', onChange);
    });
  }

  /** Each answer is sent only after the daemon has stored what the customer did. */
  private async run(cmd: SimCommand): Promise<SimReply> {
    switch (cmd.cmd) {
      case 'coin':
      case 'bill': {
        const dev = cmd.cmd === 'coin' ? this.devices.coin : this.devices.bill;
        if (!dev) return { ok: false, code: ErrorCode.DeviceNotReady, message: `no simulated ${cmd.cmd} acceptor (the configured device is real hardware or none)` };
        const r = await dev.insert(cmd.value);
        this.log.info({ device: dev.name, value: cmd.value, accepted: r.accepted }, 'sim: cash inserted');
        if (r.accepted) return { ok: true, message: `credited ${cmd.value} kopecks`, data: { credited: cmd.value } };
        const why = { disabled: 'the acceptor is closed (no payment in progress, or this value is not taken now)', 'unknown-value': `${dev.name} does not take ${cmd.value} kopecks (takes ${dev.denominations().join(', ')})`, returned: 'returned from escrow: change could not be given' }[r.reason];
        return { ok: false, code: ErrorCode.DeviceNotReady, message: `not accepted, given back: ${why}` };
      }
      case 'card': {
        if (!this.devices.card) return { ok: false, code: ErrorCode.DeviceNotReady, message: 'no card reader configured' };
        const before = this.engine.currentSession();
        const settled = before ? this.cardSettled(before._id, before.card.opId) : Promise.resolve();
        if (cmd.action === 'approve') {
          const amount = await this.devices.card.approve();
          await settled;
          return { ok: true, message: `card approved for ${amount} kopecks` };
        }
        await this.devices.card.decline();
        await settled;
        return { ok: true, message: 'card declined' };
      }
      case 'cancel': {
        const had = this.engine.currentSession() !== null;
        if (!this.devices.cancel) return { ok: false, code: ErrorCode.DeviceNotReady, message: 'the cancel button is real hardware' };
        await this.devices.cancel.press();
        return had ? { ok: true, message: 'cancel pressed' } : { ok: false, code: ErrorCode.PaymentNoSession, message: 'no payment in progress' };
      }
      case 'status': {
        const s = this.engine.currentSession();
        return {
          ok: true,
          message: s ? `session ${s.uid}: ${s.state}, credited ${s.credited} of ${s.amount}` : 'idle',
          data: { session: s ? { uid: s.uid, state: s.state, amount: s.amount, credited: s.credited } : null, hoppers: this.devices.dispenser?.levels() ?? null },
        };
      }
    }
  }
}
