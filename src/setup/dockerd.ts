/**
 * The dockerd that serves the endpoint: which process it is (the one listening on the socket,
 * never "any dockerd": a second, private one may run next to it), and bringing it to the new
 * daemon.json: the service manager (systemd) when it manages dockerd, else SIGHUP when it runs,
 * else a background start with its log to a file.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EngineClient } from '../engine/client.js';
import { runscNetworkArg } from '../doctor/facts.js';
import type { WantedRuntimes } from './daemon-json.js';

export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';
export const DEFAULT_SOCKET = '/var/run/docker.sock';
export const DEFAULT_LOG = '/var/log/mcp-sandbox-dockerd.log';
const DEFAULT_PIDFILE = '/var/run/docker.pid';

/** Where setup's dockerd lives; the MCP_SANDBOX_* variables point it elsewhere (tests, a second engine). */
export interface DockerdTarget {
  daemonJson: string;
  socketPath: string;
  log: string;
  /** Extra dockerd arguments for a start (MCP_SANDBOX_DOCKERD_ARGS, split on whitespace). */
  extraArgs: string[];
  /** The dockerd to start (MCP_SANDBOX_DOCKERD): e.g. a wrapper that starts it in a namespace of its own. */
  dockerd?: string;
  waitMs: number;
  /** The system's own engine (default socket and daemon.json): the only one a service manager runs. */
  system: boolean;
}

export function dockerdTarget(env: NodeJS.ProcessEnv, socketPath: string): DockerdTarget {
  const daemonJson = path.resolve(env.MCP_SANDBOX_DAEMON_JSON || DEFAULT_DAEMON_JSON);
  const waitSecs = Number(env.MCP_SANDBOX_ENGINE_WAIT || 30);
  return {
    daemonJson,
    socketPath,
    log: env.MCP_SANDBOX_DOCKERD_LOG || DEFAULT_LOG,
    extraArgs: (env.MCP_SANDBOX_DOCKERD_ARGS ?? '').split(/\s+/).filter(Boolean),
    ...(env.MCP_SANDBOX_DOCKERD ? { dockerd: path.resolve(env.MCP_SANDBOX_DOCKERD) } : {}),
    waitMs: (Number.isFinite(waitSecs) && waitSecs > 0 ? waitSecs : 30) * 1000,
    system: daemonJson === DEFAULT_DAEMON_JSON && samePath(socketPath, DEFAULT_SOCKET),
  };
}

function canonical(file: string): string {
  try {
    return path.join(realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    return path.resolve(file);
  }
}

function samePath(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

/** The argv that starts dockerd for `target`: only what differs from dockerd's defaults. */
export function startArgv(dockerd: string, target: DockerdTarget): string[] {
  const argv = [target.dockerd ?? dockerd];
  if (target.daemonJson !== DEFAULT_DAEMON_JSON) argv.push('--config-file', target.daemonJson);
  if (!samePath(target.socketPath, DEFAULT_SOCKET)) argv.push('-H', `unix://${target.socketPath}`);
  return [...argv, ...target.extraArgs];
}

/**
 * The pid of the dockerd listening on a unix socket: for each dockerd process, the socket's
 * inode in the unix table of that process's network namespace (/proc/<pid>/net/unix: a dockerd
 * may run in a namespace of its own), then that inode among the process's fds. undefined when
 * none (or /proc cannot tell, e.g. without root).
 */
export function socketOwnerPid(socketPath: string, proc = '/proc'): number | undefined {
  const wanted = new Set([path.resolve(socketPath), canonical(socketPath)]);
  for (const entry of readdirSync(proc).filter((name) => /^\d+$/.test(name))) {
    const comm = readOr(path.join(proc, entry, 'comm')).trim();
    if (comm !== 'dockerd') continue;
    const inodes = new Set<string>();
    for (const line of readOr(path.join(proc, entry, 'net', 'unix')).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // Num RefCount Protocol Flags Type St Inode Path; flags 00010000 = listening.
      if (fields.length >= 8 && fields[3] === '00010000' && wanted.has(fields[7] as string)) inodes.add(`socket:[${fields[6]}]`);
    }
    if (inodes.size === 0) continue;
    let fds: string[] = [];
    try {
      fds = readdirSync(path.join(proc, entry, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(path.join(proc, entry, 'fd', fd)))) return Number(entry);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return undefined;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** argv of a process, or [] when it is gone. */
export function processArgv(pid: number, proc = '/proc'): string[] {
  try {
    return readFileSync(path.join(proc, String(pid), 'cmdline'), 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The daemon.json a running dockerd reads (its --config-file, else the default). */
export function configFileOf(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg.startsWith('--config-file=')) return path.resolve(arg.slice('--config-file='.length));
    if (arg === '--config-file' && argv[i + 1]) return path.resolve(argv[i + 1] as string);
  }
  return DEFAULT_DAEMON_JSON;
}

/** True when the host runs systemd and it knows a docker unit (then `systemctl` starts and reloads it). */
export function systemdRuns(exists: (file: string) => boolean = existsSync): boolean {
  return exists('/run/systemd/system');
}

/** True when the engine reports every wanted runtime with the wanted path and network. */
export function runtimesMatch(reported: Record<string, { path?: string; runtimeArgs?: string[] }> | undefined, wanted: WantedRuntimes): boolean {
  for (const [name, want] of Object.entries(wanted)) {
    const got = reported?.[name];
    if (!got || got.path !== want.path) return false;
    if (runscNetworkArg(got.runtimeArgs) !== (want.network ?? 'sandbox')) return false;
  }
  return true;
}

/** Polls the engine until it reports the runtimes; false on timeout or when `gone()` says dockerd exited. */
export async function waitForRuntimes(engine: EngineClient, wanted: WantedRuntimes, ms: number, gone: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await engine.info().catch(() => undefined);
    if (info && runtimesMatch(info.Runtimes, wanted)) return true;
    if (gone() || Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The pidfile dockerd will use: --pidfile, else daemon.json's "pidfile", else the default. */
export function pidfileOf(argv: readonly string[], daemonJson: Record<string, unknown>): string {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg.startsWith('--pidfile=') || arg.startsWith('-p=')) return arg.slice(arg.indexOf('=') + 1);
    if ((arg === '--pidfile' || arg === '-p') && argv[i + 1]) return argv[i + 1] as string;
  }
  return typeof daemonJson.pidfile === 'string' ? daemonJson.pidfile : DEFAULT_PIDFILE;
}

/** Removes a pidfile whose process is gone or is not dockerd: a dockerd killed hard leaves it, and it blocks the next start. */
export function clearStalePidfile(pidfile: string, proc = '/proc'): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(pidfile, 'utf8').trim());
  } catch {
    return false;
  }
  const argv0 = processArgv(pid, proc)[0];
  if (pid > 0 && argv0 && path.basename(argv0) === 'dockerd') return false;
  rmSync(pidfile, { force: true });
  return true;
}

/**
 * Starts dockerd detached (its own session, stdio to the log), so it outlives setup and the
 * shell that ran it. Returns its pid and a probe for "has it exited".
 */
export function startDockerd(argv: readonly string[], log: string): { pid: number; exited: () => boolean } {
  mkdirSync(path.dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  try {
    const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    child.on('error', () => {
      exited = true;
    });
    child.unref();
    return { pid: child.pid ?? -1, exited: () => exited };
  } finally {
    closeSync(fd);
  }
}

/** The last lines of the dockerd log (its own messages), for a failed start. */
export function logTail(log: string, lines = 15): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
