/**
 * doctor's egress check (docs/egress.md): an allowlisted sandbox on this engine reaches an
 * allowed target and does not reach the host. Everything it uses it creates here and removes:
 * a network with a TCP target (the egress image's busybox `nc`), a listener of this process on
 * 0.0.0.0, an egress set allowing only the target's address, and a probe in the set's namespace
 * under the runtime allowlisted profiles map to. Runs only when the egress image exists.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { hostname } from 'node:os';
import { parseAllow } from '../egress/allow.js';
import { EGRESS_IMAGE } from '../egress/containers.js';
import { planEgress } from '../egress/plan.js';
import type { EgressEvent } from '../egress/events.js';
import { startEgress, type EgressSession } from '../egress/start.js';
import type { EngineClient, NetworkEngineClient } from '../engine/client.js';
import { runToExit } from '../engine/run-to-exit.js';
import { LABELS } from '../labels.js';
import { VERSION } from '../version.js';
import type { Check } from './checks.js';

const ID = 'egress-allowlist';
const TARGET_PORT = 8080;

/** Runs `script` in `networkMode` under `runtime` with the egress image; resolves to its output. */
async function runIn(engine: NetworkEngineClient, name: string, runtime: string, networkMode: string, script: string): Promise<string> {
  const { id } = await engine.createContainer(
    {
      Image: EGRESS_IMAGE, Entrypoint: ['sh', '-c'], Cmd: [script], User: '65534:65534', Env: [], Labels: { [LABELS.doctor]: VERSION },
      AttachStdin: false, AttachStdout: true, AttachStderr: true, OpenStdin: false, StdinOnce: false, Tty: false,
      HostConfig: {
        AutoRemove: false, Runtime: runtime, NetworkMode: networkMode, ReadonlyRootfs: true, Tmpfs: {}, Mounts: [], Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024,
        NanoCpus: 0, PidsLimit: 64, CapDrop: ['ALL'], CapAdd: [], SecurityOpt: ['no-new-privileges'], Privileged: false, Init: false,
      },
    },
    name,
  );
  return (await runToExit(engine, id, { timeoutMs: 30_000, timeoutMessage: `the egress probe ${name} did not finish`, trailMs: 1000 })).output;
}

/** The check; `runtime` is what allowlisted profiles run under (the user config's mapping). */
export async function egressCheck(engine: EngineClient, runtime: string): Promise<Check | undefined> {
  const e = engine as NetworkEngineClient;
  if (typeof e.createNetwork !== 'function' || !(await engine.inspectImage(EGRESS_IMAGE).catch(() => undefined))) return undefined;
  const tag = `doctor-${process.pid}-${randomBytes(2).toString('hex')}`;
  const network = `mcp-sandbox-${tag}-up`;
  const host = net.createServer((socket) => socket.end('host-service\n'));
  let session: EgressSession | undefined;
  let target: string | undefined;
  const seen: EgressEvent[] = [];
  try {
    await new Promise<void>((resolve) => host.listen(0, '0.0.0.0', resolve));
    const hostPort = (host.address() as net.AddressInfo).port;
    await e.createNetwork({ Name: network, Internal: false, Labels: { [LABELS.doctor]: VERSION } });
    ({ id: target } = await e.createContainer(targetBody(network), `mcp-sandbox-${tag}-target`));
    await e.start(target);
    const settings = (await e.inspectContainer(target)).NetworkSettings as { Networks?: Record<string, { IPAddress?: string }> } | undefined;
    const address = settings?.Networks?.[network]?.IPAddress;
    if (!address) throw new Error('the test target got no address');
    const parsed = parseAllow([`${address}:${TARGET_PORT}/tcp`]);
    session = await startEgress({ engine: e, plan: planEgress(parsed.entries), sessionId: tag, upstreamNetwork: network, sink: (event) => seen.push(event), labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: hostname() } });
    const gateway = session.proxyAddress.replace(/\.\d+$/, '.1');
    const out = await runIn(e, `mcp-sandbox-${tag}-probe`, runtime, session.networkMode,
      probeScript(address, gateway, hostPort));
    return verdict(out, runtime, seen);
  } catch (error) {
    return { status: 'fail', id: ID, message: `the egress allowlist check could not run: ${(error as Error).message}`, hint: 'see docs/egress.md (scripts/build-egress-image.sh builds the image)' };
  } finally {
    await session?.stop().catch(() => undefined);
    if (target) await e.remove(target, { force: true }).catch(() => undefined);
    await e.removeNetwork(network).catch(() => undefined);
    host.close();
  }
}

/**
 * The allowed target is tried up to three times: the check is about confinement, and a fresh
 * test network's first connection can stall past nc's wait on a loaded engine (seen in CI, with
 * the proxy still waiting for the target's answer). The host's addresses are tried once each.
 */
function probeScript(address: string, gateway: string, hostPort: number): string {
  const target = `for i in 1 2 3; do r=$(nc -w 3 ${address} ${TARGET_PORT} </dev/null); if [ -n "$r" ]; then echo "$r"; break; fi; done`;
  return `${target}; for h in ${gateway} 172.17.0.1; do nc -w 2 $h ${hostPort} </dev/null; done; echo done`;
}

function targetBody(network: string): Parameters<NetworkEngineClient['createContainer']>[0] {
  return {
    Image: EGRESS_IMAGE, Entrypoint: ['sh', '-c'], Cmd: [`while :; do echo doctor-target | nc -l -p ${TARGET_PORT}; done`], User: '65534:65534', Env: [], Labels: { [LABELS.doctor]: VERSION },
    AttachStdin: false, AttachStdout: false, AttachStderr: false, OpenStdin: false, StdinOnce: false, Tty: false,
    HostConfig: {
      AutoRemove: false, Runtime: 'runc', NetworkMode: network, ReadonlyRootfs: true, Tmpfs: {}, Mounts: [], Memory: 32 * 1024 * 1024, MemorySwap: 32 * 1024 * 1024,
      NanoCpus: 0, PidsLimit: 32, CapDrop: ['ALL'], CapAdd: [], SecurityOpt: ['no-new-privileges'], Privileged: false, Init: false,
    },
  };
}

/** What the proxy recorded, for a failure message: each connection's verdict and haproxy termination state. */
function proxySaw(events: readonly EgressEvent[]): string {
  const connections = events.flatMap((e) => (e.kind === 'connection' ? [`${e.name}:${e.port} ${e.verdict} ${e.termination} ${e.bytesIn} bytes in`] : []));
  return connections.length > 0 ? `the proxy saw ${connections.join('; ')}` : 'the proxy saw no connection';
}

function verdict(out: string, runtime: string, events: readonly EgressEvent[]): Check {
  const reached = out.includes('doctor-target');
  const leaked = out.includes('host-service');
  if (reached && !leaked) return { status: 'ok', id: ID, message: `egress allowlist: a sandbox under ${runtime} reaches its allowed target and not the host` };
  if (leaked) return { status: 'fail', id: ID, message: `egress allowlist: a sandbox under ${runtime} reached a service on the host`, hint: 'the egress holder did not confine the namespace; see docs/egress.md' };
  return { status: 'fail', id: ID, message: `egress allowlist: a sandbox under ${runtime} could not reach its allowed target (${out.trim().replace(/\s+/g, ' ').slice(0, 120) || 'no output'}; ${proxySaw(events)})`, hint: 'map allowlisted profiles to a networked runtime (runtimes: { runsc: { bridge: runsc-net } })' };
}
