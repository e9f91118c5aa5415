/** A SandboxFactory without an engine: each sandbox is a tiny in-memory MCP server. */
import type { JsonRpcMessage } from '../../../src/gate/jsonrpc.js';
import type { Principal } from '../../../src/serve/auth/types.js';
import type { Sandbox, SandboxEnd, SandboxFactory, SandboxOpenInput } from '../../../src/serve/sandbox.js';

export interface FakeSandbox {
  session: string;
  principal?: Principal;
  received: JsonRpcMessage[];
  closed: boolean;
  /** Ends the sandbox as a crashing server would. */
  crash(): void;
  /** Messages the fake holds back instead of answering (tools/call of tool `hang`). */
  held: JsonRpcMessage[];
  /** Sends a server-initiated message. */
  emit(message: JsonRpcMessage): void;
}

/**
 * `initializeDelayMs`: the sandbox answers initialize that much later (a container starting).
 * `sync`: it answers inside send(), before serve's handling of the request has gone on.
 */
export function fakeFactory(options: { initializeDelayMs?: number; sync?: boolean } = {}): SandboxFactory & { sandboxes: FakeSandbox[] } {
  const sandboxes: FakeSandbox[] = [];
  const factory = {
    sandboxes,
    open(input: SandboxOpenInput): Sandbox {
      let finish: (end: SandboxEnd) => void = () => undefined;
      const ended = new Promise<SandboxEnd>((resolve) => (finish = resolve));
      // Its own counter: a unique value per sandbox lets tests tell state apart.
      let counter = 0;
      const fake: FakeSandbox = {
        session: input.session,
        ...(input.principal ? { principal: input.principal } : {}),
        received: [],
        held: [],
        closed: false,
        crash: () => finish({ exitCode: 1 }),
        emit: (message) => input.onMessage(message),
      };
      sandboxes.push(fake);
      const answer = (message: JsonRpcMessage): void => {
        const id = message.id;
        if (message.method === 'initialize') return void setTimeout(() => input.onMessage({ jsonrpc: '2.0', id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1' } } }), options.initializeDelayMs ?? 0);
        if (message.method === 'tools/list') return input.onMessage({ jsonrpc: '2.0', id, result: { tools: [{ name: 'count', inputSchema: { type: 'object' } }, { name: 'hang', inputSchema: { type: 'object' } }] } });
        if (message.method === 'tools/call') {
          const params = message.params as { name: string; _meta?: { progressToken?: string | number } };
          if (params.name === 'hang') {
            fake.held.push(message);
            const token = params._meta?.progressToken;
            if (token !== undefined) input.onMessage({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
            return;
          }
          counter += 1;
          return input.onMessage({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `${input.session}:${counter}` }] } });
        }
        if (id !== undefined) input.onMessage({ jsonrpc: '2.0', id, error: { code: -32601, message: 'no such method' } });
      };
      return {
        send(message) {
          fake.received.push(message);
          if (options.sync) answer(message);
          else setImmediate(() => answer(message));
        },
        close() {
          fake.closed = true;
          finish({ exitCode: 0 });
          return ended;
        },
        ended,
      };
    },
  };
  return factory;
}
