/** The first doctor stages: is the engine there, which runtimes it has, which runsc releases. */
import { describeEndpoint } from '../engine/endpoint.js';
import { EngineConnectionError, type EngineClient, type EngineInfo, type EngineVersion } from '../engine/client.js';
import { unreachable } from '../engine/errors.js';
import type { Check, DoctorDeps } from './checks.js';
import { RUNSC_NETSTACK_FIXED, isRunsc, kernelAtLeast, parseRunscRelease, quirkRuntimesSnippet, runscNetworkArg } from './facts.js';

/** What the engine said about itself. */
export interface EngineFacts {
  version: EngineVersion;
  info: EngineInfo;
  runtimes: NonNullable<EngineInfo['Runtimes']>;
  kernel: string | undefined;
  remote: boolean;
}

/** Version and info, or the failed check that ends the doctor run. */
export async function engineCheck(engine: EngineClient): Promise<{ check: Check; facts?: EngineFacts }> {
  const where = `${describeEndpoint(engine.endpoint)} (${engine.endpoint.source})`;
  let version: EngineVersion;
  let info: EngineInfo;
  try {
    [version, info] = await Promise.all([engine.version(), engine.info()]);
  } catch (error) {
    const failure = error instanceof EngineConnectionError ? unreachable(engine.endpoint, error) : undefined;
    return {
      check: {
        status: 'fail',
        id: 'engine',
        message: failure ? failure.message : `the engine at ${where} answered with an error: ${(error as Error).message}`,
        hint: failure?.hint ?? 'check the engine log (dockerd)',
      },
    };
  }
  const kernel = info.KernelVersion ?? version.KernelVersion;
  return {
    check: {
      status: 'ok',
      id: 'engine',
      message: `engine reachable at ${where}: Docker ${version.Version}, API ${version.ApiVersion}${version.MinAPIVersion ? ` (min ${version.MinAPIVersion})` : ''}, kernel ${kernel ?? 'unknown'}`,
    },
    facts: { version, info, runtimes: info.Runtimes ?? {}, kernel, remote: engine.endpoint.kind !== 'unix' },
  };
}

export function runtimesCheck(facts: EngineFacts): Check {
  const { runtimes } = facts;
  const names = Object.keys(runtimes).sort();
  const describeRuntime = (name: string): string => {
    const args = runtimes[name]?.runtimeArgs ?? [];
    return args.length ? `${name} [${args.join(' ')}]` : name;
  };
  return {
    status: names.length ? 'ok' : 'fail',
    id: 'runtimes',
    message: names.length ? `runtimes registered: ${names.map(describeRuntime).join(', ')} (default ${facts.info.DefaultRuntime ?? 'runc'})` : 'the engine reports no runtimes',
    ...(names.length ? {} : { hint: 'upgrade the engine, or register runsc in /etc/docker/daemon.json' }),
  };
}

/** runsc versions, and the network quirk on new kernels with old releases. */
export async function runscChecks(facts: EngineFacts, deps: Pick<DoctorDeps, 'runscVersion'>): Promise<Check[]> {
  const { runtimes, kernel } = facts;
  const newKernel = kernelAtLeast(kernel, 6, 11);
  const runscNames = Object.keys(runtimes).sort().filter((name) => isRunsc(runtimes[name]?.path, name));
  const paths = [...new Set(runscNames.map((name) => runtimes[name]?.path ?? 'runsc'))];
  const versions = await Promise.all(paths.map(async (p) => [p, await deps.runscVersion(p).catch(() => undefined)] as const));
  const checks: Check[] = [];
  const oldRelease = new Map<string, boolean>();
  for (const [runscPath, text] of versions) {
    const { check, old } = runscVersionCheck(runscPath, text, kernel, newKernel, facts.remote);
    checks.push(check);
    oldRelease.set(runscPath, old);
  }
  // A runsc runtime with its default network (sandbox) fails every start under the quirk.
  for (const name of runscNames) {
    const entry = runtimes[name];
    if (!newKernel || !oldRelease.get(entry?.path ?? 'runsc')) continue;
    if (runscNetworkArg(entry?.runtimeArgs) === 'sandbox') {
      checks.push({
        status: 'fail',
        id: 'runsc-args',
        message: `runtime ${name} runs gVisor's own network stack (no --network=none/host in its runtimeArgs), which this runsc cannot start on kernel ${kernel}: every container on it will fail to start`,
        hint: `register it with "runtimeArgs": ["--network=none"] (or ["--network=host"] for networked profiles) in /etc/docker/daemon.json and send dockerd SIGHUP`,
      });
    }
  }
  return checks;
}

function runscVersionCheck(runscPath: string, text: string | undefined, kernel: string | undefined, newKernel: boolean, remote: boolean): { check: Check; old: boolean } {
  if (text === undefined) {
    return {
      old: true,
      check: {
        status: 'warn',
        id: 'runsc-version',
        message: `cannot run ${runscPath} --version here${remote ? ' (remote engine)' : ''}; assuming an old release`,
        hint: 'runtimeArgs --network=none / --network=host work on every release',
      },
    };
  }
  const release = parseRunscRelease(text);
  const line = text.split('\n')[0]?.trim();
  const old = release === undefined ? false : release < RUNSC_NETSTACK_FIXED;
  if (old && newKernel) {
    return {
      old,
      check: {
        status: 'warn',
        id: 'runsc-version',
        message: `${runscPath}: ${line}, older than release-${RUNSC_NETSTACK_FIXED}.0 on kernel ${kernel} (>= 6.11): gVisor's own network stack cannot start there ("cannot run with network enabled in root network namespace", gVisor#10704)`,
        hint: `use runtimeArgs ["--network=none"] for loopback-only profiles and a second runtime with ["--network=host"] for networked ones: ${quirkRuntimesSnippet(runscPath)}; or upgrade runsc`,
      },
    };
  }
  return { old, check: { status: 'ok', id: 'runsc-version', message: `${runscPath}: ${line}${release === undefined ? ' (release date unknown)' : ''}, kernel ${kernel ?? 'unknown'}` } };
}
