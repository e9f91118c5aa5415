/**
 * The loopback-only egress set, a prototype behind MCP_SANDBOX_EGRESS_LOOPBACK=1 (docs/egress.md,
 * "The loopback-only namespace"): the server starts at once with `NetworkMode: none` (its
 * namespace has `lo` and nothing else, so no route to anything at any time) and a resolv.conf
 * naming 127.0.0.11; right after its start a runc helper joins that namespace and runs dnsmasq
 * (the allowed names answered with loopback addresses), tinyproxy (CONNECT) and haproxy relaying
 * each loopback listener to a unix socket in a directory shared with a runc relay in the proxy's
 * namespace, which hands the connection to the proxy's listener. Nothing of the set is on the
 * server's path: the client's messages after `initialize` are held until all of it is up.
 * Listed addresses (`10.1.2.3:6379/tcp`) would need an `lo` address and NET_ADMIN in the helper:
 * such an allowlist keeps the firewalled set (start.ts).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { CreateBody } from '../compile/engine-body.js';
import type { NetworkEngineClient } from '../engine/client.js';
import { LABELS } from '../labels.js';
import { connectLineParser, parseDnsLine, parseProxyLine, type EgressEvent, type EgressSink } from './events.js';
import { connectProxyConfig, dnsmasqConfig, haproxyConfig } from './configs.js';
import { EGRESS_IMAGE, helperBody } from './containers.js';
import type { EgressPlan } from './plan.js';
import { SANDBOX_SERVICE_ADDRESS } from './proxy-env.js';
import { demuxLines, withTimeout } from './start.js';
import { LOOPBACK_DIR_PREFIX, sweepLoopbackDirs } from './sweep.js';

/** The switch of the prototype: off unless set to 1. */
export function loopbackEgressOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MCP_SANDBOX_EGRESS_LOOPBACK === '1';
}

/** Whether the prototype can serve this plan: listed addresses need an `lo` address it does not add. */
export function loopbackServes(plan: EgressPlan): boolean {
  return plan.listeners.every((l) => l.route !== 'address');
}

/** 198.18.0.N (the firewalled set's virtual address) -> 127.18.0.N, local on `lo` with no set-up. */
export function loopbackAddress(virtual: string): string {
  return virtual.replace(/^198\.18\./, '127.18.');
}

/** The server's network settings: only `lo`, and our resolver's address in its resolv.conf. */
export const LOOPBACK_SERVER_NETWORK = { NetworkMode: 'none', Dns: [SANDBOX_SERVICE_ADDRESS] };

const SOCKETS = '/egress-sockets';

const RELAY_DEFAULTS = [
  'global',
  '  nbthread 1',
  // A socket of another process (the server's, same uid) must never join the listener's group.
  '  noreuseport',
  'defaults',
  '  mode tcp',
  '  timeout connect 10s',
  '  timeout client 1h',
  '  timeout server 1h',
];

/** The helper's relay: each loopback destination and port -> the unix socket of its proxy listener. */
export function helperRelayConfig(plan: EgressPlan): string {
  const out = [...RELAY_DEFAULTS];
  for (const t of plan.translations) {
    const at = `${loopbackAddress(t.address)}:${t.port}`;
    out.push(`listen in_${at.replace(/[.:]/g, '_')}`, `  bind ${at}`, `  server proxy unix@${SOCKETS}/${t.listenPort}.sock`);
  }
  return `${out.join('\n')}\n`;
}

/** The proxy side's relay: each unix socket -> the proxy's listener on its loopback. */
export function proxyRelayConfig(plan: EgressPlan): string {
  const out = [...RELAY_DEFAULTS];
  for (const l of plan.listeners) {
    out.push(`listen out_${l.listenPort}`, `  bind unix@${SOCKETS}/${l.listenPort}.sock mode 600`, `  server proxy 127.0.0.1:${l.listenPort}`);
  }
  return `${out.join('\n')}\n`;
}

/** The plan's resolver answers moved to their loopback addresses. */
function loopbackPlan(plan: EgressPlan): EgressPlan {
  return { ...plan, dns: plan.dns.map((a) => ({ ...a, address: loopbackAddress(a.address) })) };
}

/**
 * The helper's entrypoint: writes the configs on its tmpfs as root, then becomes nobody with
 * NET_BIND_SERVICE alone (inheritable, ambient and bounding: the relay binds ports below 1024,
 * dnsmasq port 53) and runs the three daemons; it ends at stdin EOF (the launcher's attach).
 */
const HELPER_SCRIPT = [
  'set -eu',
  'printf "%s\\n" "$LOOP_DNS" >/tmp/dns.conf',
  'printf "%s" "$EGRESS_CONNECT_FILTER" >/tmp/egress-connect.filter',
  'printf "%s" "$EGRESS_CONNECT_CONFIG" >/tmp/egress-connect.conf',
  'printf "%s\\n" "$LOOP_RELAY" >/tmp/relay.cfg',
  'exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service --bounding-set=-all,+net_bind_service -- /bin/sh -c \'' +
    'tinyproxy -d -c /tmp/egress-connect.conf </dev/null & dnsmasq --keep-in-foreground --conf-file=/tmp/dns.conf </dev/null & ' +
    'haproxy -W -db -f /tmp/relay.cfg </dev/null & cat >/dev/null; exit 0\'',
].join('\n');

/** The proxy side's relay: nobody, no capability; ends at stdin EOF. */
const RELAY_SCRIPT = 'printf "%s\\n" "$LOOP_RELAY" >/tmp/relay.cfg; haproxy -W -db -f /tmp/relay.cfg </dev/null & cat >/dev/null; exit 0';

export interface LoopbackOptions {
  engine: NetworkEngineClient;
  plan: EgressPlan;
  sessionId: string;
  /** The server container's name: the helper joins its namespace. */
  server: string;
  /** Settles once the server's start call has returned: the helper starts then. */
  serverStarted: Promise<void>;
  upstreamNetwork?: string;
  image?: string;
  proxyRuntime?: string;
  labels?: Record<string, string>;
  sink?: EgressSink;
  timeoutMs?: number;
}

export interface LoopbackBodies {
  helper: CreateBody;
  proxy: CreateBody;
  relay: CreateBody;
  names: { helper: string; proxy: string; relay: string };
}

/** The three create bodies; `sockets` is the host directory both relays mount. */
export function loopbackBodies(options: Omit<LoopbackOptions, 'engine' | 'serverStarted' | 'sink'>, sockets: string): LoopbackBodies {
  const { plan } = options;
  const base = `mcp-sandbox-egress-${options.sessionId}`;
  const names = { helper: `${base}-loop`, proxy: `${base}-proxy`, relay: `${base}-relay` };
  const labels = { ...(options.labels ?? {}), [LABELS.egressSession]: options.sessionId };
  const common = { image: options.image ?? EGRESS_IMAGE, labels, tieStdin: true };
  const mount = { Type: 'bind' as const, Source: sockets, Target: SOCKETS, ReadOnly: false };
  const connect = connectProxyConfig(plan);
  const helper = helperBody({ ...common, role: 'dns', runtime: 'runc', networkMode: `container:${options.server}`, env: {
    LOOP_DNS: dnsmasqConfig(loopbackPlan(plan)).replace(/^port=\d+$/m, 'port=53'),
    LOOP_RELAY: helperRelayConfig(plan),
    EGRESS_CONNECT_CONFIG: connect.config,
    EGRESS_CONNECT_FILTER: connect.filter,
  } });
  helper.Cmd = ['/bin/sh', '-c', HELPER_SCRIPT];
  helper.HostConfig = { ...helper.HostConfig, CapAdd: ['NET_BIND_SERVICE', 'SETUID', 'SETGID', 'SETPCAP'], Mounts: [mount] };
  // The proxy listens on its loopback only: the relay beside it is the one way in.
  const proxy = helperBody({ ...common, role: 'proxy', runtime: options.proxyRuntime ?? 'runsc-net', networkMode: options.upstreamNetwork ?? 'bridge', env: {
    EGRESS_CONFIG: haproxyConfig(plan).replace(/^ {2}bind :/gm, '  bind 127.0.0.1:'),
  } });
  const relay = helperBody({ ...common, role: 'proxy', runtime: 'runc', networkMode: `container:${names.proxy}`, env: { LOOP_RELAY: proxyRelayConfig(plan) } });
  relay.Cmd = ['/bin/sh', '-c', RELAY_SCRIPT];
  relay.Labels = { ...relay.Labels, [LABELS.egress]: 'relay' };
  relay.HostConfig = { ...relay.HostConfig, Mounts: [mount] };
  return { helper, proxy, relay, names };
}

/** A started loopback set: `ready` once the proxy, both relays and the resolver are up. */
export interface LoopbackSession {
  ready: Promise<Record<string, number>>;
  stop(): Promise<void>;
}

interface Part {
  id: string;
  stream: Duplex;
}

/** Makes the sockets' directory: owner-only parent (no other host user reaches it), writable child for nobody. */
function socketsDir(): { dir: string; sockets: string } {
  // The launcher's pid in the name: a sweep removes the directory once the launcher is gone (sweep.ts).
  const dir = mkdtempSync(path.join(tmpdir(), `${LOOPBACK_DIR_PREFIX}${process.pid}-`));
  const sockets = path.join(dir, 'sockets');
  mkdirSync(sockets);
  // The containers see only this child (the mount point): nobody creates and connects sockets there.
  chmodSync(sockets, 0o733);
  return { dir, sockets };
}

/** Starts the set beside the server: proxy, then its relay; the helper once the server has started. */
export function startLoopbackEgress(options: LoopbackOptions): LoopbackSession {
  const t0 = Date.now();
  const { engine } = options;
  const { dir, sockets } = socketsDir();
  // What a SIGKILLed launcher's set left (its containers end with their attach; this does not).
  setImmediate(() => sweepLoopbackDirs());
  const bodies = loopbackBodies(options, sockets);
  const parts: Part[] = [];
  let stopped = false;
  const start = async (body: CreateBody, name: string, marks: RegExp[], after?: Promise<unknown>): Promise<number> => {
    const { id } = await engine.createContainer(body, name);
    const stream = await engine.attach(id);
    stream.on('error', () => undefined);
    parts.push({ id, stream });
    const ready = readyOn(stream, marks, name === bodies.names.proxy ? parseProxyLine : helperParser(), options.sink, name);
    await after;
    if (stopped) throw new Error('the egress set was stopped');
    await engine.start(id);
    started.get(name)?.();
    await withTimeout(ready, options.timeoutMs ?? 20_000, `the egress container ${name} was not ready`);
    return Date.now() - t0;
  };
  // The relay joins the proxy's namespace: it needs the proxy running, not listening.
  const started = new Map<string, () => void>();
  const proxyRunning = new Promise<void>((resolve) => started.set(bodies.names.proxy, resolve));
  const proxy = start(bodies.proxy, bodies.names.proxy, [/Loading success/]);
  proxy.catch(() => started.get(bodies.names.proxy)?.());
  const relay = start(bodies.relay, bodies.names.relay, [/Loading success/], proxyRunning);
  const helper = start(bodies.helper, bodies.names.helper, [/started, version/, /Loading success/], options.serverStarted);
  const ready = Promise.all([proxy, relay, helper]).then(([p, r, h]) => ({ proxy: p, relay: r, helper: h, total: Date.now() - t0 }));
  ready.catch(() => undefined);
  const stop = async (): Promise<void> => {
    stopped = true;
    await Promise.allSettled([proxy, relay, helper]);
    for (const p of parts.splice(0)) p.stream.destroy();
    await Promise.allSettled([bodies.names.helper, bodies.names.relay, bodies.names.proxy].map((n) => engine.remove(n, { force: true })));
    rmSync(dir, { recursive: true, force: true });
  };
  return { ready, stop };
}

/** The helper's log carries dnsmasq's and tinyproxy's lines, as the holder's does. */
function helperParser(): (line: string) => EgressEvent | undefined {
  const connect = connectLineParser();
  return (line) => parseDnsLine(line) ?? connect(line);
}

/** Settles once each of `marks` has matched a line of the container's log; parses every line into events. */
function readyOn(stream: Duplex, marks: readonly RegExp[], parse: (line: string) => EgressEvent | undefined, sink: EgressSink | undefined, name: string): Promise<void> {
  const seen = marks.map(() => false);
  const log: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    demuxLines(stream, (line) => {
      const mark = marks.findIndex((m, i) => !seen[i] && m.test(line));
      if (mark >= 0) seen[mark] = true;
      if (seen.every(Boolean)) resolve();
      if (log.length < 20) log.push(line);
      const event = parse(line);
      if (event) sink?.(event);
    });
    stream.on('close', () => reject(new Error(`the egress container ${name} ended before it was ready: ${log.join(' | ') || 'no output'}`)));
  });
  ready.catch(() => undefined);
  return ready;
}
