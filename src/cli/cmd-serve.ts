/**
 * `paypoint serve`: the daemon in the foreground until SIGTERM/SIGINT.
 *
 * A configuration file or board profile that cannot be loaded (an error of area 1, src/errors.ts) does
 * not end the process: the daemon starts in the configuration-error mode (docs/appliance.md,
 * "Configuration error"; src/services/appliance/config-error-mode.ts), READY, taking no payment, until
 * the USB import installs a good file and restarts it. Anything else that stops the start (the data
 * directory or store, a port in use) still exits 1, as a restart or a person can mend those.
 */
import type { Config } from '../config/schema.js';
import { isPayPointError, type PayPointError } from '../errors.js';
import { startDaemon, VERSION } from '../main.js';
import { createLogger } from '../services/log.js';
import { effectiveConfig, type CliContext, type ConfigFlags } from './context.js';

const isConfigError = (e: unknown): e is PayPointError => isPayPointError(e) && e.area === 1;

export async function serve(ctx: CliContext, flags: ConfigFlags): Promise<'running'> {
  let daemon: { log: { info(o: object, m: string): void }; stop(): Promise<void> };
  let cfg: Config | null = null;
  try {
    cfg = await effectiveConfig(ctx, flags);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    // The file itself is bad: the built-in defaults with the command line's flags (data directory, ports).
    daemon = await configErrorMode(await effectiveConfig(ctx, { ...flags, config: undefined }), false, e, 'config');
  }
  if (cfg) {
    try {
      daemon = await startDaemon(cfg);
    } catch (e) {
      if (!isConfigError(e)) throw e;
      daemon = await configErrorMode(cfg, true, e, 'board-profile');
    }
  }
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
  return 'running';
}

async function configErrorMode(config: Config, trusted: boolean, error: PayPointError, source: 'config' | 'board-profile') {
  const { startConfigErrorMode } = await import('../services/appliance/config-error-mode.js');
  return startConfigErrorMode({ config, trusted, error, source, version: VERSION, log: createLogger(config.log.level) });
}
