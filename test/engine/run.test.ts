/**
 * `mcp-sandbox run` against a real engine with the real MCP SDK client, under runsc and runc:
 * the server answers, payloads arrive byte-identical, mounts keep their semantics, and under
 * runsc the server really runs on gVisor's kernel. One launcher per runtime and server is shared
 * across the assertions that only read from it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { EXIT_CODES } from '../../src/errors.js';
import { closeAndCheck, containersOfLauncher, describeEngine, fixture, runCli, tempDir, writeProfile, writeUserConfig, connect, type McpSession } from './helpers/engine.js';

jest.setTimeout(120_000);

interface Variant {
  runtime: 'runsc' | 'runc';
  env: Record<string, string>;
}

function variant(runtime: 'runsc' | 'runc'): Variant {
  // The fixtures ask for runsc; the runc variant maps it with the user config, as a user would.
  const dir = tempDir();
  const config = runtime === 'runc' ? writeUserConfig(dir, 'runtimes:\n  runsc: runc\n') : writeUserConfig(dir, '{}\n');
  return { runtime, env: { MCP_SANDBOX_CONFIG: config } };
}

type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');

/** The engine's view of a launcher's container, found by its launcher-pid label. */
function inspectByLauncher(pid: number): { runtime: string; readOnly: boolean; user: string } {
  const id = containersOfLauncher(pid)[0] as string;
  const out = execFileSync('docker', ['inspect', '--format', '{{.HostConfig.Runtime}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}}', id], { encoding: 'utf8' }).trim();
  const [runtime, readOnly, user] = out.split(' ');
  return { runtime: runtime as string, readOnly: readOnly === 'true', user: user as string };
}

describe.each(['runsc', 'runc'] as const)('run under %s', (runtime) => {
  describeEngine('server-everything', () => {
    const v = variant(runtime);
    let session: McpSession;

    beforeAll(async () => {
      session = await connect(fixture('everything.yaml'), { env: v.env });
    });
    afterAll(async () => {
      // The SDK closes stdin; the launcher must leave nothing behind within 5 s.
      if (session) expect(await closeAndCheck(session)).toBe(true);
    });

    test('initialize and tools/list answer through the launcher', async () => {
      expect(session.client.getServerVersion()?.name).toBe('mcp-servers/everything');
      const { tools } = await session.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-env', 'get-sum']));
    });

    test('the container runs with the profile runtime and hardening', () => {
      const pid = session.pid();
      expect(pid).not.toBeNull();
      expect(inspectByLauncher(pid as number)).toEqual({ runtime, readOnly: true, user: '10001' });
    });

    test('tools/call echo round-trips', async () => {
      const result = await session.client.callTool({ name: 'echo', arguments: { message: 'hello sandbox' } });
      expect(textOf(result)).toBe('Echo: hello sandbox');
    });

    // 10 MB decimal: the SDK's stdio transport refuses a single message over 10 MiB (its
    // STDIO_DEFAULT_MAX_BUFFER_SIZE), raw `docker run -i` included, so the payload stays below that.
    test.each([
      ['1 MB', 1_000_000],
      ['10 MB', 10_000_000],
    ])('a %s payload arrives byte-identical', async (_label, size) => {
      // Non-ASCII and JSON-escaped characters up front, then a pattern that would show reordering.
      const head = 'ÄéЖ漢😀 "quoted" \\ tab\t newline\n ';
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ';
      const chunk = Array.from({ length: 4096 }, (_, i) => alphabet[(i * 7) % alphabet.length]).join('');
      let message = head;
      while (message.length < size) message += chunk;
      message = message.slice(0, size);
      const result = await session.client.callTool({ name: 'echo', arguments: { message } }, undefined, { timeout: 90_000 });
      const text = textOf(result);
      expect(text.length).toBe(message.length + 'Echo: '.length);
      expect(text === `Echo: ${message}`).toBe(true);
    });

    test('stdout carried only the server: the SDK saw no stray bytes', () => {
      // The SDK fails to parse anything that is not JSON-RPC; stderr holds the launcher's and
      // the server's diagnostics only.
      expect(session.stderr()).not.toMatch(/\{"jsonrpc"/);
    });
  });

  describeEngine('kernel seen from inside', () => {
    test(runtime === 'runsc' ? 'is gVisor, not the host kernel' : 'is the host kernel', async () => {
      const v = variant(runtime);
      const result = await runCli(['run', fixture('shell.yaml'), '--', 'uname -r; dmesg 2>&1 | head -n 1'], { env: v.env });
      expect(result.code).toBe(0);
      const [kernel, dmesg] = result.stdout.split('\n');
      if (runtime === 'runsc') {
        expect(kernel).not.toBe(release());
        expect(dmesg).toContain('Starting gVisor');
      } else {
        expect(kernel).toBe(release());
        expect(dmesg).not.toContain('gVisor');
      }
    });
  });

  describeEngine('server-filesystem with a read-only mount', () => {
    const v = variant(runtime);
    const hostDir = path.join(path.dirname(fixture('filesystem.yaml')), 'workspace');
    let session: McpSession;

    beforeAll(async () => {
      session = await connect(fixture('filesystem.yaml'), { env: v.env });
    });
    afterAll(async () => {
      if (session) expect(await closeAndCheck(session)).toBe(true);
    });

    test('reads a file inside the mount', async () => {
      const result = await session.client.callTool({ name: 'read_text_file', arguments: { path: '/workspace/hello.txt' } });
      expect(textOf(result)).toContain('hello from the host');
    });

    test('cannot write into the read-only mount, and the host is untouched', async () => {
      const result = (await session.client.callTool({ name: 'write_file', arguments: { path: '/workspace/new.txt', content: 'x' } })) as { isError?: boolean; content: Content };
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/EROFS|EACCES|read-only|permission denied/i);
      expect(existsSync(path.join(hostDir, 'new.txt'))).toBe(false);
      expect(readdirSync(hostDir)).toEqual(['hello.txt']);
      expect(readFileSync(path.join(hostDir, 'hello.txt'), 'utf8')).toBe('hello from the host\n');
    });

    test('cannot read outside the mount', async () => {
      const result = (await session.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/passwd' } })) as { isError?: boolean; content: Content };
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/denied|outside allowed/i);
    });
  });
});

describeEngine('networked runsc profile and the runtime mapping', () => {
  const script = 'ls /sys/class/net | sort | tr "\\n" " "';
  test('without a mapping, a networked profile on runsc (registered --network=none) is refused with the fix, run and --dry-run alike', async () => {
    const dir = tempDir();
    const config = writeUserConfig(dir, '{}\n');
    for (const args of [['run', fixture('networked.yaml'), '--', script], ['run', fixture('networked.yaml'), '--dry-run']]) {
      const result = await runCli(args, { env: { MCP_SANDBOX_CONFIG: config } });
      expect(result.code).toBe(EXIT_CODES.RUNTIME_MISSING);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/profile test-networked asks for network bridge, but engine runtime runsc is registered with --network=none.*runtimes: \{ runsc: \{ none: runsc, bridge: runsc-net, host: runsc-net \} \}.* in .*config\.yaml/);
    }
    // A profile without a network on the same runtime starts as before.
    const none = await runCli(['run', fixture('shell.yaml'), '--', script], { env: { MCP_SANDBOX_CONFIG: config } });
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('lo');
  });

  test('with runsc.bridge mapped to runsc-net the sandbox gets the container network', async () => {
    const dir = tempDir();
    const config = writeUserConfig(dir, 'runtimes:\n  runsc: { none: runsc, bridge: runsc-net, host: runsc-net }\n');
    const dry = await runCli(['run', fixture('networked.yaml'), '--dry-run'], { env: { MCP_SANDBOX_CONFIG: config } });
    expect(JSON.parse(dry.stdout).create.HostConfig.Runtime).toBe('runsc-net');
    const result = await runCli(['run', fixture('networked.yaml'), '--', script], { env: { MCP_SANDBOX_CONFIG: config } });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split(' ')).toEqual(expect.arrayContaining(['eth0', 'lo']));
    // A profile without a network keeps the isolated runtime under the same mapping.
    const shell = writeProfile(dir, 'p', readFileSync(fixture('shell.yaml'), 'utf8'));
    const none = await runCli(['run', shell, '--dry-run'], { env: { MCP_SANDBOX_CONFIG: config } });
    expect(JSON.parse(none.stdout).create.HostConfig.Runtime).toBe('runsc');
  });
});
