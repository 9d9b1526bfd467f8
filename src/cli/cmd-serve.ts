/** `paypoint serve`: the daemon in the foreground until SIGTERM/SIGINT. */
import { startDaemon } from '../main.js';
import { effectiveConfig, type CliContext, type ConfigFlags } from './context.js';

export async function serve(ctx: CliContext, flags: ConfigFlags): Promise<'running'> {
  const cfg = await effectiveConfig(ctx, flags);
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
  return 'running';
}
