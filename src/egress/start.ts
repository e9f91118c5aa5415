/**
 * Starts and stops the egress set of one sandbox (docs/egress.md):
 *
 *   server ──(shares the namespace of)──> dns holder ── internal network ──> proxy ──> upstream network
 *
 * The holder owns the sandbox's network namespace on a per-session `--internal` network; its
 * entrypoint sets the namespace's firewall (NET_ADMIN), drops to nobody with every capability
 * set empty, then runs dnsmasq. The server joins with `NetworkMode: container:<holder>` and
 * every capability dropped, so it cannot change the rules. The holder and the proxy keep stdin
 * attached to this process: when it goes (SIGKILL too) the engine closes their stdin, they exit
 * and AutoRemove deletes them; the empty network is removed by `stop()`, or else by
 * `sweepEgressNetworks` (the next start, or `gc`).
 */
import type { Duplex } from 'node:stream';
import { EngineApiError, type NetworkEngineClient } from '../engine/client.js';
import { Demuxer, type Sink } from '../engine/demux.js';
import { SandboxError } from '../errors.js';
import { LABELS } from '../labels.js';
import type { CreateBody } from '../compile/engine-body.js';
import { connectLineParser, lineSplitter, parseDnsLine, parseProxyLine, type EgressEvent, type EgressSink } from './events.js';
import type { EgressPlan } from './plan.js';
import { PROXY_ENV } from './proxy-env.js';
import { EGRESS_IMAGE } from './containers.js';
import { SUBNET_BLOCKS, egressBodies, type EgressBodies, type RenderOptions } from './render.js';

/** What a session's egress set needs: the render options (names, runtimes, labels) plus the engine and plan. */
export interface EgressOptions extends RenderOptions {
  engine: NetworkEngineClient;
  plan: EgressPlan;
  sink?: EgressSink;
  /**
   * Called once the holder has set the firewall and its resolver runs, before the proxy may be ready: from
   * then on a container in the namespace is confined (a connection before the proxy listens is
   * refused, never let out), so a launcher may start the server there and overlap the proxy's start.
   */
  onConfined?: () => void;
  /** Called when the holder's or the proxy's attach closes (the container ended, or stop() ran). */
  onEnded?: () => void;
  /** Bound on each readiness wait. */
  timeoutMs?: number;
}

/** Milliseconds from the start of `startEgress` to each part being ready. */
export interface EgressTimings {
  network: number;
  /** The holder's create, and its start call, returned. */
  holderCreated: number;
  holderStarted: number;
  /** The holder's rules are in place (it logged so). */
  firewall: number;
  /** The holder's resolver answers: the namespace is confined (onConfined). */
  dns: number;
  proxy: number;
  total: number;
}

export interface EgressSession {
  /** For the server's create body: its HostConfig.NetworkMode (no Dns settings: it uses ours). */
  networkMode: string;
  /** Proxy variables for the server (proxy-env.ts): clients that honour them use the CONNECT proxy. */
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

/** Creates network, holder (with the firewall) and proxy; on any failure removes what it created. */
export async function startEgress(options: EgressOptions): Promise<EgressSession> {
  const t0 = Date.now();
  const { engine } = options;
  const created: { network?: string; containers: Started[] } = { containers: [] };
  const stop = (): Promise<void> => removeAll(engine, created);
  try {
    const bodies = await createNetwork(options, created);
    const networkMs = Date.now() - t0;
    // Both created at once (the proxy's address is fixed by the subnet, so the holder's rules do
    // not wait for it), but the proxy is started only once the holder's start has returned: the
    // engine's network set-up of two starts at once slows the holder's, which the server waits for.
    let holderRunning = (): void => undefined;
    const afterHolder = new Promise<void>((resolve) => {
      holderRunning = resolve;
    });
    const holderStarted = startHelper(options, created, bodies.dns, bodies.names.dns, { marks: [/^egress firewall set$/, /started, version/], onStarted: holderRunning }).then(async (holder) => {
      const [firewallAt, dnsAt] = await holder.ready;
      options.onConfined?.();
      return { holder, firewallAt: firewallAt as number, dnsAt: dnsAt as number };
    });
    // A failed holder start settles `afterHolder` too, so the proxy is never left waiting.
    holderStarted.catch(holderRunning);
    const proxyStarted = startHelper(options, created, bodies.proxy, bodies.names.proxy, { marks: [/Loading success/], startAfter: afterHolder });
    // Both settle before any cleanup, so nothing is created after stop() has run.
    await Promise.allSettled([holderStarted, proxyStarted]);
    const [{ holder, firewallAt, dnsAt }, proxy] = await Promise.all([holderStarted, proxyStarted]);
    const [proxyAt] = await proxy.ready;
    return {
      networkMode: `container:${holder.id}`,
      env: Object.entries(PROXY_ENV).map(([key, value]) => `${key}=${value}`),
      networkId: created.network as string,
      holderId: holder.id,
      proxyId: proxy.id,
      proxyAddress: bodies.addresses.proxy,
      timings: { network: networkMs, holderCreated: holder.createdAt - t0, holderStarted: holder.startedAt - t0, firewall: firewallAt - t0, dns: dnsAt - t0, proxy: (proxyAt as number) - t0, total: Date.now() - t0 },
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

interface HelperStart {
  /** Log lines that together mean ready. */
  marks: readonly RegExp[];
  /** Called once the engine's start call has returned (or failed). */
  onStarted?: () => void;
  /** Awaited before the start call (after create and attach). */
  startAfter?: Promise<void>;
}

/**
 * Creates, attaches and starts one long-running helper; `ready` settles once each of `marks`
 * has matched a log line, with the times they did (in the order of `marks`).
 */
async function startHelper(
  options: EgressOptions,
  created: { containers: Started[] },
  body: CreateBody,
  name: string,
  { marks, onStarted, startAfter }: HelperStart,
): Promise<Started & { ready: Promise<number[]>; createdAt: number; startedAt: number }> {
  const { engine } = options;
  const proxy = body.Labels[LABELS.egress] === 'proxy';
  const { id } = await engine.createContainer(body, name);
  const createdAt = Date.now();
  const [stream] = await Promise.all([engine.attach(id), proxy ? engine.connectNetwork(options.upstreamNetwork ?? 'bridge', id) : undefined]);
  // A reset attach (engine restart, container gone) ends the log stream, never the launcher.
  stream.on('error', () => undefined);
  stream.on('close', () => options.onEnded?.());
  created.containers.push({ id, stream });
  // The holder's log carries dnsmasq's and its CONNECT proxy's lines.
  const connect = connectLineParser();
  const parse = proxy ? parseProxyLine : (line: string): EgressEvent | undefined => parseDnsLine(line) ?? connect(line);
  const log: string[] = [];
  const readyAt = new Promise<number[]>((resolve, reject) => {
    const seen: Array<number | undefined> = marks.map(() => undefined);
    const onLine = (line: string): void => {
      const mark = marks.findIndex((m, i) => seen[i] === undefined && m.test(line));
      if (mark >= 0) {
        seen[mark] = Date.now();
        if (seen.every((at) => at !== undefined)) resolve(seen as number[]);
      }
      if (log.length < 20) log.push(line);
      const event = parse(line);
      if (event) options.sink?.(event);
    };
    demuxLines(stream, onLine);
    stream.on('close', () => reject(new Error(`the egress container ${name} ended before it was ready: ${log.join(' | ') || 'no output'}`)));
  });
  // If start fails, nobody awaits readiness: the closing stream must not be an unhandled rejection.
  readyAt.catch(() => undefined);
  await startAfter;
  let startedAt = 0;
  try {
    await engine.start(id);
    startedAt = Date.now();
  } finally {
    onStarted?.();
  }
  const readyBy = withTimeout(readyAt, options.timeoutMs ?? 20_000, `the egress container ${name} was not ready`);
  // Awaited by the caller once both helpers have started; a failure before that is not unhandled.
  readyBy.catch(() => undefined);
  return { id, stream, ready: readyBy, createdAt, startedAt };
}

/** Feeds each line of an attached container's output (stdout and stderr) to `onLine` (also loopback.ts). */
export function demuxLines(stream: Duplex, onLine: (line: string) => void): void {
  const split = lineSplitter(onLine);
  const sink: Sink = (chunk, done) => {
    split(chunk);
    done();
  };
  stream.pipe(new Demuxer(sink, sink));
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

/** Rejects with `what` if `promise` has not settled within `ms` (also the loopback set's, loopback.ts). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
