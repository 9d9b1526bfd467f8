/**
 * The VTK terminal simulator as its own process, for demos and tests:
 *
 *   node --import tsx src/drivers/vtk/vtk-sim-main.ts (--serial PATH | --tcp PORT [--host ADDR])
 *        [--mode approve|decline|slow|silent|drop] [--outcome approve|decline] [--garble]
 *        [--auth-ms N] [--slow-ms N] [--drop-ms N] [--keepalive-s N] [--timeout-s N]
 *        [--late-approval] [--op-number N]
 *
 * Prints one JSON line per event on stdout ({"event":"ready",...} first). Reads commands on stdin, one
 * per line: `mode MODE`, `outcome approve|decline`, `garble on|off`, `late on|off` (an ABR does not stop
 * the approval), `drop`, `opnumber N` (the terminal moves on to operation N), and in manual mode
 * `approve` / `decline` (the customer at the terminal). SIGINT/SIGTERM end it.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { describeMessage } from '../../codecs/vtk/message.js';
import { listenTcp } from '../../transports/tcp/tcp-link.js';
import { openSerialLink } from './serial-link.js';
import { VTK_SIM_MODES, VtkTerminalSim, type VtkSimMode } from './vtk-terminal-sim.js';

function out(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

function usage(msg: string): never {
  process.stderr.write(`vtk-sim: ${msg}\nusage: vtk-sim-main.ts (--serial PATH | --tcp PORT [--host ADDR]) [--mode ${VTK_SIM_MODES.join('|')}] [--outcome approve|decline] [--garble] [--auth-ms N] [--slow-ms N] [--drop-ms N] [--keepalive-s N] [--timeout-s N] [--late-approval] [--op-number N]\n`);
  process.exit(2);
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) usage(`${name} must be a whole number`);
  return Number(v);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        serial: { type: 'string' },
        tcp: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        mode: { type: 'string', default: 'approve' },
        outcome: { type: 'string', default: 'approve' },
        garble: { type: 'boolean', default: false },
        'auth-ms': { type: 'string' },
        'slow-ms': { type: 'string' },
        'drop-ms': { type: 'string' },
        'keepalive-s': { type: 'string' },
        'timeout-s': { type: 'string' },
        'late-approval': { type: 'boolean', default: false },
        'op-number': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (!!args.serial === !!args.tcp) usage('give exactly one of --serial PATH and --tcp PORT');
  if (!VTK_SIM_MODES.includes(args.mode as VtkSimMode)) usage(`unknown mode ${args.mode}`);
  if (args.outcome !== 'approve' && args.outcome !== 'decline') usage('--outcome is approve or decline');

  const sim = new VtkTerminalSim({
    framing: args.serial ? 'serial' : 'tcp',
    mode: args.mode as VtkSimMode,
    outcome: args.outcome,
    garble: args.garble,
    authMs: int(args['auth-ms'], '--auth-ms'),
    slowMs: int(args['slow-ms'], '--slow-ms'),
    dropForMs: int(args['drop-ms'], '--drop-ms'),
    keepaliveS: int(args['keepalive-s'], '--keepalive-s'),
    opTimeoutS: int(args['timeout-s'], '--timeout-s'),
    lateApproval: args['late-approval'],
    opNumber: int(args['op-number'], '--op-number'),
  });
  sim.on('message', (m) => out('rx', { msg: describeMessage(m) }));
  sim.on('answer', (m, lost) => out('tx', { msg: describeMessage(m), lost }));
  sim.on('settled', (op) => out('settled', { opNumber: op.opNumber, amount: op.amount, state: op.state }));
  sim.on('fin', (op) => out('fin', { opNumber: op.opNumber, finAmount: op.finAmount }));
  sim.on('link', (d) => out('link', { link: d }));

  let closeListener: (() => Promise<void>) | null = null;
  let closing = false;
  if (args.serial) {
    const link = await openSerialLink(args.serial);
    link.onClose((err) => {
      if (closing) return;
      out('serial-closed', { error: err?.message ?? null });
      process.exit(1);
    });
    sim.attach(link);
    out('ready', { serial: args.serial, mode: sim.mode });
  } else {
    const port = int(args.tcp, '--tcp')!;
    const listener = await listenTcp(args.host!, port, (link) => sim.attach(link));
    closeListener = () => listener.close();
    out('ready', { tcp: listener.port, host: args.host, mode: sim.mode });
  }

  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'mode' && VTK_SIM_MODES.includes(arg as VtkSimMode)) sim.mode = arg as VtkSimMode;
    else if (cmd === 'outcome' && (arg === 'approve' || arg === 'decline')) sim.outcome = arg;
    else if (cmd === 'garble' && (arg === 'on' || arg === 'off')) sim.garble = arg === 'on';
    else if (cmd === 'late' && (arg === 'on' || arg === 'off')) sim.lateApproval = arg === 'on';
    else if (cmd === 'drop') sim.dropLink();
    // The terminal moves on to operation N without this kiosk (another VMC, a service menu sale): an
    // older operation's outcome can no longer be asked for (3.3).
    else if (cmd === 'opnumber' && /^\d{1,8}$/.test(arg ?? '')) sim.opNumber = Number(arg);
    else if (cmd === 'approve' || cmd === 'decline') {
      if (!sim.decide(cmd)) return out('error', { message: 'no operation is authorising' });
    }
    else return out('error', { message: `unknown command: ${line}` });
    out('ok', { mode: sim.mode, outcome: sim.outcome, garble: sim.garble, late: sim.lateApproval });
  });

  const shutdown = async (): Promise<void> => {
    closing = true;
    await sim.close();
    await closeListener?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((e) => {
  process.stderr.write(`vtk-sim: ${(e as Error).message}\n`);
  process.exit(1);
});
