import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { readClientConfig } from '../../clients/config-file.js';
import { containerInvocation, parseDockerRun, type ContainerInvocation, type DockerRunParse } from '../../clients/docker-run.js';
import { CLIENT_IDS, clientConfigPath, serversKeyOf, type ClientId } from '../../clients/paths.js';
import { SandboxError, displayPath } from '../../errors.js';
import { closest } from '../../profile/suggest.js';
import type { Profile } from '../../profile/types.js';

/**
 * Keeps what the docker line actually says; everything it leaves out takes mcp-sandbox's
 * hardened defaults rather than docker's (runc, bridge, writable root, no limits). That is the
 * point of importing: the settings the server relies on stay, the missing hardening is added.
 */
function importedProfile(parse: DockerRunParse): Profile {
  const has = (prefix: string): boolean => [...parse.origins.keys()].some((p) => p === prefix || p.startsWith(`${prefix}/`));
  const p = parse.profile;
  const pick = <T extends object>(obj: T | undefined, base: string): Partial<T> | undefined => {
    if (!obj) return undefined;
    const kept = Object.fromEntries(Object.entries(obj).filter(([key]) => has(`${base}/${key}`))) as Partial<T>;
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  const resources = pick(p.resources, '/resources');
  const filesystem = pick(p.filesystem, '/filesystem');
  const security = pick(p.security, '/security');
  return {
    version: 1,
    name: p.name,
    image: p.image,
    ...(has('/pull') ? { pull: p.pull } : {}),
    ...(p.entrypoint ? { entrypoint: p.entrypoint } : {}),
    ...(p.command ? { command: p.command } : {}),
    ...(p.workdir ? { workdir: p.workdir } : {}),
    ...(p.user !== undefined ? { user: p.user } : {}),
    ...(has('/runtime') ? { runtime: p.runtime } : {}),
    ...(has('/network') ? { network: p.network } : {}),
    ...(p.namespaces ? { namespaces: p.namespaces } : {}),
    ...(resources ? { resources } : {}),
    ...(filesystem ? { filesystem } : {}),
    ...(security ? { security } : {}),
    ...(p.env ? { env: p.env } : {}),
    ...(p.secrets ? { secrets: p.secrets } : {}),
    ...(p.labels ? { labels: p.labels } : {}),
  } as Profile;
}

/** `mcp-sandbox import <config> --server NAME` (declared in ../commands/import.ts). */
export function importAction(configArg: string, options: { server: string }): void {
  const client = (CLIENT_IDS as readonly string[]).includes(configArg) && !existsSync(configArg) ? (configArg as ClientId) : undefined;
  const file = client ? clientConfigPath(client) : configArg;
  const config = readClientConfig(file, true);
  if (!config.exists) throw new SandboxError('INPUT_UNREADABLE', `client config ${file} does not exist`);
  const key = serversKeyOf(config.data, client);
  const servers = (config.data[key] ?? {}) as Record<string, Record<string, unknown>>;
  const entry = Object.hasOwn(servers, options.server) ? servers[options.server] : undefined;
  if (!entry || typeof entry !== 'object') {
    const names = Object.keys(servers);
    const guess = closest(options.server, names);
    throw new SandboxError('USAGE', `no server "${options.server}" in ${displayPath(file)}`, {
      hint: guess ? `did you mean "${guess}"?` : names.length > 0 ? `servers: ${names.join(', ')}` : `it has no ${key}`,
    });
  }
  const command = typeof entry.command === 'string' ? entry.command : undefined;
  const args = Array.isArray(entry.args) ? entry.args.map(String) : [];
  const invocation = containerInvocation(command, args);
  if (invocation?.runStart === undefined) {
    const why = invocation?.unjudged.at(-1)?.message;
    throw new SandboxError('USAGE', `server "${options.server}" ${why ?? `runs ${JSON.stringify(command ?? '')}`}, not docker run`, {
      hint: 'import reads docker run entries; write a profile by hand for other servers (see profiles/)',
    });
  }
  const parse = parseDockerRun(args, { name: options.server, start: invocation.runStart });
  const profile = importedProfile(parse);
  const header = `# Imported by mcp-sandbox import from ${displayPath(file)} (server "${options.server}").\n# Keys the docker line did not set take the hardened defaults. Review, then run mcp-sandbox lint.\n`;
  process.stdout.write(header + stringify(profile, { lineWidth: 0 }));
  reportDropped(invocation, parse);
}

/** What the profile does not carry over, on stderr: how the line reached docker, unmapped and dangerous flags. */
function reportDropped(invocation: ContainerInvocation, parse: DockerRunParse): void {
  for (const u of invocation.unjudged) process.stderr.write(`not imported: ${u.index < 0 ? 'command' : `args[${u.index}]`}: ${u.message}\n`);
  for (const u of parse.unmapped) process.stderr.write(`${u.dangerous ? 'dangerous, dropped' : 'unmapped'}: args[${u.index}] ${u.arg}: ${u.reason}\n`);
  if (parse.unmapped.length > 0) process.stderr.write(`${parse.unmapped.length} flag${parse.unmapped.length === 1 ? '' : 's'} not mapped\n`);
}
