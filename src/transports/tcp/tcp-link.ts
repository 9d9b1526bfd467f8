/**
 * TCP byte links (VTK 1.12 section 1: the VMC opens the connection to the POS terminal, recommended
 * port 62801, recommended connection timeout 15 s). Used by the VTK card driver (client) and the VTK
 * terminal simulator (server). Structurally a `ByteLink` (src/drivers/vtk/byte-link.ts).
 */
import net from 'node:net';

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export class TcpLink {
  private closed = false;
  private readonly closeHandlers: Array<(err?: Error) => void> = [];
  private lastError: Error | undefined;

  constructor(
    readonly socket: net.Socket,
    readonly description: string,
  ) {
    socket.setNoDelay(true);
    socket.on('error', (err) => {
      this.lastError = err;
    });
    socket.on('close', () => this.ended(this.lastError));
  }

  static connect(host: string, port: number, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<TcpLink> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TcpLink(socket, `${host}:${port}`));
      });
    });
  }

  private ended(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h(err);
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) return reject(new Error(`${this.description} is closed`));
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.socket.on('data', handler);
  }

  onClose(handler: (err?: Error) => void): void {
    this.closeHandlers.push(handler);
  }

  /** Ends the connection (FIN, then a hard close if the peer does not finish within a second). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        this.ended();
        return resolve();
      }
      const timer = setTimeout(() => this.socket.destroy(), 1000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  /** Drops the connection at once (RST), as a pulled cable or a crashed peer would look. */
  destroy(): void {
    this.socket.resetAndDestroy();
  }
}

export interface TcpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Accepts connections on host:port (port 0: any free port) and hands each one over as a TcpLink. */
export function listenTcp(host: string, port: number, onLink: (link: TcpLink) => void): Promise<TcpListener> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      onLink(new TcpLink(socket, `${socket.remoteAddress}:${socket.remotePort}`));
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
