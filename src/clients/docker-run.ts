/**
 * Reading container commands in MCP client configs: which engine an entry starts and how
 * (`containerInvocation`), and a `docker run` argv parsed into a profile (`parseDockerRun`),
 * the inverse of src/compile/docker-argv.ts. Both sides read the flag table in
 * src/compile/docker-flags.ts, so what `render` emits parses back to the same sandbox; flags
 * with no profile equivalent are listed as unmapped (or dangerous), never silently dropped.
 *
 * Absent flags mean docker's defaults, not the profile's hardened ones: a bare `docker run`
 * becomes runtime runc, network bridge, a writable root, no limits and the engine's default
 * capabilities, so the lint rules report exactly the hardening the entry is missing.
 *
 * Tokens follow docker's flag library (spf13/pflag): `--flag=value`, `--flag value`, combined
 * short booleans (`-it`), a short value flag taking the rest of its token or the next argument
 * (`-eX=1`, `-e X=1`), even when that argument looks like a flag (reported: the line shifts).
 */
import { flagByName, flagByShort, type DockerFlag, type FlagParse, type RunDraft } from '../compile/docker-flags.js';
import type { Profile } from '../profile/types.js';
import { parseSize } from '../profile/units.js';

export { containerInvocation, isDockerRun, type ContainerInvocation } from './container-command.js';

/** A flag (with its value) that has no place in a profile. */
export interface UnmappedFlag {
  /** The argument as written, e.g. "--publish=8080:80". */
  arg: string;
  /** Index of the argument in the parsed args. */
  index: number;
  reason: string;
  /** It opens the sandbox or reaches the host (an error), rather than merely having no equivalent. */
  dangerous?: boolean;
}

export interface DockerRunParse {
  /** Schema-shaped, with docker's defaults written out. */
  profile: Profile;
  unmapped: UnmappedFlag[];
  /** Profile pointer -> index of the argument that set it. */
  origins: Map<string, number>;
}

/** A profile name from whatever the entry is called. */
export function toProfileName(raw: string): string {
  const name = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '').slice(0, 63);
  return name === '' ? 'server' : name;
}

function emptyDraft(): RunDraft {
  return {
    namespaces: {},
    tmpfs: [],
    mounts: [],
    capAdd: [],
    capDrop: [],
    env: Object.create(null) as Record<string, string>,
    secrets: [],
    labels: Object.create(null) as Record<string, string>,
  };
}

/** One flag occurrence: the row, its value, the argument as shown and where it began. */
interface Occurrence {
  row: DockerFlag | undefined;
  flag: string;
  value: string | undefined;
  shown: string;
  index: number;
  /** The value is the next argument rather than part of this one. */
  separate?: boolean;
}

/** Reads `--name[=value]`; a value flag without `=` takes the next argument. */
function longFlag(args: readonly string[], i: number): { occurrence: Occurrence; next: number } {
  const arg = args[i] as string;
  const eq = arg.indexOf('=');
  const flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
  const row = flagByName(flag);
  if (eq >= 0 || !row?.takesValue) return { occurrence: { row, flag: `--${flag}`, value: eq >= 0 ? arg.slice(eq + 1) : undefined, shown: arg, index: i }, next: i + 1 };
  const value = args[i + 1];
  return { occurrence: { row, flag: `--${flag}`, value, shown: value === undefined ? arg : `${arg} ${value}`, index: i, separate: true }, next: i + 2 };
}

/** Reads `-abc`: booleans combine; the first value flag takes the rest of the token or the next argument. */
function shortFlags(args: readonly string[], i: number): { occurrences: Occurrence[]; next: number } {
  const letters = (args[i] as string).slice(1);
  const occurrences: Occurrence[] = [];
  for (let k = 0; k < letters.length; k++) {
    const letter = letters[k] as string;
    const row = flagByShort(letter);
    if (!row?.takesValue) {
      occurrences.push({ row, flag: `-${letter}`, value: undefined, shown: `-${letter}`, index: i });
      if (!row) break; // docker stops at an unknown letter too
      continue;
    }
    const rest = letters.slice(k + 1);
    if (rest !== '') return { occurrences: [...occurrences, { row, flag: `-${letter}`, value: rest.replace(/^=/, ''), shown: `-${letter}${rest}`, index: i }], next: i + 1 };
    const value = args[i + 1];
    occurrences.push({ row, flag: `-${letter}`, value, shown: value === undefined ? `-${letter}` : `-${letter} ${value}`, index: i, separate: true });
    return { occurrences, next: i + 2 };
  }
  return { occurrences, next: i + 1 };
}

/** Every flag occurrence up to the image, and the image's index. */
function tokenize(args: readonly string[], start: number): { occurrences: Occurrence[]; imageIndex: number } {
  const occurrences: Occurrence[] = [];
  let i = start;
  while (i < args.length) {
    const arg = args[i] as string;
    if (arg === '--') return { occurrences, imageIndex: i + 1 };
    if (!arg.startsWith('-') || arg === '-') break;
    const read = arg.startsWith('--') ? (({ occurrence, next }) => ({ occurrences: [occurrence], next }))(longFlag(args, i)) : shortFlags(args, i);
    occurrences.push(...read.occurrences);
    i = read.next;
  }
  return { occurrences, imageIndex: i };
}

/** Applies one occurrence through its row; unknown and valueless flags become unmapped. */
function applyOccurrence(o: Occurrence, draft: RunDraft, origins: Map<string, number>, unmapped: UnmappedFlag[]): void {
  const note = (reason: string, dangerous = false): void => {
    unmapped.push({ arg: o.shown, index: o.index, reason, ...(dangerous ? { dangerous: true } : {}) });
  };
  if (!o.row) return note(`${o.flag} is not a docker run flag`);
  if (o.row.takesValue && o.value === undefined) return note(`${o.flag} needs a value`);
  if (o.separate && o.value !== undefined && /^-[^\d]/.test(o.value)) {
    note(`${o.flag} takes "${o.value}" as its value (docker does the same), so the rest of the line shifts`);
  }
  if (o.row.danger) return note(o.row.danger, true);
  if (!o.row.parse) return note(`--${o.row.name} has no profile equivalent`);
  const p: FlagParse = {
    draft,
    set: (pointer) => origins.set(pointer, o.index),
    unmapped: (reason) => note(reason),
    dangerous: (reason) => note(reason, true),
  };
  o.row.parse(o.value, p);
}

/** The schema-shaped profile for a draft, docker's defaults written out. */
function profileOf(draft: RunDraft, image: string, command: string[], fallbackName: string | undefined): Profile {
  const memory = draft.memory ?? '0';
  const memoryBytes = parseSize(memory) ?? 0;
  // docker: --memory without --memory-swap allows as much swap again as memory.
  const memorySwap = draft.memorySwap ?? (memoryBytes > 0 ? `${memoryBytes * 2}` : undefined);
  const name = toProfileName(draft.labelName ?? draft.name ?? fallbackName ?? image.split('/').pop()?.split(/[:@]/)[0] ?? 'server');
  return {
    version: 1,
    name,
    image,
    pull: draft.pull ?? 'missing',
    ...(draft.entrypoint !== undefined ? { entrypoint: [draft.entrypoint] } : {}),
    ...(command.length > 0 ? { command } : {}),
    ...(draft.workdir !== undefined ? { workdir: draft.workdir } : {}),
    ...(draft.user !== undefined ? { user: draft.user } : {}),
    runtime: draft.runtime ?? 'runc',
    network: draft.network ?? 'bridge',
    ...(Object.keys(draft.namespaces).length > 0 ? { namespaces: draft.namespaces } : {}),
    resources: { memory, ...(memorySwap !== undefined ? { memorySwap } : {}), cpus: draft.cpus ?? 0, pids: draft.pids ?? -1 },
    filesystem: { readOnlyRoot: draft.readOnly ?? false, tmpfs: draft.tmpfs, mounts: draft.mounts },
    security: {
      capDrop: draft.capDrop,
      capAdd: draft.capAdd,
      noNewPrivileges: draft.noNewPrivileges ?? false,
      seccomp: draft.seccomp ?? 'default',
      init: draft.init ?? false,
      privileged: draft.privileged ?? false,
    },
    ...(Object.keys(draft.env).length > 0 ? { env: draft.env } : {}),
    ...(draft.secrets.length > 0 ? { secrets: draft.secrets } : {}),
    ...(Object.keys(draft.labels).length > 0 ? { labels: draft.labels } : {}),
  };
}

/**
 * Parses the args of a client entry whose command is docker: `run [flags] IMAGE [CMD…]`
 * (`container run` too; with neither, the args start at the flags; `start` says where they
 * do, e.g. a `runStart` of containerInvocation). Indexes are into `args`. `name` is used when
 * neither --name nor the mcp-sandbox.profile label gives one.
 */
export function parseDockerRun(args: readonly string[], options: { name?: string; start?: number } = {}): DockerRunParse {
  const start = options.start ?? (args[0] === 'container' && args[1] === 'run' ? 2 : args[0] === 'run' ? 1 : 0);
  const draft = emptyDraft();
  const origins = new Map<string, number>();
  const unmapped: UnmappedFlag[] = [];
  const { occurrences, imageIndex } = tokenize(args, start);
  for (const occurrence of occurrences) applyOccurrence(occurrence, draft, origins, unmapped);
  const image = args[imageIndex] ?? '';
  if (image !== '') origins.set('/image', imageIndex);
  const command = args.slice(imageIndex + 1);
  if (command.length > 0) origins.set('/command', imageIndex + 1);
  return { profile: profileOf(draft, image, command, options.name), unmapped, origins };
}
