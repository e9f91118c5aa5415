/**
 * Normalize stage: applies the hardening defaults, converts units to bytes, expands `~` and
 * `${VAR}` in host paths and reads a seccomp file, so later stages never deal with shorthand.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import { PROFILE_DEFAULTS } from './defaults.js';
import type { NormalizedMount, NormalizedProfile, NormalizedSeccomp, NormalizedTmpfs, Profile } from './types.js';
import { parseSize } from './units.js';
import type { Locate } from './validate.js';
import { toPointer } from './source.js';

/** What normalization reads from the outside world; tests pass their own. */
export interface NormalizeContext {
  env: NodeJS.ProcessEnv;
  home: string;
  locate: Locate;
  /** Directory of the file that defined a pointer: relative paths resolve against it. */
  baseDir(pointer: string): string;
}

/** Builds the default context for a profile file. */
export function defaultContext(locate: Locate, baseDir: (pointer: string) => string): NormalizeContext {
  return { env: process.env, home: homedir(), locate, baseDir };
}

/** Normalizes a schema-valid profile. */
export function normalizeProfile(profile: Profile, ctx: NormalizeContext): NormalizedProfile {
  const fail = (pointer: string, message: string, hint?: string): never => {
    throw new SandboxError('PROFILE_INVALID', message, { location: ctx.locate(pointer), hint });
  };
  const size = (pointer: string, value: string | number): number => {
    const bytes = parseSize(value);
    return bytes === undefined ? fail(pointer, `${JSON.stringify(value)} is not a size`, 'expected e.g. 512m') : bytes;
  };

  const defaults = PROFILE_DEFAULTS;
  const resources = profile.resources ?? {};
  const memory = size('/resources/memory', resources.memory ?? defaults.resources.memory);
  let memorySwap: number;
  if (resources.memorySwap === -1) memorySwap = -1;
  else if (memory === 0) memorySwap = 0;
  else if (resources.memorySwap === undefined) memorySwap = memory;
  else {
    memorySwap = size('/resources/memorySwap', resources.memorySwap);
    if (memorySwap < memory) {
      fail('/resources/memorySwap', `resources.memorySwap (${memorySwap} bytes) is smaller than resources.memory (${memory} bytes)`, 'memorySwap counts memory plus swap: set it equal to memory for no swap');
    }
  }
  const pids = resources.pids ?? defaults.resources.pids;

  const filesystem = profile.filesystem ?? {};
  const tmpfs: NormalizedTmpfs[] = (filesystem.tmpfs ?? defaults.filesystem.tmpfs).map((entry, i) => ({
    path: entry.path,
    ...(entry.size === undefined ? {} : { size: size(`/filesystem/tmpfs/${i}/size`, entry.size) }),
    exec: entry.exec ?? false,
    ...('mode' in entry && entry.mode !== undefined ? { mode: entry.mode } : {}),
  }));
  const mounts: NormalizedMount[] = (filesystem.mounts ?? []).map((mount, i) => {
    const pointer = `/filesystem/mounts/${i}/source`;
    const type = mount.type ?? 'bind';
    const source =
      type === 'volume'
        ? checkVolumeName(mount.source, () => fail(pointer, `volume name ${JSON.stringify(mount.source)} is not valid`, 'use letters, digits, _ . - (or type: bind for a host path)'))
        : expandHostPath(mount.source, pointer, ctx, fail);
    return { type, source, target: mount.target, readOnly: mount.readOnly ?? defaults.mountReadOnly };
  });

  const security = profile.security ?? {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(profile.env ?? {})) env[name] = String(value);
  for (const key of Object.keys(profile.labels ?? {})) {
    if (key.startsWith('mcp-sandbox.')) fail(toPointer(['labels', key]), `label "${key}" is reserved for mcp-sandbox`, 'choose a key outside the mcp-sandbox. prefix');
  }

  return {
    version: 1,
    name: profile.name,
    ...(profile.description === undefined ? {} : { description: profile.description }),
    image: profile.image,
    pull: profile.pull ?? defaults.pull,
    ...(profile.command ? { command: [...profile.command] } : {}),
    ...(profile.entrypoint ? { entrypoint: [...profile.entrypoint] } : {}),
    ...(profile.workdir ? { workdir: profile.workdir } : {}),
    ...(profile.user === undefined ? {} : { user: String(profile.user) }),
    runtime: profile.runtime ?? defaults.runtime,
    network: profile.network ?? defaults.network,
    namespaces: {
      pid: profile.namespaces?.pid ?? 'private',
      ipc: profile.namespaces?.ipc ?? 'private',
      uts: profile.namespaces?.uts ?? 'private',
      userns: profile.namespaces?.userns ?? 'private',
    },
    resources: {
      memory,
      memorySwap,
      cpus: resources.cpus ?? defaults.resources.cpus,
      pids: pids === 0 ? -1 : pids,
    },
    filesystem: { readOnlyRoot: filesystem.readOnlyRoot ?? defaults.filesystem.readOnlyRoot, tmpfs, mounts },
    security: {
      capDrop: capabilities(security.capDrop ?? defaults.security.capDrop),
      capAdd: capabilities(security.capAdd ?? defaults.security.capAdd),
      noNewPrivileges: security.noNewPrivileges ?? defaults.security.noNewPrivileges,
      seccomp: seccomp(security.seccomp ?? defaults.security.seccomp, ctx, fail),
      init: security.init ?? defaults.security.init,
      privileged: security.privileged ?? defaults.security.privileged,
    },
    env,
    secrets: [...(profile.secrets ?? [])],
    labels: { ...(profile.labels ?? {}) },
    justifications: { ...(profile.justifications ?? {}) },
    ...(profile.build ? { build: { ...profile.build } } : {}),
  };
}

/** Capability names as the engine reports them: upper case, without the CAP_ prefix. */
function capabilities(names: readonly string[]): string[] {
  return names.map((name) => name.toUpperCase().replace(/^CAP_/, ''));
}

function checkVolumeName(name: string, onError: () => never): string {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) ? name : onError();
}

type Fail = (pointer: string, message: string, hint?: string) => never;

/** Expands ~, ${VAR} and ${VAR:-default}, then resolves relative paths against the profile's directory. */
export function expandHostPath(raw: string, pointer: string, ctx: NormalizeContext, fail: Fail): string {
  const expanded = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g, (_match, name: string, hasDefault?: string, fallback?: string) => {
    const value = ctx.env[name];
    if (value !== undefined && value !== '') return value;
    if (hasDefault !== undefined) return fallback ?? '';
    return fail(pointer, `environment variable ${name} in ${JSON.stringify(raw)} is not set`, `set ${name}, or write \${${name}:-default}`);
  });
  const tilde = expanded === '~' ? ctx.home : expanded.startsWith('~/') ? path.join(ctx.home, expanded.slice(2)) : expanded;
  if (tilde.startsWith('~')) fail(pointer, `${JSON.stringify(raw)}: only ~ and ~/ are expanded`, 'write the full path of another user\'s home');
  return path.resolve(ctx.baseDir(pointer), tilde);
}

function seccomp(value: string, ctx: NormalizeContext, fail: Fail): NormalizedSeccomp {
  if (value === 'default') return { kind: 'default' };
  if (value === 'unconfined') return { kind: 'unconfined' };
  const pointer = '/security/seccomp';
  const file = expandHostPath(value, pointer, ctx, fail);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(pointer, `cannot read seccomp profile ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'use default, unconfined, or a path relative to the profile');
  }
  try {
    // Compact JSON, as the docker CLI sends it in SecurityOpt.
    return { kind: 'file', path: file, content: JSON.stringify(JSON.parse(text)) };
  } catch (error) {
    return fail(pointer, `seccomp profile ${file} is not valid JSON: ${(error as Error).message}`);
  }
}
