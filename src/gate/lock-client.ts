/**
 * The MCP client side of `mcp-sandbox lock`: start a command speaking MCP on stdio (the CLI's
 * own `run <profile>`, so the server runs in exactly the sandbox `run` gives it), initialize,
 * and list tools, resources and prompts (those the server declares), following nextCursor.
 * Uses the MCP SDK's client (bundled into dist/cli.js; never loaded by `run`).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SandboxError } from '../errors.js';
import { VERSION } from '../version.js';
import type { PromptDescriptor, ResourceDescriptor } from './lock-format.js';
import type { ToolDescriptor } from './ports.js';

export interface ServerListing {
  server?: { name: string; version: string };
  tools: ToolDescriptor[];
  resources: ResourceDescriptor[];
  prompts: PromptDescriptor[];
}

export interface ListOptions {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Per request; the first (initialize) includes the sandbox's start. */
  timeoutMs?: number;
  /** Every chunk of the child's stderr (default: kept, and its last line named on failure). */
  onStderr?: (chunk: string) => void;
}

/** Safety stop for a server whose cursors never end. */
const MAX_PAGES = 1000;

async function paginate<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const result = await page(cursor);
    all.push(...result.items);
    if (!result.nextCursor || seen.has(result.nextCursor)) return all;
    seen.add(result.nextCursor);
    cursor = result.nextCursor;
  }
  return all;
}

const lastLine = (text: string): string => text.trim().split('\n').filter(Boolean).pop() ?? '';

/** Lists what the server offers; LOCK_FAILED (naming the server's last stderr line) when it cannot. */
export async function listServer(options: ListOptions): Promise<ServerListing> {
  const transport = new StdioClientTransport({ command: options.command, args: options.args, env: options.env, cwd: options.cwd, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr = (stderr + text).slice(-8192);
    options.onStderr?.(text);
  });
  const client = new Client({ name: 'mcp-sandbox-lock', version: VERSION });
  const request = { timeout: options.timeoutMs ?? 60_000 };
  let step = 'initialize';
  try {
    await client.connect(transport, request);
    const capabilities = client.getServerCapabilities() ?? {};
    step = 'tools/list';
    const tools = capabilities.tools ? await paginate(async (cursor) => {
      const r = await client.listTools(cursor ? { cursor } : {}, request);
      return { items: r.tools as ToolDescriptor[], nextCursor: r.nextCursor };
    }) : [];
    step = 'resources/list';
    const resources = capabilities.resources ? await paginate(async (cursor) => {
      const r = await client.listResources(cursor ? { cursor } : {}, request);
      return { items: r.resources as ResourceDescriptor[], nextCursor: r.nextCursor };
    }) : [];
    step = 'prompts/list';
    const prompts = capabilities.prompts ? await paginate(async (cursor) => {
      const r = await client.listPrompts(cursor ? { cursor } : {}, request);
      return { items: r.prompts as PromptDescriptor[], nextCursor: r.nextCursor };
    }) : [];
    const info = client.getServerVersion();
    return { ...(info ? { server: { name: info.name, version: info.version } } : {}), tools, resources, prompts };
  } catch (error) {
    const said = lastLine(stderr);
    throw new SandboxError('LOCK_FAILED', `the server did not answer ${step}: ${(error as Error).message}${said ? `; its last stderr line: ${said}` : ''}`, {
      hint: 'check that `mcp-sandbox run <profile>` starts it (try `mcp-sandbox run -v <profile>`)',
    });
  } finally {
    await client.close().catch(() => undefined);
  }
}
