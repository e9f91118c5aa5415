/**
 * The egress set as commands someone can run by hand (`render --format shell`), and as the
 * Engine API bodies `startEgress` sends (`render --format engine`). Same configs, same order:
 * network, dns holder (which sets the firewall of its namespace before dnsmasq starts) and
 * proxy, the proxy's upstream network; the server then runs with `--network container:<holder>`.
 *
 * Each session network gets a /28 of 198.19.0.0/16 (half of RFC 2544's benchmarking range:
 * not used by LANs, refused as an upstream by the proxy) so the proxy's address is known before
 * anything starts and the firewall need not wait for the proxy.
 */
import type { CreateBody } from '../compile/engine-body.js';
import { egressHolderName } from '../compile/spec.js';
import type { NetworkCreateBody } from '../engine/client.js';
import { LABELS } from '../labels.js';
import { connectProxyConfig, dnsmasqConfig, firewallRules, haproxyConfig } from './configs.js';
import { EGRESS_IMAGE, helperBody, type EgressRole } from './containers.js';
import type { EgressPlan } from './plan.js';

export interface RenderOptions {
  /** Unique per sandbox: names the network and the containers. */
  sessionId: string;
  /** The network the proxy reaches upstreams on (`egress.network`; Docker's `bridge` by default). */
  upstreamNetwork?: string;
  /** The proxy container's DNS servers (Docker's `--dns`); default: the host's. */
  upstreamDns?: readonly string[];
  image?: string;
  /** The proxy's runtime: gVisor with the host network stack by default. */
  proxyRuntime?: string;
  /** The holder's runtime (dnsmasq needs netlink, which gVisor's host stack refuses). */
  dnsRuntime?: string;
  /** Added to the network and every container (profile, launcher pid and host). */
  labels?: Record<string, string>;
}

/** The session network's addresses: block 0..4095 of 198.19.0.0/16 in /28s. */
export interface SessionSubnet {
  subnet: string;
  /** Where the engine picks addresses for other containers (the holder): never the proxy's. */
  ipRange: string;
  gateway: string;
  proxy: string;
}

export const SUBNET_BLOCKS = 4096;

export function sessionSubnet(block: number): SessionSubnet {
  const third = Math.floor(block / 16) % 256;
  const fourth = (block % 16) * 16;
  const at = (n: number): string => `198.19.${third}.${fourth + n}`;
  return { subnet: `${at(0)}/28`, ipRange: `${at(8)}/29`, gateway: at(1), proxy: at(2) };
}

/** A create body with the endpoint and DNS settings `POST /containers/create` also accepts. */
export type HelperCreateBody = CreateBody & {
  NetworkingConfig?: { EndpointsConfig: Record<string, { IPAMConfig: { IPv4Address: string } }> };
  HostConfig: CreateBody['HostConfig'] & { Dns?: string[] };
};

export interface EgressBodies {
  network: NetworkCreateBody;
  dns: CreateBody;
  proxy: HelperCreateBody;
  names: Record<'network' | EgressRole, string>;
  addresses: SessionSubnet;
}

/** The create bodies of an egress set on subnet block `block` (see sessionSubnet). */
export function egressBodies(plan: EgressPlan, options: RenderOptions, block: number): EgressBodies {
  const base = `mcp-sandbox-egress-${options.sessionId}`;
  const names = { network: base, dns: egressHolderName(options.sessionId), proxy: `${base}-proxy` };
  const addresses = sessionSubnet(block);
  const labels = { ...(options.labels ?? {}), [LABELS.egressSession]: options.sessionId };
  const common = { image: options.image ?? EGRESS_IMAGE, labels, tieStdin: true, networkMode: base };
  const rules = firewallRules(plan, addresses.proxy);
  const connect = connectProxyConfig(plan);
  const proxy = helperBody({
    ...common,
    role: 'proxy',
    runtime: options.proxyRuntime ?? 'runsc-net',
    env: { EGRESS_CONFIG: haproxyConfig(plan) },
  });
  return {
    network: {
      Name: base,
      Internal: true,
      Labels: { ...labels, [LABELS.egress]: 'network' },
      IPAM: { Config: [{ Subnet: addresses.subnet, IPRange: addresses.ipRange, Gateway: addresses.gateway }] },
    },
    dns: helperBody({
      ...common,
      role: 'dns',
      runtime: options.dnsRuntime ?? 'runc',
      env: {
        EGRESS_CONFIG: dnsmasqConfig(plan),
        EGRESS_CONNECT_CONFIG: connect.config,
        EGRESS_CONNECT_FILTER: connect.filter,
        EGRESS_RULES4: rules.rules4,
        EGRESS_RULES6: rules.rules6,
        EGRESS_ROUTES: rules.routes.join(' '),
      },
    }),
    proxy: {
      ...proxy,
      HostConfig: { ...proxy.HostConfig, ...(options.upstreamDns ? { Dns: [...options.upstreamDns] } : {}) },
      NetworkingConfig: { EndpointsConfig: { [base]: { IPAMConfig: { IPv4Address: addresses.proxy } } } },
    },
    names,
    addresses,
  };
}

/** POSIX single quoting. */
function quote(text: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `docker run`/`create` flags equivalent to a helper body (the subset helperBody sets). */
function runFlags(body: CreateBody, name: string, verb: 'run -d' | 'create'): string[] {
  const h = body.HostConfig;
  const flags = ['docker', ...verb.split(' '), '--name', name, '--runtime', h.Runtime, '--network', h.NetworkMode];
  flags.push('--read-only', '--user', body.User ?? '0:0', '--cap-drop', 'ALL');
  for (const cap of h.CapAdd) flags.push('--cap-add', cap);
  for (const opt of h.SecurityOpt) flags.push('--security-opt', opt);
  for (const [path, opts] of Object.entries(h.Tmpfs)) flags.push('--tmpfs', `${path}:${opts}`);
  flags.push('--memory', String(h.Memory), '--memory-swap', String(h.MemorySwap), '--pids-limit', String(h.PidsLimit));
  if (h.AutoRemove) flags.push('--rm');
  for (const server of (h as { Dns?: string[] }).Dns ?? []) flags.push('--dns', server);
  for (const [key, value] of Object.entries(body.Labels)) flags.push('--label', `${key}=${value}`);
  // Run by hand nothing holds stdin open, so the helpers are not tied to it.
  for (const pair of body.Env) if (!pair.startsWith('EGRESS_TIE_STDIN=')) flags.push('-e', pair);
  return [...flags, body.Image, ...(body.Cmd ?? [])].map(quote);
}

/**
 * Shell commands that build the egress set by hand, on subnet block `block`. The holder and the
 * proxy then run detached, untied to any launcher; the last line says how to remove them.
 */
export function egressShellCommands(plan: EgressPlan, options: RenderOptions, block = 0): string[] {
  const b = egressBodies(plan, options, block);
  const { names, addresses } = b;
  const labels = Object.entries(b.network.Labels).flatMap(([k, v]) => ['--label', quote(`${k}=${v}`)]);
  const proxy = runFlags(b.proxy, names.proxy, 'create');
  return [
    ['docker', 'network', 'create', '--internal', '--subnet', addresses.subnet, '--ip-range', addresses.ipRange, '--gateway', addresses.gateway, ...labels, names.network].join(' '),
    runFlags(b.dns, names.dns, 'run -d').join(' '),
    [...proxy.slice(0, 2), '--ip', addresses.proxy, ...proxy.slice(2)].join(' '),
    ['docker', 'network', 'connect', quote(options.upstreamNetwork ?? 'bridge'), names.proxy].join(' '),
    `docker start ${names.proxy}`,
    `# the server: docker run ... --network container:${names.dns} ...`,
    `# afterwards: docker rm -f ${names.dns} ${names.proxy} && docker network rm ${names.network}`,
  ];
}
