/**
 * `paypoint reports`: the outbox, read from the datafile without taking the daemon's lock (works with the
 * daemon running or stopped; see readSessionDocs for why that is safe).
 */
import { formatSnapshot, readSessionDocs, snapshotFromDocs } from '../services/reports/outbox-snapshot.js';
import { endpointOf } from '../services/reports/processing-wsdl.js';
import { translateLine } from './messages.js';
import { effectiveConfig, requireDataDir, t, UsageError, type CliContext, type ConfigFlags } from './context.js';

export async function reportsCmd(ctx: CliContext, o: ConfigFlags & { pending?: boolean; refused?: boolean; json?: boolean }): Promise<number> {
  if (o.pending && o.refused) throw new UsageError(t(ctx, 'err.both'));
  const cfg = await effectiveConfig(ctx, o);
  requireDataDir(ctx, cfg.storage.data_dir);
  const endpoint = cfg.processing.url ? endpointOf(cfg.processing.url, cfg.processing.path) : null;
  const snap = snapshotFromDocs(readSessionDocs(cfg.storage.data_dir), Date.now(), endpoint);
  if (o.json) process.stdout.write(JSON.stringify(snap) + '\n');
  else {
    const text = formatSnapshot(snap, o.pending ? 'pending' : o.refused ? 'refused' : 'summary');
    for (const l of text.replace(/\n$/, '').split('\n')) ctx.out(translateLine(ctx.lang, l));
  }
  return 0;
}
