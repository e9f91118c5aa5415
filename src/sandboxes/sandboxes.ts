/**
 * The sandboxes a launcher left on the engine, found by label: `ps` lists them, `gc` removes
 * those whose launcher is gone, and `run` collects its own profile's orphans after start.
 * A launcher is identified by pid and host name (labels), and a pid is only taken as alive
 * when that process still looks like mcp-sandbox (pids are reused).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LABELS } from '../labels.js';
import type { ContainerSummary, EngineClient } from '../engine/client.js';
import { poolState, type PoolState } from './pool.js';

export type LauncherState = 'alive' | 'dead' | 'remote' | 'none';

export interface SandboxEntry {
  id: string;
  name: string;
  profile: string;
  state: string;
  /** Seconds. */
  age: number;
  launcherPid?: number;
  launcher: LauncherState;
  /** Warm pool members only (./pool.ts): `stale` ones are never claimed and `gc` removes them. */
  pool?: PoolState;
}

export interface LivenessProbe {
  hostname(): string;
  isAlive(pid: number): boolean;
}

const processProbe: LivenessProbe = {
  hostname: () => hostname(),
  isAlive: (pid: number): boolean => {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    try {
      // A reused pid belongs to something else: only count it when it runs mcp-sandbox.
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mcp-sandbox');
    } catch {
      return true; // no /proc (macOS): trust kill(0)
    }
  },
};

/** The launcher named by a container's or network's labels, and whether it still runs here. */
export function launcherOf(labels: Readonly<Record<string, string>>, probe: LivenessProbe = processProbe): { pid?: number; launcher: LauncherState } {
  const pidText = labels[LABELS.launcherPid];
  const pid = pidText && /^\d+$/.test(pidText) ? Number(pidText) : undefined;
  if (pid === undefined) return { launcher: 'none' };
  const host = labels[LABELS.launcherHost];
  if (host !== undefined && host !== probe.hostname()) return { pid, launcher: 'remote' };
  return { pid, launcher: probe.isAlive(pid) ? 'alive' : 'dead' };
}

/** Describes one container carrying our labels. */
export function describeSandbox(container: ContainerSummary, probe: LivenessProbe = processProbe, now = Date.now()): SandboxEntry {
  const labels = container.Labels ?? {};
  const { pid, launcher } = launcherOf(labels, probe);
  const pool = poolState(container, now);
  return {
    ...(pool === undefined ? {} : { pool }),
    id: container.Id,
    name: (container.Names?.[0] ?? '').replace(/^\//, ''),
    profile: labels[LABELS.profile] ?? '?',
    state: container.State,
    age: Math.max(0, Math.round(now / 1000 - container.Created)),
    ...(pid === undefined ? {} : { launcherPid: pid }),
    launcher,
  };
}

/** Every container with the mcp-sandbox.profile label (optionally one profile's). */
export async function listSandboxes(engine: EngineClient, options: { profile?: string; probe?: LivenessProbe } = {}): Promise<SandboxEntry[]> {
  const label = options.profile === undefined ? LABELS.profile : `${LABELS.profile}=${options.profile}`;
  const containers = await engine.listContainers({ all: true, labels: [label] });
  return containers.map((c) => describeSandbox(c, options.probe)).sort((a, b) => b.age - a.age);
}

/** Removes the sandboxes whose launcher is dead, and stale warm pool members; returns what was (or would be) removed. */
export async function collectOrphans(
  engine: EngineClient,
  options: { profile?: string; probe?: LivenessProbe; dryRun?: boolean; exclude?: string } = {},
): Promise<Array<SandboxEntry & { error?: string }>> {
  const entries = await listSandboxes(engine, options);
  const orphans = entries.filter((e) => (e.launcher === 'dead' || e.pool === 'stale') && e.id !== options.exclude);
  if (options.dryRun) return orphans;
  return Promise.all(
    orphans.map(async (entry) => {
      try {
        await engine.remove(entry.id, { force: true });
        return entry;
      } catch (error) {
        return { ...entry, error: (error as Error).message };
      }
    }),
  );
}

/** 3s, 4m, 2h, 5d. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
