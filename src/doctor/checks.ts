/**
 * `mcp-sandbox doctor`: checks that this machine can run the shipped profiles, one result per
 * check. Everything external comes in through `DoctorDeps` (engine client, runsc version, probe
 * runner) so the logic is tested with fakes; the probes themselves run in parallel because a
 * runsc start costs about a second.
 */
import { describeEndpoint } from '../engine/endpoint.js';
import { EngineConnectionError, type EngineClient, type EngineInfo, type EngineVersion } from '../engine/client.js';
import { daemonJsonSnippet, netstackHint, unreachable } from '../engine/errors.js';
import { mapRuntime, userConfigPath, type UserConfig } from '../run/user-config.js';
import type { NetworkMode } from '../profile/types.js';
import {
  NETWORK_MAPPING_SNIPPET,
  RUNSC_NETSTACK_FIXED,
  interfacesFromProcNetDev,
  isRunsc,
  kernelAtLeast,
  parseRunscRelease,
  quirkRuntimesSnippet,
  runscNetworkArg,
} from './facts.js';
import type { ProbeResult, ProbeSpec } from './probe.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  status: CheckStatus;
  /** Short id, stable for tests and --json. */
  id: string;
  message: string;
  hint?: string;
}

/** What one shipped profile needs from the engine. */
export interface ProfileNeed {
  name: string;
  runtime: string;
  network: NetworkMode;
  image: string;
}

export interface DoctorDeps {
  engine: EngineClient;
  config: UserConfig;
  profiles: ProfileNeed[];
  /** Profiles that could not be loaded: file and message. */
  profileErrors?: Array<{ file: string; message: string }>;
  /** `runsc --version` output for a runtime binary, or undefined when it cannot be run here. */
  runscVersion(path: string): Promise<string | undefined>;
  probe(spec: ProbeSpec): Promise<ProbeResult>;
  /** Small local images to probe with, in order of preference. */
  probeImages?: string[];
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_PROBE_IMAGES = ['mcp-sandbox-test/busybox:local', 'busybox:latest', 'busybox:musl', 'alpine:latest'];

const MEMORY_LIMIT = 64 * 1024 * 1024;
const PIDS_LIMIT = 100;
const PIDS_SPAWN = 300;

const NET_SCRIPT = 'cat /proc/net/dev; echo "::dmesg"; dmesg 2>/dev/null | head -n 1';
// Allocates ~150 MiB (busybox tail keeps the tail of a newline-free stream in memory).
const MEMORY_SCRIPT = 'head -c 200m /dev/zero | tail -c 150m >/dev/null && echo survived';
const PIDS_SCRIPT = `n=0; i=0; while [ $i -lt ${PIDS_SPAWN} ]; do i=$((i+1)); sleep 3 2>/dev/null & n=$((n+1)); done; echo spawned=$n`;

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs every check; never throws. */
export async function runDoctor(deps: DoctorDeps): Promise<Check[]> {
  const { engine } = deps;
  const checks: Check[] = [];
  const where = `${describeEndpoint(engine.endpoint)} (${engine.endpoint.source})`;

  // 1. The engine.
  let version: EngineVersion;
  let info: EngineInfo;
  try {
    [version, info] = await Promise.all([engine.version(), engine.info()]);
  } catch (error) {
    const failure = error instanceof EngineConnectionError ? unreachable(engine.endpoint, error) : undefined;
    checks.push({
      status: 'fail',
      id: 'engine',
      message: failure ? failure.message : `the engine at ${where} answered with an error: ${(error as Error).message}`,
      hint: failure?.hint ?? 'check the engine log (dockerd)',
    });
    return checks;
  }
  checks.push({
    status: 'ok',
    id: 'engine',
    message: `engine reachable at ${where}: Docker ${version.Version}, API ${version.ApiVersion}${version.MinAPIVersion ? ` (min ${version.MinAPIVersion})` : ''}, kernel ${info.KernelVersion ?? version.KernelVersion ?? 'unknown'}`,
  });

  // 2. Runtimes.
  const runtimes = info.Runtimes ?? {};
  const names = Object.keys(runtimes).sort();
  const describeRuntime = (name: string): string => {
    const args = runtimes[name]?.runtimeArgs ?? [];
    return args.length ? `${name} [${args.join(' ')}]` : name;
  };
  checks.push({
    status: names.length ? 'ok' : 'fail',
    id: 'runtimes',
    message: names.length ? `runtimes registered: ${names.map(describeRuntime).join(', ')} (default ${info.DefaultRuntime ?? 'runc'})` : 'the engine reports no runtimes',
    ...(names.length ? {} : { hint: 'upgrade the engine, or register runsc in /etc/docker/daemon.json' }),
  });

  // 3. runsc versions, and the network quirk on new kernels with old releases.
  const kernel = info.KernelVersion ?? version.KernelVersion;
  const newKernel = kernelAtLeast(kernel, 6, 11);
  const runscNames = names.filter((name) => isRunsc(runtimes[name]?.path, name));
  const paths = [...new Set(runscNames.map((name) => runtimes[name]?.path ?? 'runsc'))];
  const versions = await Promise.all(paths.map(async (p) => [p, await deps.runscVersion(p).catch(() => undefined)] as const));
  const oldRelease = new Map<string, boolean>();
  for (const [runscPath, text] of versions) {
    const release = text === undefined ? undefined : parseRunscRelease(text);
    const line = text?.split('\n')[0]?.trim();
    if (text === undefined) {
      checks.push({
        status: 'warn',
        id: 'runsc-version',
        message: `cannot run ${runscPath} --version here${engine.endpoint.kind === 'unix' ? '' : ' (remote engine)'}; assuming an old release`,
        hint: 'runtimeArgs --network=none / --network=host work on every release',
      });
      oldRelease.set(runscPath, true);
      continue;
    }
    const old = release === undefined ? false : release < RUNSC_NETSTACK_FIXED;
    oldRelease.set(runscPath, old);
    if (old && newKernel) {
      checks.push({
        status: 'warn',
        id: 'runsc-version',
        message: `${runscPath}: ${line}, older than release-${RUNSC_NETSTACK_FIXED}.0 on kernel ${kernel} (>= 6.11): gVisor's own network stack cannot start there ("cannot run with network enabled in root network namespace", gVisor#10704)`,
        hint: `use runtimeArgs ["--network=none"] for loopback-only profiles and a second runtime with ["--network=host"] for networked ones: ${quirkRuntimesSnippet(runscPath)}; or upgrade runsc`,
      });
    } else {
      checks.push({ status: 'ok', id: 'runsc-version', message: `${runscPath}: ${line}${release === undefined ? ' (release date unknown)' : ''}, kernel ${kernel ?? 'unknown'}` });
    }
  }
  // A runsc runtime with its default network (sandbox) fails every start under the quirk.
  for (const name of runscNames) {
    const entry = runtimes[name];
    if (!newKernel || !oldRelease.get(entry?.path ?? 'runsc')) continue;
    const net = runscNetworkArg(entry?.runtimeArgs);
    if (net === 'sandbox') {
      checks.push({
        status: 'fail',
        id: 'runsc-args',
        message: `runtime ${name} runs gVisor's own network stack (no --network=none/host in its runtimeArgs), which this runsc cannot start on kernel ${kernel}: every container on it will fail to start`,
        hint: `register it with "runtimeArgs": ["--network=none"] (or ["--network=host"] for networked profiles) in /etc/docker/daemon.json and send dockerd SIGHUP`,
      });
    }
  }

  // 4. What the shipped profiles need, through the user config's runtime mapping.
  for (const problem of deps.profileErrors ?? []) {
    checks.push({ status: 'warn', id: 'profiles', message: `profile ${problem.file} could not be loaded: ${problem.message}` });
  }
  interface Need {
    runtime: string;
    network: NetworkMode;
    profileRuntime: string;
    profiles: ProfileNeed[];
  }
  const needs = new Map<string, Need>();
  for (const profile of deps.profiles) {
    const runtime = mapRuntime(deps.config, profile.runtime, profile.network);
    const key = `${runtime}\u0000${profile.network}`;
    const need = needs.get(key) ?? { runtime, network: profile.network, profileRuntime: profile.runtime, profiles: [] };
    need.profiles.push(profile);
    needs.set(key, need);
  }
  const configFile = deps.config.file ?? userConfigPath(deps.env);
  const usable: Need[] = [];
  for (const need of needs.values()) {
    const list = need.profiles.map((p) => p.name).join(', ');
    if (!runtimes[need.runtime]) {
      checks.push({
        status: 'fail',
        id: 'runtime-missing',
        message: `runtime ${need.runtime} (network ${need.network}; profiles ${list}) is not registered with the engine`,
        hint: `add ${daemonJsonSnippet(need.runtime)} to /etc/docker/daemon.json and send dockerd SIGHUP, or map it in ${configFile}`,
      });
    } else usable.push(need);
  }
  if (deps.profiles.length === 0) {
    checks.push({ status: 'warn', id: 'profiles', message: 'no shipped profiles found: runtime starts not checked', hint: 'reinstall mcp-sandbox' });
    return checks;
  }

  // 5. An image to probe with: a small local one, else a profile's own image.
  const candidates = deps.probeImages ?? DEFAULT_PROBE_IMAGES;
  const present = await Promise.all(candidates.map((ref) => engine.inspectImage(ref).then((i) => (i ? ref : undefined), () => undefined)));
  let small = present.find((ref): ref is string => ref !== undefined);
  const profileImages = [...new Set(deps.profiles.map((p) => p.image))];
  const imageFor = new Map<Need, string>();
  if (!small) {
    const presentProfile = await Promise.all(profileImages.map((ref) => engine.inspectImage(ref).then((i) => (i ? ref : undefined), () => undefined)));
    const available = new Set(presentProfile.filter((ref): ref is string => ref !== undefined));
    for (const need of usable) {
      const image = need.profiles.map((p) => p.image).find((ref) => available.has(ref)) ?? [...available][0];
      if (image) imageFor.set(need, image);
    }
  } else {
    for (const need of usable) imageFor.set(need, small);
  }
  if (small) checks.push({ status: 'ok', id: 'probe-image', message: `probe image ${small} (local)` });
  else if (imageFor.size > 0) {
    checks.push({ status: 'warn', id: 'probe-image', message: `no small probe image (${candidates.join(', ')}) present: probing with the profiles' own images, which need a shell (sh)` });
  } else {
    checks.push({
      status: 'fail',
      id: 'probe-image',
      message: `no image available to test with: none of ${candidates.join(', ')} nor the profile images (${profileImages.join(', ')}) is present locally, so no runtime start was checked`,
      hint: 'docker pull busybox (or load it), or build the profile images with `mcp-sandbox build <profile>`, then rerun doctor',
    });
    return checks;
  }

  // 6-8. Probes, all at once: a start per (runtime, network), memory and pids per runtime.
  const runtimesUsed = [...new Set(usable.filter((n) => imageFor.has(n)).map((n) => n.runtime))].sort();
  const limitImage = (runtime: string): string => imageFor.get(usable.find((n) => n.runtime === runtime && imageFor.has(n)) as Need) as string;
  const startJobs = usable
    .filter((need) => imageFor.has(need))
    .map(async (need) => ({ need, result: await deps.probe({ image: imageFor.get(need)!, runtime: need.runtime, network: need.network, script: NET_SCRIPT }) }));
  const memoryJobs = runtimesUsed.map(async (runtime) => ({
    runtime,
    result: await deps.probe({ image: limitImage(runtime), runtime, network: 'none', script: MEMORY_SCRIPT, memory: MEMORY_LIMIT }),
  }));
  const pidsJobs = runtimesUsed.map(async (runtime) => ({
    runtime,
    result: await deps.probe({ image: limitImage(runtime), runtime, network: 'none', script: PIDS_SCRIPT, pidsLimit: PIDS_LIMIT }),
  }));
  const [starts, memories, pids] = await Promise.all([Promise.all(startJobs), Promise.all(memoryJobs), Promise.all(pidsJobs)]);

  for (const { need, result } of starts.sort((a, b) => `${a.need.runtime}/${a.need.network}`.localeCompare(`${b.need.runtime}/${b.need.network}`))) {
    checks.push(...startChecks(need, result, runtimes, configFile));
  }
  for (const { runtime, result } of memories) checks.push(memoryCheck(runtime, result));
  for (const { runtime, result } of pids) checks.push(pidsCheck(runtime, result, isRunsc(runtimes[runtime]?.path, runtime)));
  return checks;
}

function startFailureHint(message: string, runtime: string): string {
  const netstack = netstackHint(message, runtime);
  if (netstack) return netstack;
  if (/executable file not found|no such file or directory/i.test(message)) return 'the probe image has no sh: pull busybox for doctor to use';
  return 'see the engine log (dockerd) and `runsc` debug logs; `mcp-sandbox run --verbose` shows the same failure';
}

function startChecks(
  need: { runtime: string; network: NetworkMode; profileRuntime: string; profiles: ProfileNeed[] },
  result: ProbeResult,
  runtimes: NonNullable<EngineInfo['Runtimes']>,
  configFile: string,
): Check[] {
  const list = need.profiles.map((p) => p.name).join(', ');
  const label = `runtime ${need.runtime}, network ${need.network} (${list})`;
  if (result.startError || result.timedOut) {
    const message = result.startError ?? `no exit within the probe timeout`;
    return [{ status: 'fail', id: 'start', message: `start under ${label} failed: ${message}`, hint: startFailureHint(message, need.runtime) }];
  }
  if (result.exitCode !== 0) {
    return [
      {
        status: 'fail',
        id: 'start',
        message: `start under ${label}: the probe exited ${result.exitCode}: ${result.output.trim().split('\n').slice(-1)[0] ?? ''}`,
        hint: startFailureHint(result.output, need.runtime),
      },
    ];
  }
  const [netText, dmesg = ''] = result.output.split('::dmesg');
  const interfaces = interfacesFromProcNetDev(netText ?? '');
  const external = interfaces.filter((name) => name !== 'lo');
  const gvisor = /gVisor/.test(dmesg);
  const entry = runtimes[need.runtime];
  const expectGvisor = isRunsc(entry?.path, need.runtime);
  const checks: Check[] = [];
  checks.push({
    status: expectGvisor && !gvisor ? 'warn' : 'ok',
    id: 'start',
    message: `start under ${label}: ${seconds(result.elapsed)}, ${gvisor ? 'gVisor kernel' : 'host kernel'}, interfaces ${interfaces.join(' ') || 'none'}`,
    ...(expectGvisor && !gvisor ? { hint: 'the runtime looks like runsc but the container did not report a gVisor kernel (dmesg)' } : {}),
  });
  if (need.network !== 'none' && external.length === 0) {
    const args = entry?.runtimeArgs?.length ? ` (runtimeArgs ${entry.runtimeArgs.join(' ')})` : '';
    const mapped = need.runtime !== need.profileRuntime ? ` (mapped from ${need.profileRuntime} by ${configFile})` : '';
    checks.push({
      status: 'fail',
      id: 'network-removed',
      message: `runtime ${need.runtime}${args}${mapped} silently removes networking: ${list} ask for network ${need.network}, but a container there sees only ${interfaces.join(' ') || 'no interfaces'}`,
      hint: `send networked profiles to a runtime registered with ["--network=host"]: put "${NETWORK_MAPPING_SNIPPET}" in ${configFile} (and register runsc-net in daemon.json if missing)`,
    });
  } else if (need.network === 'none' && external.length > 0) {
    checks.push({
      status: 'fail',
      id: 'network-leak',
      message: `runtime ${need.runtime} gives a network none container the interfaces ${external.join(' ')} (${list})`,
      hint: 'check the runtime registration; network none must leave only lo',
    });
  }
  return checks;
}

/** The failed check for a limit probe that did not run to the end, if it did not. */
function limitProbeFailed(id: 'memory' | 'pids', runtime: string, result: ProbeResult): Check | undefined {
  if (!result.startError && !result.timedOut) return undefined;
  return { status: 'fail', id, message: `${id} limit under ${runtime}: probe failed: ${result.startError ?? 'timed out'}`, hint: startFailureHint(result.startError ?? '', runtime) };
}

function memoryCheck(runtime: string, result: ProbeResult): Check {
  const failed = limitProbeFailed('memory', runtime, result);
  if (failed) return failed;
  if (/survived/.test(result.output)) {
    return {
      status: 'fail',
      id: 'memory',
      message: `memory limit under ${runtime} is NOT enforced: a 150 MiB allocation survived a ${mib(MEMORY_LIMIT)} limit`,
      hint: 'enable the memory cgroup controller (cgroup_enable=memory) and check that dockerd reports no "No memory limit support" warning',
    };
  }
  if (result.memoryLimit !== undefined && result.memoryLimit !== MEMORY_LIMIT) {
    return {
      status: 'fail',
      id: 'memory',
      message: `memory limit under ${runtime}: asked for ${mib(MEMORY_LIMIT)}, the engine recorded ${mib(result.memoryLimit)}`,
      hint: 'check `docker info` for "No memory limit support" and the cgroup setup',
    };
  }
  const how = result.exitCode === 137 || result.oomKilled ? `killed${result.oomKilled ? ' by the OOM killer' : ''}, exit ${result.exitCode}` : `failed, exit ${result.exitCode}`;
  return { status: 'ok', id: 'memory', message: `memory limit under ${runtime} enforced: a 150 MiB allocation under a ${mib(MEMORY_LIMIT)} limit${result.memoryLimit ? ' (as the engine recorded it)' : ''} was ${how}` };
}

function pidsCheck(runtime: string, result: ProbeResult, runsc: boolean): Check {
  const failed = limitProbeFailed('pids', runtime, result);
  if (failed) return failed;
  const spawned = /spawned=(\d+)/.exec(result.output);
  if (spawned && Number(spawned[1]) >= PIDS_SPAWN && !/can't fork/.test(result.output)) {
    return {
      status: 'fail',
      id: 'pids',
      message: `pids limit under ${runtime} is NOT enforced: ${PIDS_SPAWN} processes started under a limit of ${PIDS_LIMIT}`,
      hint: 'enable the pids cgroup controller; check `docker info` for "No pids limit support"',
    };
  }
  const how = /can't fork/.test(result.output)
    ? 'fork failed at the limit'
    : runsc
      ? `the sandbox was stopped at the limit (exit ${result.exitCode}; gVisor counts its own threads, so size pids limits generously)`
      : `stopped at the limit (exit ${result.exitCode})`;
  return { status: 'ok', id: 'pids', message: `pids limit under ${runtime} enforced: spawning ${PIDS_SPAWN} processes under a limit of ${PIDS_LIMIT}: ${how}` };
}

const SYMBOL: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** One line per check: symbol, message, and the fix for failures and warnings. */
export function formatCheck(check: Check): string {
  return `${SYMBOL[check.status]} ${check.message}${check.hint ? ` (fix: ${check.hint})` : ''}`;
}

export function doctorPassed(checks: Check[]): boolean {
  return checks.every((check) => check.status !== 'fail');
}
