/**
 * Normalize stage: applies the hardening defaults, converts units to bytes, expands `~` and
 * `${VAR}` in host paths and reads a seccomp file, so later stages never deal with shorthand.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SandboxError, unreadableReason } from '../errors.js';
import { RESERVED_LABEL_PREFIX } from '../labels.js';
import { PROFILE_DEFAULTS } from './defaults.js';
import type { NormalizedMount, NormalizedProfile, NormalizedSeccomp, NormalizedTmpfs, Profile } from './types.js';
import { formatSize, parseSize } from './units.js';
import { fieldName, type Locate } from './validate.js';
import { toPointer } from './pointer.js';

/** What normalization reads from the outside world; tests pass their own. */
export interface NormalizeContext {
  env: NodeJS.ProcessEnv;
  home: string;
  locate: Locate;
  /** Directory of the file that defined a pointer: relative paths resolve against it. */
  baseDir(pointer: string): string;
  /** Reads a file (the seccomp profile); defaults to the filesystem. */
  readFile?: (file: string) => string;
}

/** Normalizes a schema-valid profile. */
export function normalizeProfile(profile: Profile, ctx: NormalizeContext): NormalizedProfile {
  const fail = (pointer: string, message: string, hint?: string): never => {
    throw new SandboxError('PROFILE_INVALID', message, { location: ctx.locate(pointer), hint });
  };
  const failAtKey = (pointer: string, message: string, hint?: string): never => {
    throw new SandboxError('PROFILE_INVALID', message, { location: ctx.locate(pointer, true), hint });
  };
  const size = (pointer: string, value: string | number): number => {
    const bytes = parseSize(value);
    if (bytes === undefined) return fail(pointer, `${JSON.stringify(value)} is not a size`, 'expected e.g. 512m');
    // 0 means "no limit": only a literal zero may say so, not a fraction of a byte.
    if (bytes === 0 && !/^0+(\.0+)?[bkmg]?$/i.test(String(value).trim())) {
      return fail(pointer, `${fieldName(pointer)} ${JSON.stringify(value)} is less than one byte, which would mean no limit`, 'write 0 for no limit, or a size such as 512m');
    }
    return bytes;
  };

  // For tmpfs, size=0 tells the kernel "no cap at all" (not even half of RAM): say so.
  const tmpfsSize = (pointer: string, value: string | number): number => {
    const bytes = size(pointer, value);
    return bytes === 0 ? fail(pointer, `${fieldName(pointer)} 0 would remove the size cap entirely`, 'set a size such as 64m') : bytes;
  };

  const defaults = PROFILE_DEFAULTS;
  const resources = profile.resources ?? {};
  const memory = size('/resources/memory', resources.memory ?? defaults.resources.memory);
  let memorySwap: number;
  if (resources.memorySwap === -1) memorySwap = -1;
  else if (resources.memorySwap === undefined) memorySwap = memory === 0 ? 0 : memory;
  else if (memory === 0) {
    // The engine refuses a swap limit without a memory limit; say so here, at the line.
    memorySwap = fail('/resources/memorySwap', 'resources.memorySwap needs a memory limit, but resources.memory is 0 (no limit)', 'set resources.memory, or remove memorySwap');
  } else {
    memorySwap = size('/resources/memorySwap', resources.memorySwap);
    if (memorySwap < memory) {
      fail(
        '/resources/memorySwap',
        `resources.memorySwap (${formatSize(memorySwap)}) is smaller than resources.memory (${formatSize(memory)})`,
        'memorySwap counts memory plus swap: set it equal to memory for no swap',
      );
    }
  }
  const pids = resources.pids ?? defaults.resources.pids;
  const cpus = resources.cpus ?? defaults.resources.cpus;
  // The engine counts nano-CPUs; a quota that rounds to 0 would silently mean "no limit".
  if (cpus > 0 && Math.round(cpus * 1e9) === 0) fail('/resources/cpus', `resources.cpus ${cpus} is below one nano-CPU and would mean no limit`, 'use 0 for no limit, or e.g. 0.5');

  const filesystem = profile.filesystem ?? {};
  const tmpfs: NormalizedTmpfs[] = (filesystem.tmpfs ?? defaults.filesystem.tmpfs).map((entry, i) => ({
    path: entry.path,
    ...(entry.size === undefined ? {} : { size: tmpfsSize(`/filesystem/tmpfs/${i}/size`, entry.size) }),
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

  // One mount per container path: the engine refuses two binds on a path ("Duplicate mount
  // point") and silently keeps one of two tmpfs; a tmpfs over a mount hides the mount.
  const taken = new Map<string, string>();
  const claim = (target: string, pointer: string, field: string): void => {
    const key = path.posix.normalize(target).replace(/(.)\/+$/, '$1');
    const previous = taken.get(key);
    if (previous) fail(pointer, `${field} ${JSON.stringify(target)} is already used by ${previous}`, 'use one mount per container path');
    taken.set(key, field);
  };
  tmpfs.forEach((t, i) => claim(t.path, `/filesystem/tmpfs/${i}/path`, `filesystem.tmpfs[${i}].path`));
  mounts.forEach((m, i) => claim(m.target, `/filesystem/mounts/${i}/target`, `filesystem.mounts[${i}].target`));

  const security = profile.security ?? {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(profile.env ?? {})) {
    // A variable may be called __proto__; assignment would drop it silently.
    Object.defineProperty(env, name, { value: String(value), enumerable: true, writable: true, configurable: true });
  }
  for (const key of Object.keys(profile.labels ?? {})) {
    if (key.startsWith(RESERVED_LABEL_PREFIX)) failAtKey(toPointer(['labels', key]), `label "${key}" is reserved for mcp-sandbox`, 'choose a key outside the mcp-sandbox. prefix');
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
      cpus,
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
function expandHostPath(raw: string, pointer: string, ctx: NormalizeContext, fail: Fail): string {
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
    text = ctx.readFile ? ctx.readFile(file) : readFileSync(file, 'utf8');
  } catch (error) {
    return fail(pointer, `seccomp profile ${JSON.stringify(value)} ${unreadableReason(error)}`, `looked for ${file}; use default, unconfined, or a path relative to the profile`);
  }
  try {
    JSON.parse(text);
  } catch {
    // Not JSON.parse's own message: its wording changes between Node versions.
    return fail(pointer, `seccomp profile ${JSON.stringify(value)} is not valid JSON`, `check ${file} with a JSON linter`);
  }
  // Compacted byte for byte as the docker CLI does (Go's json.Compact), so both emitters send
  // the same SecurityOpt string; JSON.stringify(JSON.parse()) would rewrite numbers and escapes.
  return { kind: 'file', path: file, content: compactJson(text) };
}

/** Drops insignificant whitespace from valid JSON text, keeping everything else as written. */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}
