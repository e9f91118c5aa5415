/**
 * Which kind of engine doctor is talking to (Docker Desktop, Colima, OrbStack, Lima, Rancher
 * Desktop, an engine inside a WSL2 distribution, plain Linux, a remote one), from the endpoint
 * (socket path, docker context) and the engine's /info (OperatingSystem, Name, KernelVersion,
 * Labels), and what that means for gVisor: where runsc goes and the commands to put it there.
 * Pure: the inputs come in, one check goes out. The fixtures in test/fixtures/platform/ are
 * recorded /info answers and endpoints.
 */
import { release } from 'node:os';
import type { Check } from './checks.js';
import { describeEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import type { EngineClient, EngineInfo } from '../engine/client.js';
import { isRunsc } from './facts.js';

export type PlatformKind = 'linux' | 'docker-desktop' | 'colima' | 'orbstack' | 'lima' | 'rancher-desktop' | 'wsl2' | 'remote' | 'unknown';

export interface Platform {
  kind: PlatformKind;
  /** "Colima (profile default)", "Docker Desktop", … */
  label: string;
  /** The Colima profile, Lima instance or WSL distribution, when known. */
  instance?: string;
  /** What gave it away, for the message. */
  evidence: string[];
}

export interface PlatformInput {
  endpoint: EngineEndpoint;
  /** undefined when the engine did not answer: the endpoint alone then decides. */
  info?: EngineInfo;
  /** The platform running mcp-sandbox (process.platform). */
  hostPlatform: NodeJS.Platform;
  /** The kernel release of the machine running mcp-sandbox (os.release()), for WSL. */
  hostKernel?: string;
  env?: NodeJS.ProcessEnv;
}

const WSL_KERNEL = /microsoft/i;

function contextOf(endpoint: EngineEndpoint): string | undefined {
  return /^docker context "([^"]+)"$/.exec(endpoint.source)?.[1];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The first signal that matches, as [kind, instance, evidence]. */
function firstMatch(socket: string, context: string, info: EngineInfo | undefined): [PlatformKind, string | undefined, string] | undefined {
  const os = str(info?.OperatingSystem);
  const name = str(info?.Name);
  const kernel = str(info?.KernelVersion);
  const labels = Array.isArray(info?.Labels) ? (info?.Labels as unknown[]).map(str) : [];
  const rules: Array<[boolean, PlatformKind, string | undefined, string]> = [
    [os === 'Docker Desktop', 'docker-desktop', undefined, 'OperatingSystem "Docker Desktop"'],
    [labels.some((l) => l.startsWith('com.docker.desktop.address=')), 'docker-desktop', undefined, 'label com.docker.desktop.address'],
    [/-linuxkit$/.test(kernel), 'docker-desktop', undefined, `kernel ${kernel}`],
    [/\/\.docker\/run\/docker\.sock$/.test(socket) || context === 'desktop-linux', 'docker-desktop', undefined, `endpoint ${socket || context}`],
    [/OrbStack/i.test(os) || /-orbstack/.test(kernel), 'orbstack', undefined, /OrbStack/i.test(os) ? `OperatingSystem "${os}"` : `kernel ${kernel}`],
    [/\/\.orbstack\//.test(socket) || context === 'orbstack', 'orbstack', undefined, `endpoint ${socket || context}`],
    [/\/\.rd\/docker\.sock$|rancher-desktop/.test(socket) || context === 'rancher-desktop' || name === 'lima-rancher-desktop', 'rancher-desktop', undefined, `endpoint ${socket || context || name}`],
    [/\/\.colima\//.test(socket), 'colima', /\/\.colima\/([^/]+)\/docker\.sock$/.exec(socket)?.[1] ?? 'default', `socket ${socket}`],
    [/^colima(-|$)/.test(context), 'colima', context.replace(/^colima-?/, '') || 'default', `docker context "${context}"`],
    [/^colima(-|$)/.test(name), 'colima', name.replace(/^colima-?/, '') || 'default', `engine name "${name}"`],
    [/\/\.lima\/[^/]+\/sock\//.test(socket), 'lima', /\/\.lima\/([^/]+)\/sock\//.exec(socket)?.[1], `socket ${socket}`],
    [/^lima-/.test(context), 'lima', context.slice('lima-'.length), `docker context "${context}"`],
    [/^lima-/.test(name), 'lima', name.slice('lima-'.length), `engine name "${name}"`],
    [WSL_KERNEL.test(kernel), 'wsl2', undefined, `kernel ${kernel}`],
  ];
  const hit = rules.find(([matches]) => matches);
  return hit ? [hit[1], hit[2], hit[3]] : undefined;
}

const LABELS: Record<PlatformKind, string> = {
  linux: 'Linux',
  'docker-desktop': 'Docker Desktop',
  colima: 'Colima',
  orbstack: 'OrbStack',
  lima: 'Lima',
  'rancher-desktop': 'Rancher Desktop',
  wsl2: 'WSL2',
  remote: 'a remote engine',
  unknown: 'an unknown platform',
};

/** Recognizes the platform; never throws. */
export function detectPlatform(input: PlatformInput): Platform {
  const socket = input.endpoint.kind === 'unix' ? input.endpoint.socketPath : '';
  const context = contextOf(input.endpoint) ?? '';
  const hit = firstMatch(socket, context, input.info);
  const env = input.env ?? {};
  let kind: PlatformKind;
  let instance: string | undefined;
  const evidence: string[] = [];
  if (hit) {
    [kind, instance] = hit;
    evidence.push(hit[2]);
  } else if (input.endpoint.kind === 'tcp') {
    kind = 'remote';
    evidence.push(describeEndpoint(input.endpoint));
  } else if (input.hostPlatform === 'linux' && (WSL_KERNEL.test(input.hostKernel ?? '') || env.WSL_DISTRO_NAME)) {
    kind = 'wsl2';
    evidence.push(env.WSL_DISTRO_NAME ? `WSL_DISTRO_NAME=${env.WSL_DISTRO_NAME}` : `kernel ${input.hostKernel}`);
  } else {
    kind = input.hostPlatform === 'linux' ? 'linux' : 'unknown';
    evidence.push(`the local socket ${socket}`);
  }
  if (kind === 'wsl2') instance = env.WSL_DISTRO_NAME || instance;
  const label = `${LABELS[kind]}${instance ? ` (${kind === 'colima' ? 'profile' : kind === 'wsl2' ? 'distribution' : 'instance'} ${instance})` : ''}`;
  return { kind, label, ...(instance ? { instance } : {}), evidence };
}

/** gVisor's documented install of its latest release inside a Linux VM (gvisor.dev/docs/user_guide/install). */
export const RUNSC_VM_INSTALL =
  'ARCH=$(uname -m); URL=https://storage.googleapis.com/gvisor/releases/release/latest/$ARCH; cd /tmp && wget -q $URL/runsc $URL/runsc.sha512 && sha512sum -c runsc.sha512 && sudo install -m 755 runsc /usr/local/bin/runsc';

const RUNC_WAY_OUT =
  'or, only for a profile you accept to run without gVisor, set `runtime: runc` with `justifications: {MS101: "why"}` in it (lint still lists it); mcp-sandbox never falls back to runc by itself';

/** The commands that put runsc into the VM of a Colima profile or a Lima instance. */
export function vmCommands(platform: Platform): string {
  if (platform.kind === 'colima') {
    const p = platform.instance && platform.instance !== 'default' ? ` -p ${platform.instance}` : '';
    return `colima ssh${p} -- sh -c '${RUNSC_VM_INSTALL}'; then \`colima start${p} --edit\` and add under docker: \`runtimes: {runsc: {path: /usr/local/bin/runsc}}\` (Colima writes the VM's daemon.json from it); then \`colima restart${p}\``;
  }
  const i = platform.instance ?? 'default';
  return `limactl shell ${i} sh -c '${RUNSC_VM_INSTALL}'; limactl shell ${i} sudo /usr/local/bin/runsc install; limactl shell ${i} sudo systemctl restart docker (a rootful Docker: template://docker-rootful)`;
}

/** doctor's platform line: what this engine can do for gVisor, with the commands when runsc is missing. */
export function platformCheck(platform: Platform, info: EngineInfo | undefined, reachable: boolean): Check {
  const runtimes = info?.Runtimes ?? {};
  const hasRunsc = Object.keys(runtimes).some((name) => isRunsc(runtimes[name]?.path, name));
  const seen = `${platform.label} (${platform.evidence.join(', ')})`;
  const check = (status: Check['status'], message: string, hint?: string): Check => ({ status, id: 'platform', message: `platform: ${message}`, ...(hint ? { hint } : {}) });
  if (!reachable) {
    const start: Partial<Record<PlatformKind, string>> = { colima: 'colima start', lima: `limactl start ${platform.instance ?? 'default'}`, orbstack: 'start OrbStack', 'docker-desktop': 'start Docker Desktop', 'rancher-desktop': 'start Rancher Desktop' };
    return check('warn', `${seen}: its engine is not answering`, start[platform.kind] ? `${start[platform.kind]}, then rerun doctor` : undefined);
  }
  switch (platform.kind) {
    case 'docker-desktop':
      return hasRunsc
        ? check('ok', `${seen}, with a runsc runtime registered`)
        : check('warn', `${seen}: its VM is Docker Desktop's and takes no extra runtime binary, so gVisor (runsc) cannot run there: profiles with runtime runsc will not start`, `use Colima or Lima with runsc inside the VM (docs/install.md); ${RUNC_WAY_OUT}`);
    case 'orbstack':
    case 'rancher-desktop':
      return hasRunsc
        ? check('ok', `${seen}, with a runsc runtime registered`)
        : check('warn', `${seen}: runsc is not registered, and adding it to this engine's VM is not supported by mcp-sandbox (not verified)`, `use Colima or Lima with runsc inside the VM (docs/install.md); ${RUNC_WAY_OUT}`);
    case 'colima':
    case 'lima':
      return hasRunsc
        ? check('ok', `${seen}: runsc is registered inside the VM`)
        : check('warn', `${seen}: gVisor runs inside the VM once runsc is installed and registered there`, vmCommands(platform));
    case 'wsl2':
      return hasRunsc
        ? check('ok', `${seen}: an engine inside the distribution with runsc; Claude Desktop on Windows reaches it with \`mcp-sandbox desktop --client claude-desktop --wsl ${platform.instance ?? '<distro>'} --install\` run inside the distribution`)
        : check('warn', `${seen}: run the engine inside the distribution (not Docker Desktop's WSL integration, which has no gVisor)`, `inside the distribution: sudo mcp-sandbox setup; then mcp-sandbox desktop --client claude-desktop --wsl ${platform.instance ?? '<distro>'} --install (docs/install.md)`);
    case 'remote':
      return check(hasRunsc ? 'ok' : 'warn', `${seen}: runsc is installed and registered on that machine, not here`, hasRunsc ? undefined : 'run `sudo mcp-sandbox setup` on the engine\'s machine');
    default:
      return hasRunsc
        ? check('ok', `${seen}, engine ${str(info?.OperatingSystem) || 'local'}`)
        : check('warn', `${seen}: no runsc runtime registered`, 'sudo mcp-sandbox setup installs and registers it (--dry-run shows what it would change)');
  }
}

/**
 * The checks with the platform line after the engine line. On a platform where daemon.json is
 * not the user's to edit, the runtime-missing fixes point at the platform line instead.
 */
export async function withPlatformCheck(checks: Check[], engine: EngineClient, env: NodeJS.ProcessEnv = process.env, host: { platform: NodeJS.Platform; kernel: string } = { platform: process.platform, kernel: release() }): Promise<Check[]> {
  const reachable = checks[0]?.id === 'engine' && checks[0].status !== 'fail';
  const info = reachable ? await engine.info().catch(() => undefined) : undefined;
  const platform = detectPlatform({ endpoint: engine.endpoint, info, hostPlatform: host.platform, hostKernel: host.kernel, env });
  const line = platformCheck(platform, info, reachable);
  const rest = checks.slice(1).map((c) =>
    c.id === 'runtime-missing' && platform.kind !== 'linux' && platform.kind !== 'wsl2' && platform.kind !== 'remote' ? { ...c, hint: `on ${platform.label} see the platform line above` } : c,
  );
  return [...checks.slice(0, 1), line, ...rest];
}
