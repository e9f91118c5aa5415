/**
 * THE table of `docker run` flags. Each row says how the flag is spelled (long name, short
 * letter, aliases), whether it takes a value, which profile field it stands for, how it is
 * emitted from a SandboxSpec (docker-argv.ts) and how it is parsed back into a profile
 * (clients/docker-run.ts). Emitter and parser read the same rows, so they cannot drift apart;
 * test/unit/compile/docker-flags.test.ts round-trips every row.
 *
 * Rows are in emit order (the goldens fix it). Flags without a profile equivalent are rows too,
 * so the parser knows whether they take a value; `danger` marks those that open the sandbox.
 */
import type { MountEntry, NamespaceMode, NetworkMode, PullPolicy, TmpfsEntry } from '../profile/types.js';
import { formatSize } from '../profile/units.js';
import { parseEnv, parseLabel, parseMount, parseNetwork, parseSecurityOpt, parseVolume } from './docker-flag-parse.js';
import { csvField, parseBool, parseTmpfs, toProfileSize } from './docker-flag-values.js';
import { containerEnv, networkModeOf, type SandboxSpec } from './spec.js';

type Namespace = 'pid' | 'ipc' | 'uts' | 'userns';

/** What a docker run line sets, before it becomes a schema-shaped profile. */
export interface RunDraft {
  pull?: PullPolicy;
  runtime?: string;
  network?: Exclude<NetworkMode, 'allow'>;
  namespaces: Partial<Record<Namespace, NamespaceMode>>;
  readOnly?: boolean;
  tmpfs: TmpfsEntry[];
  mounts: MountEntry[];
  memory?: string;
  memorySwap?: string | -1;
  cpus?: number;
  pids?: number;
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges?: boolean;
  seccomp?: string;
  init?: boolean;
  privileged?: boolean;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  /** Keys come from the line: no prototype. */
  env: Record<string, string>;
  secrets: string[];
  labels: Record<string, string>;
  name?: string;
  /** The mcp-sandbox.profile label: the profile's own name. */
  labelName?: string;
}

/** What a row's parse can do with the argument in hand. */
export interface FlagParse {
  draft: RunDraft;
  /** The argument set this profile pointer. */
  set(pointer: string): void;
  /** The flag (or an option in its value) has no profile equivalent. */
  unmapped(reason: string): void;
  /** … and opens the sandbox or reaches into the host: an error. */
  dangerous(reason: string): void;
}

export interface DockerFlag {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** Other long names docker accepts (`net` for `network`). */
  aliases?: readonly string[];
  takesValue: boolean;
  /** The profile field it stands for; undefined: no equivalent. */
  pointer?: string;
  /** This flag's arguments for a spec (none when the spec leaves it at docker's default). */
  emit?(spec: SandboxSpec): string[];
  /** Applies the flag to the draft. Rows without parse have no equivalent (see `danger`). */
  parse?(value: string | undefined, p: FlagParse): void;
  /** Why the flag, having no equivalent, is dangerous; absent: merely unmapped. */
  danger?: string;
}

const bool = (name: string, pointer: string, apply: (p: FlagParse, b: boolean) => void): DockerFlag['parse'] => (value, p) => {
  const b = parseBool(value);
  if (b === undefined) return p.unmapped(`--${name} expects true or false`);
  apply(p, b);
  p.set(pointer);
};

function namespaceRow(ns: Namespace): DockerFlag {
  return {
    name: ns,
    takesValue: true,
    pointer: `/namespaces/${ns}`,
    emit: (spec) => (spec.namespaces[ns] === 'host' ? [`--${ns}=host`] : []),
    parse: (value, p) => {
      const v = value ?? '';
      if (v === 'host' || v === '' || v === 'private') p.draft.namespaces[ns] = v === 'host' ? 'host' : 'private';
      else if (v.startsWith('container:')) return p.dangerous(`--${ns}=${v} joins another container's ${ns} namespace, outside this sandbox`);
      else return p.unmapped(`--${ns}=${v} has no profile equivalent (only host or private)`);
      p.set(`/namespaces/${ns}`);
    },
  };
}

function capRow(name: 'cap-add' | 'cap-drop'): DockerFlag {
  const field = name === 'cap-add' ? 'capAdd' : 'capDrop';
  return {
    name,
    takesValue: true,
    pointer: `/security/${field}`,
    emit: (spec) => spec[field].map((cap) => `--${name}=${cap}`),
    parse: (value, p) => {
      const list = p.draft[field];
      const cap = (value ?? '').toUpperCase();
      if (list.includes(cap)) return;
      p.set(`/security/${field}${name === 'cap-add' ? `/${list.length}` : ''}`);
      list.push(cap);
    },
  };
}

/** A size flag (`--memory`, `--memory-swap`): the profile's spelling of docker's size. */
function sizeRow(name: 'memory' | 'memory-swap', short: string | undefined, emit: DockerFlag['emit']): DockerFlag {
  const field = name === 'memory' ? 'memory' : 'memorySwap';
  return {
    name,
    ...(short ? { short } : {}),
    takesValue: true,
    pointer: `/resources/${field}`,
    emit,
    parse: (value, p) => {
      const v = value ?? '';
      const size = name === 'memory-swap' && v === '-1' ? -1 : toProfileSize(v);
      if (size === undefined) return p.unmapped(`${name} "${v}" is not a size`);
      if (field === 'memory') p.draft.memory = size as string;
      else p.draft.memorySwap = size;
      p.set(`/resources/${field}`);
    },
  };
}

function numberRow(name: 'cpus' | 'pids-limit', emit: DockerFlag['emit']): DockerFlag {
  const field = name === 'cpus' ? 'cpus' : 'pids';
  return {
    name,
    takesValue: true,
    pointer: `/resources/${field}`,
    emit,
    parse: (value, p) => {
      const n = Number(value ?? '');
      const ok = field === 'cpus' ? Number.isFinite(n) && n >= 0 : Number.isInteger(n) && n >= -1;
      if (!ok || value === '') return p.unmapped(`${name} "${value ?? ''}" is not ${field === 'cpus' ? 'a number' : 'an integer'}`);
      p.draft[field] = n;
      p.set(`/resources/${field}`);
    },
  };
}

function stringRow(name: 'runtime' | 'user' | 'workdir' | 'entrypoint' | 'name', short: string | undefined, emit: DockerFlag['emit']): DockerFlag {
  return {
    name,
    ...(short ? { short } : {}),
    takesValue: true,
    pointer: `/${name}`,
    ...(emit ? { emit } : {}),
    parse: (value, p) => {
      if (name === 'entrypoint' && (value ?? '') === '') return p.unmapped('an empty entrypoint is not mapped');
      p.draft[name] = value ?? '';
      p.set(`/${name}`);
    },
  };
}

/** Flags the launcher always implies: parsed, nothing to map. */
const implied = (): void => undefined;

/** Every mapped flag, in emit order. */
const MAPPED: readonly DockerFlag[] = [
  { name: 'rm', takesValue: false, emit: () => ['--rm'], parse: implied },
  { name: 'interactive', short: 'i', takesValue: false, emit: () => ['-i'], parse: implied },
  {
    name: 'pull',
    takesValue: true,
    pointer: '/pull',
    emit: (spec) => [`--pull=${spec.pull}`],
    parse: (value, p) => {
      if (value !== 'never' && value !== 'missing' && value !== 'always') return p.unmapped(`pull policy "${value ?? ''}" is not never, missing or always`);
      p.draft.pull = value;
      p.set('/pull');
    },
  },
  stringRow('runtime', undefined, (spec) => [`--runtime=${spec.runtime}`]),
  { name: 'network', aliases: ['net'], takesValue: true, pointer: '/network', emit: (spec) => [`--network=${networkModeOf(spec)}`], parse: parseNetwork },
  namespaceRow('pid'),
  namespaceRow('ipc'),
  namespaceRow('uts'),
  namespaceRow('userns'),
  {
    name: 'read-only',
    takesValue: false,
    pointer: '/filesystem/readOnlyRoot',
    emit: (spec) => (spec.readOnlyRoot ? ['--read-only'] : []),
    parse: bool('read-only', '/filesystem/readOnlyRoot', (p, b) => (p.draft.readOnly = b)),
  },
  {
    name: 'tmpfs',
    takesValue: true,
    pointer: '/filesystem/tmpfs',
    emit: (spec) => spec.tmpfs.map((t) => `--tmpfs=${t.path}:${t.options}`),
    parse: (value, p) => {
      const { entry, unmapped } = parseTmpfs(value ?? '');
      for (const option of unmapped) p.unmapped(`tmpfs option "${option}" is not mapped`);
      p.set(`/filesystem/tmpfs/${p.draft.tmpfs.length}`);
      p.draft.tmpfs.push(entry);
    },
  },
  sizeRow('memory', 'm', (spec) => (spec.memory > 0 ? [`--memory=${formatSize(spec.memory)}`] : [])),
  sizeRow('memory-swap', undefined, (spec) => (spec.memorySwap !== 0 ? [`--memory-swap=${spec.memorySwap === -1 ? '-1' : formatSize(spec.memorySwap)}`] : [])),
  numberRow('cpus', (spec) => (spec.nanoCpus > 0 ? [`--cpus=${spec.nanoCpus / 1e9}`] : [])),
  numberRow('pids-limit', (spec) => [`--pids-limit=${spec.pidsLimit}`]),
  capRow('cap-drop'),
  capRow('cap-add'),
  {
    name: 'security-opt',
    takesValue: true,
    pointer: '/security',
    emit: (spec) => [
      ...(spec.noNewPrivileges ? ['--security-opt=no-new-privileges'] : []),
      ...(spec.seccomp.kind === 'unconfined' ? ['--security-opt=seccomp=unconfined'] : []),
      ...(spec.seccomp.kind === 'file' ? [`--security-opt=seccomp=${spec.seccomp.path}`] : []),
    ],
    parse: parseSecurityOpt,
  },
  {
    name: 'privileged',
    takesValue: false,
    pointer: '/security/privileged',
    emit: (spec) => (spec.privileged ? ['--privileged'] : []),
    parse: bool('privileged', '/security/privileged', (p, b) => (p.draft.privileged = b)),
  },
  { name: 'init', takesValue: false, pointer: '/security/init', emit: (spec) => [spec.init ? '--init' : '--init=false'], parse: bool('init', '/security/init', (p, b) => (p.draft.init = b)) },
  stringRow('user', 'u', (spec) => (spec.user !== undefined ? [`--user=${spec.user}`] : [])),
  stringRow('workdir', 'w', (spec) => (spec.workdir !== undefined ? [`--workdir=${spec.workdir}`] : [])),
  stringRow('entrypoint', undefined, (spec) => (spec.entrypoint !== undefined ? [`--entrypoint=${spec.entrypoint}`] : [])),
  {
    name: 'mount',
    takesValue: true,
    pointer: '/filesystem/mounts',
    emit: (spec) => spec.mounts.map((m) => `--mount=${[`type=${m.type}`, `source=${m.source}`, `target=${m.target}`, ...(m.readOnly ? ['readonly'] : [])].map(csvField).join(',')}`),
    parse: parseMount,
  },
  { name: 'volume', short: 'v', takesValue: true, pointer: '/filesystem/mounts', parse: parseVolume },
  { name: 'env', short: 'e', takesValue: true, pointer: '/env', emit: (spec) => [...containerEnv(spec).map((e) => `--env=${e.name}=${e.value}`), ...spec.secrets.map((name) => `--env=${name}`)], parse: parseEnv },
  { name: 'label', short: 'l', takesValue: true, pointer: '/labels', emit: (spec) => Object.entries(spec.labels).map(([k, v]) => `--label=${k}=${v}`), parse: parseLabel },
  stringRow('name', undefined, undefined),
];

const OPENS = 'gives the container host resources outside the sandbox';

/** Flags with no profile equivalent: [name, short, takes a value, danger]. */
const UNMAPPED: ReadonlyArray<readonly [string, string | undefined, boolean, string?]> = [
  ['device', undefined, true, `--device ${OPENS}: a host device node`],
  ['device-cgroup-rule', undefined, true, `--device-cgroup-rule ${OPENS}: access to host devices`],
  ['gpus', undefined, true, `--gpus ${OPENS}: the host's GPU devices and driver`],
  ['volumes-from', undefined, true, '--volumes-from mounts every volume and bind of another container, unreviewed'],
  ['cgroupns', undefined, true],
  ['cgroup-parent', undefined, true, '--cgroup-parent moves the container into another cgroup, outside its limits'],
  ['group-add', undefined, true, '--group-add gives the server extra groups (a docker or disk group reaches the host)'],
  ['use-api-socket', undefined, false, `--use-api-socket ${OPENS}: the engine API itself`],
  ['privileged-without-host-devices', undefined, false, '--privileged-without-host-devices still grants every capability'],
  ['add-host', undefined, true], ['annotation', undefined, true], ['attach', 'a', true], ['blkio-weight', undefined, true],
  ['blkio-weight-device', undefined, true], ['cidfile', undefined, true], ['cpu-count', undefined, true], ['cpu-percent', undefined, true],
  ['cpu-period', undefined, true], ['cpu-quota', undefined, true], ['cpu-rt-period', undefined, true], ['cpu-rt-runtime', undefined, true],
  ['cpu-shares', 'c', true], ['cpuset-cpus', undefined, true], ['cpuset-mems', undefined, true], ['detach', 'd', false],
  ['detach-keys', undefined, true], ['device-read-bps', undefined, true], ['device-read-iops', undefined, true],
  ['device-write-bps', undefined, true], ['device-write-iops', undefined, true], ['disable-content-trust', undefined, false],
  ['dns', undefined, true], ['dns-option', undefined, true], ['dns-search', undefined, true], ['domainname', undefined, true],
  ['env-file', undefined, true], ['expose', undefined, true], ['health-cmd', undefined, true], ['health-interval', undefined, true],
  ['health-retries', undefined, true], ['health-start-interval', undefined, true], ['health-start-period', undefined, true],
  ['health-timeout', undefined, true], ['help', undefined, false], ['hostname', 'h', true], ['io-maxbandwidth', undefined, true],
  ['io-maxiops', undefined, true], ['ip', undefined, true], ['ip6', undefined, true], ['isolation', undefined, true],
  ['kernel-memory', undefined, true], ['label-file', undefined, true], ['link', undefined, true], ['link-local-ip', undefined, true],
  ['log-driver', undefined, true], ['log-opt', undefined, true], ['mac-address', undefined, true], ['memory-reservation', undefined, true],
  ['memory-swappiness', undefined, true], ['network-alias', undefined, true], ['net-alias', undefined, true], ['no-healthcheck', undefined, false],
  ['oom-kill-disable', undefined, false], ['oom-score-adj', undefined, true], ['platform', undefined, true], ['publish', 'p', true],
  ['publish-all', 'P', false], ['quiet', 'q', false], ['restart', undefined, true], ['shm-size', undefined, true],
  ['sig-proxy', undefined, false], ['stop-signal', undefined, true], ['stop-timeout', undefined, true], ['storage-opt', undefined, true],
  ['sysctl', undefined, true], ['tty', 't', false], ['ulimit', undefined, true], ['volume-driver', undefined, true],
];

function cgroupnsParse(value: string | undefined, p: FlagParse): void {
  if (value === 'host') p.dangerous('--cgroupns=host shows the container the host\'s cgroup tree');
  else if (value !== 'private') p.unmapped(`--cgroupns=${value ?? ''} has no profile equivalent`);
}

/** Every docker run flag: the mapped ones in emit order, then those without an equivalent. */
export const DOCKER_RUN_FLAGS: readonly DockerFlag[] = [
  ...MAPPED,
  ...UNMAPPED.map(([name, short, takesValue, danger]): DockerFlag => ({
    name,
    ...(short ? { short } : {}),
    takesValue,
    ...(danger ? { danger } : {}),
    ...(name === 'cgroupns' ? { parse: cgroupnsParse } : {}),
  })),
];

const BY_NAME = new Map<string, DockerFlag>();
const BY_SHORT = new Map<string, DockerFlag>();
for (const row of DOCKER_RUN_FLAGS) {
  for (const name of [row.name, ...(row.aliases ?? [])]) BY_NAME.set(name, row);
  if (row.short) BY_SHORT.set(row.short, row);
}

/** The row of a long flag name (or alias), without dashes. */
export function flagByName(name: string): DockerFlag | undefined {
  return BY_NAME.get(name);
}

/** The row of a short flag letter. */
export function flagByShort(letter: string): DockerFlag | undefined {
  return BY_SHORT.get(letter);
}
