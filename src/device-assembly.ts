/**
 * Builds the payment devices the configuration names (part of main's wiring): each device is either a
 * simulator or a real driver behind the same interface (src/drivers/interfaces.ts).
 */
import { join } from 'node:path';
import type { Config } from './config/schema.js';
import { ErrorCode, PayPointError } from './errors.js';
import type { CardReader, PaymentDevices } from './drivers/interfaces.js';
import { SimCancelButton } from './drivers/sim/sim-cancel-button.js';
import { SimCardReader } from './drivers/sim/sim-card-reader.js';
import { SimCashAcceptor } from './drivers/sim/sim-cash-acceptor.js';
import { SimDispenser } from './drivers/sim/sim-dispenser.js';
import { memoryLinkPair } from './drivers/vtk/memory-link.js';
import { openSerialLink } from './drivers/vtk/serial-link.js';
import { VtkCardReader } from './drivers/vtk/vtk-card-reader.js';
import { VtkTerminalSim } from './drivers/vtk/vtk-terminal-sim.js';
import type { Logger } from './services/log.js';
import type { SimCardCustomer, SimDevices } from './services/sim-control/sim-control-server.js';
import { TcpLink } from './transports/tcp/tcp-link.js';

export interface AssembledDevices {
  devices: PaymentDevices;
  /** What `paypoint sim` drives (simulation mode). */
  sim: SimDevices;
  /** Extra things to stop on shutdown (simulated terminals). */
  extraStops: Array<() => Promise<void> | void>;
}

function buildCard(config: Config, log: Logger, extraStops: AssembledDevices['extraStops']): { reader: CardReader | null; customer: SimCardCustomer | null } {
  const dataDir = config.storage.data_dir;
  const vtk = config.devices.vtk;
  const vtkLog = log.child({ device: 'card' });
  const common = {
    name: 'card',
    journalPath: join(dataDir, 'vtk-ops.json'),
    log: vtkLog,
    productName: vtk.product_name,
    keepaliveMs: vtk.keepalive_s * 1000,
    opTimeoutMs: vtk.operation_timeout_s * 1000,
  };
  switch (config.devices.card) {
    case 'none':
      return { reader: null, customer: null };
    case 'sim': {
      const r = new SimCardReader('card');
      return { reader: r, customer: r };
    }
    case 'vtk': {
      const reader =
        vtk.transport === 'serial'
          ? new VtkCardReader({ ...common, framing: 'serial', open: () => openSerialLink(vtk.serial_path) })
          : new VtkCardReader({ ...common, framing: 'tcp', open: () => TcpLink.connect(vtk.host, vtk.port, vtk.connect_timeout_s * 1000) });
      return { reader, customer: null };
    }
    case 'vtk-sim': {
      // The real VTK driver against a simulated Vendotek terminal in this process (manual mode: the
      // customer's `paypoint sim card approve|decline` decides).
      const terminal = new VtkTerminalSim({ framing: 'serial', mode: 'manual' });
      extraStops.push(() => terminal.close());
      const reader = new VtkCardReader({
        ...common,
        framing: 'serial',
        open: async () => {
          const [vmc, pos] = memoryLinkPair();
          terminal.attach(pos);
          return vmc;
        },
      });
      const customer: SimCardCustomer = {
        async approve() {
          const op = terminal.decide('approve');
          if (!op) throw new PayPointError(ErrorCode.DeviceNotReady, 'no card payment is offered now');
          return op.amount;
        },
        async decline() {
          if (!terminal.decide('decline')) throw new PayPointError(ErrorCode.DeviceNotReady, 'no card payment is offered now');
        },
      };
      return { reader, customer };
    }
  }
}

export function assembleDevices(config: Config, log: Logger): AssembledDevices {
  const cfg = config.devices.sim;
  const extraStops: AssembledDevices['extraStops'] = [];
  const coin = new SimCashAcceptor('coin-acceptor', 'coin', cfg.coins);
  const bill = new SimCashAcceptor('bill-validator', 'bill', cfg.bills);
  const dispenser = new SimDispenser('hoppers', cfg.hopper_coins, cfg.hopper_fill);
  const cancel = new SimCancelButton();
  const card = buildCard(config, log, extraStops);
  return {
    devices: { acceptors: [coin, bill], dispenser, card: card.reader, cancelButton: cancel },
    sim: { coin, bill, card: card.customer, dispenser, cancel },
    extraStops,
  };
}
