/**
 * Drives a gate in-process: lines written as the client and as the server, what comes out
 * on each side collected. write() resolves once the gate has handled the line.
 */
import { createGate, type GateSpillOptions } from '../../../src/gate/gate.js';
import { GATE_DEFAULTS, gateConfigOf, type RawGateSections } from '../../../src/gate/config.js';
import type { AuditSink, PinningCheck, ToolDescriptor } from '../../../src/gate/ports.js';
import type { GateConfig, GateContext, GateStage } from '../../../src/gate/types.js';

export interface Harness {
  gate: GateStage;
  /** Bytes the server received, and the client received. */
  toServer: Buffer[];
  toClient: Buffer[];
  records: Array<Record<string, unknown>>;
  logs: string[];
  client(message: unknown): Promise<void>;
  server(message: unknown): Promise<void>;
  clientRaw(bytes: Buffer | string): Promise<void>;
  serverRaw(bytes: Buffer | string): Promise<void>;
  /** Messages (parsed) each side received, in order. */
  serverGot(): unknown[];
  clientGot(): unknown[];
  setNow(ms: number): void;
}

export const NO_PINNING: PinningCheck = { drifted: () => ({ added: [], changed: [] }) };

export function pinningOf(fn: (tools: readonly ToolDescriptor[]) => { added: string[]; changed: string[] }): PinningCheck {
  return { drifted: fn };
}

function write(stream: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => stream.write(bytes, (error) => (error ? reject(error) : resolve())));
}

function lines(chunks: Buffer[]): unknown[] {
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

export function harness(raw: RawGateSections | GateConfig = {}, context: Partial<GateContext> = {}, spill: GateSpillOptions = {}): Harness {
  const config = 'auditArguments' in raw ? (raw as GateConfig) : gateConfigOf(raw as RawGateSections);
  const records: Array<Record<string, unknown>> = [];
  const logs: string[] = [];
  const audit: AuditSink = { record: (entry) => records.push(entry), close: async () => undefined };
  let now = 1_000_000;
  const gate = createGate(config, { secrets: {}, mounts: [], audit, pinning: NO_PINNING, clock: () => now, log: (m) => logs.push(m), ...context }, spill);
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  gate.toServer.on('data', (chunk: Buffer) => toServer.push(chunk));
  gate.toClient.on('data', (chunk: Buffer) => toClient.push(chunk));
  const asLine = (message: unknown): Buffer => Buffer.from(`${JSON.stringify(message)}\n`);
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    gate,
    toServer,
    toClient,
    records,
    logs,
    client: async (message) => {
      await write(gate.toServer, asLine(message));
      await settle();
    },
    server: async (message) => {
      await write(gate.toClient, asLine(message));
      await settle();
    },
    clientRaw: async (bytes) => {
      await write(gate.toServer, Buffer.from(bytes));
      await settle();
    },
    serverRaw: async (bytes) => {
      await write(gate.toClient, Buffer.from(bytes));
      await settle();
    },
    serverGot: () => lines(toServer),
    clientGot: () => lines(toClient),
    setNow: (ms) => {
      now = ms;
    },
  };
}

export { GATE_DEFAULTS };

/** A tools/list result such as server-everything's, with draft-07 and 2020-12 schemas. */
export const TOOLS = [
  {
    name: 'echo',
    description: 'Echoes back the input',
    inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { message: { type: 'string' } }, required: ['message'], additionalProperties: false },
  },
  {
    name: 'read_text_file',
    inputSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { path: { type: 'string' }, head: { type: 'number' } }, required: ['path'] },
  },
  { name: 'write_file', inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] } },
  { name: 'delete_file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'get-env', inputSchema: { type: 'object', properties: {} } },
];

export const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

/** Lists tools through the gate (client asks, server answers with TOOLS); returns what the client saw. */
export async function listTools(h: Harness, id: number | string = 'list-1', tools: unknown[] = TOOLS): Promise<string[]> {
  await h.client({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });
  const before = h.clientGot().length;
  await h.server({ jsonrpc: '2.0', id, result: { tools } });
  const answer = h.clientGot()[before] as { result: { tools: Array<{ name: string }> } };
  return answer.result.tools.map((tool) => tool.name);
}
