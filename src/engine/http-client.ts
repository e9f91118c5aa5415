/**
 * `EngineClient` on node:http over the engine's socket: the dozen Engine API calls the launcher
 * needs and nothing more. Paths are unversioned so the daemon answers in its own API version
 * (no negotiation round trip on the hot path; every field used here is stable since API 1.25).
 */
import http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { CreateBody } from '../compile/engine-body.js';
import { parseImageRef } from '../compile/image-ref.js';
import { describeEndpoint, type EngineEndpoint } from './endpoint.js';
import {
  EngineApiError,
  EngineConnectionError,
  type ContainerInspect,
  type ContainerSummary,
  type EngineClient,
  type EngineEvent,
  type EngineInfo,
  type EngineVersion,
  type WaitHandle,
  type WaitResult,
} from './client.js';
import type { NetworkCreateBody, NetworkEngineClient, NetworkSummary } from './client.js';

interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** ms; 0 = none (long-lived requests such as wait). */
  timeout?: number;
}

const DEFAULT_TIMEOUT = 30_000;

/** For plain-HTTP requests: see raw(). (node's agent reads it; http.RequestOptions does not declare it.) */
const NO_SERVERNAME = { servername: '' };

/**
 * node:https (and with it node:tls) only for a TLS endpoint: loading it costs RSS and start-up
 * on every `run` (see BENCHMARKS.md), and the usual endpoint is a unix socket. Synchronous, because
 * the agent is made in the constructor.
 */
let httpsModule: typeof https | undefined;
function httpsLib(): typeof https {
  httpsModule ??= createRequire(import.meta.url)('node:https') as typeof https;
  return httpsModule;
}

export class HttpEngineClient implements EngineClient, NetworkEngineClient {
  readonly endpoint: EngineEndpoint;
  private readonly agent: http.Agent;
  private readonly label: string;

  constructor(endpoint: EngineEndpoint) {
    this.endpoint = endpoint;
    this.label = describeEndpoint(endpoint);
    const agentOptions = { keepAlive: true, maxSockets: 8 };
    this.agent = endpoint.kind === 'tcp' && endpoint.tls ? new (httpsLib().Agent)(agentOptions) : new http.Agent(agentOptions);
  }

  async ping(): Promise<void> {
    await this.request('GET', '/_ping', { timeout: 5_000 });
  }

  async version(): Promise<EngineVersion> {
    return (await this.json('GET', '/version', { timeout: 10_000 })) as EngineVersion;
  }

  async info(): Promise<EngineInfo> {
    return (await this.json('GET', '/info', { timeout: 10_000 })) as EngineInfo;
  }

  async createContainer(body: CreateBody, name?: string): Promise<{ id: string; warnings: string[] }> {
    const result = (await this.json('POST', '/containers/create', { body, query: { name } })) as { Id: string; Warnings?: string[] | null };
    return { id: result.Id, warnings: result.Warnings ?? [] };
  }

  attach(id: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const req = this.raw('POST', `/containers/${encodeURIComponent(id)}/attach`, {
        query: { stream: 1, stdin: 1, stdout: 1, stderr: 1 },
        headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/vnd.docker.raw-stream' },
        agent: false,
      });
      req.on('upgrade', (res, socket, head) => {
        // Bytes the engine sent along with the 101 belong to the stream.
        if (head.length > 0) socket.unshift(head);
        socket.setNoDelay?.(true);
        void res;
        resolve(socket);
      });
      // An engine that does not upgrade answers with a plain response (an error or a proxy).
      req.on('response', (res) => {
        void readAll(res).then((text) => reject(new EngineApiError(res.statusCode ?? 0, messageOf(text) || `attach answered ${res.statusCode}`)));
      });
      req.on('error', (error) => reject(this.connectionError(error)));
      req.end();
    });
  }

  wait(id: string, condition: 'next-exit' | 'not-running' | 'removed'): Promise<WaitHandle> {
    return new Promise((resolveHandle, rejectHandle) => {
      let settleResult!: { resolve: (r: WaitResult) => void; reject: (e: unknown) => void };
      const result = new Promise<WaitResult>((resolve, reject) => {
        settleResult = { resolve, reject };
      });
      // Callers may never look at the result (cancelled waits); don't let that crash the process.
      result.catch(() => undefined);
      let registered = false;
      const req = this.raw('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition }, agent: false });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          void readAll(res).then((text) => rejectHandle(new EngineApiError(status, messageOf(text) || `wait answered ${status}`)));
          return;
        }
        // The engine writes the headers once the wait is registered, and the body at exit.
        registered = true;
        resolveHandle({ result, cancel: () => req.destroy() });
        readAll(res).then(
          (text) => {
            try {
              settleResult.resolve(JSON.parse(text) as WaitResult);
            } catch {
              settleResult.reject(new EngineConnectionError(this.label, 'the engine closed the wait without a result'));
            }
          },
          (error: unknown) => settleResult.reject(error),
        );
      });
      req.on('error', (error) => {
        if (registered) settleResult.reject(this.connectionError(error));
        else rejectHandle(this.connectionError(error));
      });
      req.end();
    });
  }

  async start(id: string): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/start`, { timeout: 120_000 });
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/stop`, {
      query: { t: timeoutSeconds },
      timeout: (timeoutSeconds + 30) * 1000,
    }).catch(ignoreStatus(304));
  }

  async kill(id: string, signal = 'KILL'): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal } }).catch(ignoreStatus(409));
  }

  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    await this.request('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: options.force ? 1 : undefined, v: 1 } }).catch(
      (error: unknown) => {
        // Already gone, or AutoRemove already in progress: the container is going away either way.
        if (error instanceof EngineApiError && (error.statusCode === 404 || /already in progress/.test(error.message))) return;
        throw error;
      },
    );
  }

  async inspectContainer(id: string): Promise<ContainerInspect> {
    return (await this.json('GET', `/containers/${encodeURIComponent(id)}/json`)) as ContainerInspect;
  }

  async listContainers(options: { all?: boolean; labels?: string[] }): Promise<ContainerSummary[]> {
    const filters = options.labels && options.labels.length > 0 ? JSON.stringify({ label: options.labels }) : undefined;
    return (await this.json('GET', '/containers/json', { query: { all: options.all ? 1 : undefined, filters } })) as ContainerSummary[];
  }

  async inspectImage(ref: string): Promise<{ Id: string; [key: string]: unknown } | undefined> {
    try {
      return (await this.json('GET', `/images/${encodeURIComponent(ref)}/json`)) as { Id: string };
    } catch (error) {
      if (error instanceof EngineApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async pullImage(ref: string): Promise<void> {
    const { name, tag } = splitImageRef(ref);
    const text = await this.request('POST', '/images/create', { query: { fromImage: name, tag }, timeout: 15 * 60_000 });
    // A pull answers 200 and reports failures inside the progress stream.
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let event: { error?: string; errorDetail?: { message?: string } };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue;
      }
      if (event.error || event.errorDetail) throw new EngineApiError(500, event.errorDetail?.message ?? event.error ?? 'pull failed');
    }
  }

  async events(filters: { container?: string[]; event?: string[]; type?: string[] }, since: number, until: number): Promise<EngineEvent[]> {
    const wait = Math.max(0, until - Date.now() / 1000);
    const text = await this.request('GET', '/events', {
      query: { since: since.toFixed(3), until: until.toFixed(3), filters: JSON.stringify(filters) },
      timeout: (wait + 30) * 1000,
    });
    const events: EngineEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as EngineEvent);
      } catch {
        // a partial line: the engine closed mid-record
      }
    }
    return events;
  }

  async rename(id: string, name: string): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name } });
  }

  close(): void {
    this.agent.destroy();
  }

  // --- plumbing ------------------------------------------------------------------------------

  private async json(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const text = await this.request(method, path, options);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private request(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
      const req = this.raw(method, path, {
        query: options.query,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {},
      });
      const timeout = options.timeout ?? DEFAULT_TIMEOUT;
      if (timeout > 0) {
        req.setTimeout(timeout, () => req.destroy(new Error(`no answer to ${method} ${path} within ${timeout / 1000} s`)));
      }
      req.on('response', (res) => {
        readAll(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else reject(new EngineApiError(status, messageOf(text) || `${method} ${path} answered ${status}`));
        }, reject);
      });
      req.on('error', (error) => reject(this.connectionError(error)));
      req.end(payload);
    });
  }

  private raw(
    method: string,
    path: string,
    options: { query?: RequestOptions['query']; headers?: Record<string, string>; agent?: false },
  ): http.ClientRequest {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) search.set(key, String(value));
    const fullPath = search.size > 0 ? `${path}?${search.toString()}` : path;
    const headers = { Host: 'docker', ...(options.headers ?? {}) };
    const agent = options.agent === false ? false : this.agent;
    const endpoint = this.endpoint;
    // servername '' (plain HTTP only: TLS needs SNI): node's agent otherwise derives one from
    // the Host header with net.isIP, whose first call compiles the IPv6 pattern, a visible part
    // of every launcher's start-up CPU (BENCHMARKS.md, launcher start-up).
    if (endpoint.kind === 'unix') {
      return http.request({ socketPath: endpoint.socketPath, method, path: fullPath, headers, agent, ...NO_SERVERNAME });
    }
    if (endpoint.tls) {
      return httpsLib().request({
        host: endpoint.host,
        port: endpoint.port,
        method,
        path: fullPath,
        headers,
        agent,
        ca: endpoint.tls.ca,
        cert: endpoint.tls.cert,
        key: endpoint.tls.key,
        rejectUnauthorized: endpoint.tls.verify,
      });
    }
    return http.request({ host: endpoint.host, port: endpoint.port, method, path: fullPath, headers, agent, ...NO_SERVERNAME });
  }

  private connectionError(error: unknown): Error {
    if (error instanceof EngineApiError || error instanceof EngineConnectionError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    return new EngineConnectionError(this.label, reason, { cause: error });
  }

  // --- networks (the egress allowlist, src/egress) -------------------------------------------

  /** `POST /networks/create`; CheckDuplicate so two launchers cannot share a name by accident. */
  async createNetwork(body: NetworkCreateBody): Promise<string> {
    const result = (await this.json('POST', '/networks/create', { body: { ...body, CheckDuplicate: true } })) as { Id: string };
    return result.Id;
  }

  /** `DELETE /networks/{id}`; 404 (already gone) is success. */
  async removeNetwork(id: string): Promise<void> {
    await this.request('DELETE', `/networks/${encodeURIComponent(id)}`).catch((error: unknown) => {
      if (error instanceof EngineApiError && error.statusCode === 404) return;
      throw error;
    });
  }

  /** `POST /networks/{id}/connect`. */
  async connectNetwork(network: string, container: string): Promise<void> {
    await this.request('POST', `/networks/${encodeURIComponent(network)}/connect`, { body: { Container: container } });
  }

  /** `GET /networks` filtered by label. */
  async listNetworks(options: { labels?: string[] }): Promise<NetworkSummary[]> {
    const filters = options.labels && options.labels.length > 0 ? JSON.stringify({ label: options.labels }) : undefined;
    return (await this.json('GET', '/networks', { query: { filters } })) as NetworkSummary[];
  }
}

/** `repo[:tag]` or `repo@digest` -> the fromImage/tag pair of POST /images/create. */
export function splitImageRef(ref: string): { name: string; tag: string } {
  const { name, tag, digest } = parseImageRef(ref);
  return { name, tag: digest ?? tag ?? 'latest' };
}

function ignoreStatus(status: number): (error: unknown) => void {
  return (error: unknown) => {
    if (error instanceof EngineApiError && (error.statusCode === status || error.statusCode === 404)) return;
    throw error;
  };
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text.trim().split('\n')[0] ?? '';
}
