import type { Command } from 'commander';
import { SandboxError } from '../../errors.js';
import { resolveEndpoint } from '../../run/endpoint.js';
import { EngineConnectionError } from '../../run/engine-client.js';
import { unreachable } from '../../run/engine-errors.js';
import { HttpEngineClient } from '../../run/http-engine.js';
import { collectOrphans } from '../../run/sandboxes.js';

/** `mcp-sandbox gc`: removes sandboxes whose launcher is gone (e.g. killed with SIGKILL). */
export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('remove mcp-sandbox containers whose launcher is no longer running')
    .option('--dry-run', 'list what would be removed')
    .action(async (options: { dryRun?: boolean }) => {
      const endpoint = resolveEndpoint();
      const engine = new HttpEngineClient(endpoint);
      let removed;
      try {
        removed = await collectOrphans(engine, { dryRun: options.dryRun });
      } catch (error) {
        throw error instanceof EngineConnectionError ? unreachable(endpoint, error) : error;
      } finally {
        engine.close();
      }
      const verb = options.dryRun ? 'would remove' : 'removed';
      for (const entry of removed) {
        if (entry.error) process.stderr.write(`mcp-sandbox: could not remove ${entry.id.slice(0, 12)} (${entry.profile}): ${entry.error}\n`);
        else process.stdout.write(`${verb} ${entry.id.slice(0, 12)} (${entry.profile}, launcher ${entry.launcherPid} gone)\n`);
      }
      if (removed.length === 0) process.stdout.write('nothing to remove\n');
      if (removed.some((e) => e.error)) throw new SandboxError('ENGINE_ERROR', 'some sandboxes could not be removed', { cause: 'reported' });
    });
}
