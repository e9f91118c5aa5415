import { describeEndpoint, resolveEndpoint } from '../../run/endpoint.js';
import { EngineConnectionError } from '../../run/engine-client.js';
import { unreachable } from '../../run/engine-errors.js';
import { HttpEngineClient } from '../../run/http-engine.js';
import { formatAge, listSandboxes, type SandboxEntry } from '../../run/sandboxes.js';

/** `mcp-sandbox ps` (declared in ../commands/ps.ts). */
export async function psAction(options: { json?: boolean }): Promise<void> {
  const endpoint = resolveEndpoint();
  const engine = new HttpEngineClient(endpoint);
  let entries: SandboxEntry[];
  try {
    entries = await listSandboxes(engine);
  } catch (error) {
    throw error instanceof EngineConnectionError ? unreachable(endpoint, error) : error;
  } finally {
    engine.close();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  if (entries.length === 0) {
    process.stdout.write(`no sandboxes on ${describeEndpoint(endpoint)}\n`);
    return;
  }
  const rows = [
    ['CONTAINER', 'PROFILE', 'STATE', 'AGE', 'LAUNCHER'],
    ...entries.map((e) => [e.id.slice(0, 12), e.profile, e.state, formatAge(e.age), e.launcherPid === undefined ? '-' : `${e.launcherPid} ${e.launcher}`]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
}
