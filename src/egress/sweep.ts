/**
 * Strays of egress sets whose launcher is gone (SIGKILL, power loss): the holder and the proxy
 * remove themselves when their attach closes, the network cannot. A network of ours whose
 * launcher (pid and host labels) no longer runs on this machine is removed together with any
 * container of its session. Called before a new egress set starts and by `gc`. The loopback
 * prototype's sets have no network; what they leave is their sockets' directory on the host,
 * named with the launcher's pid, swept by the next loopback start and by `gc` (sweepLoopbackDirs).
 */
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { NetworkEngineClient } from '../engine/client.js';
import { LABELS } from '../labels.js';

/** True when `pid` names a live process on this machine (EPERM: alive, not ours). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SweepOptions {
  /** Every egress set, live launchers' too (`gc --all`-like; never on the hot path). */
  all?: boolean;
  /** Only sets carrying each of these `key=value` labels (e.g. one profile's). */
  labels?: string[];
  /** Only name what would be removed (`gc --dry-run`). */
  dryRun?: boolean;
}

/** Removes the egress sets of dead launchers; returns the removed networks' names. */
export async function sweepEgressNetworks(engine: NetworkEngineClient, options: SweepOptions = {}): Promise<string[]> {
  const networks = await engine.listNetworks({ labels: [`${LABELS.egress}=network`, ...(options.labels ?? [])] });
  const removed: string[] = [];
  for (const network of networks) {
    const labels = network.Labels ?? {};
    const pid = Number(labels[LABELS.launcherPid]);
    const sameHost = labels[LABELS.launcherHost] === hostname();
    const stray = options.all === true || (sameHost && Number.isInteger(pid) && pid > 0 && !alive(pid));
    if (!stray) continue;
    if (options.dryRun) {
      removed.push(network.Name);
      continue;
    }
    const session = labels[LABELS.egressSession];
    if (session) {
      const containers = await engine.listContainers({ all: true, labels: [`${LABELS.egressSession}=${session}`] });
      await Promise.allSettled(containers.map((c) => engine.remove(c.Id, { force: true })));
    }
    try {
      await engine.removeNetwork(network.Id);
      removed.push(network.Name);
    } catch {
      // Still in use (a server container that outlived its launcher): the next sweep retries.
    }
  }
  return removed;
}

/** One egress set as `ps` shows it. */
export interface EgressSetSummary {
  session: string;
  network: string;
  /** Role (`dns`, `proxy`) -> container id, for the containers still there. */
  containers: Record<string, string>;
  labels: Record<string, string>;
}

/** The egress sets on the engine (networks of ours and their containers), for `ps`. */
export async function listEgressSets(engine: NetworkEngineClient): Promise<EgressSetSummary[]> {
  const [networks, containers] = await Promise.all([
    engine.listNetworks({ labels: [`${LABELS.egress}=network`] }),
    engine.listContainers({ all: true, labels: [LABELS.egressSession] }),
  ]);
  return networks.map((network) => {
    const session = network.Labels?.[LABELS.egressSession] ?? '';
    const mine = containers.filter((c) => c.Labels[LABELS.egressSession] === session);
    return {
      session,
      network: network.Name,
      containers: Object.fromEntries(mine.map((c) => [c.Labels[LABELS.egress] ?? 'unknown', c.Id])),
      labels: network.Labels ?? {},
    };
  });
}

/** The loopback prototype's sockets directory: `<prefix><launcher pid>-<random>` under the temp dir. */
export const LOOPBACK_DIR_PREFIX = 'mcp-sandbox-egress-';

/**
 * Removes the sockets directories (loopback.ts) of launchers that no longer run, ours only (a
 * directory another user owns is theirs to sweep, and a link is never followed); returns the
 * removed paths (with `dryRun`, those it would remove). Never throws: a directory gone already
 * is left to the next sweep.
 */
export function sweepLoopbackDirs(options: { root?: string; isAlive?: (pid: number) => boolean; dryRun?: boolean } = {}): string[] {
  const { root = tmpdir(), isAlive = alive } = options;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  const pattern = new RegExp(`^${LOOPBACK_DIR_PREFIX}(\\d+)-`);
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!(pid > 0) || isAlive(pid)) continue;
    const dir = path.join(root, name);
    try {
      const stat = lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== process.getuid?.()) continue;
      if (!options.dryRun) rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Raced with another sweep or its launcher's own stop.
    }
  }
  return removed;
}
