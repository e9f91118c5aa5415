/**
 * Normalize stage, as a fixed sequence of small stages: defaults (src/profile/defaults.ts only),
 * units (normalize-resources.ts), variables and host paths (host-paths.ts), seccomp
 * (seccomp.ts), semantic checks (checks.ts). Later stages never deal with shorthand.
 */
import { SandboxError } from '../errors.js';
import { capabilityName } from './capabilities.js';
import { checkLabels, checkMountTargets } from './checks.js';
import { PROFILE_DEFAULTS, SERVE_DEFAULTS, WARM_DEFAULTS } from './defaults.js';
import { expandHostPath, normalizeMounts } from './host-paths.js';
import { normalizeResources, normalizeTmpfs } from './normalize-resources.js';
import { gateConfigOf } from './normalize-gate.js';
import { normalizeNetwork } from './normalize-network.js';
import { normalizeSeccomp } from './seccomp.js';
import type { NormalizedProfile, Profile, ServeConfig, WarmConfig } from './types.js';
import { canonicalUser } from './user.js';
import type { Locate } from './validate.js';

export { compactJson } from './seccomp.js';

/** What normalization reads from the outside world; tests pass their own. */
export interface NormalizeContext {
  env: NodeJS.ProcessEnv;
  home: string;
  locate: Locate;
  /** Directory of the file that defined a pointer: relative paths resolve against it. */
  baseDir(pointer: string): string;
  /** Reads a file (the seccomp profile); defaults to the read stage (src/profile/read.ts). */
  readFile?: (file: string) => string;
}

/** Throws PROFILE_INVALID at a pointer's position. */
export type Fail = (pointer: string, message: string, hint?: string) => never;

/** Normalizes a schema-valid profile. */
export function normalizeProfile(profile: Profile, ctx: NormalizeContext): NormalizedProfile {
  const fail: Fail = (pointer, message, hint) => {
    throw new SandboxError('PROFILE_INVALID', message, { location: ctx.locate(pointer), hint });
  };
  const failAtKey: Fail = (pointer, message, hint) => {
    throw new SandboxError('PROFILE_INVALID', message, { location: ctx.locate(pointer, true), hint });
  };
  const defaults = PROFILE_DEFAULTS;
  const resources = normalizeResources(profile.resources ?? {}, fail);
  const filesystem = profile.filesystem ?? {};
  const tmpfs = normalizeTmpfs(filesystem.tmpfs, fail);
  const mounts = normalizeMounts(filesystem.mounts ?? [], ctx, fail);
  checkMountTargets(tmpfs, mounts, fail);
  const labels = { ...(profile.labels ?? {}) };
  checkLabels(labels, failAtKey);
  return {
    version: 1,
    name: profile.name,
    ...(profile.description === undefined ? {} : { description: profile.description }),
    image: profile.image,
    pull: profile.pull ?? defaults.pull,
    ...(profile.command ? { command: [...profile.command] } : {}),
    ...(profile.entrypoint ? { entrypoint: [...profile.entrypoint] } : {}),
    ...(profile.workdir ? { workdir: profile.workdir } : {}),
    ...(profile.user === undefined ? {} : { user: normalizeUser(profile.user, fail) }),
    runtime: profile.runtime ?? defaults.runtime,
    ...normalizeNetwork(profile.network, defaults.network, ctx, fail),
    namespaces: { ...defaults.namespaces, ...definedOnly(profile.namespaces ?? {}) },
    resources,
    filesystem: { readOnlyRoot: filesystem.readOnlyRoot ?? defaults.filesystem.readOnlyRoot, tmpfs, mounts },
    security: normalizeSecurity(profile.security ?? {}, ctx, fail),
    env: ownRecord(profile.env ?? {}, String),
    secrets: [...(profile.secrets ?? [])],
    labels,
    justifications: ownRecord(profile.justifications ?? {}, String),
    ...(profile.build ? { build: { ...profile.build } } : {}),
    gate: gateConfigOf(profile),
    warm: normalizeWarm(profile.warm ?? {}),
    serve: normalizeServe(profile.serve ?? {}),
  };
}

/** `serve`, defaults applied; scopes as a Map (their names come from the file). */
export function normalizeServe(serve: NonNullable<Profile['serve']>): ServeConfig {
  const sessions = serve.sessions ?? {};
  const defaults = SERVE_DEFAULTS.sessions;
  const auth = serve.auth;
  return {
    sessions: {
      max: sessions.max ?? defaults.max,
      perSubject: sessions.perSubject ?? defaults.perSubject,
      idleTimeout: durationSeconds(sessions.idleTimeout ?? defaults.idleTimeout),
    },
    ...(auth
      ? {
          auth: {
            issuer: auth.issuer,
            ...(auth.audience === undefined ? {} : { audience: auth.audience }),
            scopes: new Map(Object.entries(auth.scopes).map(([scope, globs]) => [scope, [...globs]] as const)),
            ...(auth.jwksUri === undefined ? {} : { jwksUri: auth.jwksUri }),
          },
        }
      : {}),
  };
}

/** `warm`, defaults applied; the schema has already checked the duration's shape. */
export function normalizeWarm(warm: NonNullable<Profile['warm']>): WarmConfig {
  return { pool: warm.pool ?? WARM_DEFAULTS.pool, idleTimeout: durationSeconds(warm.idleTimeout ?? WARM_DEFAULTS.idleTimeout) };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** 90, '90s', '30m', '2h' as seconds. */
export function durationSeconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)([smh])$/.exec(value);
  return match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] ?? 1) : Number(value);
}

function normalizeSecurity(security: NonNullable<Profile['security']>, ctx: NormalizeContext, fail: Fail): NormalizedProfile['security'] {
  const defaults = PROFILE_DEFAULTS.security;
  const hostPath = (raw: string): string => expandHostPath(raw, '/security/seccomp', ctx, fail);
  return {
    capDrop: (security.capDrop ?? defaults.capDrop).map(capabilityName),
    capAdd: (security.capAdd ?? defaults.capAdd).map(capabilityName),
    noNewPrivileges: security.noNewPrivileges ?? defaults.noNewPrivileges,
    seccomp: normalizeSeccomp(security.seccomp ?? defaults.seccomp, ctx, fail, hostPath),
    init: security.init ?? defaults.init,
    privileged: security.privileged ?? defaults.privileged,
  };
}

function normalizeUser(user: string | number, fail: Fail): string {
  const result = canonicalUser(user);
  return 'user' in result ? result.user : fail('/user', `user ${JSON.stringify(String(user))}: ${result.error}`, 'expected uid[:gid] such as "1000:1000", or a user name');
}

/** A copy whose keys come from input: defineProperty, so a key "__proto__" stays a key. */
function ownRecord<T>(record: Readonly<Record<string, unknown>>, convert: (value: unknown) => T): Record<string, T> {
  const copy: Record<string, T> = {};
  for (const [name, value] of Object.entries(record)) {
    Object.defineProperty(copy, name, { value: convert(value), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function definedOnly<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
