/** The doctor's probes: an image to probe with, then a start per (runtime, network) and the memory and pids limits per runtime, all at once. */
import type { EngineInfo } from '../engine/client.js';
import { netstackHint } from '../engine/errors.js';
import type { Check, DoctorDeps } from './checks.js';
import { NETWORK_MAPPING_SNIPPET, interfacesFromProcNetDev, isRunsc } from './facts.js';
import type { Need } from './needs.js';
import type { ProbeResult } from './probe.js';

type Runtimes = NonNullable<EngineInfo['Runtimes']>;

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

/** An image to probe with: a small local one, else a profile's own image (which needs a shell). */
export async function chooseProbeImages(deps: Pick<DoctorDeps, 'engine' | 'profiles' | 'probeImages'>, usable: Need[]): Promise<{ check: Check; imageFor: Map<Need, string> }> {
  const { engine } = deps;
  const candidates = deps.probeImages ?? DEFAULT_PROBE_IMAGES;
  const local = (refs: string[]): Promise<Array<string | undefined>> => Promise.all(refs.map((ref) => engine.inspectImage(ref).then((i) => (i ? ref : undefined), () => undefined)));
  const small = (await local(candidates)).find((ref): ref is string => ref !== undefined);
  const profileImages = [...new Set(deps.profiles.map((p) => p.image))];
  const imageFor = new Map<Need, string>();
  if (small) {
    for (const need of usable) imageFor.set(need, small);
    return { check: { status: 'ok', id: 'probe-image', message: `probe image ${small} (local)` }, imageFor };
  }
  const available = new Set((await local(profileImages)).filter((ref): ref is string => ref !== undefined));
  for (const need of usable) {
    const image = need.profiles.map((p) => p.image).find((ref) => available.has(ref)) ?? [...available][0];
    if (image) imageFor.set(need, image);
  }
  if (imageFor.size > 0) {
    return { check: { status: 'warn', id: 'probe-image', message: `no small probe image (${candidates.join(', ')}) present: probing with the profiles' own images, which need a shell (sh)` }, imageFor };
  }
  return {
    imageFor,
    check: {
      status: 'fail',
      id: 'probe-image',
      message: `no image available to test with: none of ${candidates.join(', ')} nor the profile images (${profileImages.join(', ')}) is present locally, so no runtime start was checked`,
      hint: 'docker pull busybox (or load it), or build the profile images with `mcp-sandbox build <profile>`, then rerun doctor',
    },
  };
}

/** Probes, all at once: a start per (runtime, network), memory and pids per runtime. */
export async function probeChecks(deps: Pick<DoctorDeps, 'probe'>, usable: Need[], imageFor: Map<Need, string>, runtimes: Runtimes, configFile: string): Promise<Check[]> {
  const probed = usable.filter((n) => imageFor.has(n));
  const runtimesUsed = [...new Set(probed.map((n) => n.runtime))].sort();
  const limitImage = (runtime: string): string => imageFor.get(probed.find((n) => n.runtime === runtime) as Need) as string;
  const startJobs = probed.map(async (need) => ({ need, result: await deps.probe({ image: imageFor.get(need)!, runtime: need.runtime, network: need.network, script: NET_SCRIPT }) }));
  const memoryJobs = runtimesUsed.map(async (runtime) => ({
    runtime,
    result: await deps.probe({ image: limitImage(runtime), runtime, network: 'none', script: MEMORY_SCRIPT, memory: MEMORY_LIMIT }),
  }));
  const pidsJobs = runtimesUsed.map(async (runtime) => ({
    runtime,
    result: await deps.probe({ image: limitImage(runtime), runtime, network: 'none', script: PIDS_SCRIPT, pidsLimit: PIDS_LIMIT }),
  }));
  const [starts, memories, pids] = await Promise.all([Promise.all(startJobs), Promise.all(memoryJobs), Promise.all(pidsJobs)]);
  const checks: Check[] = [];
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
  need: Need,
  result: ProbeResult,
  runtimes: Runtimes,
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

