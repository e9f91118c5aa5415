import { EXIT_CODES, ReportedFailure } from '../../errors.js';
import { collectOrphans } from '../../sandboxes/sandboxes.js';
import { withEngine } from '../../engine/connect.js';

/** `mcp-sandbox gc` (declared in ../commands/gc.ts). */
export async function gcAction(options: { dryRun?: boolean }): Promise<void> {
  const removed = await withEngine((engine) => collectOrphans(engine, { dryRun: options.dryRun }));
  const verb = options.dryRun ? 'would remove' : 'removed';
  for (const entry of removed) {
    if (entry.error) process.stderr.write(`mcp-sandbox: could not remove ${entry.id.slice(0, 12)} (${entry.profile}): ${entry.error}\n`);
    else process.stdout.write(`${verb} ${entry.id.slice(0, 12)} (${entry.profile}, ${entry.pool === 'stale' ? 'stale pooled sandbox' : `launcher ${entry.launcherPid} gone`})\n`);
  }
  if (removed.length === 0) process.stdout.write('nothing to remove\n');
  if (removed.some((e) => e.error)) throw new ReportedFailure(EXIT_CODES.ENGINE_ERROR, 'some sandboxes could not be removed');
}
