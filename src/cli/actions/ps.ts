import { describeEndpoint } from '../../engine/endpoint.js';
import { formatAge, listSandboxes } from '../../sandboxes/sandboxes.js';
import { withEngine } from '../../engine/connect.js';

/** `mcp-sandbox ps` (declared in ../commands/ps.ts). */
export async function psAction(options: { json?: boolean }): Promise<void> {
  const { endpoint, entries } = await withEngine(async (engine) => ({ endpoint: engine.endpoint, entries: await listSandboxes(engine) }));
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
    ...entries.map((e) => [e.id.slice(0, 12), e.profile, e.pool ? `${e.state} (pool ${e.pool})` : e.state, formatAge(e.age), e.launcherPid === undefined ? '-' : `${e.launcherPid} ${e.launcher}`]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
}
