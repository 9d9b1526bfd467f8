/**
 * The byte stream a VTK driver or simulator talks over: a serial port or a TCP connection. Small enough
 * that a `serialport` SerialPort (serial-link.ts) and a net.Socket (src/transports/tcp/tcp-link.ts)
 * both satisfy it, and that a test can hand in its own.
 */
export interface ByteLink {
  /** For logs and the status page: the device path or host:port. */
  readonly description: string;
  /** Resolves when the bytes were handed to the OS (serial: drained to the device). */
  write(data: Uint8Array): Promise<void>;
  onData(handler: (chunk: Buffer) => void): void;
  /** Called once when the link ends, whoever ended it (peer reset, device error, our close()). */
  onClose(handler: (err?: Error) => void): void;
  close(): Promise<void>;
}

/** Opens a fresh link (the driver reconnects through it after every loss). */
export type LinkOpener = () => Promise<ByteLink>;
