/**
 * The host paths a sandboxed server must never see (MS301, and thereby `run`'s refusal), as data:
 * each entry says what it is and why, and docs/rules/MS301.md renders this table. A mount of a
 * parent of an entry exposes the entry too, so parents count (mounting `/home` shows `~/.ssh`).
 */
import path from 'node:path';
import type { Severity } from './types.js';

export interface SensitivePath {
  /** Absolute, or `~/…` (below the real home directory). */
  path: string;
  /** What it is, as the message names it: "host system directory /etc". */
  label: string;
  /** Why a server must not see it; rendered into the rule's docs page. */
  why: string;
  /** subtree: the path and everything below it; exact: the path itself (its parents still count). */
  scope: 'subtree' | 'exact';
  severity: Severity;
}

function system(dir: string, why: string): SensitivePath {
  return { path: dir, label: `host system directory ${dir}`, why, scope: 'subtree', severity: 'error' };
}

function home(rel: string, what: string, why: string): SensitivePath {
  return { path: `~/${rel}`, label: `~/${rel} (${what})`, why, scope: 'subtree', severity: 'error' };
}

const BOOT = 'programs and libraries every process loads: writing one runs code as every user, reading shows what to attack';
const RC = 'runs on every shell start: writing it runs code as you next time you open a terminal';
const HISTORY = 'holds commands you typed, with the passwords and tokens pasted into them';

export const SENSITIVE_PATHS: readonly SensitivePath[] = [
  { path: '/', label: 'the host root filesystem', why: 'every file of the host, this list included', scope: 'exact', severity: 'error' },
  system('/etc', 'host configuration: users, password hashes (/etc/shadow), sudoers, TLS keys, service credentials'),
  system('/proc', "other processes' memory maps, environments (with their secrets) and kernel tunables"),
  system('/sys', 'kernel and device control: writing here reconfigures the host'),
  system('/dev', 'raw devices: disks, memory, terminals'),
  system('/boot', 'kernel and boot loader: replacing them persists below the OS'),
  system('/usr', BOOT),
  system('/lib', BOOT),
  system('/lib64', BOOT),
  system('/bin', BOOT),
  system('/sbin', BOOT),
  system('/var/run', 'runtime state and sockets of host services (the engine socket among them)'),
  system('/run', 'runtime state and sockets of host services (the engine socket among them)'),
  system('/root', "the administrator's home directory"),
  system('/var/lib/docker', 'every container and image of the engine: editing them changes other sandboxes'),
  system('/var/lib/containerd', 'containerd state: images and snapshots of every container'),
  system('/var/lib/kubelet', 'kubelet state: pod volumes and service-account tokens'),
  system('/Library/Keychains', 'macOS system keychains'),
  { path: '~', label: 'the home directory', why: 'everything below is yours: keys, tokens, shell start-up files, client configs', scope: 'exact', severity: 'error' },
  home('.ssh', 'credentials', 'SSH private keys and the hosts they open'),
  home('.aws', 'credentials', 'AWS access keys'),
  home('.azure', 'credentials', 'Azure CLI tokens'),
  home('.gnupg', 'credentials', 'GPG private keys'),
  home('.kube', 'credentials', 'Kubernetes cluster credentials'),
  home('.docker', 'credentials', 'registry credentials; a context there points at engines'),
  home('.config', 'credentials, configuration', 'client configs (Claude, VS Code), gh tokens, cloud CLIs, and mcp-sandbox\'s own secrets.env'),
  home('.local', 'programs and data', '~/.local/bin is on PATH: a file there runs as you; ~/.local/share holds app data and history'),
  home('.cache', 'caches', "mcp-sandbox's own profile cache: writing it could weaken the next sandbox"),
  home('.gitconfig', 'git configuration', 'credential helpers and hooks paths: editing it runs code on your next git command'),
  home('.git-credentials', 'credentials', 'git passwords and tokens in clear text'),
  home('.netrc', 'credentials', 'passwords for FTP/HTTP hosts in clear text'),
  home('.npmrc', 'credentials', 'npm registry tokens'),
  home('.pypirc', 'credentials', 'PyPI upload tokens'),
  home('Library/Keychains', 'credentials', 'macOS login keychains'),
  ...['.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.profile', '.zshrc', '.zshenv', '.zprofile', '.zlogin', '.cshrc', '.tcshrc', '.kshrc'].map((rc) => home(rc, 'shell start-up file', RC)),
  ...['.bash_history', '.zsh_history', '.history', '.sh_history', '.python_history', '.node_repl_history', '.psql_history', '.mysql_history', '.sqlite_history', '.lesshst'].map((h) => home(h, 'shell history', HISTORY)),
];

/**
 * Locations inside a listed path that are made for sandboxed servers; a source below one of
 * these is not sensitive (unless it resolves elsewhere).
 */
export const ALLOWED_PATHS: ReadonlyArray<{ path: string; why: string }> = [
  { path: '~/.local/share/mcp-sandbox', why: "mcp-sandbox's own directory for server state (the sqlite profile's database); the host reads nothing from it" },
];

/** ALLOWED_PATHS with `~` expanded. */
export function expandAllowedPaths(homeDir: string): string[] {
  return ALLOWED_PATHS.map((a) => (a.path.startsWith('~/') ? path.posix.join(homeDir, a.path.slice(2)) : a.path));
}

/** The entries with `~` expanded against `homeDir`. */
export function expandSensitivePaths(homeDir: string): SensitivePath[] {
  const out: SensitivePath[] = [];
  for (const entry of SENSITIVE_PATHS) {
    // Root's home is /root: there it is the home directory, handled by the ~ entries.
    if (entry.path === '/root' && isWithin(homeDir, '/root')) continue;
    if (entry.path === '~') out.push({ ...entry, path: homeDir, label: `the home directory ${homeDir}` });
    else if (entry.path.startsWith('~/')) out.push({ ...entry, path: path.posix.join(homeDir, entry.path.slice(2)) });
    else out.push(entry);
  }
  return out;
}

/** True when `child` is `parent` or lies below it (POSIX host paths, already absolute). */
export function isWithin(child: string, parent: string): boolean {
  const relative = path.posix.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.posix.isAbsolute(relative));
}

/** The list as a Markdown table, for the docs page. */
export function renderSensitivePathTable(): string {
  const rows = SENSITIVE_PATHS.map((e) => `| \`${e.path}\` | ${e.scope === 'subtree' ? 'it and below' : 'itself'} | ${e.severity} | ${e.why} |`);
  const allowed = ALLOWED_PATHS.map((a) => `- \`${a.path}\`: ${a.why}`);
  return ['| Path | Covers | Severity | Why |', '| --- | --- | --- | --- |', ...rows, '', 'Exceptions (not sensitive, unless a symlink leads elsewhere):', '', ...allowed].join('\n');
}
