/** `paypoint sim ...`: sends one command over the simulation control socket and prints the answer. */
import { connect } from 'node:net';
import { ErrorCode, PayPointError } from '../errors.js';
import type { SimCommand, SimReply } from '../services/sim-control/sim-control-protocol.js';

export function sendSimCommand(socketPath: string, cmd: SimCommand, timeoutMs = 30_000): Promise<SimReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new PayPointError(ErrorCode.SimControlUnavailable, 'the daemon did not answer in time'));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(cmd) + '\n'));
    sock.on('data', (d: string) => (buf += d));
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf.trim()) as SimReply);
      } catch {
        reject(new PayPointError(ErrorCode.SimControlUnavailable, 'garbled answer from the daemon'));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new PayPointError(
          ErrorCode.SimControlUnavailable,
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? `no daemon with simulated devices at ${socketPath} (start it with: paypoint serve; use the same --data-dir and --port)`
            : `cannot reach the daemon: ${e.code ?? e.message}`,
        ),
      );
    });
  });
}
