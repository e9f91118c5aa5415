/**
 * The profile as written in YAML (`Profile`) and after normalization (`NormalizedProfile`).
 * `schema/profile.schema.json` is the source of truth for the shape; these types mirror it.
 * Normalization keeps the same keys, so a JSON pointer means the same thing in both.
 */
import type { AllowEntry } from '../egress/allow.js';

/**
 * How the server reaches the network. `allow`: only the destinations of `network.allow`, through
 * the egress set (docs/egress.md); a profile writes it as `network: { allow: [...] }`.
 */
export type NetworkMode = 'none' | 'bridge' | 'host' | 'allow';
export type PullPolicy = 'never' | 'missing' | 'always';
export type NamespaceMode = 'private' | 'host';

export interface TmpfsEntry {
  path: string;
  size?: string | number;
  exec?: boolean;
  mode?: string;
}

export interface MountEntry {
  type?: 'bind' | 'volume';
  source: string;
  target: string;
  readOnly?: boolean;
}

/** A profile as loaded from YAML, after `extends` is merged and the schema passed. */
export interface Profile {
  version: 1;
  name: string;
  description?: string;
  extends?: string;
  image: string;
  pull?: PullPolicy;
  command?: string[];
  entrypoint?: string[];
  workdir?: string;
  user?: string | number;
  runtime?: string;
  network?: Exclude<NetworkMode, 'allow'> | { allow: string[] };
  namespaces?: { pid?: NamespaceMode; ipc?: NamespaceMode; uts?: NamespaceMode; userns?: NamespaceMode };
  /** Container limits, and (allow/deny) the MCP gate's resource URI globs. */
  resources?: { memory?: string | number; memorySwap?: string | number; cpus?: number; pids?: number; allow?: string[]; deny?: string[] };
  filesystem?: { readOnlyRoot?: boolean; tmpfs?: TmpfsEntry[]; mounts?: MountEntry[] };
  security?: {
    capDrop?: string[];
    capAdd?: string[];
    noNewPrivileges?: boolean;
    seccomp?: string;
    init?: boolean;
    privileged?: boolean;
  };
  env?: Record<string, string | number | boolean>;
  secrets?: string[];
  /** The gate's audit log options (docs/audit.md). */
  audit?: { arguments?: 'none' | 'keys' | 'redacted' | 'full'; results?: 'none' | 'summary' | 'full'; webhook?: string };
  labels?: Record<string, string>;
  justifications?: Record<string, string>;
  build?: { base: 'node' | 'python'; package: string };
  /** MCP gate sections (src/gate/config.ts reads them). */
  tools?: { allow?: string[]; deny?: string[]; constrain?: Record<string, object | boolean>; onDrift?: 'block' | 'warn' | 'off' };
  prompts?: { allow?: string[]; deny?: string[] };
  limits?: { callsPerMinute?: number; maxConcurrent?: number; maxMessageBytes?: string | number };
  secretScan?: 'mask' | 'block' | 'off';
  roots?: 'mounts' | 'client' | 'none';
  /** Warm start: a pool of started sandboxes `run` claims (docs/run.md). */
  warm?: { pool?: number; idleTimeout?: number | string };
  /** `mcp-sandbox serve`: session limits and OAuth (docs/serve.md). */
  serve?: {
    sessions?: { max?: number; perSubject?: number; idleTimeout?: number | string };
    auth?: { issuer: string; audience?: string; scopes: Record<string, string[]>; jwksUri?: string };
  };
}

/** `network.allow` after normalization; the plan itself needs the user config's `egress.hosts`. */
export interface EgressAllow {
  /** The entries as written, variables expanded. */
  allow: string[];
  entries: AllowEntry[];
}

export interface NormalizedTmpfs {
  path: string;
  /** Bytes; undefined means no size cap (the kernel's default of half of RAM). */
  size?: number;
  exec: boolean;
  mode?: string;
}

export interface NormalizedMount {
  type: 'bind' | 'volume';
  /** Absolute host path for binds (~, ${VAR} and relative paths resolved); volume name otherwise. */
  source: string;
  target: string;
  readOnly: boolean;
}

/** Seccomp after normalization: a file is read so both emitters can use its content. */
export type NormalizedSeccomp =
  | { kind: 'default' }
  | { kind: 'unconfined' }
  | { kind: 'file'; path: string; content: string };

/** Every field present, defaults applied, sizes in bytes, paths absolute. */
export interface NormalizedProfile {
  version: 1;
  /** The MCP gate's policy, defaults applied (src/profile/normalize-gate.ts). */
  gate: GateConfig;
  name: string;
  description?: string;
  image: string;
  pull: PullPolicy;
  command?: string[];
  entrypoint?: string[];
  workdir?: string;
  user?: string;
  runtime: string;
  network: NetworkMode;
  /** With `network: allow`: the entries, variables expanded and parsed (src/egress/allow.ts). */
  egress?: EgressAllow;
  namespaces: { pid: NamespaceMode; ipc: NamespaceMode; uts: NamespaceMode; userns: NamespaceMode };
  resources: {
    /** Bytes; 0 = no limit. */
    memory: number;
    /** Bytes of memory plus swap; -1 = unlimited swap. */
    memorySwap: number;
    /** Cores; 0 = no limit. */
    cpus: number;
    /** -1 = no limit. */
    pids: number;
  };
  filesystem: { readOnlyRoot: boolean; tmpfs: NormalizedTmpfs[]; mounts: NormalizedMount[] };
  security: {
    capDrop: string[];
    capAdd: string[];
    noNewPrivileges: boolean;
    seccomp: NormalizedSeccomp;
    init: boolean;
    privileged: boolean;
  };
  env: Record<string, string>;
  secrets: string[];
  labels: Record<string, string>;
  justifications: Record<string, string>;
  build?: { base: 'node' | 'python'; package: string };
  /** Warm start, defaults applied; idleTimeout in seconds. */
  warm: WarmConfig;
  /** `serve`, defaults applied. */
  serve: ServeConfig;
}

/**
 * `serve` of a profile, normalized. `auth` has the shape of src/serve/auth/types.ts's
 * ServeAuthConfig (restated, not imported: nothing below src/serve depends on it; the
 * serve command passes it on, which the compiler checks).
 */
export interface ServeConfig {
  sessions: {
    max: number;
    perSubject: number;
    /** Seconds. */
    idleTimeout: number;
  };
  auth?: {
    issuer: string;
    audience?: string;
    scopes: ReadonlyMap<string, readonly string[]>;
    jwksUri?: string;
  };
}

export interface WarmConfig {
  pool: number;
  /** Seconds. */
  idleTimeout: number;
}

// The MCP gate's configuration (docs/gate.md), normalized from the profile's tools, resources
// (allow/deny), prompts, limits, secretScan, roots and audit keys by normalize-gate.ts.
export type SecretScanMode = 'mask' | 'block' | 'off';
export type RootsMode = 'mounts' | 'client' | 'none';
export type DriftMode = 'block' | 'warn' | 'off';
export type AuditArgumentsMode = 'none' | 'keys' | 'redacted' | 'full';

/** allow/deny globs: deny wins; `allow` undefined means everything not denied. */
export interface NamePolicy {
  allow?: readonly string[];
  deny: readonly string[];
}

export interface GateConfig {
  /** `audit.webhook`: security events are POSTed there too (never blocking the session). */
  auditWebhook?: string;
  tools: NamePolicy & { constrain: Readonly<Record<string, unknown>>; onDrift: DriftMode };
  resources: NamePolicy;
  prompts: NamePolicy;
  /** 0 means no limit for the two counters. */
  limits: { callsPerMinute: number; maxConcurrent: number; maxMessageBytes: number };
  secretScan: SecretScanMode;
  roots: RootsMode;
  auditArguments: AuditArgumentsMode;
}

