/**
 * `SandboxSpec`: the one model both emitters read. It is the profile translated into the
 * engine's vocabulary (nano-CPUs, tmpfs option strings, a single entrypoint executable), so the
 * docker argv and the Engine API body cannot drift apart: they are two spellings of this object.
 */
import { PROXY_ENV } from '../egress/proxy-env.js';
import { LABELS } from '../labels.js';
import type { EgressAllow, GateConfig, ServeConfig, WarmConfig, NamespaceMode, NetworkMode, NormalizedMount, NormalizedProfile, NormalizedSeccomp, PullPolicy } from '../profile/types.js';
import { effectiveCapabilities } from '../profile/capabilities.js';
import { formatSize } from '../profile/units.js';

/** Re-exported for the emitters' tests; the one home is src/profile/capabilities.ts. */
export { effectiveCapabilities };

export interface SandboxSpec {
  /** Profile name, also the value of the mcp-sandbox.profile label. */
  name: string;
  image: string;
  pull: PullPolicy;
  /** The docker CLI takes one executable for --entrypoint; further entrypoint items lead `cmd`. */
  entrypoint?: string;
  cmd?: string[];
  workdir?: string;
  user?: string;
  runtime: string;
  network: NetworkMode;
  /** With network `allow`: the allowlist; the launcher starts its egress set (src/egress/). */
  egress?: EgressAllow;
  namespaces: { pid: NamespaceMode; ipc: NamespaceMode; uts: NamespaceMode; userns: NamespaceMode };
  readOnlyRoot: boolean;
  /** Mount point -> option string, identical in argv and API body. */
  tmpfs: Array<{ path: string; options: string }>;
  mounts: NormalizedMount[];
  /** Bytes; 0 = no limit. */
  memory: number;
  /** Bytes; -1 = unlimited swap; 0 = unset (only when memory is 0). */
  memorySwap: number;
  /** CPU quota in units of 1e-9 cores; 0 = no limit. */
  nanoCpus: number;
  /** -1 = no limit. */
  pidsLimit: number;
  /** As the docker CLI sends them: CAP_ prefix (except ALL), deduplicated, sorted. */
  capDrop: string[];
  capAdd: string[];
  noNewPrivileges: boolean;
  seccomp: NormalizedSeccomp;
  init: boolean;
  privileged: boolean;
  /** Literal values, sorted by name. */
  env: Array<{ name: string; value: string }>;
  /** Names only: values are supplied by whoever starts the container. */
  secrets: string[];
  /** Sorted by key; includes mcp-sandbox.profile. */
  labels: Record<string, string>;
  /** The MCP gate's policy for `run` (no emitter reads it: it is not part of the container). */
  gate: GateConfig;
  /** Warm start for `run` (src/run/warm*.ts); not part of the container either. */
  warm: WarmConfig;
  /** `serve`'s session limits and OAuth (src/serve/); not part of the container. */
  serve: ServeConfig;
}

/** Extra inputs that are not part of the reviewed profile. */
export interface CompileOptions {
  /** Appended to the command (`mcp-sandbox run <profile> -- args…`). */
  extraArgs?: string[];
}

/** Compiles a normalized profile into the sandbox model. Pure. */
export function compileSpec(profile: NormalizedProfile, options: CompileOptions = {}): SandboxSpec {
  const [executable, ...entryArgs] = profile.entrypoint ?? [];
  const cmdParts = [...entryArgs, ...(profile.command ?? []), ...(options.extraArgs ?? [])];
  const labels = sortKeys({ ...profile.labels, [LABELS.profile]: profile.name });
  return {
    name: profile.name,
    image: profile.image,
    pull: profile.pull,
    ...(executable === undefined ? {} : { entrypoint: executable }),
    ...(cmdParts.length > 0 ? { cmd: cmdParts } : {}),
    ...(profile.workdir ? { workdir: profile.workdir } : {}),
    ...(profile.user === undefined ? {} : { user: profile.user }),
    runtime: profile.runtime,
    network: profile.network,
    ...(profile.egress ? { egress: { allow: [...profile.egress.allow], entries: profile.egress.entries.map((e) => ({ ...e })) } } : {}),
    namespaces: { ...profile.namespaces },
    readOnlyRoot: profile.filesystem.readOnlyRoot,
    tmpfs: profile.filesystem.tmpfs.map((t) => ({
      path: t.path,
      options: [
        'rw',
        ...(t.exec ? ['exec'] : ['noexec']),
        'nosuid',
        'nodev',
        ...(t.size === undefined ? [] : [`size=${formatSize(t.size)}`]),
        ...(t.mode === undefined ? [] : [`mode=${t.mode}`]),
      ].join(','),
    })),
    mounts: profile.filesystem.mounts.map((m) => ({ ...m })),
    memory: profile.resources.memory,
    memorySwap: profile.resources.memorySwap,
    nanoCpus: Math.round(profile.resources.cpus * 1e9),
    pidsLimit: profile.resources.pids,
    ...effectiveCapabilities(profile.security.capAdd, profile.security.capDrop),
    noNewPrivileges: profile.security.noNewPrivileges,
    seccomp: profile.security.seccomp,
    init: profile.security.init,
    privileged: profile.security.privileged,
    // A name that is also a secret gets the secret, never the literal: the docker CLI keeps the
    // last --env of a name while the API would pass both. (Lint reports it as MS602.)
    env: Object.keys(profile.env)
      .filter((name) => !profile.secrets.includes(name))
      .sort()
      .map((name) => ({ name, value: profile.env[name] as string })),
    secrets: [...profile.secrets],
    labels,
    gate: profile.gate,
    warm: profile.warm,
    serve: profile.serve,
  };
}

/**
 * The server's environment as the Docker emitters write it: an allowlisted server also gets the
 * egress set's CONNECT proxy in the proxy variables (docs/egress.md), for clients that honour
 * them; a profile's own value of one of them (or a secret of that name) wins.
 */
export function containerEnv(spec: SandboxSpec): SandboxSpec['env'] {
  if (spec.network !== 'allow') return spec.env;
  const taken = new Set([...spec.env.map((e) => e.name), ...spec.secrets]);
  return [...spec.env, ...Object.entries(PROXY_ENV).flatMap(([name, value]) => (taken.has(name) ? [] : [{ name, value }]))];
}

/** The egress set's network-namespace holder for a session: the container an allowlisted server joins. */
export function egressHolderName(session: string): string {
  return `mcp-sandbox-egress-${session}-dns`;
}

/**
 * The server container's network mode. An allowlisted server joins its session's holder; with
 * no session (render, goldens) the profile's name stands in, as `render --format shell` uses it.
 */
export function networkModeOf(spec: SandboxSpec, session: string = spec.name): string {
  return spec.network === 'allow' ? `container:${egressHolderName(session)}` : spec.network;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
