/**
 * What `setup` would do on this machine, computed without changing anything: packages to
 * install, the files to change (daemon.json, the user config) with their new text, and what
 * dockerd needs (nothing, a reload or a start). `--dry-run` prints it; apply.ts carries it out.
 */
import { describeEndpoint, resolveEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import { detectPlatform, platformCheck } from '../doctor/platform.js';
import type { EngineClient } from '../engine/client.js';
import { parseClientConfig } from '../clients/config-file.js';
import { SandboxError } from '../errors.js';
import { mergeRuntimes, type WantedRuntimes } from './daemon-json.js';
import { configFileOf, dockerdTarget, pidfileOf, processArgv, runtimesMatch, socketOwnerPid, startArgv, systemdRuns, type DockerdTarget } from './dockerd.js';
import { readOptional, type FileChange } from './files.js';
import type { Host } from './host.js';
import { aptCandidateRelease, aptKnows, decideRuntimes, findRunsc, PACKAGES, runscRelease } from './runsc.js';
import { addNetworkMapping, setupUserConfigPath } from './user-config.js';

export interface Command {
  argv: string[];
  env?: Record<string, string>;
  /** Why, shown next to the command. */
  why: string;
}

export type DockerdAction =
  | { kind: 'none'; pid?: number }
  | { kind: 'reload'; pid?: number; command: Command }
  | { kind: 'start'; command: Command; pidfile?: string };

export interface Plan {
  target: DockerdTarget;
  explanation: string[];
  /** apt-get commands, when runsc or dockerd is missing. */
  installs: Command[];
  daemonJson: FileChange;
  userConfig?: FileChange;
  notes: string[];
  dockerd: DockerdAction;
  wanted: WantedRuntimes;
}

/** True when the plan changes the engine side (what needs root). */
export function enginePartsChange(plan: Plan): boolean {
  return plan.installs.length > 0 || plan.daemonJson.before !== plan.daemonJson.after || plan.dockerd.kind !== 'none';
}

/** Every file the plan changes. */
export function changedFiles(plan: Plan): FileChange[] {
  return [plan.daemonJson, plan.userConfig].filter((c): c is FileChange => c !== undefined && c.before !== c.after);
}

export function nothingToDo(plan: Plan): boolean {
  return !enginePartsChange(plan) && changedFiles(plan).length === 0;
}

/** The engine endpoint setup works on: a local unix socket only. */
export function localSocket(env: NodeJS.ProcessEnv): { socketPath: string; source: string } {
  const endpoint = resolveEndpoint({ env });
  if (endpoint.kind !== 'unix') {
    throw new SandboxError('USAGE', `setup configures a local engine, but the engine is tcp://${endpoint.host}:${endpoint.port} (${endpoint.source})`, {
      hint: 'run setup on the engine\'s machine, or unset DOCKER_HOST / switch the docker context to a local socket',
    });
  }
  return { socketPath: endpoint.socketPath, source: endpoint.source };
}

async function packageStep(host: Host, daemonJson: Record<string, unknown>): Promise<{ runsc?: string; installs: Command[]; missing: string[] }> {
  const registered = (daemonJson.runtimes as Record<string, { path?: unknown }> | undefined)?.runsc?.path;
  const runsc = findRunsc(host, typeof registered === 'string' ? registered : undefined);
  const missing: string[] = [];
  if (!runsc) missing.push(PACKAGES.runsc);
  if (!host.which('dockerd')) missing.push(PACKAGES.dockerd);
  if (missing.length === 0) return { runsc, installs: [], missing };
  if (!host.which('apt-get')) {
    throw new SandboxError('RUNTIME_MISSING', `${missing.includes('runsc') ? 'runsc (gVisor)' : 'dockerd'} is not installed and there is no apt-get to install it`, {
      hint: 'install gVisor from https://gvisor.dev/docs/user_guide/install/ and a Docker engine with your distribution\'s packages, then rerun setup',
    });
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const known = await Promise.all(missing.map((pkg) => aptKnows(host, pkg)));
  const installs: Command[] = [];
  if (known.includes(false)) installs.push({ argv: ['apt-get', 'update'], env, why: 'refresh the package lists' });
  installs.push({ argv: ['apt-get', 'install', '-y', '--no-install-recommends', ...missing], env, why: `install ${missing.join(', ')} (the distribution's packages)` });
  return { runsc, installs, missing };
}

/** Computes the plan. `engine` talks to the endpoint's dockerd (it may not be running). */
export async function makePlan(host: Host, env: NodeJS.ProcessEnv, engine: EngineClient): Promise<Plan> {
  if (host.platform !== 'linux') {
    throw new SandboxError('USAGE', `setup configures Docker and gVisor on Linux; this is ${host.platform === 'darwin' ? 'macOS' : host.platform}`, {
      hint: 'see docs/install.md: on macOS runsc goes inside the Colima or Lima VM, on Windows into the WSL2 distribution (run setup there); `mcp-sandbox doctor` says what this engine can do',
    });
  }
  const socket = localSocket(env);
  const target = dockerdTarget(env, socket.socketPath);
  await refuseVmEngine(host, env, engine, { kind: 'unix', ...socket });
  const before = readOptional(target.daemonJson);
  const parsed = parseClientConfig(target.daemonJson, before ?? '', false);
  const { runsc, installs, missing } = await packageStep(host, parsed);
  const runscPath = runsc ?? '/usr/bin/runsc';
  const version = runsc ? await runscRelease(host, runsc) : { release: await aptCandidateRelease(host, PACKAGES.runsc), line: 'the package apt would install' };
  const decision = decideRuntimes(runscPath, version.release, host.kernel, version.line);
  const merged = mergeRuntimes(target.daemonJson, before ?? '', decision.wanted);
  const daemonJson: FileChange = { file: target.daemonJson, role: 'dockerd config', before, after: merged.text };
  const explanation = [...(missing.length ? [`missing: ${missing.join(', ')}`] : []), ...decision.explanation];
  const notes: string[] = [];
  const userConfig = decision.quirk ? userConfigChange(host, env, notes) : undefined;
  const dockerd = await dockerdAction(host, target, engine, decision.wanted, daemonJson.before !== daemonJson.after, parsed);
  return { target, explanation, installs, daemonJson, userConfig, notes, dockerd, wanted: decision.wanted };
}

const VM_ENGINES = new Set(['docker-desktop', 'orbstack', 'colima', 'lima', 'rancher-desktop']);

/** An engine running in a VM (Docker Desktop for Linux, Colima, Lima, …) is not this machine's dockerd: its daemon.json is elsewhere. */
async function refuseVmEngine(host: Host, env: NodeJS.ProcessEnv, engine: EngineClient, endpoint: EngineEndpoint): Promise<void> {
  const info = await engine.info().catch(() => undefined);
  const platform = detectPlatform({ endpoint, info, hostPlatform: host.platform, hostKernel: host.kernel, env });
  if (!VM_ENGINES.has(platform.kind)) return;
  throw new SandboxError('USAGE', `setup configures the Docker engine of this machine, but ${describeEndpoint(endpoint)} is ${platform.label}, whose engine runs in its own VM`, {
    hint: platformCheck(platform, info, info !== undefined).hint ?? 'see docs/install.md',
  });
}

function userConfigChange(host: Host, env: NodeJS.ProcessEnv, notes: string[]): FileChange | undefined {
  const { file, owner } = setupUserConfigPath(env, host.uid);
  const before = readOptional(file);
  const outcome = addNetworkMapping(file, before);
  if (outcome.status === 'kept-user-mapping') {
    notes.push(`${file} maps runsc as ${outcome.theirs}, not as setup would (networked profiles to runsc-net): left as is; doctor checks what it gives`);
  }
  return { file, role: 'mcp-sandbox user config (runtime mapping)', before, after: outcome.text, ...(owner ? { owner } : {}) };
}

async function dockerdAction(host: Host, target: DockerdTarget, engine: EngineClient, wanted: WantedRuntimes, fileChanges: boolean, daemonJson: Record<string, unknown>): Promise<DockerdAction> {
  const running = await engine.ping().then(
    () => true,
    () => false,
  );
  // systemd is the service manager only of the system engine, and only when it runs dockerd.
  const systemctl = async (...args: string[]): Promise<boolean> => target.system && systemdRuns() && (await host.run(['systemctl', ...args], { timeoutMs: 10_000 })).code === 0;
  if (!running) {
    const command: Command = (await systemctl('cat', 'docker.service'))
      ? { argv: ['systemctl', 'start', 'docker'], why: 'start dockerd (systemd)' }
      : { argv: startArgv(host.which('dockerd') ?? 'dockerd', target), why: `start dockerd in the background, log to ${target.log}` };
    return { kind: 'start', command, ...(command.argv[0] === 'systemctl' ? {} : { pidfile: pidfileOf(target.extraArgs, daemonJson) }) };
  }
  const pid = socketOwnerPid(target.socketPath);
  if (pid !== undefined) {
    const reads = configFileOf(processArgv(pid));
    if (reads !== target.daemonJson) {
      throw new SandboxError('USAGE', `the dockerd serving ${target.socketPath} (pid ${pid}) reads ${reads}, not ${target.daemonJson}`, {
        hint: `set MCP_SANDBOX_DAEMON_JSON=${reads} so setup edits the file that dockerd reads`,
      });
    }
  }
  const info = await engine.info().catch(() => undefined);
  if (!fileChanges && info && runtimesMatch(info.Runtimes, wanted)) return { kind: 'none', ...(pid ? { pid } : {}) };
  if (await systemctl('is-active', '--quiet', 'docker')) {
    return { kind: 'reload', ...(pid ? { pid } : {}), command: { argv: ['systemctl', 'reload', 'docker'], why: 'dockerd re-reads daemon.json (systemd)' } };
  }
  // Without root /proc may hide dockerd's sockets: the plan still shows the reload; applying it needs root anyway.
  return { kind: 'reload', ...(pid ? { pid } : {}), command: { argv: ['kill', '-HUP', pid === undefined ? '<pid of dockerd>' : String(pid)], why: 'dockerd re-reads the runtimes in daemon.json' } };
}
