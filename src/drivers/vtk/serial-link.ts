/**
 * A ByteLink over a serial port, on the shared serial transport (src/transports/serial/serial-port.ts,
 * `serialport` underneath). VTK 1.12 section 1: 115200 bit/s, 8N1, no flow control.
 */
import { NodeSerialLink } from '../../transports/serial/serial-port.js';
import type { ByteLink } from './byte-link.js';

export const VTK_SERIAL_BAUD = 115200;

export async function openSerialLink(path: string, baudRate = VTK_SERIAL_BAUD): Promise<ByteLink> {
  const port = new NodeSerialLink({ path, baudRate });
  await port.open(); // DeviceNotReady (501) when missing or locked
  let ended = false;
  const closeHandlers: Array<(err?: Error) => void> = [];
  const end = (err?: Error): void => {
    if (ended) return;
    ended = true;
    for (const h of closeHandlers) h(err);
  };
  port.onError((err) => {
    end(err);
    void port.close();
  });
  return {
    description: path,
    write: (data) => port.write(data),
    onData: (h) => port.onData(h),
    onClose: (h) => void closeHandlers.push(h),
    close: async () => {
      await port.close();
      end();
    },
  };
}
