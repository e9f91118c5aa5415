import { SandboxError } from '../../errors.js';
import { resolveEndpoint } from '../../run/endpoint.js';
import { EngineConnectionError } from '../../run/engine-client.js';
import { unreachable } from '../../run/engine-errors.js';
import { HttpEngineClient } from '../../run/http-engine.js';
import { collectOrphans } from '../../run/sandboxes.js';

/** `mcp-sandbox gc` (declared in ../commands/gc.ts). */
export async function gcAction(options: { dryRun?: boolean }): Promise<void> {
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
}
