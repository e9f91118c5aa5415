/**
 * Pure helpers for `doctor`: reading runsc and kernel versions, and what gVisor's known network
 * breakage (gVisor#10704) means for a runtime's arguments.
 */

/** The first runsc release whose own network stack starts on kernels >= 6.11 (gVisor#10704). */
export const RUNSC_NETSTACK_FIXED = 20240807;

/**
 * The release date (yyyymmdd) in `runsc --version` output: `runsc version release-20240807.0`
 * upstream, `runsc version 0.0~20221219.0` in Debian. undefined when there is none (dev builds).
 */
export function parseRunscRelease(text: string): number | undefined {
  const match = /runsc version\s+\S*?(?:release-|~)(\d{8})/.exec(text) ?? /runsc version\s+(\d{8})/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** [major, minor] of a kernel release string such as `6.18.44-fc-v595`. */
function parseKernel(release: string | undefined): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(release ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function kernelAtLeast(release: string | undefined, major: number, minor: number): boolean {
  const kernel = parseKernel(release);
  if (!kernel) return false;
  return kernel[0] > major || (kernel[0] === major && kernel[1] >= minor);
}

/** The `--network=` value a runsc runtime is registered with; 'sandbox' is runsc's default. */
export function runscNetworkArg(runtimeArgs: readonly string[] | undefined): string {
  let value = 'sandbox';
  const args = runtimeArgs ?? [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const match = /^--?network=(.*)$/.exec(arg);
    if (match) value = match[1] as string;
    else if ((arg === '--network' || arg === '-network') && i + 1 < args.length) value = args[i + 1] as string;
  }
  return value;
}

/** True when the runtime binary looks like gVisor's runsc. */
export function isRunsc(path: string | undefined, name: string): boolean {
  return /runsc/.test(path ?? '') || /runsc/.test(name);
}

/** Interface names from /proc/net/dev text (the two header lines skipped). */
export function interfacesFromProcNetDev(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([^\s:|]+):/.exec(line);
    if (match) names.push(match[1] as string);
  }
  return names;
}

/** The daemon.json runtimes that work with an old runsc on a new kernel. */
export function quirkRuntimesSnippet(runscPath: string): string {
  return `{"runtimes": {"runsc": {"path": "${runscPath}", "runtimeArgs": ["--network=none"]}, "runsc-net": {"path": "${runscPath}", "runtimeArgs": ["--network=host"]}}}`;
}

export { NETWORK_MAPPING_SNIPPET } from '../run/user-config.js';

/**
 * Whether runsc needs the quirk runtimes: a release older than RUNSC_NETSTACK_FIXED (or one
 * whose date cannot be read: the quirk arguments work on every release) on a kernel >= 6.11.
 * One home for `setup`, which registers the runtimes, and `doctor`, which checks them.
 */
export function needsNetstackQuirk(release: number | undefined, kernel: string | undefined): boolean {
  return kernelAtLeast(kernel, 6, 11) && (release === undefined || release < RUNSC_NETSTACK_FIXED);
}

/** The `--network=` value each gVisor runtime is registered with; undefined = runsc's default. */
export function runscNetworkModes(quirk: boolean): { runsc: string | undefined; 'runsc-net': string } {
  // Under the quirk: loopback only, and the container's netns through the host kernel's stack.
  return quirk ? { runsc: 'none', 'runsc-net': 'host' } : { runsc: undefined, 'runsc-net': 'sandbox' };
}

/** The mapping of NETWORK_MAPPING_SNIPPET as data: what `setup` writes into the user config. */
export const NETWORK_MAPPING: Readonly<Record<'none' | 'bridge' | 'host', string>> = { none: 'runsc', bridge: 'runsc-net', host: 'runsc-net' };
