/**
 * The egress set of one `run` session (docs/egress.md): a spare claimed from its keeper, or else
 * started beside the server's create and awaited only before the server starts; stopped after
 * the session on every path. Once the server has answered, a spare is asked for the next start. Its events
 * go to the session's audit log as `{ type: 'egress', ... }` records (the log stamps the session
 * id). Loaded only for a profile with `network: { allow: [...] }`, so other starts pay nothing.
 */
import { hostname } from 'node:os';
import { Transform, type Readable } from 'node:stream';
import type { SandboxSpec } from '../compile/spec.js';
import type { EngineClient, NetworkEngineClient } from '../engine/client.js';
import type { EngineEndpoint } from '../engine/endpoint.js';
import type { EgressEvent } from '../egress/events.js';
import { EGRESS_IMAGE } from '../egress/containers.js';
import { DEFAULT_SPARE_IDLE, recipePlan, spareHash, spareRecipe, type SpareRecipe } from '../egress/spare.js';
import { claimSpare, requestSpare, type ClaimedSpare } from '../egress/spare-client.js';
import { LOOPBACK_SERVER_NETWORK, loopbackEgressOn, loopbackServes, startLoopbackEgress } from '../egress/loopback.js';
import type { EgressPlan } from '../egress/plan.js';
import { startEgress } from '../egress/start.js';
import { sweepEgressNetworks } from '../egress/sweep.js';
import { SandboxError } from '../errors.js';
import { LABELS } from '../labels.js';
import { VERSION } from '../version.js';
import type { ToolCallRef } from './tool-calls.js';
import type { UserConfig } from './user-config.js';

export interface EgressStartInput {
  spec: SandboxSpec;
  engine: EngineClient;
  config: UserConfig;
  /** Names the network and containers (see egressHolderName). */
  session: string;
  /** Spare sets (docs/egress.md, "Spare sets"): the engine's endpoint, and the server container a claim is for. */
  spares?: { endpoint: EngineEndpoint; container: string };
  /** Receives each connection and refused name (the audit log). */
  record?: (entry: Record<string, unknown>) => void;
  /** The tools/call calls in flight during [from, to] (the gate's timeline), named in each record. */
  callsDuring?: (from: number, to: number) => ToolCallRef[];
  debug(message: string): void;
}

/** A started (or starting, or claimed) egress set. */
export interface RunEgress {
  /** The egress session whose holder the server joins: this session's, or a claimed spare's. */
  session: string;
  /** Resolves once the holder has set the firewall and its resolver runs: the server may start then, not before. */
  confined: Promise<void>;
  /** Resolves once the proxy is up as well. */
  ready: Promise<unknown>;
  /** The server's own network settings instead of joining a holder (the loopback prototype, egress/loopback.ts). */
  serverNetwork?: { NetworkMode: string; Dns: string[] };
  /** Removes the set (waiting for a start still under way); never throws. */
  stop(): Promise<void>;
  /** The client's input, its messages after the first held until the proxy is up (holdAfterFirstLine). */
  holdInput(input: Readable): Readable;
  /** The server's start call has returned: the sweep of strays may go now (it keeps off the server's path). */
  serverStarted(): void;
  /** The server has answered: ask for a spare set for the next start of this allowlist (once; off the start path). */
  answered(): Promise<void>;
}

function networkEngine(engine: EngineClient): NetworkEngineClient {
  const candidate = engine as Partial<NetworkEngineClient>;
  if (typeof candidate.createNetwork !== 'function' || typeof candidate.listNetworks !== 'function') {
    throw new SandboxError('ENGINE_ERROR', 'this engine client cannot create networks, which the egress allowlist needs');
  }
  return engine as NetworkEngineClient;
}

/** Seconds a spare lives unclaimed (user config `egress.spareIdle`). */
function spareIdle(config: UserConfig): number {
  return config.egress?.spareIdle ?? DEFAULT_SPARE_IDLE;
}

/**
 * Claims a spare set of this allowlist, or starts the session's own (and, once the server has
 * started, the sweep of strays); nothing here waits for the set.
 */
export async function beginEgress(input: EgressStartInput): Promise<RunEgress> {
  const { spec, config, debug } = input;
  const engine = networkEngine(input.engine);
  const recipe = spareRecipe(spec.egress?.entries ?? [], config.egress?.hosts ?? new Map(), config.egress?.network ? { upstreamNetwork: config.egress.network } : {});
  const spares = input.spares && spareIdle(config) > 0 ? { ...input.spares, hash: spareHash(recipe) } : undefined;
  const claimed = spares
    ? await claimSpare({ endpoint: spares.endpoint, hash: spares.hash, container: spares.container, imageId: engine.inspectImage(EGRESS_IMAGE).then((image) => image?.Id), debug })
    : undefined;
  if (spares === undefined && input.spares) debug('spare egress sets off (egress.spareIdle: 0)');
  // Settled by the server's start, or by stop() if it never started.
  let serverUp = (): void => undefined;
  const serverStarted = new Promise<void>((resolve) => {
    serverUp = resolve;
  });
  // Strays of dead launchers are swept once the server has started (or the session ends): the
  // engine's calls on the server's path come first; a stray's subnet is skipped meanwhile (start.ts).
  const sweep = serverStarted
    .then(() => sweepEgressNetworks(engine))
    .then(
      (removed) => removed.forEach((name) => debug(`removed stray egress network ${name}`)),
      (error: unknown) => debug(`egress sweep failed: ${(error as Error).message}`),
    );
  let asked = false;
  let asking: Promise<void> = Promise.resolve();
  const answered = (): Promise<void> => {
    if (asked || !spares) return asking;
    asked = true;
    asking = requestSpare({ endpoint: spares.endpoint, recipe, hash: spares.hash, idleSeconds: spareIdle(config), debug });
    return asking;
  };
  const common = { answered, serverStarted: () => serverUp() };
  if (claimed) return { ...claimedEgress(claimed, input), ...common, stop: async () => {
    serverUp();
    await claimed.release();
    await sweep;
  }, holdInput: (stdin) => stdin };
  // The prototype's plan only with its switch on: the usual start computes none here.
  const loopPlan = loopbackEgressOn() ? recipePlan(recipe) : undefined;
  const own = loopPlan && loopbackServes(loopPlan) ? loopbackEgress(input, engine, recipe, loopPlan, serverStarted) : ownEgress(input, engine, recipe);
  return {
    ...own,
    ...common,
    holdInput: (stdin) => holdAfterFirstLine(stdin, own.ready),
    stop: async () => {
      serverUp();
      await own.stop();
      await sweep;
    },
  };
}

/** A claimed spare: confined and ready already; its events come over the keeper's connection. */
function claimedEgress(claimed: ClaimedSpare, input: EgressStartInput): Pick<RunEgress, 'session' | 'confined' | 'ready'> {
  claimed.onEvent((event) => input.record?.(egressRecord(event, input.callsDuring)));
  void claimed.lost.then(() => input.debug(`spare egress set ${claimed.session} closed by its keeper`));
  input.debug(`egress set (spare) made in ${claimed.timings.total ?? '?'} ms ${JSON.stringify(claimed.timings)}`);
  return { session: claimed.session, confined: Promise.resolve(), ready: Promise.resolve() };
}

/** This session's own set, as before spares. */
function ownEgress(input: EgressStartInput, engine: NetworkEngineClient, recipe: SpareRecipe): Pick<RunEgress, 'session' | 'confined' | 'ready' | 'stop'> {
  const { debug } = input;
  let onConfined = (): void => undefined;
  const confinedBy = new Promise<void>((resolve) => {
    onConfined = resolve;
  });
  const ready = startEgress({
    engine,
    plan: recipePlan(recipe),
    sessionId: input.session,
    ...recipe.render,
    labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: hostname(), [LABELS.version]: VERSION },
    sink: (event) => input.record?.(egressRecord(event, input.callsDuring)),
    onConfined: () => onConfined(),
  });
  // A start that fails before the firewall is in place rejects `confined` too.
  const confined = Promise.race([confinedBy, ready.then(() => undefined)]);
  ready.then(
    (session) => debug(`egress set ready in ${session.timings.total} ms ${JSON.stringify(session.timings)}`),
    (error: unknown) => debug(`egress set failed: ${(error as Error).message}`),
  );
  confined.catch(() => undefined);
  return {
    session: input.session,
    confined,
    ready,
    stop: async () => {
      const session = await ready.catch(() => undefined);
      await session?.stop().catch((error: unknown) => debug(`egress stop failed: ${(error as Error).message} (gc removes it)`));
    },
  };
}

/** The loopback prototype's set (egress/loopback.ts): the server starts at once, in a namespace with `lo` alone. */
function loopbackEgress(input: EgressStartInput, engine: NetworkEngineClient, recipe: SpareRecipe, plan: EgressPlan, serverStarted: Promise<void>): Pick<RunEgress, 'session' | 'confined' | 'ready' | 'stop' | 'serverNetwork'> {
  const { debug } = input;
  const set = startLoopbackEgress({
    engine,
    plan,
    sessionId: input.session,
    server: `mcp-sandbox-${input.session}`,
    serverStarted,
    ...recipe.render,
    labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: hostname(), [LABELS.version]: VERSION },
    sink: (event) => input.record?.(egressRecord(event, input.callsDuring)),
  });
  set.ready.then(
    (timings) => debug(`egress set (loopback) ready ${JSON.stringify(timings)}`),
    (error: unknown) => debug(`egress set (loopback) failed: ${(error as Error).message}`),
  );
  return {
    session: input.session,
    confined: Promise.resolve(),
    ready: set.ready,
    serverNetwork: { ...LOOPBACK_SERVER_NETWORK, Dns: [...LOOPBACK_SERVER_NETWORK.Dns] },
    stop: () => set.stop().catch((error: unknown) => debug(`egress stop failed: ${(error as Error).message} (gc removes it)`)),
  };
}

/** The proxy's clock (under gVisor) and the launcher's may differ by a few ms. */
const CLOCK_SLACK_MS = 10;

/**
 * An egress event as an audit record; `time` becomes the record's `at` (the log has its own
 * `ts`), and `toolCalls` names the calls in flight when the connection was opened (or the name
 * refused): the call that caused it. A kept-alive connection that later calls reuse stays with
 * the call that opened it.
 */
export function egressRecord(event: EgressEvent, callsDuring?: (from: number, to: number) => ToolCallRef[]): Record<string, unknown> {
  const { kind, time, ...rest } = event;
  return { type: 'egress', event: kind, ...rest, at: new Date(time).toISOString(), ...(callsDuring ? { toolCalls: callsDuring(time - CLOCK_SLACK_MS, time + CLOCK_SLACK_MS) } : {}) };
}

/**
 * The client's input with everything after its first line (`initialize`) held until the egress
 * proxy is up (or failed): the server starts once its namespace is confined, before the proxy
 * listens, and a connection it made for an early tool call would be refused. `initialize` is not
 * delayed; what follows waits at most for the rest of the proxy's start.
 */
export function holdAfterFirstLine(input: Readable, until: Promise<unknown>): Readable {
  let released = false;
  let firstLineDone = false;
  const release = until.then(
    () => undefined,
    () => undefined,
  );
  const held = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (released) return done(null, chunk);
      let rest = chunk;
      if (!firstLineDone) {
        const newline = chunk.indexOf(0x0a);
        if (newline < 0) return done(null, chunk);
        firstLineDone = true;
        this.push(chunk.subarray(0, newline + 1));
        rest = chunk.subarray(newline + 1);
      }
      // Not calling done() until then keeps the rest (and later chunks) back: backpressure.
      void release.then(() => {
        released = true;
        done(null, rest.length > 0 ? rest : undefined);
      });
    },
  });
  input.on('error', (error) => held.destroy(error));
  return input.pipe(held);
}
