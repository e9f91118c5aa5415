/**
 * Where the Docker engine listens, resolved the way the docker CLI does: DOCKER_HOST, then the
 * current context (DOCKER_CONTEXT or ~/.docker/config.json's currentContext, whose metadata lives
 * in ~/.docker/contexts/meta/<sha256(name)>/meta.json), then the platform default socket, then
 * Docker Desktop's per-user socket. Pure apart from reading those files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';

export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string; source: string }
  | { kind: 'tcp'; host: string; port: number; tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; verify: boolean }; source: string };

export interface EndpointOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  exists?: (file: string) => boolean;
  readFile?: (file: string) => string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** `unix:///var/run/docker.sock` or `tcp://host:2375` as the user would write it. */
export function describeEndpoint(endpoint: EngineEndpoint): string {
  return endpoint.kind === 'unix'
    ? `unix://${endpoint.socketPath}`
    : `${endpoint.tls ? 'https' : 'tcp'}://${endpoint.host}:${endpoint.port}`;
}

/** Resolves the engine endpoint. Throws ENGINE_UNREACHABLE for a host it cannot speak to. */
export function resolveEndpoint(options: EndpointOptions = {}): EngineEndpoint {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const exists = options.exists ?? existsSync;
  const read = options.readFile ?? ((f: string): string => readFileSync(f, 'utf8'));

  if (env.DOCKER_HOST) return parseHost(env.DOCKER_HOST, 'DOCKER_HOST', env, home, read);

  const configDir = env.DOCKER_CONFIG || path.join(home, '.docker');
  let context = env.DOCKER_CONTEXT;
  if (!context) {
    try {
      const config = JSON.parse(read(path.join(configDir, 'config.json'))) as { currentContext?: unknown };
      if (typeof config.currentContext === 'string') context = config.currentContext;
    } catch {
      // No config or not JSON: the CLI falls back to the default context, and so do we.
    }
  }
  if (context && context !== 'default') {
    const digest = createHash('sha256').update(context).digest('hex');
    const metaFile = path.join(configDir, 'contexts', 'meta', digest, 'meta.json');
    let host: unknown;
    try {
      const meta = JSON.parse(read(metaFile)) as { Endpoints?: { docker?: { Host?: unknown } } };
      host = meta.Endpoints?.docker?.Host;
    } catch {
      throw new SandboxError('ENGINE_UNREACHABLE', `docker context "${context}" has no readable metadata at ${metaFile}`, {
        hint: 'run `docker context use default` or set DOCKER_HOST',
      });
    }
    if (typeof host === 'string' && host) return parseHost(host, `docker context "${context}"`, env, home, read);
  }

  if (exists(DEFAULT_SOCKET)) return { kind: 'unix', socketPath: DEFAULT_SOCKET, source: 'default socket' };
  const desktop = path.join(home, '.docker', 'run', 'docker.sock');
  if (exists(desktop)) return { kind: 'unix', socketPath: desktop, source: 'Docker Desktop socket' };
  return { kind: 'unix', socketPath: DEFAULT_SOCKET, source: 'default socket' };
}

function parseHost(host: string, source: string, env: NodeJS.ProcessEnv, home: string, read: (f: string) => string): EngineEndpoint {
  if (host.startsWith('unix://')) return { kind: 'unix', socketPath: host.slice('unix://'.length), source };
  if (host.startsWith('/')) return { kind: 'unix', socketPath: host, source };
  const match = /^(tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (!match) {
    throw new SandboxError('ENGINE_UNREACHABLE', `${source} is ${JSON.stringify(host)}, which mcp-sandbox cannot use`, {
      hint: 'use unix:///path/to/docker.sock or tcp://host:port',
    });
  }
  const [, scheme, hostname, port] = match as unknown as [string, string, string, string | undefined];
  const tlsWanted = scheme === 'https' || Boolean(env.DOCKER_TLS_VERIFY) || Boolean(env.DOCKER_TLS);
  const endpoint: EngineEndpoint = {
    kind: 'tcp',
    host: hostname.replace(/^\[|\]$/g, ''),
    port: port ? Number(port) : tlsWanted ? 2376 : 2375,
    source,
  };
  if (tlsWanted) {
    const certDir = env.DOCKER_CERT_PATH || path.join(home, '.docker');
    const load = (name: string): Buffer | undefined => {
      try {
        return Buffer.from(read(path.join(certDir, name)));
      } catch {
        return undefined;
      }
    };
    endpoint.tls = { ca: load('ca.pem'), cert: load('cert.pem'), key: load('key.pem'), verify: Boolean(env.DOCKER_TLS_VERIFY) };
  }
  return endpoint;
}
