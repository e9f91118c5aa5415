/**
 * `mcp-sandbox run`: everything between the profile argument and the stdio session. Kept out of
 * the commander file so it can be driven in-process, and lean: it loads no Docker SDK.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { toCreateBody, type CreateBody } from '../compile/engine-body.js';
import { compileSpec, type SandboxSpec } from '../compile/spec.js';
import { SandboxError } from '../errors.js';
import { cachedChain, profileCacheDir, readProfileCache, writeProfileCache } from '../profile/cache.js';
import { loadStages } from '../profile/stages.js';
import { enforceLintVerdict } from '../lint/enforce.js';
import type { NormalizedProfile } from '../profile/types.js';
import type { Locate } from '../profile/validate.js';
import { LABELS } from '../labels.js';
import { describeResolution, resolveProfile } from '../profile/resolve.js';
import { VERSION } from '../version.js';
import { describeEndpoint, resolveEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import type { EngineClient } from '../engine/client.js';
import { connectEngine } from '../engine/connect.js';
import { collectOrphans } from '../sandboxes/sandboxes.js';
import { resolveSecrets, secretSources } from './secrets.js';
import { SHUTDOWN_SIGNALS, runSession, settleWithin, type SessionIo, type ShutdownSignal } from './session.js';
import { checkRuntimeNetwork } from './runtime-network.js';
import type { GateSession } from './gate-stage.js';
import type { AuditPrincipal } from '../gate/audit/log.js';
import type { RunEgress } from './egress-session.js';
import type { MessageStage } from './stage.js';
import { loadUserConfig, mapRuntime, type UserConfig } from './user-config.js';
import { watchdog, type Watchdog } from './watchdog.js';
import { ColdStart, poolLookFor, warmLaunch, type WarmLaunch } from './warm-launch.js';
import type { PoolLook } from './warm.js';

export interface LaunchOptions {
  extraArgs?: string[];
  dryRun?: boolean;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  io?: SessionIo;
  /** Injected in tests; defaults to the node:http client on the resolved endpoint. */
  engine?: EngineClient;
  /** A message-level stage between client and server (the MCP gate). */
  stage?: MessageStage;
  /** `serve`: the profile prepared once (prepareLaunch) for all of its sessions. */
  prepared?: PreparedLaunch;
  /** `serve` with OAuth: who the session speaks for, on every audit record. */
  principal?: AuditPrincipal;
  /** Where a relative profile argument is resolved (default: this process's cwd). */
  cwd?: string;
  /**
   * The warm-start broker (./warm-broker.ts): only a claimed session runs, accept() is called
   * once the member is claimed; anything else throws ColdStart before the client sees a byte.
   * The broker process guards the session itself (no watchdog, no guard connection).
   */
  brokered?: { accept(): void; endpoint: string };
}

/** A profile argument resolved and prepared: the file and its spec, lint verdict enforced. */
export interface PreparedLaunch {
  spec: SandboxSpec;
  profileFile: string;
}

const PREFIX = 'mcp-sandbox: ';


function processIo(): SessionIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    onSignal(handler: (signal: ShutdownSignal) => void): () => void {
      const listeners = SHUTDOWN_SIGNALS.map((signal) => {
        const listener = (): void => handler(signal);
        process.on(signal, listener);
        return [signal, listener] as const;
      });
      return () => {
        for (const [signal, listener] of listeners) process.off(signal, listener);
      };
    },
  };
}

/** The container the launcher would create: the spec's body with runtime labels and mapping applied. */
export function launchBody(spec: SandboxSpec, runtime: string, secretValues: Record<string, string>, egressSession?: string): CreateBody {
  const body = toCreateBody(
    { ...spec, runtime },
    {
      secretValues,
      ...(egressSession === undefined ? {} : { egressSession }),
      labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: hostname(), [LABELS.version]: VERSION },
    },
  );
  // The engine removes the container once it exits, even if the launcher is dead by then; the
  // exit code comes from wait and the OOM state from the engine's events (see session.ts).
  body.HostConfig.AutoRemove = true;
  return body;
}

/**
 * prepareSandbox for `run`: the parsed and merged profile comes from the profile cache when
 * every layer file is unchanged, so the yaml library is not even loaded (src/profile/cache.ts).
 * Schema, normalize (env, home) and compile always run. Any error on a hit is decided by the
 * full load instead, so messages and positions are exactly those of a load without the cache.
 */
export async function prepareForRun(profileArg: string, options: PrepareOptions): Promise<SandboxSpec> {
  return prepareProfileFile(resolveForRun(profileArg, options), options);
}

export interface PrepareOptions {
  env: NodeJS.ProcessEnv;
  extraArgs: string[];
  debug?: (message: string) => void;
  cwd?: string;
}

/** prepareForRun that also says which file it prepared: `serve` prepares once for every session. */
export async function prepareLaunch(profileArg: string, options: PrepareOptions): Promise<PreparedLaunch> {
  const profileFile = resolveForRun(profileArg, options);
  return { spec: await prepareProfileFile(profileFile, options), profileFile };
}

/** The profile file a `run` argument names, said with --verbose (and what it shadowed). */
function resolveForRun(profileArg: string, options: PrepareOptions): string {
  const resolved = resolveProfile(profileArg, options.env, options.cwd);
  options.debug?.(describeResolution(profileArg, resolved));
  return resolved.file;
}

/** prepareForRun for a resolved profile file. */
async function prepareProfileFile(file: string, options: PrepareOptions): Promise<SandboxSpec> {
  // The one enforcement point: on a cache hit a refusal falls through to the full load below, which names positions.
  const enforced = (profile: NormalizedProfile, locate?: Locate): SandboxSpec => compileSpec(enforceLintVerdict(profile, { file, ...(locate ? { locate } : {}) }), { extraArgs: options.extraArgs });
  const cacheDir = profileCacheDir(options.env);
  const entry = cacheDir === undefined ? undefined : readProfileCache(cacheDir, file, options.env);
  if (entry) {
    try {
      return enforced(loadStages(file, cachedChain(entry), { env: options.env }).profile);
    } catch {
      // The full load below reports it, with its source position.
    }
  }
  const { loadProfileTraced } = await import('../profile/load.js');
  const { loaded, trace } = loadProfileTraced(file, { env: options.env });
  if (cacheDir !== undefined) writeProfileCache(cacheDir, { file, layers: trace.layers, merged: loaded.raw as unknown as Record<string, unknown>, baseDirs: trace.baseDirs }, options.env);
  return enforced(loaded.profile, loaded.locate);
}

/** Runs a profile; resolves to the launcher's exit code. */
export async function launch(profileArg: string, options: LaunchOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const io = options.io ?? processIo();
  const debug = (message: string): void => {
    if (options.verbose) io.stderr.write(`${PREFIX}${message}\n`);
  };
  const warn = (message: string): void => {
    io.stderr.write(`${PREFIX}${message}\n`);
  };

  const prepare = { env, extraArgs: options.extraArgs ?? [], debug, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) };
  const profileFile = options.prepared?.profileFile ?? resolveForRun(profileArg, prepare);
  const spec = options.prepared?.spec ?? (await prepareProfileFile(profileFile, prepare));
  const config = await loadUserConfig(env);
  const runtime = mapRuntime(config, spec.runtime, spec.network);
  if (runtime !== spec.runtime) debug(`runtime ${spec.runtime} (network ${spec.network}) mapped to ${runtime} by ${config.file}`);
  const endpoint = options.engine?.endpoint ?? resolveEndpoint({ env });
  const context: RunContext = { spec, profileFile, runtime, config, endpoint, env, io, debug, warn };
  if (options.brokered) {
    // A pooled sandbox has no egress set of its own; another engine has another pool.
    if (spec.network === 'allow') throw new ColdStart('an allowlisted profile');
    if (describeEndpoint(endpoint) !== options.brokered.endpoint) throw new ColdStart('another engine');
  }
  if (options.dryRun) return dryRun(context, options.engine ?? connectEngine(env, endpoint), !options.engine);

  const secretValues = resolveSecrets(spec.secrets, { env });
  checkMountSources(spec, endpoint);
  const engine = options.engine ?? connectEngine(env, endpoint);
  // The gate's code loads only when it runs (MCP_SANDBOX_GATE=off carries none of it), beside the network check.
  const gateModule = options.stage || env.MCP_SANDBOX_GATE === 'off' ? undefined : import('./gate-stage.js');
  const session = `${spec.name}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // The egress set is on the server's path (its holder starts before the server can): it begins
  // now, beside the engine check and the gate's opening; its audit records go to the gate once open.
  const gateRef: { gate?: GateSession } = {};
  const egress = spec.network === 'allow' ? egressFor(context, engine, session, gateRef, !options.engine) : undefined;
  // Awaited in runProfile; a failure while the check runs must not count as unhandled.
  egress?.catch(() => undefined);
  // A pooled sandbox has no egress set of its own: an allowlisted profile never looks.
  const look = egress ? undefined : poolLookFor(engine, spec, options.brokered !== undefined);
  try {
    await checkRuntimeNetwork(engine, { runtime, profileRuntime: spec.runtime, network: spec.network, profile: spec.name, configFile: config.file });
    debug(`engine ${describeEndpoint(endpoint)} (${endpoint.source}), image ${spec.image}, runtime ${runtime}, network ${spec.network}`);
    // Brokered with no member to claim: "cold" before the gate opens (the shim's node launcher opens its own).
    if (options.brokered && look && (await look.members.catch(() => [])).length === 0) throw new ColdStart('no warm sandbox of this profile');
    const gate = options.stage ? undefined : gateFor(context, engine, secretValues, await gateModule, options.principal);
    gateRef.gate = gate;
    const stage = options.stage ?? gate?.stage;
    const guard = !options.engine && !options.brokered;
    return await runProfile(context, engine, secretValues, { ...(stage ? { stage } : {}), ...(gate ? { gate } : {}), guard, refill: guard || options.brokered !== undefined, session, ...(egress ? { egress } : {}), ...(look ? { look } : {}), ...(options.brokered ? { brokered: options.brokered } : {}) });
  } finally {
    // Also when the check or the gate refused the session before it began (a second stop is a no-op).
    await egress?.then((set) => set.stop(), () => undefined);
    if (!options.engine) engine.close();
    if (io.stdin === process.stdin) process.stdin.destroy();
  }
}

interface RunContext {
  spec: SandboxSpec;
  profileFile: string;
  runtime: string;
  config: UserConfig;
  endpoint: EngineEndpoint;
  env: NodeJS.ProcessEnv;
  io: SessionIo;
  debug(message: string): void;
  warn(message: string): void;
}

/** `--dry-run`: the plan as JSON on stdout, after the same runtime-network check as a run. */
async function dryRun(context: RunContext, engine: EngineClient, own: boolean): Promise<number> {
  const { spec, runtime, config } = context;
  try {
    await checkRuntimeNetwork(engine, { runtime, profileRuntime: spec.runtime, network: spec.network, profile: spec.name, configFile: config.file, unreachableOk: true });
  } finally {
    if (own) engine.close();
  }
  const session = `${spec.name}-<pid>-<random>`;
  const plan = {
    engine: describeEndpoint(context.endpoint),
    name: `mcp-sandbox-${session}`,
    // Names and where they would come from; values are never printed.
    secrets: secretSources(spec.secrets, { env: context.env }),
    stopGrace: config.stopGrace,
    create: launchBody(spec, runtime, {}, spec.network === 'allow' ? session : undefined),
    ...(spec.network === 'allow' ? { egress: await egressPlanBodies(spec, config, session) } : {}),
  };
  context.io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  return 0;
}

/**
 * The MCP gate for this session (./gate-stage.ts). `MCP_SANDBOX_GATE=off` carries bytes blind,
 * as before the gate existed: for benchmarks and diagnosis, and said on stderr every time.
 */
function gateFor(context: RunContext, engine: EngineClient, secretValues: Record<string, string>, module: typeof import('./gate-stage.js') | undefined, principal?: AuditPrincipal): GateSession | undefined {
  if (!module) {
    context.warn('the MCP gate is off (MCP_SANDBOX_GATE=off): no tool policy, secret masking or audit log for this session');
    return undefined;
  }
  return module.openGateSession({ spec: context.spec, profileFile: context.profileFile, secretValues, env: context.env, engine, ...(principal ? { principal } : {}), debug: context.debug });
}

/** Local bind sources can be checked for free; on a remote engine the create call reports them. */
function checkMountSources(spec: SandboxSpec, endpoint: EngineEndpoint): void {
  if (endpoint.kind !== 'unix') return;
  for (const mount of spec.mounts) {
    if (mount.type === 'bind' && !existsSync(mount.source)) {
      throw new SandboxError('MOUNT_SOURCE_MISSING', `mount source ${mount.source} (for ${mount.target}) does not exist`, {
        hint: 'create it, or fix filesystem.mounts in the profile',
      });
    }
  }
}

/**
 * The session, plus what runs beside it once the server has answered (or 1 s after start):
 * the sweep of this profile's orphans and the watchdog (./watchdog.ts). While the server
 * starts, the engine and the CPUs belong to it. Spawning the watchdog stalls the launcher for
 * a moment (BENCHMARKS.md), so after the first answer it waits for the client to fall quiet;
 * a server that never answers gets it 3 s after start; a shutdown signal arms it at once. A
 * claimed session needs no watchdog: the pool reaper guards it (./warm-guard.ts).
 */
async function runProfile(context: RunContext, engine: EngineClient, secretValues: Record<string, string>, extra: { stage?: MessageStage; gate?: GateSession; guard: boolean; refill: boolean; session: string; egress?: Promise<RunEgress>; look?: PoolLook; brokered?: { accept(): void } }): Promise<number> {
  const { spec, io, debug } = context;
  const { session } = extra;
  const egress = await extra.egress;
  // A claimed spare's holder is named by its own egress session (egress-session.ts).
  const body = launchBody(spec, context.runtime, secretValues, egress?.session);
  // The loopback prototype's server keeps a namespace of its own (egress/loopback.ts).
  if (egress?.serverNetwork) Object.assign(body.HostConfig, egress.serverNetwork);
  const warm = await claimOrCold(context, engine, body, secretValues, extra, egress);
  const name = warm?.claimed?.name ?? `mcp-sandbox-${session}`;
  const order = { endpoint: context.endpoint, container: name, stopTimeout: 1, ...(egress ? { egressSession: egress.session } : {}) };
  // A claimed session is guarded by the pool reaper from here on, with no spawn (./warm-guard.ts).
  const guard: Watchdog | undefined = extra.guard ? (warm?.claimed ? warm.guard(order, watchdog(order, debug)) : watchdog(order, debug)) : undefined;
  const sweeper = orphanSweeper(engine, spec.name, debug);
  let timer: NodeJS.Timeout | undefined;
  let serverAnswered = false;
  const besides = (id: string): void => {
    serverAnswered = true;
    clearTimeout(timer);
    sweeper.sweep(id);
    // After a claim the reaper already guards the session (a watchdog, if it cannot, was armed
    // at once); only the refill request waits, for a later quiet moment (WARM_QUIET): launchers a
    // client starts together claim within a second, and a refiller started at each first answer
    // took the CPUs from the launchers still waiting for theirs.
    if (warm?.claimed) armWhenQuiet({ arm: () => warm.refill() }, io.stdin, ...WARM_QUIET);
    else if (guard) armWhenQuiet(guard, io.stdin);
    // The next start of this allowlist claims a spare set: asked for once the client is quiet, as a refill is.
    if (egress) armWhenQuiet({ arm: () => void egress.answered() }, io.stdin, ...WARM_QUIET);
  };
  let containerId: string | undefined;
  try {
    const result = await runSession({
      engine,
      body,
      name,
      ...(warm?.claimed ? { claimed: warm.claimed } : {}),
      pull: spec.pull,
      stopGrace: context.config.stopGrace,
      io: egressIo(guard ? armOnSignal(io, guard) : io, egress),
      stage: extra.stage,
      debug,
      warn: context.warn,
      // The server starts once its namespace is confined; the proxy's start overlaps its own.
      ...(egress ? { beforeStart: () => egress.confined } : {}),
      onStarted: (id) => {
        containerId = id;
        extra.gate?.started(id);
        egress?.serverStarted();
        timer = setTimeout(() => {
          sweeper.sweep(id);
          timer = setTimeout(() => guard?.arm(), 2000);
          timer.unref();
        }, 1000);
        timer.unref();
      },
      onFirstOutput: () => {
        if (containerId !== undefined) besides(containerId);
      },
    });
    debug(`exit ${result.exitCode} (${result.reason})`);
    // Its last connection events reach the audit log before the gate closes it.
    await egress?.stop();
    if (extra.gate) await settleWithin(extra.gate.end(result), 2000);
    return result.exitCode;
  } finally {
    clearTimeout(timer);
    // A session that ended before either moment still collects (its server no longer starts).
    if (containerId !== undefined) sweeper.sweep(containerId);
    // Disarmed only once the egress set is gone: a launcher killed while removing it (a client's
    // SIGTERM/SIGKILL after closing stdin) leaves the rest to the watchdog.
    await egress?.stop();
    guard?.disarm();
    // A session shorter than the quiet moment (a client's health check) still has its member replaced.
    warm?.refill();
    // Likewise a spare set, but only for a server that answered (never before its first answer).
    if (serverAnswered) await egress?.answered();
    await sweeper.settle();
  }
}

/**
 * The warm member this session claims, if any. A pooled sandbox has no egress set of its own:
 * an allowlisted profile always starts cold. Brokered (the native shim, ./warm-broker.ts), no
 * claim means "cold": the shim then runs the node launcher instead.
 */
async function claimOrCold(context: RunContext, engine: EngineClient, body: CreateBody, secretValues: Record<string, string>, extra: { stage?: MessageStage; refill: boolean; look?: PoolLook; brokered?: { accept(): void } }, egress: RunEgress | undefined): Promise<WarmLaunch | undefined> {
  const { spec, debug } = context;
  const warm = egress ? undefined : await warmLaunch({ engine, spec, body, secretValues, env: context.env, refill: extra.refill, look: extra.look, debug });
  if (extra.brokered) {
    if (!warm?.claimed) {
      await extra.stage?.close().catch(() => undefined);
      throw new ColdStart('nothing to claim');
    }
    extra.brokered.accept();
  }
  return warm;
}

/** The egress set's create bodies as `run` would send them (subnet block 0 stands in for the random one). */
async function egressPlanBodies(spec: SandboxSpec, config: UserConfig, session: string): Promise<unknown> {
  const [{ planEgress }, { egressBodies }] = await Promise.all([import('../egress/plan.js'), import('../egress/render.js')]);
  const plan = planEgress(spec.egress?.entries ?? [], config.egress?.hosts ?? new Map());
  return egressBodies(plan, { sessionId: session, ...(config.egress?.network ? { upstreamNetwork: config.egress.network } : {}) }, 0);
}

/** The session's egress set (./egress-session.ts), loaded only for an allowlisted profile. */
async function egressFor(context: RunContext, engine: EngineClient, session: string, gateRef: { gate?: GateSession }, spares: boolean): Promise<RunEgress> {
  const { beginEgress } = await import('./egress-session.js');
  return beginEgress({
    spec: context.spec,
    engine,
    config: context.config,
    session,
    // Not with an injected engine (tests in-process): the keeper would run against the real one.
    ...(spares ? { spares: { endpoint: context.endpoint, container: `mcp-sandbox-${session}` } } : {}),
    // No event can come before the server runs, by when the gate (if any) is open.
    record: (entry: Record<string, unknown>) => gateRef.gate?.audit.record(entry),
    callsDuring: (from: number, to: number) => gateRef.gate?.calls.during(from, to) ?? [],
    debug: context.debug,
  });
}

/** With an egress set, the client's messages after `initialize` wait for its proxy (egress-session.ts). */
function egressIo(io: SessionIo, egress: RunEgress | undefined): SessionIo {
  return egress ? { ...io, stdin: egress.holdInput(io.stdin) } : io;
}

/** After a claim: how long the client must be quiet before the refill request, and the latest moment (ms). */
const WARM_QUIET: [number, number] = [1000, 3000];

/**
 * Arms the watchdog once no client bytes have arrived for `quietMs`, so its spawn delays no
 * request; with `maxMs`, a client that never falls quiet gets it then all the same.
 */
function armWhenQuiet(guard: { arm(): void }, stdin: NodeJS.ReadableStream, quietMs = 50, maxMs?: number): void {
  let timer: NodeJS.Timeout | undefined;
  let armed = false;
  const arm = (): void => {
    if (armed) return;
    armed = true;
    clearTimeout(timer);
    clearTimeout(latest);
    stdin.off('data', wait);
    guard.arm();
  };
  const latest = maxMs === undefined ? undefined : setTimeout(arm, maxMs);
  latest?.unref();
  const wait = (): void => {
    clearTimeout(timer);
    timer = setTimeout(arm, quietMs);
    timer.unref();
  };
  stdin.on('data', wait);
  wait();
}

/** The session's io, with the watchdog armed before the session sees a shutdown signal. */
function armOnSignal(io: SessionIo, guard: Watchdog): SessionIo {
  return {
    ...io,
    onSignal: (handler) =>
      io.onSignal((signal) => {
        guard.arm();
        handler(signal);
      }),
  };
}

/** This profile's orphans, collected once per run. */
function orphanSweeper(engine: EngineClient, profile: string, debug: (message: string) => void): { sweep(exclude: string): void; settle(): Promise<void> } {
  let sweep: Promise<unknown> | undefined;
  return {
    sweep(exclude) {
      sweep ??= collectOrphans(engine, { profile, exclude }).then(
        (removed) => {
          for (const entry of removed) debug(`removed orphan ${entry.id.slice(0, 12)} (launcher ${entry.launcherPid} gone)${entry.error ? `: ${entry.error}` : ''}`);
        },
        (error: unknown) => debug(`orphan sweep failed: ${(error as Error).message}`),
      );
    },
    settle: () => (sweep ? settleWithin(sweep, 2000) : Promise.resolve()),
  };
}
