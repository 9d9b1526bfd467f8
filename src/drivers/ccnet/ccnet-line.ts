/**
 * The controller's side of a CCNET line (CashCode CCNET, "Communication": half-duplex, the controller
 * sends a frame and the peripheral answers within its response time): framing, one exchange at a time,
 * retries of commands, ACKs. The bill validator's state machine (ccnet-validator.ts) talks through it.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { ACK, ILLEGAL_COMMAND, NAK } from '../../codecs/ccnet/commands.js';
import { encodeFrame, FrameReader } from '../../codecs/ccnet/frame.js';
import type { SerialLink } from '../../transports/serial/serial-port.js';
import type { DriverLog } from '../driver-log.js';

export interface CcnetLineOptions {
  name: string;
  link: SerialLink;
  address: number;
  responseTimeoutMs: number;
  retries: number;
  log: DriverLog;
}

export class CcnetLine {
  private readonly reader: FrameReader;
  private lock: Promise<void> = Promise.resolve();
  private waiter: ((data: Uint8Array | null) => void) | null = null;

  constructor(private readonly o: CcnetLineOptions) {
    this.reader = new FrameReader(
      (f) => {
        if (f.address !== this.o.address) return;
        const w = this.waiter;
        this.waiter = null;
        w?.(f.data);
      },
      (e) => {
        this.o.log.debug({ device: this.o.name, error: e.kind }, 'ccnet: bad bytes on the line');
        // A corrupted answer: fail the exchange now rather than at the timeout.
        if (e.kind === 'crc') this.abort();
      },
    );
  }

  /** Bytes from the link, in arrival order. */
  push(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  /** The exchange waiting for an answer ends now with none (corrupted answer, the link failed). */
  abort(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }

  /** One request and its answer (null: none in time, or a corrupted one). Serialised: CCNET is half-duplex. */
  exchange(data: number[]): Promise<Uint8Array | null> {
    const run = async (): Promise<Uint8Array | null> => {
      this.reader.reset();
      const answer = new Promise<Uint8Array | null>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = null;
          resolve(null);
        }, this.o.responseTimeoutMs);
        this.waiter = (d) => {
          clearTimeout(timer);
          resolve(d);
        };
      });
      try {
        await this.o.link.write(encodeFrame(this.o.address, data));
      } catch (e) {
        this.abort();
        this.o.log.debug({ device: this.o.name, err: String(e) }, 'ccnet: write failed');
      }
      return answer;
    };
    const result = this.lock.then(run, run);
    this.lock = result.then(() => undefined, () => undefined);
    return result;
  }

  /** A command that must be answered: retried on silence, NAK or corruption; ILLEGAL COMMAND is an error. */
  async command(data: number[]): Promise<Uint8Array> {
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      const answer = await this.exchange(data);
      if (!answer || (answer.length === 1 && answer[0] === NAK)) continue;
      if (answer.length === 1 && answer[0] === ILLEGAL_COMMAND) {
        throw new PayPointError(ErrorCode.DeviceProtocol, `validator refused command 0x${data[0].toString(16)}`, { device: this.o.name, command: data[0] });
      }
      return answer;
    }
    throw new PayPointError(ErrorCode.DeviceTimeout, `no answer to command 0x${data[0].toString(16)}`, { device: this.o.name, command: data[0] });
  }

  /** ACK (CCNET "Acknowledgement"): sent for every POLL answer that carries data; never answered. */
  async ack(): Promise<void> {
    const frame = encodeFrame(this.o.address, [ACK]);
    const send = () => this.o.link.write(frame).catch(() => undefined);
    const done = this.lock.then(send, send);
    this.lock = done.then(() => undefined);
    await done;
  }
}
