/**
 * Starts and stops the egress set of one sandbox (docs/egress.md):
 *
 *   server ──(shares the namespace of)──> dns holder ── internal network ──> proxy ──> upstream network
 *            firewall set in that namespace by a short-lived NET_ADMIN helper
 *
 * The holder (dnsmasq) owns the sandbox's network namespace on a per-session `--internal`
 * network; the firewall helper joins it, sets the rules and exits; the server joins it with
 * `NetworkMode: container:<holder>` and every capability dropped, so it cannot change them.
 * The holder and the proxy keep stdin attached to this process: when it goes (SIGKILL too) the
 * engine closes their stdin, they exit and AutoRemove deletes them; the empty network is
 * removed by `stop()`, or else by `sweepEgressNetworks` (the next start, or `gc`).
 */
import type { Duplex } from 'node:stream';
import { EngineApiError, type NetworkEngineClient } from '../engine/client.js';
import { Demuxer, type Sink } from '../engine/demux.js';
import { runToExit } from '../engine/run-to-exit.js';
import { SandboxError } from '../errors.js';
import { LABELS } from '../labels.js';
import type { CreateBody } from '../compile/engine-body.js';
import { lineSplitter, parseDnsLine, parseProxyLine, type EgressSink } from './events.js';
import type { EgressPlan } from './plan.js';
import { EGRESS_IMAGE } from './containers.js';
import { SUBNET_BLOCKS, egressBodies, type EgressBodies, type RenderOptions } from './render.js';

/** What a session's egress set needs: the render options (names, runtimes, labels) plus the engine and plan. */
export interface EgressOptions extends RenderOptions {
  engine: NetworkEngineClient;
  plan: EgressPlan;
  sink?: EgressSink;
  /**
   * Called once the holder runs and the firewall is in place, before the proxy may be ready: from
   * then on a container in the namespace is confined (a connection before the proxy listens is
   * refused, never let out), so a launcher may start the server there and overlap the proxy's start.
   */
  onConfined?: () => void;
  /** Bound on each readiness wait. */
  timeoutMs?: number;
}

/** Milliseconds from the start of `startEgress` to each part being ready. */
export interface EgressTimings {
  network: number;
  dns: number;
  proxy: number;
  firewall: number;
  total: number;
}

export interface EgressSession {
  /** For the server's create body: its HostConfig.NetworkMode (no Dns settings: it uses ours). */
  networkMode: string;
  /** Environment for the server: none (the path is transparent; no proxy variables needed). */
  env: string[];
  networkId: string;
  holderId: string;
  proxyId: string;
  /** The proxy's address on the sandbox network. */
  proxyAddress: string;
  timings: EgressTimings;
  /** Removes the containers and the network; safe to call twice. */
  stop(): Promise<void>;
}

interface Started {
  id: string;
  stream: Duplex;
}

/** Creates network, holder, proxy and firewall; on any failure removes what it created. */
export async function startEgress(options: EgressOptions): Promise<EgressSession> {
  const t0 = Date.now();
  const { engine } = options;
  const created: { network?: string; containers: Started[] } = { containers: [] };
  const stop = (): Promise<void> => removeAll(engine, created);
  try {
    const bodies = await createNetwork(options, created);
    const networkMs = Date.now() - t0;
    // The proxy's address is fixed by the subnet: the firewall goes in as soon as the holder
    // runs, while the proxy is still starting.
    const holderThenFirewall = startHelper(options, created, bodies.dns, bodies.names.dns, /started, version/).then(async (holder) => {
      await runFirewall(options, bodies);
      // The holder's resolver must answer too before anything joins.
      await holder.ready;
      options.onConfined?.();
      return { holder, firewallAt: Date.now() };
    });
    const proxyStarted = startHelper(options, created, bodies.proxy, bodies.names.proxy, /Loading success/);
    // Both settle before any cleanup, so nothing is created after stop() has run.
    await Promise.allSettled([holderThenFirewall, proxyStarted]);
    const [{ holder, firewallAt }, proxy] = await Promise.all([holderThenFirewall, proxyStarted]);
    const [dnsAt, proxyAt] = await Promise.all([holder.ready, proxy.ready]);
    return {
      networkMode: `container:${holder.id}`,
      env: [],
      networkId: created.network as string,
      holderId: holder.id,
      proxyId: proxy.id,
      proxyAddress: bodies.addresses.proxy,
      timings: { network: networkMs, dns: dnsAt - t0, proxy: proxyAt - t0, firewall: firewallAt - t0, total: Date.now() - t0 },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw startFailure(error, options);
  }
}

/** What went wrong, in the user's terms: a missing image or upstream network, or the engine. */
function startFailure(error: unknown, options: EgressOptions): SandboxError {
  if (error instanceof SandboxError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const image = options.image ?? EGRESS_IMAGE;
  if (error instanceof EngineApiError && error.statusCode === 404 && /image/i.test(message)) {
    return new SandboxError('IMAGE_MISSING', `the egress allowlist needs the image ${image}, which is not on the engine`, {
      hint: 'build it with scripts/build-egress-image.sh',
      cause: error,
    });
  }
  if (error instanceof EngineApiError && error.statusCode === 404 && /network/i.test(message)) {
    const network = options.upstreamNetwork ?? 'bridge';
    return new SandboxError('ENGINE_ERROR', `the egress proxy's upstream network "${network}" does not exist on the engine`, {
      hint: 'create it, or set egress.network in the user config to an existing network',
      cause: error,
    });
  }
  return new SandboxError('ENGINE_ERROR', `could not start the egress allowlist: ${message}`, { hint: 'see the engine log (docker info)', cause: error });
}

/** Creates the session network on a free /28 (another session or network may hold one). */
async function createNetwork(options: EgressOptions, created: { network?: string }): Promise<EgressBodies> {
  const first = Math.floor(Math.random() * SUBNET_BLOCKS);
  for (let attempt = 0; ; attempt += 1) {
    const bodies = egressBodies(options.plan, options, (first + attempt * 97) % SUBNET_BLOCKS);
    try {
      created.network = await options.engine.createNetwork(bodies.network);
      return bodies;
    } catch (error) {
      const overlap = error instanceof EngineApiError && /overlap/i.test(error.message);
      if (!overlap || attempt >= 8) throw error;
    }
  }
}

/** Creates, attaches and starts one long-running helper; `ready` settles when `ready` is logged. */
async function startHelper(
  options: EgressOptions,
  created: { containers: Started[] },
  body: CreateBody,
  name: string,
  ready: RegExp,
): Promise<Started & { ready: Promise<number> }> {
  const { engine } = options;
  const proxy = body.Labels[LABELS.egress] === 'proxy';
  const { id } = await engine.createContainer(body, name);
  const stream = await engine.attach(id);
  // A reset attach (engine restart, container gone) ends the log stream, never the launcher.
  stream.on('error', () => undefined);
  created.containers.push({ id, stream });
  if (proxy) await engine.connectNetwork(options.upstreamNetwork ?? 'bridge', id);
  const parse = proxy ? parseProxyLine : (line: string) => parseDnsLine(line);
  const log: string[] = [];
  const readyAt = new Promise<number>((resolve, reject) => {
    const onLine = (line: string): void => {
      if (ready.test(line)) resolve(Date.now());
      if (log.length < 20) log.push(line);
      const event = parse(line);
      if (event) options.sink?.(event);
    };
    const split = lineSplitter(onLine);
    const sink: Sink = (chunk, done) => {
      split(chunk);
      done();
    };
    stream.pipe(new Demuxer(sink, sink));
    stream.on('close', () => reject(new Error(`the egress container ${name} ended before it was ready: ${log.join(' | ') || 'no output'}`)));
  });
  // If start fails, nobody awaits readiness: the closing stream must not be an unhandled rejection.
  readyAt.catch(() => undefined);
  await engine.start(id);
  const readyBy = withTimeout(readyAt, options.timeoutMs ?? 20_000, `the egress container ${name} was not ready`);
  // Awaited by the caller after the firewall has started; a failure before that is not unhandled.
  readyBy.catch(() => undefined);
  return { id, stream, ready: readyBy };
}

/** Runs the firewall helper in the holder's namespace to completion; its exit code must be 0. */
async function runFirewall(options: EgressOptions, bodies: EgressBodies): Promise<void> {
  const { engine } = options;
  const { id } = await engine.createContainer(bodies.firewall, bodies.names.firewall);
  const { exit, output } = await runToExit(engine, id, { timeoutMs: options.timeoutMs ?? 20_000, timeoutMessage: 'the egress firewall helper did not finish' });
  if (exit.StatusCode !== 0) throw new Error(`the firewall helper failed (exit ${exit.StatusCode}): ${output.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Closes the attaches (the containers then exit), removes them, then the network. */
async function removeAll(engine: NetworkEngineClient, created: { network?: string; containers: Started[] }): Promise<void> {
  const containers = created.containers.splice(0);
  for (const c of containers) c.stream.destroy();
  const results = await Promise.allSettled(containers.map((c) => engine.remove(c.id, { force: true })));
  const network = created.network;
  created.network = undefined;
  if (network) await removeNetworkWhenFree(engine, network);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The engine refuses to remove a network while a removal of one of its containers is settling. */
async function removeNetworkWhenFree(engine: NetworkEngineClient, network: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await engine.removeNetwork(network);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 50));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
