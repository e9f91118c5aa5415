import { describeEndpoint } from '../../engine/endpoint.js';
import type { NetworkEngineClient } from '../../engine/client.js';
import { listEgressSets } from '../../egress/sweep.js';
import { formatAge, launcherOf, listSandboxes } from '../../sandboxes/sandboxes.js';
import { withEngine } from '../../engine/connect.js';
import { LABELS } from '../../labels.js';

/** `mcp-sandbox ps` (declared in ../commands/ps.ts): sandboxes, then egress sets (docs/egress.md). */
export async function psAction(options: { json?: boolean }): Promise<void> {
  const { endpoint, entries, sets } = await withEngine(async (engine) => {
    const [entries, sets] = await Promise.all([listSandboxes(engine), listEgressSets(engine as NetworkEngineClient)]);
    return { endpoint: engine.endpoint, entries, sets };
  });
  const egress = sets.map((s) => {
    const { pid, launcher } = launcherOf(s.labels);
    // A spare (docs/egress.md, "Spare sets"): its launcher is the keeper that made it.
    const spare = s.labels[LABELS.egressSpare] !== undefined;
    return { kind: 'egress' as const, session: s.session, network: s.network, parts: Object.keys(s.containers).sort(), ...(pid === undefined ? {} : { launcherPid: pid }), launcher, ...(spare ? { spare: true } : {}) };
  });
  if (options.json) {
    // Sandboxes as before; each egress set follows as an entry with kind "egress".
    process.stdout.write(`${JSON.stringify([...entries, ...egress], null, 2)}\n`);
    return;
  }
  if (entries.length === 0 && egress.length === 0) {
    process.stdout.write(`no sandboxes on ${describeEndpoint(endpoint)}\n`);
    return;
  }
  if (entries.length > 0) {
    table([
      ['CONTAINER', 'PROFILE', 'STATE', 'AGE', 'LAUNCHER'],
      ...entries.map((e) => [e.id.slice(0, 12), e.profile, e.pool ? `${e.state} (pool ${e.pool})` : e.state, formatAge(e.age), e.launcherPid === undefined ? '-' : `${e.launcherPid} ${e.launcher}`]),
    ]);
  }
  if (egress.length > 0) {
    if (entries.length > 0) process.stdout.write('\n');
    table([['EGRESS SET', 'NETWORK', 'PARTS', 'LAUNCHER'], ...egress.map((e) => [e.session, e.network, e.parts.join(',') || '-', e.launcherPid === undefined ? '-' : `${e.launcherPid} ${e.launcher}${e.spare ? ' (spare keeper)' : ''}`])]);
  }
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
}
