/**
 * A board profile's devices on real hardware, each in the payment devices from the start whether or not
 * its hardware can be opened yet (README.md, "Devices that cannot be opened"; drivers/late/). Two
 * builds, each tried again on a backoff until it succeeds:
 * - the lines: GPIO and I/O expanders with what is wired to them (coin acceptor, a pulse bill validator,
 *   hoppers, cancel button). They are built together because devices share a provider (one MCP23017
 *   carries the coin inhibit and the hopper motors), and a chip is set up once;
 * - a CCNET bill validator on its serial port, on its own: an unplugged USB-serial adapter leaves the
 *   coins and hoppers working.
 */
import type { BoardProfile } from './profile.js';
import { pulseValues } from './profile.js';
import { buildBoard, type BuildOptions, type BuiltBoard } from './build.js';
import type { CancelButton, CashAcceptor } from '../interfaces.js';
import type { InputLine } from '../../transports/gpio/line.js';
import type { DriverLog } from '../driver-log.js';
import { LateCancelButton, LateCashAcceptor, LateDispenser } from '../late/late-devices.js';
import type { BackoffOptions } from '../late/reopen.js';
import { ErrorCode, PayPointError } from '../../errors.js';

export interface LateBoardOptions {
  profile: BoardProfile;
  log: DriverLog;
  backoff?: BackoffOptions;
  /** Saved hopper fill levels (null: none saved). */
  hopperLevels: Record<number, number> | null;
  onHopperLevels?: (levels: Record<number, number>) => void;
  /** Makes the cancel button from the board's button line. */
  cancelButton: (line: InputLine) => CancelButton;
  /** Tests: the I2C bus opener and the GPIO sysfs root (BuildOptions). */
  openI2c?: BuildOptions['openI2c'];
  sysfsRoot?: string;
}

export interface LateBoard {
  acceptors: LateCashAcceptor[];
  dispenser: LateDispenser | null;
  cancelButton: LateCancelButton | null;
  /** Releases what the builds opened (stop the devices first). */
  close(): Promise<void>;
}

/** Builds once; a failed build is tried again by the next get() (one at a time). */
class Once<T> {
  private built: T | null = null;
  private building: Promise<T> | null = null;

  constructor(private readonly make: () => Promise<T>) {}

  get value(): T | null {
    return this.built;
  }

  get(): Promise<T> {
    if (this.built) return Promise.resolve(this.built);
    this.building ??= this.make()
      .then((b) => (this.built = b))
      .finally(() => (this.building = null));
    return this.building;
  }

  /** Waits for a build in progress, so what it opens is closed too. */
  async settled(): Promise<T | null> {
    await this.building?.catch(() => undefined);
    return this.built;
  }
}

/** What the lines build opens; the build's error names the provider that failed (GPIO line, expander bus and address). */
function linesTarget(p: BoardProfile): string {
  return `the lines of board profile ${p.name}`;
}

export function lateBoard(o: LateBoardOptions): LateBoard {
  const p = o.profile;
  const bv = p.billValidator;
  const ccnet = bv?.type === 'ccnet' ? bv : null;
  const linesProfile: BoardProfile = { ...p, billValidator: ccnet ? null : bv };
  const common = { simulated: false, log: o.log, openI2c: o.openI2c, sysfsRoot: o.sysfsRoot, reopen: o.backoff };
  let dispenser: LateDispenser | null = null;
  const lines = new Once<BuiltBoard>(() =>
    buildBoard(linesProfile, { ...common, hopperLevels: dispenser?.levelsNow() ?? o.hopperLevels ?? undefined, onHopperLevels: o.onHopperLevels }),
  );
  const serial = new Once<BuiltBoard>(() =>
    buildBoard({ ...p, lineProviders: {}, coinAcceptor: null, hoppers: [], cancelButton: null, billValidator: ccnet }, common),
  );
  const target = linesTarget(p);
  const backoff = o.backoff;
  const missing = (what: string) => new PayPointError(ErrorCode.Internal, `the board build has no ${what}`);
  const acceptorOf = async (slot: Once<BuiltBoard>, kind: 'coin' | 'bill'): Promise<CashAcceptor> => {
    const a = (await slot.get()).acceptors.find((x) => x.kind === kind);
    if (!a) throw missing(kind);
    return a;
  };

  const acceptors: LateCashAcceptor[] = [];
  if (p.coinAcceptor) {
    acceptors.push(
      new LateCashAcceptor('coin', Object.values(pulseValues(p.coinAcceptor.values)), { name: 'coin-acceptor', target, open: () => acceptorOf(lines, 'coin'), backoff, log: o.log }),
    );
  }
  if (ccnet) {
    acceptors.push(new LateCashAcceptor('bill', [], { name: 'bill-validator', target: ccnet.port, open: () => acceptorOf(serial, 'bill'), backoff, log: o.log }));
  } else if (bv?.type === 'pulse') {
    acceptors.push(new LateCashAcceptor('bill', Object.values(pulseValues(bv.values)), { name: 'bill-validator', target, open: () => acceptorOf(lines, 'bill'), backoff, log: o.log }));
  }
  if (p.hoppers.length > 0) {
    const held = o.hopperLevels ?? {};
    dispenser = new LateDispenser(
      {
        name: 'hoppers',
        target,
        open: async () => (await lines.get()).dispenser ?? Promise.reject(missing('dispenser')),
        backoff,
        log: o.log,
      },
      held,
      o.log,
      o.onHopperLevels,
    );
  }
  const cancelButton = p.cancelButton
    ? new LateCancelButton('cancel-button', {
        name: 'cancel-button',
        target,
        open: async () => {
          const line = (await lines.get()).cancelButton;
          if (!line) throw missing('cancel button');
          return o.cancelButton(line);
        },
        backoff,
        log: o.log,
      })
    : null;

  return {
    acceptors,
    dispenser,
    cancelButton,
    async close() {
      for (const slot of [serial, lines]) await (await slot.settled())?.close();
    },
  };
}
