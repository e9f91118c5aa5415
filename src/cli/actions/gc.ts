import type { NetworkEngineClient } from '../../engine/client.js';
import { EXIT_CODES, ReportedFailure } from '../../errors.js';
import { sweepEgressNetworks, sweepLoopbackDirs } from '../../egress/sweep.js';
import { collectOrphans } from '../../sandboxes/sandboxes.js';
import { withEngine } from '../../engine/connect.js';

/** `mcp-sandbox gc` (declared in ../commands/gc.ts): orphaned sandboxes, then stray egress sets. */
export async function gcAction(options: { dryRun?: boolean }): Promise<void> {
  const { removed, networks } = await withEngine(async (engine) => {
    const removed = await collectOrphans(engine, { dryRun: options.dryRun });
    // After the sandboxes: a server container still in a set's namespace keeps its network busy.
    const networks = await sweepEgressNetworks(engine as NetworkEngineClient, { dryRun: options.dryRun });
    return { removed, networks };
  });
  const dirs = sweepLoopbackDirs({ dryRun: options.dryRun });
  const verb = options.dryRun ? 'would remove' : 'removed';
  for (const entry of removed) {
    if (entry.error) process.stderr.write(`mcp-sandbox: could not remove ${entry.id.slice(0, 12)} (${entry.profile}): ${entry.error}\n`);
    else process.stdout.write(`${verb} ${entry.id.slice(0, 12)} (${entry.profile}, ${entry.pool === 'stale' ? 'stale pooled sandbox' : `launcher ${entry.launcherPid} gone`})\n`);
  }
  for (const network of networks) process.stdout.write(`${verb} egress set ${network} (launcher gone)\n`);
  for (const dir of dirs) process.stdout.write(`${verb} egress sockets directory ${dir} (launcher gone)\n`);
  if (removed.length === 0 && networks.length === 0 && dirs.length === 0) process.stdout.write('nothing to remove\n');
  if (removed.some((e) => e.error)) throw new ReportedFailure(EXIT_CODES.ENGINE_ERROR, 'some sandboxes could not be removed');
}
