/**
 * The engine operations mcp-sandbox needs, behind an interface (in the style of testcontainers'
 * container runtime client): every caller (the launcher, doctor, ps/gc, build, the parity test)
 * depends on this, and the session logic is tested with a fake. The implementation is
 * `HttpEngineClient` (./http-client.ts), made by `connectEngine` (./connect.ts): node:http over
 * the socket, because loading a Docker SDK would cost every start of every MCP server RSS and
 * time (figures in BENCHMARKS.md).
 */
import type { Duplex } from 'node:stream';
import type { CreateBody } from '../compile/engine-body.js';
import type { EngineEndpoint } from './endpoint.js';

/** An Engine API answer other than 2xx: status code and the daemon's message. */
export class EngineApiError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'EngineApiError';
    this.statusCode = statusCode;
  }
}

/** The engine could not be reached at all (socket missing, connection refused, timeout). */
export class EngineConnectionError extends Error {
  readonly endpoint: string;
  constructor(endpoint: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineConnectionError';
    this.endpoint = endpoint;
  }
}

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
}

export interface EngineInfo {
  ServerVersion?: string;
  DefaultRuntime?: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  KernelVersion?: string;
  OperatingSystem?: string;
  NCPU?: number;
  MemTotal?: number;
  [key: string]: unknown;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  /** Seconds since the epoch. */
  Created: number;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; OOMKilled: boolean; ExitCode: number; Error?: string; Pid?: number };
  HostConfig: { Memory?: number; Runtime?: string; [key: string]: unknown };
  Config: { Labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WaitResult {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/** A wait registered with the engine: `result` settles when the condition is met. */
export interface WaitHandle {
  result: Promise<WaitResult>;
  /** Abandons the wait (closes its connection). */
  cancel(): void;
}

/** One record of the engine's event log (GET /events). */
export interface EngineEvent {
  Type?: string;
  /** e.g. `oom`, `die`, `destroy`. */
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Seconds since the epoch. */
  time?: number;
}

export interface EngineClient {
  readonly endpoint: EngineEndpoint;
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
  createContainer(body: CreateBody, name?: string): Promise<{ id: string; warnings: string[] }>;
  /**
   * Hijacked attach (stdin, stdout, stderr; no TTY): the returned duplex carries raw stdin
   * bytes one way and 8-byte-framed stdout/stderr the other. `end()` half-closes stdin.
   */
  attach(id: string): Promise<Duplex>;
  /** Resolves once the engine has registered the wait (headers received), before any start. */
  wait(id: string, condition: 'next-exit' | 'not-running' | 'removed'): Promise<WaitHandle>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. */
  stop(id: string, timeoutSeconds: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  remove(id: string, options?: { force?: boolean }): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInspect>;
  listContainers(options: { all?: boolean; labels?: string[] }): Promise<ContainerSummary[]>;
  /** undefined when the image is not present locally. */
  inspectImage(ref: string): Promise<{ Id: string; [key: string]: unknown } | undefined>;
  /** Pulls an image; rejects with the registry's message when the pull fails. */
  pullImage(ref: string): Promise<void>;
  /**
   * The engine's recorded events matching `filters` between `since` and `until` (seconds since
   * the epoch, fractions allowed). An `until` in the future makes the engine hold the answer
   * open until then, so an event that trails another (OOM after the exit) still arrives.
   */
  events(filters: { container?: string[]; event?: string[]; type?: string[] }, since: number, until: number): Promise<EngineEvent[]>;
  /** Closes pooled connections so the process can exit. */
  close(): void;

  // --- warm start (src/run/warm*.ts) ---------------------------------------------------------
  /**
   * Renames a container. The engine serializes renames of one container and refuses a name it
   * already has or another container holds: of several callers renaming the same container to
   * the same new name, exactly one succeeds (the warm pool's claim).
   */
  rename(id: string, name: string): Promise<void>;
}

/**
 * Network operations the egress allowlist (src/egress) needs on top of `EngineClient`: a
 * separate interface so engine fakes that never create networks need not implement them.
 */
export interface NetworkEngineClient extends EngineClient {
  /** Creates a network; `internal` networks have no route out of the host. Returns its id. */
  createNetwork(body: NetworkCreateBody): Promise<string>;
  /** Removes a network; a network already gone counts as removed. */
  removeNetwork(id: string): Promise<void>;
  /** Connects a created (not necessarily started) container to a network. */
  connectNetwork(network: string, container: string): Promise<void>;
  /** Networks carrying every `key=value` of `labels`. */
  listNetworks(options: { labels?: string[] }): Promise<NetworkSummary[]>;
}

/** The subset of `POST /networks/create` the egress layer sets. */
export interface NetworkCreateBody {
  Name: string;
  Internal: boolean;
  Labels: Record<string, string>;
  /** Driver options, e.g. `com.docker.network.bridge.enable_icc`. */
  Options?: Record<string, string>;
  /** A chosen subnet, so containers can be given fixed addresses on it. */
  IPAM?: { Config: Array<{ Subnet: string; IPRange?: string; Gateway?: string }> };
}

export interface NetworkSummary {
  Id: string;
  Name: string;
  Labels: Record<string, string>;
  /** RFC 3339. */
  Created: string;
  Internal: boolean;
  /** Filled by `GET /networks/{id}` only; the list leaves it empty. */
  Containers?: Record<string, unknown>;
}
