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
import { enforceLintVerdict } from '../lint/enforce.js';
import type { NormalizedProfile } from '../profile/types.js';
import type { Locate } from '../profile/validate.js';
import { normalizeCached, profileCacheDir, readProfileCache, writeProfileCache } from '../profile/cache.js';
import { LABELS } from '../labels.js';
import { resolveProfileArg } from '../profile/resolve.js';
import { VERSION } from '../version.js';
import { describeEndpoint, resolveEndpoint } from '../engine/endpoint.js';
import type { EngineClient } from '../engine/client.js';
import { HttpEngineClient } from '../engine/http-client.js';
import { collectOrphans } from '../sandboxes/sandboxes.js';
import { resolveSecrets, secretSources } from './secrets.js';
import { SHUTDOWN_SIGNALS, runSession, settleWithin, type SessionIo, type ShutdownSignal } from './session.js';
import { loadUserConfigLean, mapRuntime } from './user-config-core.js';

export interface LaunchOptions {
  extraArgs?: string[];
  dryRun?: boolean;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  io?: SessionIo;
  /** Injected in tests; defaults to the node:http client on the resolved endpoint. */
  engine?: EngineClient;
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
export function launchBody(spec: SandboxSpec, runtime: string, secretValues: Record<string, string>): CreateBody {
  const body = toCreateBody(
    { ...spec, runtime },
    {
      secretValues,
      labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: hostname(), [LABELS.version]: VERSION },
    },
  );
  // Removed explicitly after exit, once State.OOMKilled has been read (see session.ts).
  body.HostConfig.AutoRemove = false;
  return body;
}

/**
 * prepareSandbox for `run`: the parsed and merged profile comes from the profile cache when
 * every layer file is unchanged, so the yaml library is not even loaded (src/profile/cache.ts).
 * Schema, normalize (env, home) and compile always run. Any error on a hit is decided by the
 * full load instead, so messages and positions are exactly those of a load without the cache.
 */
export async function prepareForRun(profileArg: string, options: { env: NodeJS.ProcessEnv; extraArgs: string[] }): Promise<SandboxSpec> {
  const file = resolveProfileArg(profileArg, options.env);
  // The one enforcement point: on a cache hit a refusal falls through to the full load below, which names positions.
  const enforced = (profile: NormalizedProfile, locate?: Locate): SandboxSpec => compileSpec(enforceLintVerdict(profile, { file, ...(locate ? { locate } : {}) }), { extraArgs: options.extraArgs });
  const cacheDir = profileCacheDir(options.env);
  const entry = cacheDir === undefined ? undefined : readProfileCache(cacheDir, file);
  if (entry) {
    try {
      return enforced(normalizeCached(entry, { env: options.env }));
    } catch {
      // The full load below reports it, with its source position.
    }
  }
  const { loadProfileTraced } = await import('../profile/load.js');
  const { loaded, trace } = loadProfileTraced(file, { env: options.env });
  if (cacheDir !== undefined) writeProfileCache(cacheDir, { file, layers: trace.layers, merged: loaded.raw as unknown as Record<string, unknown>, baseDirs: trace.baseDirs });
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

  const spec = await prepareForRun(profileArg, { env, extraArgs: options.extraArgs ?? [] });
  const config = await loadUserConfigLean(env);
  const runtime = mapRuntime(config, spec.runtime, spec.network);
  if (runtime !== spec.runtime) debug(`runtime ${spec.runtime} (network ${spec.network}) mapped to ${runtime} by ${config.file}`);

  if (options.dryRun) {
    const endpoint = options.engine?.endpoint ?? resolveEndpoint({ env });
    const plan = {
      engine: describeEndpoint(endpoint),
      name: `mcp-sandbox-${spec.name}-<pid>-<random>`,
      // Names and where they would come from; values are never printed.
      secrets: secretSources(spec.secrets, { env }),
      stopGrace: config.stopGrace,
      create: launchBody(spec, runtime, {}),
    };
    io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return 0;
  }

  const secretValues = resolveSecrets(spec.secrets, { env });
  const endpoint = options.engine?.endpoint ?? resolveEndpoint({ env });
  // Local bind sources can be checked for free; on a remote engine the create call reports them.
  if (endpoint.kind === 'unix') {
    for (const mount of spec.mounts) {
      if (mount.type === 'bind' && !existsSync(mount.source)) {
        throw new SandboxError('MOUNT_SOURCE_MISSING', `mount source ${mount.source} (for ${mount.target}) does not exist`, {
          hint: 'create it, or fix filesystem.mounts in the profile',
        });
      }
    }
  }
  const engine = options.engine ?? new HttpEngineClient(endpoint);
  debug(`engine ${describeEndpoint(endpoint)} (${endpoint.source}), image ${spec.image}, runtime ${runtime}, network ${spec.network}`);

  let orphanSweep: Promise<unknown> | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  // The sweep of this profile's orphans waits until the server has answered for the first time
  // (or 1 s after start): while the server starts, the engine and the CPUs belong to it.
  const sweep = (id: string): void => {
    clearTimeout(sweepTimer);
    if (orphanSweep) return;
    orphanSweep = collectOrphans(engine, { profile: spec.name, exclude: id }).then(
      (removed) => {
        for (const entry of removed) debug(`removed orphan ${entry.id.slice(0, 12)} (launcher ${entry.launcherPid} gone)${entry.error ? `: ${entry.error}` : ''}`);
      },
      (error: unknown) => debug(`orphan sweep failed: ${(error as Error).message}`),
    );
  };
  let containerId: string | undefined;
  try {
    const result = await runSession({
      engine,
      body: launchBody(spec, runtime, secretValues),
      name: `mcp-sandbox-${spec.name}-${process.pid}-${randomBytes(3).toString('hex')}`,
      pull: spec.pull,
      stopGrace: config.stopGrace,
      io,
      debug,
      warn,
      onStarted: (id) => {
        containerId = id;
        sweepTimer = setTimeout(() => sweep(id), 1000);
        sweepTimer.unref();
      },
      onFirstOutput: () => {
        if (containerId !== undefined) sweep(containerId);
      },
    });
    debug(`exit ${result.exitCode} (${result.reason})`);
    return result.exitCode;
  } finally {
    // A session that ended before either moment still collects (its server no longer starts).
    if (containerId !== undefined) sweep(containerId);
    if (orphanSweep) await settleWithin(orphanSweep, 2000);
    if (!options.engine) engine.close();
    if (io.stdin === process.stdin) process.stdin.destroy();
  }
}
