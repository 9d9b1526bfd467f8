/**
 * A byte pipe to a serial device, the only thing serial drivers (CCNET bill validator, VTK card reader)
 * need from `serialport`. Drivers depend on this interface; tests open the real implementation on one end
 * of a socat pty pair (docs/design.md, "Hardware without hardware").
 *
 * Stable interface shared by the CCNET and VTK drivers: add members, never change these.
 */
import { SerialPort } from 'serialport';
import { ErrorCode, PayPointError } from '../../errors.js';

export interface SerialPortOptions {
  /** Device path: /dev/ttyAMA0, /dev/serial0, /dev/ttyUSB0, or a pty link in tests. */
  path: string;
  /** Bits per second (CCNET 9600, VTK 115200). 8N1 is the only framing either protocol uses. */
  baudRate: number;
}

export interface SerialLink {
  readonly path: string;
  /** Opens the device; rejects with DeviceNotReady (501) if it cannot (missing, locked by another process). */
  open(): Promise<void>;
  /** Writes all bytes and waits until the OS has taken them (drain). */
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the receiver of incoming bytes, in arrival order, in whatever chunks the OS delivers them. */
  onData(handler: (chunk: Buffer) => void): void;
  /** Called once if the port fails or disappears after opening (USB adapter unplugged, pty closed). */
  onError(handler: (err: PayPointError) => void): void;
  isOpen(): boolean;
  /** Closes the device; closing a closed port does nothing. */
  close(): Promise<void>;
}

/** The real implementation over `serialport` 13. */
export class NodeSerialLink implements SerialLink {
  private port: SerialPort | null = null;
  private dataHandler: ((chunk: Buffer) => void) | null = null;
  private errorHandler: ((err: PayPointError) => void) | null = null;

  constructor(private readonly options: SerialPortOptions) {}

  get path(): string {
    return this.options.path;
  }

  open(): Promise<void> {
    if (this.port?.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const port = new SerialPort(
        { path: this.options.path, baudRate: this.options.baudRate, dataBits: 8, stopBits: 1, parity: 'none', autoOpen: false, lock: true },
      );
      port.open((err) => {
        if (err) {
          reject(new PayPointError(ErrorCode.DeviceNotReady, `cannot open ${this.options.path}: ${err.message}`, { path: this.options.path }, { cause: err }));
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => this.dataHandler?.(chunk));
        port.on('error', (e: Error) => this.fail(e));
        port.on('close', (e?: Error & { disconnected?: boolean }) => {
          if (e?.disconnected) this.fail(e);
        });
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new PayPointError(ErrorCode.DeviceNotReady, `${this.options.path} is not open`, { path: this.options.path }));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => {
        if (err) return reject(new PayPointError(ErrorCode.DeviceFault, `write to ${this.options.path} failed: ${err.message}`, { path: this.options.path }, { cause: err }));
        port.drain((e) => (e ? reject(new PayPointError(ErrorCode.DeviceFault, `drain ${this.options.path}: ${e.message}`, { path: this.options.path }, { cause: e })) : resolve()));
      });
    });
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.dataHandler = handler;
  }

  onError(handler: (err: PayPointError) => void): void {
    this.errorHandler = handler;
  }

  isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }

  private fail(e: Error): void {
    const handler = this.errorHandler;
    this.errorHandler = null;
    handler?.(new PayPointError(ErrorCode.DeviceFault, `${this.options.path}: ${e.message}`, { path: this.options.path }, { cause: e }));
  }
}
