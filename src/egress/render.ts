/**
 * The egress set as commands someone can run by hand (`render --format shell`), and as the
 * Engine API bodies `startEgress` sends (`render --format engine`). Same configs, same order:
 * network, dns holder and proxy, the proxy's upstream network, the firewall helper; the server
 * then runs with `--network container:<holder>`.
 */
import type { CreateBody } from '../compile/engine-body.js';
import type { NetworkCreateBody } from '../engine/client.js';
import { LABELS } from '../labels.js';
import { dnsmasqConfig, firewallRules, haproxyConfig } from './configs.js';
import { EGRESS_IMAGE, helperBody, type EgressRole } from './containers.js';
import type { EgressPlan } from './plan.js';

export interface RenderOptions {
  sessionId: string;
  upstreamNetwork?: string;
  upstreamDns?: readonly string[];
  image?: string;
  proxyRuntime?: string;
  dnsRuntime?: string;
  /** Added to the network and every container (profile, launcher pid and host). */
  labels?: Record<string, string>;
}

/** The placeholder the shell form fills from `docker inspect` once the proxy runs. */
const PROXY_PLACEHOLDER = '0.0.0.0';
const PROXY_VARIABLE = '${EGRESS_PROXY_IP}';

export interface EgressBodies {
  network: NetworkCreateBody;
  dns: CreateBody;
  proxy: CreateBody;
  /** Its rules name the proxy's address; `proxyAddress` is filled in at start. */
  firewall: (proxyAddress: string) => CreateBody;
  names: Record<'network' | EgressRole, string>;
}

/** The create bodies of an egress set (the network's and each container's). */
export function egressBodies(plan: EgressPlan, options: RenderOptions): EgressBodies {
  const base = `mcp-sandbox-egress-${options.sessionId}`;
  const names = { network: base, dns: `${base}-dns`, proxy: `${base}-proxy`, firewall: `${base}-firewall` };
  const labels = { ...(options.labels ?? {}), [LABELS.egressSession]: options.sessionId };
  const image = options.image ?? EGRESS_IMAGE;
  const common = { image, labels, tieStdin: true, networkMode: base };
  return {
    network: { Name: base, Internal: true, Labels: { ...labels, [LABELS.egress]: 'network' } },
    dns: helperBody({ ...common, role: 'dns', runtime: options.dnsRuntime ?? 'runc', env: { EGRESS_CONFIG: dnsmasqConfig(plan) } }),
    proxy: helperBody({
      ...common,
      role: 'proxy',
      runtime: options.proxyRuntime ?? 'runsc-net',
      env: { EGRESS_CONFIG: haproxyConfig(plan, { upstreamDns: options.upstreamDns }) },
    }),
    firewall: (proxyAddress) => {
      const rules = firewallRules(plan, proxyAddress);
      return helperBody({
        ...common,
        tieStdin: false,
        role: 'firewall',
        runtime: 'runc',
        networkMode: `container:${names.dns}`,
        env: { EGRESS_RULES4: rules.rules4, EGRESS_RULES6: rules.rules6, EGRESS_ROUTES: rules.routes.join(' ') },
      });
    },
    names,
  };
}

/** POSIX single quoting. */
function quote(text: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `docker run` flags equivalent to a helper body (the subset helperBody sets). */
function runFlags(body: CreateBody, name: string, detach: boolean): string[] {
  const h = body.HostConfig;
  const flags = ['docker', 'run', detach ? '-d' : '--rm', ...(body.OpenStdin ? ['-i'] : []), '--name', name, '--runtime', h.Runtime];
  flags.push('--network', h.NetworkMode, '--read-only', '--user', body.User ?? '0:0', '--cap-drop', 'ALL');
  for (const cap of h.CapAdd) flags.push('--cap-add', cap);
  for (const opt of h.SecurityOpt) flags.push('--security-opt', opt);
  for (const [path, opts] of Object.entries(h.Tmpfs)) flags.push('--tmpfs', `${path}:${opts}`);
  flags.push('--memory', String(h.Memory), '--memory-swap', String(h.MemorySwap), '--pids-limit', String(h.PidsLimit));
  if (h.AutoRemove && detach) flags.push('--rm');
  for (const [key, value] of Object.entries(body.Labels)) flags.push('--label', `${key}=${value}`);
  return flags.map(quote);
}

/** Env flags; the firewall's rules get the proxy's address from the shell variable. */
function envFlags(body: CreateBody, substitute: boolean): string[] {
  return body.Env.flatMap((pair) => {
    if (!substitute) return ['-e', quote(pair)];
    const text = pair.split(`${PROXY_PLACEHOLDER}/32`).join(`${PROXY_VARIABLE}/32`).split(`${PROXY_PLACEHOLDER}:`).join(`${PROXY_VARIABLE}:`);
    return ['-e', `"${text.replace(/(["\\`])/g, '\\$1')}"`];
  });
}

/**
 * Shell commands that build the egress set by hand. Run that way, the holder and the proxy are
 * not tied to a launcher (`-i` without a client: stdin is closed at once), so they run detached
 * without EGRESS_TIE_STDIN and are removed with the last command printed.
 */
export function egressShellCommands(plan: EgressPlan, options: RenderOptions): string[] {
  const bodies = egressBodies(plan, options);
  const untie = (body: CreateBody): CreateBody => ({ ...body, OpenStdin: false, Env: body.Env.filter((e) => !e.startsWith('EGRESS_TIE_STDIN=')) });
  const { names } = bodies;
  const firewall = bodies.firewall(PROXY_PLACEHOLDER);
  const image = (body: CreateBody): string[] => [quote(body.Image), ...(body.Cmd ?? []).map(quote)];
  const line = (parts: string[]): string => parts.join(' ');
  const networkLabels = Object.entries(bodies.network.Labels).flatMap(([k, v]) => ['--label', quote(`${k}=${v}`)]);
  return [
    line(['docker', 'network', 'create', '--internal', ...networkLabels, names.network]),
    line([...runFlags(untie(bodies.dns), names.dns, true), ...envFlags(untie(bodies.dns), false), ...image(bodies.dns)]),
    line(['docker', 'create', ...runFlags(untie(bodies.proxy), names.proxy, true).slice(3), ...envFlags(untie(bodies.proxy), false), ...image(bodies.proxy)]),
    line(['docker', 'network', 'connect', quote(options.upstreamNetwork ?? 'bridge'), names.proxy]),
    line(['docker', 'start', names.proxy]),
    `EGRESS_PROXY_IP=$(docker inspect -f '{{(index .NetworkSettings.Networks "${names.network}").IPAddress}}' ${names.proxy})`,
    line([...runFlags(firewall, names.firewall, false), ...envFlags(firewall, true), ...image(firewall)]),
    `# the server: docker run ... --network container:${names.dns} ...`,
    `# afterwards: docker rm -f ${names.dns} ${names.proxy} && docker network rm ${names.network}`,
  ];
}
