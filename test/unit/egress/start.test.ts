import { Duplex, PassThrough } from 'node:stream';
import type { CreateBody } from '../../../src/compile/engine-body.js';
import { hostname } from 'node:os';
import {
  EngineApiError,
  type ContainerInspect,
  type ContainerSummary,
  type NetworkCreateBody,
  type NetworkSummary,
  type WaitHandle,
  type WaitResult,
} from '../../../src/engine/client.js';
import { parseAllow } from '../../../src/egress/allow.js';
import type { EgressEvent } from '../../../src/egress/events.js';
import { planEgress } from '../../../src/egress/plan.js';
import { egressShellCommands } from '../../../src/egress/render.js';
import { startEgress } from '../../../src/egress/start.js';
import { listEgressSets, sweepEgressNetworks } from '../../../src/egress/sweep.js';
import { FakeEngine } from '../run/fake-engine.js';

/** One framed stdout chunk of the attach stream. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** The egress set's engine calls, each helper printing what its role prints when it is up. */
class EgressFake extends FakeEngine {
  log: string[] = [];
  helperBodies = new Map<string, CreateBody>();
  streams = new Map<string, PassThrough>();
  /** What the holder's entrypoint prints before dnsmasq: the firewall line, or a failure. */
  holderLog = 'egress firewall set\n';
  createdNetworks: NetworkCreateBody[] = [];
  overlapsLeft = 0;
  override async createNetwork(body: NetworkCreateBody): Promise<string> {
    if (this.overlapsLeft-- > 0) throw new EngineApiError(400, 'Pool overlaps with other one on this address space');
    this.createdNetworks.push(body);
    this.log.push(`network-create ${body.Name} internal=${body.Internal}`);
    return 'net1';
  }
  override async removeNetwork(id: string): Promise<void> {
    this.log.push(`network-remove ${id}`);
  }
  override async connectNetwork(network: string, container: string): Promise<void> {
    this.log.push(`connect ${network} ${container}`);
  }
  override async createContainer(body: CreateBody, name?: string): Promise<{ id: string; warnings: string[] }> {
    const id = name as string;
    this.helperBodies.set(id, body);
    this.log.push(`create ${id}`);
    return { id, warnings: [] };
  }
  override async attach(id = ''): Promise<Duplex> {
    const out = new PassThrough();
    this.streams.set(id, out);
    return Duplex.from({ readable: out, writable: new PassThrough() });
  }
  override async start(id = ''): Promise<void> {
    this.log.push(`start ${id}`);
    const out = this.streams.get(id) as PassThrough;
    if (id.endsWith('-dns')) out.write(frame(`${this.holderLog}dnsmasq[7]: started, version 2.90\ndnsmasq[7]: config evil.test is NXDOMAIN\n`));
    if (id.endsWith('-proxy')) {
      out.write(frame('[NOTICE] (1) : Loading success.\n'));
      out.write(frame('{"event":"connection","name":"evil.test","port":443,"upstream":"-:-","verdict":"refused-name","bytesOut":0,"bytesIn":0,"durationMs":1,"termination":"PR","startMs":1000}\n'));
    }
  }
  override async wait(): Promise<WaitHandle> {
    const result: Promise<WaitResult> = new Promise((resolve) => setTimeout(() => resolve({ StatusCode: 0 }), 5));
    return { result, cancel: () => undefined };
  }
  override async inspectContainer(id: string): Promise<ContainerInspect> {
    return {
      Id: id, Name: id, State: { Status: 'running', Running: true, OOMKilled: false, ExitCode: 0 }, HostConfig: {}, Config: {},
      NetworkSettings: { Networks: { 'mcp-sandbox-egress-s1': { IPAddress: '172.30.0.2' } } },
    };
  }
  override async remove(id: string): Promise<void> {
    this.log.push(`remove ${id}`);
  }
}

const parsed = parseAllow(['api.github.com:443']);
const plan = planEgress(parsed.entries);

test('startEgress: network, then the holder (setting the firewall itself) and the proxy; events reach the sink', async () => {
  const engine = new EgressFake();
  const events: EgressEvent[] = [];
  let confinedAt = -1;
  const session = await startEgress({
    engine, plan, sessionId: 's1', upstreamNetwork: 'up', sink: (e) => events.push(e), labels: { 'mcp-sandbox.profile': 'p' },
    onConfined: () => (confinedAt = engine.log.length),
  });
  expect(session.networkMode).toBe('container:mcp-sandbox-egress-s1-dns');
  expect(session.proxyAddress).toMatch(/^198\.19\.\d+\.\d+$/);
  expect(engine.log.slice(0, 1)).toEqual(['network-create mcp-sandbox-egress-s1 internal=true']);
  expect(engine.log).toContain('connect up mcp-sandbox-egress-s1-proxy');
  // No separate firewall container; the proxy starts after the holder's start has returned.
  expect(engine.log.filter((l) => l.includes('firewall'))).toEqual([]);
  expect(engine.log.indexOf('start mcp-sandbox-egress-s1-proxy')).toBeGreaterThan(engine.log.indexOf('start mcp-sandbox-egress-s1-dns'));
  expect(confinedAt).toBeGreaterThan(engine.log.indexOf('start mcp-sandbox-egress-s1-dns'));
  const network = engine.createdNetworks[0];
  expect(network?.IPAM?.Config[0]?.Subnet).toMatch(/^198\.19\.\d+\.\d+\/28$/);
  const proxyBody = engine.helperBodies.get('mcp-sandbox-egress-s1-proxy') as CreateBody & { NetworkingConfig?: unknown };
  expect(proxyBody.NetworkingConfig).toEqual({ EndpointsConfig: { 'mcp-sandbox-egress-s1': { IPAMConfig: { IPv4Address: session.proxyAddress } } } });
  const holder = engine.helperBodies.get('mcp-sandbox-egress-s1-dns') as CreateBody;
  // Root with what setting the rules and dropping to nobody take; the entrypoint gives it all up.
  expect(holder).toMatchObject({ User: '0:0', OpenStdin: true, StdinOnce: true });
  expect(holder.HostConfig).toMatchObject({ NetworkMode: 'mcp-sandbox-egress-s1', CapDrop: ['ALL'], Runtime: 'runc', ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'] });
  expect([...holder.HostConfig.CapAdd].sort()).toEqual(['NET_ADMIN', 'SETGID', 'SETPCAP', 'SETUID']);
  expect(holder.Env.find((e) => e.startsWith('EGRESS_RULES4='))).toContain(`--to-destination ${session.proxyAddress}:10000`);
  expect(holder.Env).toContain('EGRESS_ROUTES=198.18.0.0/24');
  const proxy = engine.helperBodies.get('mcp-sandbox-egress-s1-proxy') as CreateBody;
  expect(proxy).toMatchObject({ User: '65534:65534', OpenStdin: true, StdinOnce: true, Labels: { 'mcp-sandbox.profile': 'p', 'mcp-sandbox.egress': 'proxy' } });
  expect(proxy.HostConfig).toMatchObject({ Runtime: 'runsc-net', ReadonlyRootfs: true, CapDrop: ['ALL'], CapAdd: [], AutoRemove: true });
  expect(proxy.Env).toContain('EGRESS_TIE_STDIN=1');
  expect(proxy.Env.some((e) => e.startsWith('EGRESS_RULES'))).toBe(false);
  expect(events.map((e) => `${e.kind} ${e.name}`)).toEqual(expect.arrayContaining(['dns-refused evil.test', 'connection evil.test']));
  expect(session.timings.firewall).toBeLessThanOrEqual(session.timings.dns);
  expect(session.timings.network).toBeLessThanOrEqual(session.timings.holderCreated);
  expect(session.timings.holderCreated).toBeLessThanOrEqual(session.timings.holderStarted);
  await session.stop();
  expect(engine.log.slice(-3)).toEqual(expect.arrayContaining(['remove mcp-sandbox-egress-s1-dns', 'remove mcp-sandbox-egress-s1-proxy']));
  expect(engine.log[engine.log.length - 1]).toBe('network-remove net1');
});

test('startEgress: a holder whose resolver runs without the firewall line is never taken as confined', async () => {
  const engine = new EgressFake();
  engine.holderLog = '';
  let confined = false;
  await expect(startEgress({ engine, plan, sessionId: 's1', upstreamNetwork: 'up', timeoutMs: 50, onConfined: () => (confined = true) })).rejects.toThrow(
    /could not start the egress allowlist: the egress container mcp-sandbox-egress-s1-dns was not ready/,
  );
  expect(confined).toBe(false);
  expect(engine.log).toEqual(expect.arrayContaining(['remove mcp-sandbox-egress-s1-dns', 'remove mcp-sandbox-egress-s1-proxy', 'network-remove net1']));
});

test('startEgress: a holder that fails to set the rules ends the start and names what it printed', async () => {
  const engine = new EgressFake();
  engine.holderLog = 'iptables-restore: line 3 failed\n';
  const start = startEgress({ engine, plan, sessionId: 's1', upstreamNetwork: 'up' });
  // The entrypoint exits (set -e): the attach closes.
  setTimeout(() => engine.streams.get('mcp-sandbox-egress-s1-dns')?.destroy(), 10);
  await expect(start).rejects.toThrow(/ended before it was ready: iptables-restore: line 3 failed/);
  expect(engine.log).toEqual(expect.arrayContaining(['remove mcp-sandbox-egress-s1-dns', 'network-remove net1']));
});

test('startEgress: a subnet already taken is skipped for another one', async () => {
  const engine = new EgressFake();
  engine.overlapsLeft = 2;
  const session = await startEgress({ engine, plan, sessionId: 's1', upstreamNetwork: 'up' });
  expect(engine.createdNetworks).toHaveLength(1);
  expect(session.proxyAddress).toBe(engine.createdNetworks[0]?.IPAM?.Config[0]?.Subnet.replace(/\.(\d+)\/28$/, (_, n: string) => `.${Number(n) + 2}`));
  await session.stop();
});

test('egressShellCommands: the same set as commands, the holder setting the firewall with the proxy address', () => {
  const lines = egressShellCommands(plan, { sessionId: 's1', upstreamNetwork: 'up', upstreamDns: ['192.0.2.53'] });
  expect(lines.find((l) => l.startsWith('docker create'))).toContain('--dns 192.0.2.53');
  expect(lines[0]).toMatch(/^docker network create --internal .* mcp-sandbox-egress-s1$/);
  expect(lines.find((l) => l.startsWith('docker network connect'))).toBe('docker network connect up mcp-sandbox-egress-s1-proxy');
  expect(lines.some((l) => l.includes('firewall'))).toBe(false);
  const holder = lines.find((l) => l.includes('--name mcp-sandbox-egress-s1-dns')) as string;
  expect(holder).toContain('--network mcp-sandbox-egress-s1');
  expect(holder).toContain('--user 0:0');
  expect(holder).toContain('--cap-drop ALL --cap-add NET_ADMIN');
  expect(holder).toContain('--to-destination 198.19.0.2:10000');
  expect(lines.find((l) => l.startsWith('docker create'))).toContain('--ip 198.19.0.2');
  expect(lines[0]).toContain('--subnet 198.19.0.0/28 --ip-range 198.19.0.8/29 --gateway 198.19.0.1');
  expect(lines.join('\n')).not.toContain('EGRESS_TIE_STDIN');
});

describe('sweep and list', () => {
  class ListingFake extends EgressFake {
    nets = [
      { Id: 'n1', Name: 'mcp-sandbox-egress-dead', Created: '', Internal: true, Labels: { 'mcp-sandbox.egress': 'network', 'mcp-sandbox.egress-session': 'dead', 'mcp-sandbox.launcher-pid': '999999999', 'mcp-sandbox.launcher-host': hostname() } },
      { Id: 'n2', Name: 'mcp-sandbox-egress-live', Created: '', Internal: true, Labels: { 'mcp-sandbox.egress': 'network', 'mcp-sandbox.egress-session': 'live', 'mcp-sandbox.launcher-pid': String(process.pid), 'mcp-sandbox.launcher-host': hostname() } },
    ];
    listed: string[][] = [];
    override async listNetworks(options: { labels?: string[] } = {}): Promise<NetworkSummary[]> {
      this.listed.push(options.labels ?? []);
      return this.nets;
    }
    override async listContainers(): Promise<ContainerSummary[]> {
      return [{ Id: 'c1', Names: [], Image: '', State: 'running', Status: '', Created: 0, Labels: { 'mcp-sandbox.egress-session': 'dead', 'mcp-sandbox.egress': 'proxy' } }];
    }
  }

  test('sweepEgressNetworks removes the sets of dead launchers on this host only', async () => {
    const engine = new ListingFake();
    expect(await sweepEgressNetworks(engine)).toEqual(['mcp-sandbox-egress-dead']);
    expect(engine.log).toEqual(['remove c1', 'network-remove n1']);
    expect(await sweepEgressNetworks(engine, { labels: ['mcp-sandbox.profile=x'] })).toHaveLength(1);
    expect(engine.listed[1]).toEqual(['mcp-sandbox.egress=network', 'mcp-sandbox.profile=x']);
  });

  test('listEgressSets groups containers by session', async () => {
    const sets = await listEgressSets(new ListingFake());
    expect(sets.map((s) => [s.network, s.containers])).toEqual([
      ['mcp-sandbox-egress-dead', { proxy: 'c1' }],
      ['mcp-sandbox-egress-live', {}],
    ]);
  });
});

test('startEgress: a missing image or upstream network is named, with what to do', async () => {
  class Missing extends EgressFake {
    constructor(private readonly what: 'image' | 'network') {
      super();
    }
    override async createContainer(body: CreateBody, name?: string): Promise<{ id: string; warnings: string[] }> {
      if (this.what === 'image') throw new EngineApiError(404, `No such image: ${body.Image}`);
      return super.createContainer(body, name);
    }
    override async start(id = ''): Promise<void> {
      if (this.what === 'network' && id.endsWith('-proxy')) throw new EngineApiError(404, 'network nope not found');
      return super.start(id);
    }
  }
  await expect(startEgress({ engine: new Missing('image'), plan, sessionId: 's1' })).rejects.toMatchObject({
    code: 'IMAGE_MISSING',
    message: 'the egress allowlist needs the image mcp-sandbox/egress:local, which is not on the engine',
    hint: 'build it with scripts/build-egress-image.sh',
  });
  const engine = new Missing('network');
  await expect(startEgress({ engine, plan, sessionId: 's1', upstreamNetwork: 'nope' })).rejects.toMatchObject({
    code: 'ENGINE_ERROR',
    message: 'the egress proxy\'s upstream network "nope" does not exist on the engine',
  });
  expect(engine.log).toEqual(expect.arrayContaining(['remove mcp-sandbox-egress-s1-dns', 'remove mcp-sandbox-egress-s1-proxy', 'network-remove net1']));
});
