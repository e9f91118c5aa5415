/**
 * images/node and images/python, built offline by `mcp-sandbox build` on local bases
 * (scripts/build-local-bases.sh: host node / host python3 imported, no registry), then run
 * under runsc through `mcp-sandbox run` with the matching profile.
 *
 * node: the real @modelcontextprotocol/server-filesystem, staged by npm on the host.
 * python: no PyPI is reachable here, so the image carries a stdlib-only MCP server fixture
 * (test/fixtures/images/python-app), copied with --app.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { ROOT, closeAndCheck, connect, describeEngine, runCli, tempDir, writeUserConfig, type McpSession } from './helpers/engine.js';

jest.setTimeout(300_000);

const NODE_BASE = 'mcp-sandbox-test/node-base:local';
const PYTHON_BASE = 'mcp-sandbox-test/python-base:local';
const FS_PROFILE = path.join(ROOT, 'profiles', 'filesystem.yaml');
const PY_PROFILE = path.join(ROOT, 'test', 'fixtures', 'images', 'python-fixture.yaml');
const PY_APP = path.join(ROOT, 'test', 'fixtures', 'images', 'python-app');

type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => (result as { content: Content }).content.map((c) => c.text ?? '').join('\n');

function inspect(image: string): { user: string; env: string[]; labels: Record<string, string>; size: number } {
  const out = execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config}}|{{.Size}}', image], { encoding: 'utf8' }).trim();
  const [config, size] = out.split('|');
  const c = JSON.parse(config as string) as { User: string; Env: string[]; Labels: Record<string, string> };
  return { user: c.User, env: c.Env, labels: c.Labels, size: Number(size) };
}

/** A command in the image as the server user, read-only root, no network, under runsc. */
function inImage(image: string, script: string): string {
  return execFileSync('docker', ['run', '--rm', '--runtime=runsc', '--network=none', '--read-only', '--user=10001:10001', '--entrypoint=/bin/sh', image, '-c', script], { encoding: 'utf8' });
}

function buildBases(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'build-local-bases.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

describeEngine('images/node: server-filesystem built by mcp-sandbox build', () => {
  const image = 'mcp-sandbox/filesystem:2026.8.31';
  let workspace: string;
  let session: McpSession | undefined;

  beforeAll(async () => {
    buildBases();
    const build = await runCli(['build', FS_PROFILE, '--base-image', NODE_BASE], { timeout: 240_000 });
    if (build.code !== 0) throw new Error(`build failed (${build.code}):\n${build.stderr}`);
    expect(build.stdout.trim()).toBe(image);
    workspace = tempDir('mcp-sandbox-ws-');
    chmodSync(workspace, 0o755); // the server runs as uid 10001: it must be able to read the mount
    writeFileSync(path.join(workspace, 'hello.txt'), 'hello from the host\n');
    mkdirSync(path.join(workspace, 'sub'));
  });
  afterAll(async () => {
    if (session) expect(await closeAndCheck(session)).toBe(true);
  });

  test('labels, user and environment of the image', () => {
    const { user, env, labels } = inspect(image);
    expect(user).toBe('10001:10001');
    expect(env).toEqual(expect.arrayContaining(['HOME=/tmp', 'NODE_ENV=production', 'NPM_CONFIG_CACHE=/tmp/.npm']));
    expect(labels).toMatchObject({
      'org.opencontainers.image.version': '2026.8.31',
      'mcp-sandbox.server.package': '@modelcontextprotocol/server-filesystem',
      'mcp-sandbox.server.base': 'node',
    });
    expect(labels['org.opencontainers.image.source']).toMatch(/^https:\/\/github\.com\/modelcontextprotocol\//);
    expect(labels['mcp-sandbox.build-hash']).toMatch(/^[a-f0-9]{64}$/);
  });

  test('the server code is root-owned and not writable by the server; no npm cache', () => {
    const out = inImage(image, [
      'stat -c "%u %a" /app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
      'touch /app/node_modules/x 2>/dev/null && echo app-writable || echo app-readonly',
      'ls -a /root /tmp 2>&1 | grep -c -E "\\.npm|\\.cache" || true',
      'grep -o "\\"@modelcontextprotocol/server-filesystem\\": *\\"[^\\"]*\\"" /app/package.json',
    ].join('; '));
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^0 [67][0145][0145]$/); // root-owned, no group/other write bit
    expect(lines[1]).toBe('app-readonly');
    expect(lines[2]).toBe('0');
    expect(lines[3]).toMatch(/"2026\.8\.31"/); // --save-exact: the staged manifest pins the version
  });

  test('an unchanged rebuild is skipped via the build hash', async () => {
    const started = Date.now();
    const again = await runCli(['build', FS_PROFILE, '--base-image', NODE_BASE]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/up to date/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('runs under runsc with the catalog profile: reads inside the mount, cannot write it', async () => {
    session = await connect(FS_PROFILE, { env: { MCP_WORKSPACE: workspace, MCP_SANDBOX_CONFIG: writeUserConfig(tempDir(), '{}\n') } });
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['read_text_file', 'list_directory', 'write_file']));
    const read = await session.client.callTool({ name: 'read_text_file', arguments: { path: '/workspace/hello.txt' } });
    expect(textOf(read)).toContain('hello from the host');
    const write = await session.client.callTool({ name: 'write_file', arguments: { path: '/workspace/new.txt', content: 'x' } });
    expect(write.isError).toBe(true);
    const outside = await session.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/passwd' } });
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toMatch(/outside allowed directories|denied/i);
  });
});

describeEngine('images/python: a stdlib MCP server built by mcp-sandbox build --app', () => {
  const image = 'mcp-sandbox-test/py-fixture:0.1.0';
  let session: McpSession | undefined;

  beforeAll(async () => {
    buildBases();
    const build = await runCli(['build', PY_PROFILE, '--base-image', PYTHON_BASE, '--app', PY_APP], { timeout: 120_000 });
    if (build.code !== 0) throw new Error(`build failed (${build.code}):\n${build.stderr}`);
    expect(build.stdout.trim()).toBe(image);
  });
  afterAll(async () => {
    if (session) expect(await closeAndCheck(session)).toBe(true);
  });

  test('labels, user and environment of the image', () => {
    const { user, env, labels } = inspect(image);
    expect(user).toBe('10001:10001');
    expect(env).toEqual(expect.arrayContaining(['HOME=/tmp', 'PYTHONPATH=/app/site-packages', 'PYTHONDONTWRITEBYTECODE=1', 'PIP_NO_CACHE_DIR=1']));
    expect(env.find((e) => e.startsWith('PATH='))).toMatch(/^PATH=\/app\/site-packages\/bin:/);
    expect(labels).toMatchObject({
      'org.opencontainers.image.version': '0.1.0',
      'mcp-sandbox.server.package': 'mcp-fixture-server',
      'mcp-sandbox.server.base': 'python',
    });
  });

  test('runs under runsc with its profile: uid 10001, HOME /tmp, gVisor kernel, read-only root', async () => {
    session = await connect(PY_PROFILE, { env: { MCP_SANDBOX_CONFIG: writeUserConfig(tempDir(), '{}\n') } });
    expect(session.client.getServerVersion()?.name).toBe('mcp-fixture-server');
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'whoami', 'try_write']);
    const who = JSON.parse(textOf(await session.client.callTool({ name: 'whoami', arguments: {} }))) as Record<string, unknown>;
    expect(who).toMatchObject({ uid: 10001, gid: 10001, home: '/tmp', cwd: '/app' });
    expect(who.release).toBe('4.4.0'); // gVisor's sentry reports this release, not the host's
    expect(textOf(await session.client.callTool({ name: 'try_write', arguments: { path: '/app/x' } }))).toMatch(/^error/);
    expect(textOf(await session.client.callTool({ name: 'try_write', arguments: { path: '/tmp/x' } }))).toBe('written');
    const echo = await session.client.callTool({ name: 'echo', arguments: { text: 'ünïcode ✓' } });
    expect(textOf(echo)).toBe('ünïcode ✓');
  });
});
