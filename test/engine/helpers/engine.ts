/**
 * Shared helpers for engine tests: is the engine there (CI must not skip silently), the local
 * test images, and driving the built CLI with the MCP SDK's stdio client.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { RUN_NODE_FLAGS } from '../../../src/clients/launcher.js';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const BIN = path.join(ROOT, 'bin', 'mcp-sandbox.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'run');

/** `run` starts as a client's entry starts it: node with RUN_NODE_FLAGS (lite mode); other commands with none. */
function nodeFlagsFor(args: readonly string[]): readonly string[] {
  return args[0] === 'run' ? RUN_NODE_FLAGS : [];
}
export const NODE_IMAGE = process.env.MCP_SANDBOX_TEST_NODE_IMAGE ?? 'mcp-sandbox-test/node:local';
export const BUSYBOX_IMAGE = process.env.MCP_SANDBOX_TEST_BUSYBOX_IMAGE ?? 'mcp-sandbox-test/busybox:local';

const inCi = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

let cached: boolean | undefined;
/**
 * True when the engine answers and the test images exist. Under CI=true a missing engine or
 * image throws instead, so a broken CI machine fails rather than passing by skipping.
 */
export function engineAvailable(): boolean {
  if (cached !== undefined) return cached;
  const problem = findProblem();
  if (problem && inCi()) throw new Error(`engine tests cannot run: ${problem} (CI=true: not skipping)`);
  if (problem) process.stderr.write(`engine tests skipped: ${problem}\n`);
  cached = problem === undefined;
  return cached;
}

function findProblem(): string | undefined {
  if (process.env.MCP_SANDBOX_ENGINE === 'down') return 'scripts/test.sh could not bring the engine up';
  const info = spawnSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8', timeout: 20_000 });
  if (info.status !== 0) return `docker info failed: ${(info.stderr || info.error?.message || '').trim().split('\n')[0]}`;
  for (const runtime of ['runsc', 'runsc-net']) if (!info.stdout.includes(`"${runtime}"`)) return `runtime ${runtime} not registered (run scripts/engine-up.sh)`;
  for (const image of [NODE_IMAGE, BUSYBOX_IMAGE]) {
    if (spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status !== 0) return `image ${image} missing (run scripts/build-test-images.sh)`;
  }
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) return 'dist/cli.js missing (npm run build)';
  return undefined;
}

/** `describe` or `describe.skip`, decided once. */
export const describeEngine = (name: string, fn: () => void): void => {
  (engineAvailable() ? describe : describe.skip)(name, fn);
};

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** A temporary directory for configs and profiles. */
export function tempDir(prefix = 'mcp-sandbox-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A user config.yaml (runtime mapping etc.); returns its path for MCP_SANDBOX_CONFIG. */
export function writeUserConfig(dir: string, yaml: string): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** A profile file derived from a fixture text with replacements. */
export function writeProfile(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** Environment for launchers: the test's own, minus anything that would change the engine. */
export function launcherEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...extra })) if (value !== undefined) env[key] = value;
  return env;
}

export interface McpSession {
  client: Client;
  transport: StdioClientTransport;
  stderr(): string;
  pid(): number | null;
  close(): Promise<void>;
}

/** Starts `mcp-sandbox run <profile> [args]` under the SDK's stdio client and initializes. */
export function connect(profile: string, options: { args?: string[]; env?: Record<string, string | undefined>; runArgs?: string[] } = {}): Promise<McpSession> {
  return connectCommand({
    command: process.execPath,
    args: [...RUN_NODE_FLAGS, BIN, 'run', ...(options.runArgs ?? []), profile, ...(options.args && options.args.length ? ['--', ...options.args] : [])],
    env: launcherEnv(options.env),
    cwd: ROOT,
  });
}

/** Starts any command under the SDK's stdio client (stderr captured) and initializes. */
export async function connectCommand(server: Omit<StdioServerParameters, 'stderr'>, clientName = 'mcp-sandbox-engine-test'): Promise<McpSession> {
  const transport = new StdioClientTransport({ ...server, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: clientName, version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw new Error(`connect failed: ${(error as Error).message}\nlauncher stderr:\n${stderr}`);
  }
  return { client, transport, stderr: () => stderr, pid: () => transport.pid, close: () => client.close() };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (stdin given or closed). */
export function runCli(args: string[], options: { input?: string | Buffer; env?: Record<string, string | undefined>; timeout?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlagsFor(args), BIN, ...args], { cwd: ROOT, env: launcherEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Spawns the CLI and leaves stdin open (for signal tests). */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [...nodeFlagsFor(args), BIN, ...args], { cwd: ROOT, env: launcherEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Ids of the containers (all states) carrying a label (`key` or `key=value`). */
export function containersWithLabel(label: string): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=${label}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/** Polls until `check` is true or `ms` passes; returns the last result. */
export async function eventually(check: () => boolean, ms: number, step = 100): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, step));
  }
}

/** The JSON-RPC initialize request line, for driving the launcher without the SDK. */
export const INITIALIZE_LINE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
})}\n`;

/** Containers created by one launcher process (label mcp-sandbox.launcher-pid), all states. */
export function containersOfLauncher(pid: number): string[] {
  return containersWithLabel(`mcp-sandbox.launcher-pid=${pid}`);
}

/** Closes an MCP session and asserts its launcher left no container behind within `ms`. */
export async function closeAndCheck(session: McpSession, ms = 5_000): Promise<boolean> {
  const pid = session.pid();
  await session.close();
  if (pid === null) return true;
  return eventually(() => containersOfLauncher(pid).length === 0, ms);
}
