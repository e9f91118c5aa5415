/**
 * The configurations of an egress set, as text (docs/egress.md): dnsmasq's (the sandbox's only
 * resolver), tinyproxy's (CONNECT for clients that honour HTTPS_PROXY), haproxy's (the proxy)
 * and the iptables-restore rules of the sandbox's network namespace. Pure functions of the
 * plan, so `render` can print them.
 */
import type { EgressPlan, Listener, NameEntry } from './plan.js';
import { CONNECT_PORT, SANDBOX_SERVICE_ADDRESS } from './proxy-env.js';
import { REFUSED_RANGES } from './ranges.js';

/** Where the sandbox's resolver (and its CONNECT proxy) listen; Docker's resolv.conf names 127.0.0.11. */
export const DNS_ADDRESS = SANDBOX_SERVICE_ADDRESS;
export const DNS_PORT = 5353;
/** Where the holder's entrypoint writes the CONNECT filter (images/egress/entry.sh). */
const CONNECT_FILTER = '/tmp/egress-connect.filter';

/**
 * dnsmasq answering the allowed names with their virtual addresses and NXDOMAIN to every
 * other name, with no upstream at all: a denied query never leaves the namespace.
 */
export function dnsmasqConfig(plan: EgressPlan, listenAddress: string | null = DNS_ADDRESS): string {
  const lines = [
    'no-resolv',
    'no-hosts',
    'no-poll',
    'pid-file=',
    'user=',
    // null: every interface (the proxy Pod on Kubernetes, reached through its Service).
    ...(listenAddress === null ? [] : [`listen-address=${listenAddress}`]),
    'bind-interfaces',
    `port=${DNS_PORT}`,
    'log-queries',
    'log-facility=-',
  ];
  let any = false;
  for (const answer of plan.dns) {
    if (answer.wildcard === 'any') any = true;
    // host-record is exact; address=/*.d/ matches one label or more under d, not d itself.
    else if (answer.wildcard === 'none') lines.push(`host-record=${answer.name},${answer.address}`);
    else lines.push(`address=/*.${answer.name}/${answer.address}`);
  }
  const anyAddress = plan.dns.find((a) => a.wildcard === 'any')?.address;
  lines.push(any && anyAddress ? `address=/#/${anyAddress}` : 'address=/#/');
  return `${lines.join('\n')}\n`;
}

/**
 * tinyproxy in the holder: CONNECT (and plain HTTP) from the sandbox's loopback only, to the
 * allowed names (fnmatch patterns, default deny: 403 "Filtered") on the allowed ports. What it
 * lets through it resolves with the sandbox's resolver and connects to through the sandbox's
 * firewall, so the proxy's own checks apply as to any other process; this is a first refusal
 * that answers 403 and says so in the log, not a second policy.
 */
export function connectProxyConfig(plan: EgressPlan): { config: string; filter: string } {
  const patterns = new Set<string>();
  for (const listener of plan.listeners) {
    if (listener.route === 'tcp') patterns.add(listener.name);
    else if (listener.route === 'address') patterns.add(listener.address);
    else for (const n of listener.names) patterns.add(n.wildcard === 'any' ? '*' : n.wildcard === 'subdomains' ? `*.${n.name}` : n.name);
  }
  const ports = [...new Set(plan.listeners.map((l) => l.port))].sort((a, b) => a - b);
  const config = [
    `Port ${CONNECT_PORT}`,
    `Listen ${DNS_ADDRESS}`,
    'Allow 127.0.0.0/8',
    'Timeout 600',
    // One thread per client, counted against the holder's pids limit.
    'MaxClients 32',
    'DisableViaHeader Yes',
    'XTinyproxy No',
    `Filter "${CONNECT_FILTER}"`,
    'FilterType fnmatch',
    'FilterDefaultDeny Yes',
    'FilterCaseSensitive No',
    ...ports.map((port) => `ConnectPort ${port}`),
    // Request lines and refusals (events.ts), not every byte.
    'LogLevel Connect',
  ];
  return { config: `${config.join('\n')}\n`, filter: `${[...patterns].join('\n')}\n` };
}

/**
 * haproxy: one frontend per listener; the log line of every connection is one JSON object.
 * It resolves through its container's resolv.conf: Docker's embedded DNS, which forwards to the
 * container's `Dns` servers or the host's (the proxy is on a non-internal network).
 */
export function haproxyConfig(plan: EgressPlan): string {
  const out = [
    'global',
    '  log stdout format raw local0',
    '  maxconn 1024',
    // One thread: the event loop carries every connection; a second one made 10 MB downloads
    // slower under gVisor on 2 cores (docs/egress.md), and gVisor counts threads as pids.
    '  nbthread 1',
    'resolvers upstream',
    '  parse-resolv-conf',
    '  accepted_payload_size 1232',
    '  resolve_retries 2',
    '  timeout resolve 1s',
    '  timeout retry 1s',
    '  hold valid 10s',
    '  hold nx 2s',
    'defaults',
    '  log global',
    '  timeout connect 10s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout tunnel 1h',
    '  timeout http-request 30s',
    `  log-format '${LOG_FORMAT}'`,
    'backend upstream_tcp',
    '  mode tcp',
    '  server upstream 0.0.0.0:0',
    'backend upstream_http',
    '  mode http',
    '  http-reuse never',
    '  server upstream 0.0.0.0:0',
  ];
  for (const listener of plan.listeners) out.push(...frontend(listener, plan.hosts));
  return `${out.join('\n')}\n`;
}

/** Fields of EgressEvent (events.ts); %U bytes from the client, %B bytes to it; %Ts%ms the accept time in ms. */
const LOG_FORMAT =
  '{"event":"connection","name":"%[var(sess.name),json(utf8s)]","port":%[var(sess.port)],"upstream":"%si:%sp",' +
  '"verdict":"%[var(sess.verdict)]","bytesOut":%U,"bytesIn":%B,"durationMs":%Tt,"termination":"%ts","startMs":%Ts%ms}';

function frontend(listener: Listener, hosts: ReadonlyMap<string, string>): string[] {
  const http = listener.route === 'http';
  const rule = http ? '  http-request' : '  tcp-request content';
  const lines = [`frontend listen_${listener.listenPort}`, `  bind :${listener.listenPort}`, `  mode ${http ? 'http' : 'tcp'}`];
  if (!http) lines.push('  tcp-request inspect-delay 10s');
  if (http) lines.push('  option http-server-close');
  const reject = (verdict: string, cond: string): string[] => [`${rule} set-var(sess.verdict) str(${verdict}) ${cond}`, `${rule} reject ${cond}`];
  lines.push(`${rule} set-var(sess.port) int(${listener.port})`, `${rule} set-var(sess.verdict) str(allowed)`);
  if (listener.route === 'address') {
    lines.push(`${rule} set-var(sess.name) str(${listener.address})`, `${rule} set-dst ipv4(${listener.address})`);
  } else {
    if (listener.route === 'tcp') {
      lines.push(`${rule} set-var(sess.name) str(${listener.name})`);
    } else {
      if (listener.route === 'sni') {
        lines.push(...reject('refused-not-tls', 'unless { req.ssl_hello_type 1 }'));
        lines.push(`${rule} set-var(sess.name) req.ssl_sni,lower`);
      } else {
        lines.push(`${rule} set-var(sess.name) req.hdr(host),field(1,:),lower`);
      }
      lines.push(...reject('refused-name', `unless ${nameCondition(listener.names)}`));
    }
    lines.push(...resolveRules(rule, hosts, reject));
  }
  lines.push(`${rule} set-dst-port int(${listener.port})`);
  lines.push(`  default_backend ${http ? 'upstream_http' : 'upstream_tcp'}`);
  return lines;
}

/** Mapped names take their address from egress.hosts; others resolve and face the refusal. */
function resolveRules(rule: string, hosts: ReadonlyMap<string, string>, reject: (v: string, c: string) => string[]): string[] {
  const lines: string[] = [];
  for (const [name, address] of hosts) {
    lines.push(`${rule} set-var(sess.mapped) ipv4(${address}) if { var(sess.name) -m str ${name} }`);
  }
  const unmapped = '!{ var(sess.mapped) -m found }';
  lines.push(`${rule} do-resolve(sess.dst,upstream,ipv4) var(sess.name) if ${unmapped}`);
  lines.push(...reject('refused-unresolved', `if ${unmapped} !{ var(sess.dst) -m found }`));
  lines.push(...reject('refused-private', `if ${unmapped} { var(sess.dst) -m ip ${REFUSED_RANGES.join(' ')} }`));
  lines.push(`${rule} set-dst var(sess.mapped) if { var(sess.mapped) -m found }`);
  lines.push(`${rule} set-dst var(sess.dst) if ${unmapped}`);
  return lines;
}

function nameCondition(names: readonly NameEntry[]): string {
  if (names.some((n) => n.wildcard === 'any')) return 'TRUE';
  const exact = names.filter((n) => n.wildcard === 'none').map((n) => n.name);
  const parts = exact.length > 0 ? [`{ var(sess.name) -m str ${exact.join(' ')} }`] : [];
  const under = names.filter((n) => n.wildcard === 'subdomains').map((n) => `.${n.name}`);
  if (under.length > 0) parts.push(`{ var(sess.name) -m end ${under.join(' ')} }`);
  return parts.join(' || ');
}

export interface FirewallRules {
  rules4: string;
  rules6: string;
  routes: string[];
}

/**
 * The sandbox namespace's rules (iptables-restore replaces whole tables, Docker's own DNS
 * redirection included): DNS to our resolver on loopback, each virtual destination translated
 * to its proxy listener, and everything else dropped, both ways, IPv6 entirely.
 */
export function firewallRules(plan: EgressPlan, proxyAddress: string): FirewallRules {
  const nat = [
    `-A OUTPUT -d ${DNS_ADDRESS}/32 -p udp --dport 53 -j DNAT --to-destination ${DNS_ADDRESS}:${DNS_PORT}`,
    `-A OUTPUT -d ${DNS_ADDRESS}/32 -p tcp --dport 53 -j DNAT --to-destination ${DNS_ADDRESS}:${DNS_PORT}`,
    ...plan.translations.map((t) => `-A OUTPUT -d ${t.address}/32 -p tcp --dport ${t.port} -j DNAT --to-destination ${proxyAddress}:${t.listenPort}`),
  ];
  const listenPorts = [...new Set(plan.listeners.map((l) => l.listenPort))];
  const filter = [
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT',
    `-A OUTPUT -o lo -d ${DNS_ADDRESS}/32 -p udp --dport ${DNS_PORT} -j ACCEPT`,
    `-A OUTPUT -o lo -d ${DNS_ADDRESS}/32 -p tcp --dport ${DNS_PORT} -j ACCEPT`,
    `-A OUTPUT -o lo -d ${DNS_ADDRESS}/32 -p tcp --dport ${CONNECT_PORT} -j ACCEPT`,
    `-A OUTPUT -o lo -d ${DNS_ADDRESS}/32 -j DROP`,
    '-A OUTPUT -o lo -j ACCEPT',
    '-A OUTPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT',
    // Only translated connections: the proxy is not reachable at its own address.
    ...listenPorts.map((port) => `-A OUTPUT -d ${proxyAddress}/32 -p tcp --dport ${port} -m conntrack --ctstate DNAT -j ACCEPT`),
  ];
  const table = (name: string, chains: string[], rules: string[]): string[] => [`*${name}`, ...chains, ...rules, 'COMMIT'];
  const rules4 = [
    ...table('nat', [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'], nat),
    ...table('filter', [':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT DROP [0:0]'], filter),
  ].join('\n');
  const rules6 = table('filter', [':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT DROP [0:0]'], ['-A INPUT -i lo -j ACCEPT', '-A OUTPUT -o lo -j ACCEPT']).join('\n');
  return { rules4: `${rules4}\n`, rules6: `${rules6}\n`, routes: plan.routes };
}
