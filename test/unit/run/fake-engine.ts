/**
 * A scripted EngineClient for session tests: records calls in order and plays a container whose
 * behaviour the test decides (what it prints, when it exits, whether it honours stdin EOF).
 */
import { Duplex, PassThrough } from 'node:stream';
import type { CreateBody } from '../../../src/compile/engine-body.js';
import type { EngineEndpoint } from '../../../src/engine/endpoint.js';
import type { NetworkCreateBody, NetworkEngineClient, NetworkSummary } from '../../../src/engine/client.js';
import {
  EngineApiError,
  type ContainerInspect,
  type ContainerSummary,
  type EngineClient,
  type EngineEvent,
  type EngineInfo,
  type EngineVersion,
  type WaitHandle,
  type WaitResult,
} from '../../../src/engine/client.js';

export interface FakeBehaviour {
  /** Errors thrown by successive create calls (undefined = succeed). */
  createErrors?: Array<Error | undefined>;
  startError?: Error;
  pullError?: Error;
  /** Called when the container starts; may print and exit. */
  onStart?(c: FakeContainer): void;
  /** Called with each stdin chunk. */
  onStdin?(c: FakeContainer, chunk: Buffer): void;
  /** Exit code when stdin reaches EOF; undefined = keep running (ignore EOF). */
  exitOnEof?: number;
  /** Exit code when stopped. */
  stopCode?: number;
  oomKilled?: boolean;
  containers?: ContainerSummary[];
  /** What /info answers. */
  info?: EngineInfo;
}

export function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export class FakeContainer {
  stdinChunks: Buffer[] = [];
  stdinEnded = false;
  running = false;
  exitCode: number | undefined;
  private readonly fromContainer = new PassThrough();
  readonly socket: Duplex;
  private resolveWait?: (r: WaitResult) => void;

  constructor(private readonly engine: FakeEngine) {
    const self = this;
    this.socket = new Duplex({
      read() {
        // Data is pushed from fromContainer below.
      },
      write(chunk: Buffer, _enc, cb) {
        self.stdinChunks.push(chunk);
        self.engine.behaviour.onStdin?.(self, chunk);
        cb();
      },
      final(cb) {
        self.stdinEnded = true;
        self.engine.calls.push('stdin-eof');
        cb();
        if (self.engine.behaviour.exitOnEof !== undefined) setImmediate(() => self.exit(self.engine.behaviour.exitOnEof as number));
      },
    });
    this.fromContainer.on('data', (chunk: Buffer) => this.socket.push(chunk));
    this.fromContainer.on('end', () => this.socket.push(null));
  }

  print(stream: 1 | 2, text: string | Buffer): void {
    this.fromContainer.write(frame(stream, text));
  }

  exit(code: number): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    this.running = false;
    this.fromContainer.end();
    setImmediate(() => this.resolveWait?.({ StatusCode: code }));
  }

  waitFor(): Promise<WaitResult> {
    return new Promise((resolve) => {
      this.resolveWait = resolve;
    });
  }
}

export class FakeEngine implements EngineClient, NetworkEngineClient {
  readonly endpoint: EngineEndpoint = { kind: 'unix', socketPath: '/fake.sock', source: 'test' };
  calls: string[] = [];
  bodies: CreateBody[] = [];
  container?: FakeContainer;
  removed: string[] = [];
  private createCount = 0;

  constructor(public behaviour: FakeBehaviour = {}) {}

  async ping(): Promise<void> {}
  async version(): Promise<EngineVersion> {
    return { Version: 'fake', ApiVersion: '1.41' };
  }
  async info(): Promise<EngineInfo> {
    this.calls.push('info');
    return this.behaviour.info ?? {};
  }
  async createContainer(body: CreateBody): Promise<{ id: string; warnings: string[] }> {
    this.calls.push('create');
    const error = this.behaviour.createErrors?.[this.createCount++];
    if (error) throw error;
    this.bodies.push(body);
    this.container = new FakeContainer(this);
    return { id: 'c0ffee0000000000', warnings: [] };
  }
  async attach(): Promise<Duplex> {
    this.calls.push('attach');
    return (this.container as FakeContainer).socket;
  }
  async wait(): Promise<WaitHandle> {
    this.calls.push('wait');
    const result = (this.container as FakeContainer).waitFor();
    return { result, cancel: () => undefined };
  }
  async start(): Promise<void> {
    this.calls.push('start');
    if (this.behaviour.startError) throw this.behaviour.startError;
    const c = this.container as FakeContainer;
    c.running = true;
    this.behaviour.onStart?.(c);
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
    this.container?.exit(this.behaviour.stopCode ?? 143);
  }
  async kill(): Promise<void> {
    this.calls.push('kill');
    this.container?.exit(137);
  }
  async remove(id: string): Promise<void> {
    this.calls.push('remove');
    this.removed.push(id);
  }
  async inspectContainer(id: string): Promise<ContainerInspect> {
    this.calls.push('inspect');
    return {
      Id: id,
      Name: '/x',
      State: { Status: 'exited', Running: false, OOMKilled: Boolean(this.behaviour.oomKilled), ExitCode: this.container?.exitCode ?? 0 },
      HostConfig: { Memory: this.bodies[0]?.HostConfig.Memory ?? 0 },
      Config: {},
    };
  }
  /** The engine's event log: an `oom` record when the behaviour says the container was OOM-killed. */
  async events(filters: { event?: string[] }): Promise<EngineEvent[]> {
    this.calls.push('events');
    const oom = this.behaviour.oomKilled && (filters.event ?? ['oom']).includes('oom');
    return oom ? [{ Type: 'container', Action: 'oom', Actor: { ID: 'c0ffee0000000000' }, time: Math.floor(Date.now() / 1000) }] : [];
  }
  async listContainers(): Promise<ContainerSummary[]> {
    this.calls.push('list');
    return this.behaviour.containers ?? [];
  }
  async inspectImage(): Promise<undefined> {
    return undefined;
  }
  async pullImage(): Promise<void> {
    this.calls.push('pull');
    if (this.behaviour.pullError) throw this.behaviour.pullError;
  }
  close(): void {}

  // --- warm start ----------------------------------------------------------------------------
  /** Container names by id; a rename to a name held (by any container) fails like the engine's 409/400. */
  names = new Map<string, string>();
  renameError?: Error;
  async rename(id: string, name: string): Promise<void> {
    this.calls.push(`rename ${name}`);
    if (this.renameError) throw this.renameError;
    if ([...this.names.values()].includes(name)) throw new EngineApiError(409, `Conflict. The container name "/${name}" is already in use`);
    this.names.set(id, name);
  }

  // --- networks (the egress allowlist) -------------------------------------------------------
  networks: NetworkCreateBody[] = [];
  connects: Array<[string, string]> = [];
  async createNetwork(body: NetworkCreateBody): Promise<string> {
    this.calls.push('network-create');
    this.networks.push(body);
    return `net-${this.networks.length}`;
  }
  async removeNetwork(id: string): Promise<void> {
    this.calls.push('network-remove');
    this.removed.push(id);
  }
  async connectNetwork(network: string, container: string): Promise<void> {
    this.calls.push('network-connect');
    this.connects.push([network, container]);
  }
  async listNetworks(): Promise<NetworkSummary[]> {
    this.calls.push('network-list');
    return [];
  }
}

export { EngineApiError };
