/**
 * Parses a `docker run` argv (as found in MCP client configs) into a profile: the inverse of
 * src/compile/docker-argv.ts. What `render` emits parses back to the same sandbox; flags with
 * no profile equivalent are listed as unmapped rather than silently dropped.
 *
 * Absent flags mean docker's defaults, not the profile's hardened ones: a bare `docker run`
 * becomes runtime runc, network bridge, a writable root, no limits and the engine's default
 * capabilities, so the lint rules report exactly the hardening the entry is missing.
 */
import { LABELS } from '../labels.js';
import { toPointer } from '../profile/source.js';
import type { MountEntry, Profile, TmpfsEntry } from '../profile/types.js';
import { parseSize } from '../profile/units.js';

/** A flag (with its value) that has no place in a profile. */
export interface UnmappedFlag {
  /** The argument as written, e.g. "--publish=8080:80". */
  arg: string;
  /** Index of the argument in the parsed args. */
  index: number;
  reason: string;
}

export interface DockerRunParse {
  /** Schema-shaped, with docker's defaults written out. */
  profile: Profile;
  unmapped: UnmappedFlag[];
  /** Profile pointer -> index of the argument that set it. */
  origins: Map<string, number>;
}

/** True for `docker run …`, `docker container run …` and the podman/nerdctl equivalents. */
export function isDockerRun(command: string | undefined, args: readonly string[]): boolean {
  if (command === undefined) return false;
  const base = command.replace(/\\/g, '/').split('/').pop()?.toLowerCase().replace(/\.exe$/, '') ?? '';
  if (!['docker', 'podman', 'nerdctl'].includes(base)) return false;
  return args[0] === 'run' || (args[0] === 'container' && args[1] === 'run');
}

/** Flags that take no value (an optional `=true|false` is accepted). */
const BOOLEAN_FLAGS = new Set([
  'rm', 'interactive', 'tty', 'detach', 'init', 'privileged', 'read-only', 'sig-proxy', 'no-healthcheck',
  'oom-kill-disable', 'publish-all', 'disable-content-trust', 'quiet', 'help', 'use-api-socket',
]);

const SHORT: Record<string, string> = {
  e: 'env', v: 'volume', u: 'user', w: 'workdir', m: 'memory', l: 'label', i: 'interactive', t: 'tty', d: 'detach',
  p: 'publish', P: 'publish-all', h: 'hostname', a: 'attach', c: 'cpu-shares', q: 'quiet',
};

/** Flags the launcher always implies; dropping them loses nothing. */
const IMPLIED = new Set(['rm', 'interactive']);

function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

/**
 * docker's RAM sizes (512m, 1g, 512MB, 1GiB, bytes) in the profile's spelling, which
 * profile/units.ts parses: docker also takes a trailing b/ib after the unit and a space before it.
 */
function toProfileSize(value: string): string | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])?(?:i?b)?$/i.exec(value.trim());
  if (!match) return undefined;
  return `${match[1]}${(match[2] ?? '').toLowerCase()}`;
}

/** Splits a --mount value: CSV, where a field may be double-quoted. */
function csvFields(value: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (quoted) {
      if (char === '"' && value[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(current);
      current = '';
    } else current += char;
  }
  fields.push(current);
  return fields;
}

/** A profile name from whatever the entry is called. */
export function toProfileName(raw: string): string {
  const name = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '').slice(0, 63);
  return name === '' ? 'server' : name;
}

/**
 * Parses the args of a client entry whose command is docker: `run [flags] IMAGE [CMD…]`.
 * `name` is used when neither --name nor the mcp-sandbox.profile label gives one.
 */
export function parseDockerRun(args: readonly string[], options: { name?: string } = {}): DockerRunParse {
  const unmapped: UnmappedFlag[] = [];
  const origins = new Map<string, number>();
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  const labels: Record<string, string> = {};
  const tmpfs: TmpfsEntry[] = [];
  const mounts: MountEntry[] = [];
  const capAdd: string[] = [];
  const capDrop: string[] = [];
  const namespaces: NonNullable<Profile['namespaces']> = {};
  const s: {
    pull?: 'never' | 'missing' | 'always';
    runtime?: string;
    network?: 'none' | 'bridge' | 'host';
    readOnly?: boolean;
    memory?: string;
    memorySwap?: string | -1;
    cpus?: number;
    pids?: number;
    noNewPrivileges?: boolean;
    seccomp?: string;
    init?: boolean;
    privileged?: boolean;
    user?: string;
    workdir?: string;
    entrypoint?: string;
    name?: string;
    labelName?: string;
  } = {};

  let i = args[0] === 'container' ? 2 : args[0] === 'run' ? 1 : 0;
  const skip = (arg: string, index: number, reason: string): void => {
    unmapped.push({ arg, index, reason });
  };

  const apply = (flag: string, value: string | undefined, arg: string, index: number): void => {
    const set = (pointer: string): void => {
      origins.set(pointer, index);
    };
    const v = value ?? '';
    switch (flag) {
      case 'rm':
      case 'interactive':
        return;
      case 'pull':
        if (v === 'never' || v === 'missing' || v === 'always') {
          s.pull = v;
          set('/pull');
        } else skip(arg, index, `pull policy "${v}" is not never, missing or always`);
        return;
      case 'runtime':
        s.runtime = v;
        set('/runtime');
        return;
      case 'network':
      case 'net':
        if (v === 'none' || v === 'bridge' || v === 'host') s.network = v;
        else if (v === 'default') s.network = 'bridge';
        else {
          s.network = 'bridge';
          skip(arg, index, `network "${v}" has no profile equivalent; treated as bridge (outbound access)`);
        }
        set('/network');
        return;
      case 'pid':
      case 'ipc':
      case 'uts':
      case 'userns':
        if (v === 'host') namespaces[flag] = 'host';
        else if (v === '' || v === 'private') namespaces[flag] = 'private';
        else skip(arg, index, `--${flag}=${v} has no profile equivalent (only host or private)`);
        set(`/namespaces/${flag}`);
        return;
      case 'read-only': {
        const b = parseBool(value);
        if (b === undefined) return skip(arg, index, 'expected true or false');
        s.readOnly = b;
        set('/filesystem/readOnlyRoot');
        return;
      }
      case 'tmpfs': {
        const colon = v.indexOf(':');
        const entry: TmpfsEntry = { path: colon >= 0 ? v.slice(0, colon) : v };
        let exec = false;
        for (const option of colon >= 0 ? v.slice(colon + 1).split(',') : []) {
          const [key, val] = option.split('=', 2) as [string, string | undefined];
          const size = key === 'size' && val !== undefined ? toProfileSize(val) : undefined;
          if (size) entry.size = size;
          else if (key === 'mode' && val !== undefined) entry.mode = val;
          else if (key === 'exec') exec = true;
          else if (key === 'noexec') exec = false;
          else if (!['rw', 'nosuid', 'nodev', ''].includes(key)) skip(arg, index, `tmpfs option "${option}" is not mapped`);
        }
        entry.exec = exec;
        set(`/filesystem/tmpfs/${tmpfs.length}`);
        tmpfs.push(entry);
        return;
      }
      case 'mount': {
        const fields = new Map<string, string | undefined>();
        for (const field of csvFields(v)) {
          const eq = field.indexOf('=');
          fields.set((eq >= 0 ? field.slice(0, eq) : field).toLowerCase(), eq >= 0 ? field.slice(eq + 1) : undefined);
        }
        const type = fields.get('type') ?? 'volume';
        const source = fields.get('source') ?? fields.get('src');
        const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
        const ro = fields.has('readonly') || fields.has('ro') ? parseBool(fields.get('readonly') ?? fields.get('ro')) : false;
        for (const key of fields.keys()) {
          if (!['type', 'source', 'src', 'target', 'destination', 'dst', 'readonly', 'ro', 'tmpfs-size', 'tmpfs-mode'].includes(key)) {
            skip(arg, index, `mount option "${key}" is not mapped`);
          }
        }
        if (!target) return skip(arg, index, 'mount without a target');
        if (type === 'tmpfs') {
          const rawSize = fields.get('tmpfs-size');
          const size = rawSize ? toProfileSize(rawSize) : undefined;
          const mode = fields.get('tmpfs-mode');
          set(`/filesystem/tmpfs/${tmpfs.length}`);
          tmpfs.push({ path: target, ...(size ? { size } : {}), exec: false, ...(mode ? { mode } : {}) });
          return;
        }
        if ((type !== 'bind' && type !== 'volume') || !source) return skip(arg, index, type === 'volume' ? 'anonymous volumes are not mapped' : `mount type "${type}" is not mapped`);
        set(`/filesystem/mounts/${mounts.length}`);
        mounts.push({ type, source, target, readOnly: ro ?? false });
        return;
      }
      case 'volume': {
        const parts = v.split(':');
        if (parts.length < 2) return skip(arg, index, 'anonymous volumes are not mapped');
        const [source, target, opts] = parts as [string, string, string | undefined];
        const type = /^[/.~$]/.test(source) || source.includes('/') ? 'bind' : 'volume';
        let readOnly = false;
        for (const opt of (opts ?? '').split(',').filter(Boolean)) {
          if (opt === 'ro' || opt === 'readonly') readOnly = true;
          else if (opt !== 'rw') skip(arg, index, `volume option "${opt}" is not mapped`);
        }
        set(`/filesystem/mounts/${mounts.length}`);
        mounts.push({ type, source, target, readOnly });
        return;
      }
      case 'memory': {
        const size = toProfileSize(v);
        if (!size) return skip(arg, index, `memory "${v}" is not a size`);
        s.memory = size;
        set('/resources/memory');
        return;
      }
      case 'memory-swap': {
        const size = v === '-1' ? -1 : toProfileSize(v);
        if (size === undefined) return skip(arg, index, `memory-swap "${v}" is not a size`);
        s.memorySwap = size;
        set('/resources/memorySwap');
        return;
      }
      case 'cpus': {
        const cpus = Number(v);
        if (!Number.isFinite(cpus) || cpus < 0) return skip(arg, index, `cpus "${v}" is not a number`);
        s.cpus = cpus;
        set('/resources/cpus');
        return;
      }
      case 'pids-limit': {
        const pids = Number(v);
        if (!Number.isInteger(pids) || pids < -1) return skip(arg, index, `pids-limit "${v}" is not an integer`);
        s.pids = pids;
        set('/resources/pids');
        return;
      }
      case 'cap-add':
      case 'cap-drop': {
        const list = flag === 'cap-add' ? capAdd : capDrop;
        const cap = v.toUpperCase();
        if (!list.includes(cap)) {
          set(`/security/${flag === 'cap-add' ? 'capAdd' : 'capDrop'}${flag === 'cap-add' ? `/${list.length}` : ''}`);
          list.push(cap);
        }
        return;
      }
      case 'security-opt': {
        const match = /^([a-z-]+)(?:[=:](.*))?$/.exec(v);
        const key = match?.[1];
        const val = match?.[2];
        if (key === 'no-new-privileges') {
          const b = parseBool(val);
          if (b === undefined) return skip(arg, index, 'expected no-new-privileges[:true|false]');
          s.noNewPrivileges = b;
          set('/security/noNewPrivileges');
        } else if (key === 'seccomp' && val) {
          s.seccomp = val;
          set('/security/seccomp');
        } else skip(arg, index, `security option "${v}" is not mapped${/unconfined/.test(v) ? ' (it disables a protection)' : ''}`);
        return;
      }
      case 'init':
      case 'privileged': {
        const b = parseBool(value);
        if (b === undefined) return skip(arg, index, 'expected true or false');
        s[flag] = b;
        set(`/security/${flag}`);
        return;
      }
      case 'user':
        s.user = v;
        set('/user');
        return;
      case 'workdir':
        s.workdir = v;
        set('/workdir');
        return;
      case 'entrypoint':
        if (v === '') return skip(arg, index, 'an empty entrypoint is not mapped');
        s.entrypoint = v;
        set('/entrypoint');
        return;
      case 'env': {
        const eq = v.indexOf('=');
        if (eq < 0) {
          if (!secrets.includes(v)) secrets.push(v);
          set(`/secrets/${secrets.length - 1}`);
        } else {
          env[v.slice(0, eq)] = v.slice(eq + 1);
          set(toPointer(['env', v.slice(0, eq)]));
        }
        return;
      }
      case 'label': {
        const eq = v.indexOf('=');
        const key = eq >= 0 ? v.slice(0, eq) : v;
        const val = eq >= 0 ? v.slice(eq + 1) : '';
        // The launcher's own labels: the profile label names the profile, the rest are per run.
        if (key === LABELS.profile) s.labelName = val;
        else if (!key.startsWith('mcp-sandbox.')) {
          labels[key] = val;
          set(toPointer(['labels', key]));
        }
        return;
      }
      case 'name':
        s.name = v;
        set('/name');
        return;
      default:
        skip(arg, index, `--${flag} has no profile equivalent`);
    }
  };

  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const index = i;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      let value = eq >= 0 ? arg.slice(eq + 1) : undefined;
      let shown = arg;
      if (value === undefined && !BOOLEAN_FLAGS.has(flag)) {
        value = args[++i] ?? '';
        shown = `${arg} ${value}`;
      }
      apply(flag, value, shown, index);
      continue;
    }
    // Short flags: booleans may be combined (-it); a value flag takes the rest or the next arg.
    const letters = arg.slice(1);
    for (let k = 0; k < letters.length; k++) {
      const letter = letters[k] as string;
      const flag = SHORT[letter] ?? letter;
      if (BOOLEAN_FLAGS.has(flag)) {
        apply(flag, undefined, `-${letter}`, index);
        continue;
      }
      let value = letters.slice(k + 1).replace(/^=/, '');
      let shown = `-${letter}${letters.slice(k + 1)}`;
      if (value === '') {
        value = args[++i] ?? '';
        shown = `-${letter} ${value}`;
      }
      apply(flag, value, shown, index);
      break;
    }
  }
  const imageIndex = i;
  const image = args[i] ?? '';
  if (image !== '') origins.set('/image', imageIndex);
  const command = args.slice(i + 1);
  if (command.length > 0) origins.set('/command', imageIndex + 1);

  const memory = s.memory ?? '0';
  const memoryBytes = parseSize(memory) ?? 0;
  // docker: --memory without --memory-swap allows as much swap again as memory.
  const memorySwap = s.memorySwap ?? (memoryBytes > 0 ? `${memoryBytes * 2}` : undefined);
  const name = toProfileName(s.labelName ?? s.name ?? options.name ?? image.split('/').pop()?.split(/[:@]/)[0] ?? 'server');

  const profile: Profile = {
    version: 1,
    name,
    image,
    pull: s.pull ?? 'missing',
    ...(s.entrypoint !== undefined ? { entrypoint: [s.entrypoint] } : {}),
    ...(command.length > 0 ? { command } : {}),
    ...(s.workdir !== undefined ? { workdir: s.workdir } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    runtime: s.runtime ?? 'runc',
    network: s.network ?? 'bridge',
    ...(Object.keys(namespaces).length > 0 ? { namespaces } : {}),
    resources: {
      memory,
      ...(memorySwap !== undefined ? { memorySwap } : {}),
      cpus: s.cpus ?? 0,
      pids: s.pids ?? -1,
    },
    filesystem: { readOnlyRoot: s.readOnly ?? false, tmpfs, mounts },
    security: {
      capDrop,
      capAdd,
      noNewPrivileges: s.noNewPrivileges ?? false,
      seccomp: s.seccomp ?? 'default',
      init: s.init ?? false,
      privileged: s.privileged ?? false,
    },
    ...(Object.keys(env).length > 0 ? { env } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
  };
  return { profile, unmapped: unmapped.filter((u) => !IMPLIED.has(u.arg.replace(/^-+/, ''))), origins };
}
