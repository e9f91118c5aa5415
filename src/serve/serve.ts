/**
 * `mcp-sandbox serve <profile>`: the profile prepared once (the same pipeline as `run`), then
 * an HTTP server (./server.ts) with one sandbox per MCP session (./launch-sandbox.ts). Diagnostics
 * go to stderr: the address once, with --verbose one line per session start and end. SIGTERM,
 * SIGINT and SIGHUP end every session, remove every sandbox, and resolve 0.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { withEngine } from '../engine/connect.js';
import { SandboxError } from '../errors.js';
import { prepareLaunch } from '../run/launch.js';
import { SHUTDOWN_SIGNALS } from '../run/session.js';
import type { ServeAuth, ServeAuthConfig } from './auth/types.js';
import { launchSandboxFactory } from './launch-sandbox.js';
import { isLoopback, originPolicy, parseListen, publicUrlOf, type ListenAddress } from './listen.js';
import type { SandboxFactory } from './sandbox.js';
import { ServeServer } from './server.js';

export interface ServeOptions {
  /** host:port (default 127.0.0.1:8080). */
  listen?: string;
  publicUrl?: string;
  /** `none`: no authentication, loopback only. Absent: the profile's serve.auth. */
  auth?: string;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Builds the OAuth resource server from serve.auth (src/serve/auth/). */
  loadAuth(config: ServeAuthConfig, resourceUrl: URL): Promise<ServeAuth>;
  /** Injected in tests; default: run's launcher per session. */
  factory?: SandboxFactory;
  stderr?: NodeJS.WritableStream;
  /** Resolves once serve listens (tests). */
  onListening?(url: URL): void;
}

const PREFIX = 'mcp-sandbox serve: ';
export const DEFAULT_LISTEN = '127.0.0.1:8080';

/** Serves until a shutdown signal; resolves to the exit code. */
export async function serve(profileArg: string, options: ServeOptions): Promise<number> {
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? process.stderr;
  const say = (message: string): void => void stderr.write(`${PREFIX}${message}\n`);
  const log = (message: string): void => (options.verbose ? say(message) : undefined);
  const address = parseListen(options.listen ?? DEFAULT_LISTEN);
  checkAuthMode(options.auth, address);
  const prepared = await prepareLaunch(profileArg, { env, extraArgs: [], debug: log });
  const { spec } = prepared;
  if (options.auth === undefined && !spec.serve.auth) {
    throw new SandboxError('USAGE', `profile ${spec.name} has no serve.auth, and serve does not run without authentication unless told to`, {
      hint: 'pass --auth none (allowed with a loopback --listen only), or add serve.auth to the profile (docs/serve.md)',
    });
  }
  if (options.auth === 'none' && spec.serve.auth) {
    throw new SandboxError('USAGE', `profile ${spec.name} sets serve.auth: --auth none would serve it without the authentication it asks for`, { hint: 'drop --auth none' });
  }
  // An engine that does not answer fails serve now, not each session later.
  if (!options.factory) await withEngine((engine) => engine.ping(), env);
  const http = createServer();
  const bound = await listen(http, address);
  const publicUrl = publicUrlOf(options.publicUrl, bound);
  let auth: ServeAuth | undefined;
  try {
    auth = spec.serve.auth && options.auth === undefined ? await options.loadAuth(spec.serve.auth, publicUrl) : undefined;
  } catch (error) {
    http.close();
    throw error;
  }
  const server = new ServeServer({
    factory: options.factory ?? launchSandboxFactory({ profileArg, prepared, env, stderr: options.verbose ? process.stderr : discard(), debug: env.MCP_SANDBOX_SERVE_DEBUG === '1' }),
    limits: spec.serve.sessions,
    idleTimeoutMs: spec.serve.sessions.idleTimeout * 1000,
    endpointPath: publicUrl.pathname,
    originPolicy: originPolicy(bound, publicUrl),
    maxBodyBytes: spec.gate.limits.maxMessageBytes,
    ...(auth ? { auth } : {}),
    log,
    warn: say,
  });
  http.on('request', server.listener);
  say(`serving ${spec.name} at ${publicUrl.href} (listening on ${bound.host}:${bound.port}${auth ? '' : ', no authentication'})`);
  options.onListening?.(publicUrl);
  await shutdownSignal(say);
  say(`shutting down: ending ${server.size} session(s)`);
  http.close();
  const ended = server.closeAll();
  http.closeAllConnections();
  await ended;
  http.closeAllConnections();
  return 0;
}

function checkAuthMode(mode: string | undefined, address: ListenAddress): void {
  if (mode === undefined) return;
  if (mode !== 'none') throw new SandboxError('USAGE', `--auth ${JSON.stringify(mode)}: the only mode is none (OAuth comes from the profile's serve.auth)`);
  if (!isLoopback(address.host)) {
    throw new SandboxError('USAGE', `--auth none with --listen ${address.host}:${address.port}: without authentication serve listens on a loopback address only`, {
      hint: 'listen on 127.0.0.1 (a reverse proxy in front can add TLS), or configure serve.auth in the profile',
    });
  }
}

function listen(http: Server, address: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) => {
      reject(new SandboxError('USAGE', `cannot listen on ${address.host}:${address.port}: ${error.code === 'EADDRINUSE' ? 'the address is in use' : error.message}`, { cause: error }));
    });
    http.listen(address.port, address.host, () => {
      const info = http.address() as AddressInfo;
      resolve({ host: address.host, port: info.port });
    });
  });
}

function shutdownSignal(say: (message: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let seen = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (seen) return say(`${signal} again: still removing the sessions' sandboxes`);
      seen = true;
      resolve();
    };
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, handler);
  });
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
