/**
 * Finding runsc (and dockerd), what to install when they are missing (the distribution's
 * packages, through apt-get), and which runtime arguments this runsc needs on this kernel.
 */
import { needsNetstackQuirk, parseRunscRelease, RUNSC_NETSTACK_FIXED, runscNetworkModes } from '../doctor/facts.js';
import type { WantedRuntimes } from './daemon-json.js';
import { isExecutable, type Host } from './host.js';

/** Debian/Ubuntu package names for the binaries setup needs. */
export const PACKAGES = { runsc: 'runsc', dockerd: 'docker.io' } as const;

/** runsc: the path daemon.json already registers (when it is executable), else PATH. */
export function findRunsc(host: Host, registered: string | undefined): string | undefined {
  if (registered && isExecutable(registered)) return registered;
  return host.which('runsc');
}

/** The release date of the runsc binary, and its first `--version` line. */
export async function runscRelease(host: Host, runsc: string): Promise<{ release: number | undefined; line: string }> {
  const result = await host.run([runsc, '--version'], { timeoutMs: 10_000 });
  const line = result.code === 0 ? (result.stdout.split('\n')[0] ?? '').trim() : '';
  return { release: result.code === 0 ? parseRunscRelease(result.stdout) : undefined, line: line || 'version unknown' };
}

/** The release date apt would install (`apt-cache policy`'s Candidate), for --dry-run before an install. */
export async function aptCandidateRelease(host: Host, pkg: string): Promise<number | undefined> {
  const result = await host.run(['apt-cache', 'policy', pkg], { timeoutMs: 30_000 });
  const match = /Candidate:\s*\S*?(\d{8})/.exec(result.stdout);
  return match ? Number(match[1]) : undefined;
}

/** True when apt knows the package (no `apt-get update` needed before installing it). */
export async function aptKnows(host: Host, pkg: string): Promise<boolean> {
  const result = await host.run(['apt-cache', 'policy', pkg], { timeoutMs: 30_000 });
  return result.code === 0 && /Candidate:\s*(?!\(none\))\S+/.test(result.stdout);
}

export interface RuntimeDecision {
  quirk: boolean;
  wanted: WantedRuntimes;
  /** What the runtimes are for and why, for the user (one or two lines). */
  explanation: string[];
}

/** The runtimes to register for this runsc release on this kernel. */
export function decideRuntimes(runsc: string, release: number | undefined, kernel: string, versionLine: string): RuntimeDecision {
  const quirk = needsNetstackQuirk(release, kernel);
  const modes = runscNetworkModes(quirk);
  const wanted: WantedRuntimes = { runsc: { path: runsc, network: modes.runsc }, 'runsc-net': { path: runsc, network: modes['runsc-net'] } };
  const explanation = quirk
    ? [
        `${runsc} (${versionLine}) is ${release === undefined ? 'of an unknown release' : 'older than'} release-${RUNSC_NETSTACK_FIXED}.0 and the kernel is ${kernel} (>= 6.11): gVisor's own network stack cannot start here (gVisor#10704).`,
        'So the runtimes carry the network mode: `runsc` with --network=none (loopback only, for profiles without network) and `runsc-net` with --network=host (the container\'s own network namespace through the host kernel\'s TCP/IP, for networked profiles). A newer runsc (from gvisor.dev) removes the need.',
      ]
    : [`${runsc} (${versionLine}) runs its own network stack on kernel ${kernel}: \`runsc\` with runsc's defaults, \`runsc-net\` with --network=sandbox.`];
  return { quirk, wanted, explanation };
}
