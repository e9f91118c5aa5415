/**
 * An allowlisted sandbox as a whole, for `render`: the egress set's commands followed by the
 * server's `docker run` (shell), or the set's Engine API bodies beside the server's (engine).
 * The profile's name stands in for the session id, so the commands can be run by hand and the
 * server's `--network container:<holder>` names the holder they create (networkModeOf).
 */
import { toDockerArgv, toShellCommand } from '../compile/docker-argv.js';
import { toCreateBody, type CreateBody } from '../compile/engine-body.js';
import type { SandboxSpec } from '../compile/spec.js';
import { planEgress } from './plan.js';
import { egressBodies, egressShellCommands, type EgressBodies, type RenderOptions } from './render.js';

/** The user config's side of the set (`egress.hosts`, `egress.network`). */
export interface EgressRenderConfig {
  hosts?: ReadonlyMap<string, string>;
  network?: string;
}

function options(spec: SandboxSpec, config: EgressRenderConfig): RenderOptions {
  return { sessionId: spec.name, ...(config.network ? { upstreamNetwork: config.network } : {}) };
}

/** Every command, in order: network, holder, firewall, proxy, proxy's upstream, server, clean-up. */
export function renderSetShell(spec: SandboxSpec, config: EgressRenderConfig = {}): string[] {
  const plan = planEgress(spec.egress?.entries ?? [], config.hosts ?? new Map());
  const commands = egressShellCommands(plan, options(spec, config));
  const server = toShellCommand(toDockerArgv(spec));
  return [...commands.filter((line) => !line.startsWith('# the server:')).slice(0, -1), server, ...commands.slice(-1)];
}

/** The set's create bodies (block 0 of the subnet range) and the server's. */
export function renderSetEngine(spec: SandboxSpec, config: EgressRenderConfig = {}): { egress: EgressBodies; server: CreateBody } {
  const plan = planEgress(spec.egress?.entries ?? [], config.hosts ?? new Map());
  return { egress: egressBodies(plan, options(spec, config), 0), server: toCreateBody(spec) };
}
