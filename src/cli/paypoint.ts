/**
 * The `paypoint` command (docs/design.md).
 *   paypoint serve [--config FILE] [--data-dir DIR] [--port N]
 *   paypoint config check FILE
 *   paypoint config doc
 *   paypoint sim coin RUB | bill RUB | card approve | card decline | cancel | status  [--data-dir DIR] [--port N]
 *   paypoint processing check [--config FILE]
 *   paypoint reports [--pending | --refused] [--json] [--config FILE] [--data-dir DIR]
 * Exit codes: 0 ok, 1 refused or failed, 2 usage.
 */
import { parseArgs } from 'node:util';
import { defaultConfig, type Config } from '../config/schema.js';
import { ConfigError, formatProblem, loadConfigFile } from '../config/load.js';
import { isPayPointError } from '../errors.js';
import { startDaemon } from '../main.js';
import { formatSnapshot, readSessionDocs, snapshotFromDocs } from '../services/reports/outbox-snapshot.js';
import { processingCheck } from '../services/reports/processing-check.js';
import { endpointOf } from '../services/reports/processing-wsdl.js';
import { roublesToKopecks, simSocketPath, type SimCommand } from '../services/sim-control/sim-control-protocol.js';
import { configReference } from './config-doc.js';
import { sendSimCommand } from './sim-client.js';
import { usbImportCommand } from './usb-import.js';
import { hwPulsesCommand } from './hw-pulses.js';
import { hwLevelsCommand } from './hw-levels.js';

const USAGE = `usage:
  paypoint serve [--config FILE] [--data-dir DIR] [--port N] [--status-port N]
  paypoint config check FILE
  paypoint config doc
  paypoint usb-import MOUNTPOINT|DEVICE [--config FILE] [--unit NAME]
  paypoint sim coin RUB | bill RUB | card approve | card decline | cancel | status [--data-dir DIR] [--port N]
  paypoint processing check [--config FILE]
  paypoint reports [--pending | --refused] [--json] [--config FILE] [--data-dir DIR]
  paypoint hw pulses LINE [--seconds N] [--trains N] [--active-low]   (calibration; daemon stopped)
  paypoint hw levels [set VALUE=COUNT ...] [--data-dir DIR]            (hopper fill levels; daemon stopped to set)
`;

class UsageError extends Error {}

const COMMON = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'status-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parsePort(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 0 || n > 65535) throw new UsageError(`--port: not a port number: ${s}`);
  return n;
}

/** Configuration as `serve` sees it: the file (or the built-in default), then the flags on top. */
export function effectiveConfig(values: { config?: string; 'data-dir'?: string; port?: string; 'status-port'?: string }): Config {
  const cfg = values.config ? loadConfigFile(values.config) : defaultConfig();
  if (values['data-dir']) cfg.storage.data_dir = values['data-dir'];
  const port = parsePort(values.port);
  if (port !== undefined) cfg.api.port = port;
  const statusPort = parsePort(values['status-port']);
  if (statusPort !== undefined) cfg.status.port = statusPort;
  return cfg;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: COMMON, allowPositionals: false });
  const cfg = effectiveConfig(values);
  const daemon = await startDaemon(cfg);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    daemon.log.info({ signal: sig }, 'stopping');
    daemon.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return new Promise<number>(() => undefined); // runs until a signal
}

function configCheck(args: string[]): number {
  if (args.length !== 1) throw new UsageError('config check needs exactly one FILE');
  try {
    loadConfigFile(args[0]);
    process.stdout.write(`${args[0]}: ok\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stdout.write(formatProblem(p) + '\n');
      return 1;
    }
    throw e;
  }
}

async function sim(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: COMMON, allowPositionals: true });
  const cfg = effectiveConfig(values);
  const [what, arg] = positionals;
  let cmd: SimCommand;
  if ((what === 'coin' || what === 'bill') && arg !== undefined && positionals.length === 2) {
    const value = roublesToKopecks(arg);
    if (value === null) throw new UsageError(`sim ${what}: not an amount in roubles: ${arg}`);
    cmd = { cmd: what, value };
  } else if (what === 'card' && (arg === 'approve' || arg === 'decline') && positionals.length === 2) {
    cmd = { cmd: 'card', action: arg };
  } else if ((what === 'cancel' || what === 'status') && positionals.length === 1) {
    cmd = { cmd: what };
  } else {
    throw new UsageError('sim: unknown command');
  }
  const reply = await sendSimCommand(simSocketPath(cfg.storage.data_dir, cfg.api.port), cmd);
  if (reply.ok) {
    process.stdout.write(reply.message + '\n');
    return 0;
  }
  process.stderr.write(`refused (${reply.code}): ${reply.message}\n`);
  return 1;
}

/** docs/contract.md, "3. The report": fetches the processing server's WSDL, compares it, tests the connection. */
async function processingCheckCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } }, allowPositionals: false });
  const cfg = effectiveConfig(values);
  const ok = await processingCheck(cfg.processing, (l) => process.stdout.write(`${l.ok ? (l.warning ? 'warn' : 'ok  ') : 'FAIL'} ${l.text}\n`));
  return ok ? 0 : 1;
}

/**
 * docs/contract.md, "3. The report": the outbox, read from the datafile without taking the daemon's lock (works with the
 * daemon running or stopped; see readSessionDocs for why that is safe).
 */
function reportsCmd(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, pending: { type: 'boolean' }, refused: { type: 'boolean' }, json: { type: 'boolean' } },
    allowPositionals: false,
  });
  if (values.pending && values.refused) throw new UsageError('reports: --pending or --refused, not both');
  const cfg = effectiveConfig(values);
  const endpoint = cfg.processing.url ? endpointOf(cfg.processing.url, cfg.processing.path) : null;
  const snap = snapshotFromDocs(readSessionDocs(cfg.storage.data_dir), Date.now(), endpoint);
  if (values.json) process.stdout.write(JSON.stringify(snap) + '\n');
  else process.stdout.write(formatSnapshot(snap, values.pending ? 'pending' : values.refused ? 'refused' : 'summary'));
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve':
        return await serve(rest);
      case 'config':
        if (rest[0] === 'check') return configCheck(rest.slice(1));
        if (rest[0] === 'doc' && rest.length === 1) {
          process.stdout.write(configReference());
          return 0;
        }
        throw new UsageError('config: check FILE | doc');
      case 'sim':
        return await sim(rest);
      case 'processing':
        if (rest[0] === 'check') return await processingCheckCmd(rest.slice(1));
        throw new UsageError('processing: check');
      case 'reports':
        return reportsCmd(rest);
      case 'hw':
        if (rest[0] === 'pulses') return await hwPulsesCommand(rest.slice(1), (m) => new UsageError(m));
        if (rest[0] === 'levels') {
          const { values, positionals } = parseArgs({ args: rest.slice(1), options: COMMON, allowPositionals: true });
          return await hwLevelsCommand(effectiveConfig(values).storage.data_dir, positionals, (m) => new UsageError(m));
        }
        throw new UsageError('hw: pulses LINE | levels [set VALUE=COUNT ...]');
      case 'usb-import':
        return await usbImportCommand(rest, (m) => new UsageError(m));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
      return 1;
    }
    if (isPayPointError(e)) {
      process.stderr.write(`error ${e.code}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`internal error: ${(e as Error).message}\n`);
    return 1;
  }
}


