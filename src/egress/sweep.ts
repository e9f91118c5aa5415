/**
 * Strays of egress sets whose launcher is gone (SIGKILL, power loss): the holder and the proxy
 * remove themselves when their attach closes, the network cannot. A network of ours whose
 * launcher (pid and host labels) no longer runs on this machine is removed together with any
 * container of its session. Called before a new egress set starts and by `gc`.
 */
import { hostname } from 'node:os';
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

/** Removes the egress sets of dead launchers; returns the removed networks' names. */
export async function sweepEgressNetworks(engine: NetworkEngineClient, options: { all?: boolean } = {}): Promise<string[]> {
  const networks = await engine.listNetworks({ labels: [`${LABELS.egress}=network`] });
  const removed: string[] = [];
  for (const network of networks) {
    const labels = network.Labels ?? {};
    const pid = Number(labels[LABELS.launcherPid]);
    const sameHost = labels[LABELS.launcherHost] === hostname();
    const stray = options.all === true || (sameHost && Number.isInteger(pid) && pid > 0 && !alive(pid));
    if (!stray) continue;
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
