/** `paypoint sim ...`: one command to a daemon with simulated devices, over its control socket. */
import { roublesToKopecks, simSocketPath, type SimCommand } from '../services/sim-control/sim-control-protocol.js';
import { effectiveConfig, t, UsageError, type CliContext, type ConfigFlags } from './context.js';
import { sendSimCommand } from './sim-client.js';

export async function sim(ctx: CliContext, flags: ConfigFlags, what: { cmd: 'coin' | 'bill' | 'card' | 'cancel' | 'status'; arg?: string }): Promise<number> {
  let cmd: SimCommand;
  if (what.cmd === 'coin' || what.cmd === 'bill') {
    const value = roublesToKopecks(what.arg ?? '');
    if (value === null) throw new UsageError(t(ctx, 'err.amount', { v: what.arg ?? '' }));
    cmd = { cmd: what.cmd, value };
  } else if (what.cmd === 'card') {
    if (what.arg !== 'approve' && what.arg !== 'decline') throw new UsageError(`sim card: approve | decline, not ${what.arg}`);
    cmd = { cmd: 'card', action: what.arg };
  } else cmd = { cmd: what.cmd };
  const cfg = await effectiveConfig(ctx, flags);
  const reply = await sendSimCommand(simSocketPath(cfg.storage.data_dir, cfg.api.port), cmd);
  if (reply.ok) {
    ctx.out(reply.message);
    return 0;
  }
  ctx.err(`refused (${reply.code}): ${reply.message}`);
  return 1;
}
