/**
 * The launcher's lifecycle on a real engine: shutdown paths leave no container, exit codes and
 * OOM propagate, preflight failures are one line with their exit code, secrets stay out of argv
 * and output, and ten launchers at once all work.
 */
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { EXIT_CODES } from '../../src/errors.js';
import {
  INITIALIZE_LINE,
  closeAndCheck,
  connect,
  containersOfLauncher,
  describeEngine,
  eventually,
  fixture,
  runCli,
  spawnCli,
  tempDir,
  writeUserConfig,
} from './helpers/engine.js';

jest.setTimeout(120_000);

/** Resolves once the child's stdout contains `needle`. */
function waitForOutput(child: ChildProcess, needle: string, ms = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${needle} within ${ms} ms; got ${seen.slice(0, 200)}`)), ms);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(needle)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** The pid of the watchdog a --verbose launcher reports on stderr. */
function watchdogOf(child: ChildProcess, ms = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no watchdog within ${ms} ms; stderr ${seen}`)), ms);
    const look = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      const match = /watchdog (\d+) armed/.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stderr?.off('data', look);
        resolve(Number(match[1]));
      }
    };
    child.stderr?.on('data', look);
  });
}

/** One line on stderr, starting with our prefix. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mcp-sandbox: /);
  expect(lines[0]).toMatch(pattern);
}

describeEngine('run lifecycle', () => {
  const everything = fixture('everything.yaml');

  test('launcher SIGKILLed: a server that exits on stdin EOF is removed by the engine (AutoRemove)', async () => {
    const child = spawnCli(['run', everything]);
    const answer = waitForOutput(child, '"id":1');
    child.stdin?.write(INITIALIZE_LINE);
    await answer;
    child.kill('SIGKILL');
    await exited(child);
    expect(await eventually(() => containersOfLauncher(child.pid as number).length === 0, 5_000)).toBe(true);
  });

  test('stdin EOF: the answer arrives, the launcher exits 0 and removes the container', async () => {
    const child = spawnCli(['run', everything]);
    const answer = waitForOutput(child, '"id":1');
    child.stdin?.end(INITIALIZE_LINE);
    expect(await answer).toContain('"serverInfo"');
    const started = Date.now();
    expect((await exited(child)).code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await eventually(() => containersOfLauncher(child.pid as number).length === 0, 5_000)).toBe(true);
  });

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s: the launcher exits %i and no container is left within 5 s', async (signal, code) => {
    const child = spawnCli(['run', everything]);
    const answer = waitForOutput(child, '"id":1');
    child.stdin?.write(INITIALIZE_LINE);
    await answer;
    expect(containersOfLauncher(child.pid as number)).toHaveLength(1);
    const sent = Date.now();
    child.kill(signal);
    const result = await exited(child);
    expect(result.code).toBe(code);
    expect(await eventually(() => containersOfLauncher(child.pid as number).length === 0, 5_000 - (Date.now() - sent))).toBe(true);
    expect(Date.now() - sent).toBeLessThan(5_000);
  });

  test('launcher and its watchdog both SIGKILLed: the orphan is one ps reports and gc removes', async () => {
    // A server that exits on stdin EOF is gone with AutoRemove once its launcher dies; `sleep` is not.
    const child = spawnCli(['run', '--verbose', fixture('shell.yaml'), '--', 'echo up; sleep 60']);
    await waitForOutput(child, 'up');
    const watchdogPid = await watchdogOf(child);
    process.kill(watchdogPid, 'SIGKILL');
    child.kill('SIGKILL');
    await exited(child);
    const pid = child.pid as number;
    expect(containersOfLauncher(pid)).toHaveLength(1);
    const ps = await runCli(['ps', '--json']);
    expect(ps.code).toBe(0);
    const entry = (JSON.parse(ps.stdout) as Array<{ launcherPid?: number; launcher: string; profile: string }>).find((e) => e.launcherPid === pid);
    expect(entry).toMatchObject({ launcher: 'dead', profile: 'test-shell' });
    const table = await runCli(['ps']);
    expect(table.stdout).toMatch(new RegExp(`test-shell .*${pid} dead`));
    const gc = await runCli(['gc']);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain(`launcher ${pid} gone`);
    expect(containersOfLauncher(pid)).toHaveLength(0);
  });

  test('the next run of a profile sweeps that profile\'s orphans after start', async () => {
    // `sleep` ignores stdin EOF, so the orphan keeps running after its launcher (and watchdog) die.
    const orphanLauncher = spawnCli(['run', '--verbose', fixture('shell.yaml'), '--', 'echo up; sleep 60']);
    await waitForOutput(orphanLauncher, 'up');
    process.kill(await watchdogOf(orphanLauncher), 'SIGKILL');
    orphanLauncher.kill('SIGKILL');
    await exited(orphanLauncher);
    const orphanPid = orphanLauncher.pid as number;
    expect(containersOfLauncher(orphanPid)).toHaveLength(1);
    const next = await runCli(['run', '--verbose', fixture('shell.yaml'), '--', 'sleep 1']);
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(new RegExp(`mcp-sandbox: removed orphan [0-9a-f]{12} \\(launcher ${orphanPid} gone\\)`));
    expect(containersOfLauncher(orphanPid)).toHaveLength(0);
  });

  test('a pull that fails is one line with exit IMAGE_MISSING', async () => {
    const dir = tempDir();
    const profile = `${dir}/pull.yaml`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(profile, 'version: 1\nname: test-pull\nimage: mcp-sandbox.invalid/nothing:1\npull: always\ncommand: ["true"]\n');
    const result = await runCli(['run', profile]);
    expect(result.code).toBe(EXIT_CODES.IMAGE_MISSING);
    expectOneLine(result.stderr, /pulling image mcp-sandbox\.invalid\/nothing:1 failed: .*docker login/);
  });

  test('the server exit code propagates and its stderr passes through', async () => {
    const result = await runCli(['run', fixture('shell.yaml'), '--', 'echo out; echo err >&2; exit 7']);
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
  });

  test('OOM: exit 137 and a message naming the memory limit', async () => {
    const result = await runCli(['run', fixture('node-script.yaml'), '--', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));']);
    expect(result.code).toBe(137);
    // The engine usually reports State.OOMKilled; under gVisor the OOM event is sometimes lost,
    // and the launcher then says "most likely" -- the limit is named either way.
    expect(result.stderr).toMatch(/^mcp-sandbox: the server was killed.*memory limit of 64m \(raise resources\.memory/m);
  });

  test('engine down: one line naming the socket, exit ENGINE_UNREACHABLE', async () => {
    const result = await runCli(['run', everything], { env: { DOCKER_HOST: 'unix:///tmp/mcp-sandbox-no-engine.sock' } });
    expect(result.code).toBe(EXIT_CODES.ENGINE_UNREACHABLE);
    expect(result.stdout).toBe('');
    expectOneLine(result.stderr, /cannot reach the Docker engine at unix:\/\/\/tmp\/mcp-sandbox-no-engine\.sock .*start Docker/);
  });

  test.each([
    ['missing image', 'missing-image.yaml', EXIT_CODES.IMAGE_MISSING, /image mcp-sandbox-test\/does-not-exist:never is not present .*pull: never/],
    ['missing runtime', 'missing-runtime.yaml', EXIT_CODES.RUNTIME_MISSING, /no runtime "runsc-not-registered" registered .*daemon\.json/],
    ['missing mount source', 'missing-mount.yaml', EXIT_CODES.MOUNT_SOURCE_MISSING, /mount source .*no-such-directory .*does not exist/],
    ['missing secret', 'secret.yaml', EXIT_CODES.SECRET_MISSING, /secret MCP_SANDBOX_TEST_TOKEN .*not set/],
  ])('%s: one line with the fix and its exit code', async (_name, file, code, pattern) => {
    const result = await runCli(['run', fixture(file)], { env: { MCP_SANDBOX_TEST_TOKEN: undefined, MCP_SANDBOX_SECRETS_FILE: '/nonexistent/secrets.env' } });
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expectOneLine(result.stderr, pattern);
  });

  test('secrets reach the server but not argv, --dry-run, or anything the launcher prints', async () => {
    const value = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;
    const env = { MCP_SANDBOX_TEST_TOKEN: value };
    const dry = await runCli(['run', fixture('secret.yaml'), '--dry-run'], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('MCP_SANDBOX_TEST_TOKEN');
    expect(dry.stdout + dry.stderr).not.toContain(value);

    const session = await connect(fixture('secret.yaml'), { env, runArgs: ['--verbose'] });
    try {
      const pid = session.pid() as number;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('secret.yaml');
      expect(cmdline).not.toContain(value);
      const result = await session.client.callTool({ name: 'get-env', arguments: {} });
      // The server (and only the server) sees it: the launcher's gate masks the declared value
      // in what reaches the client, which proves the server had it.
      expect(JSON.stringify(result)).toContain('[masked:MCP_SANDBOX_TEST_TOKEN]');
      expect(JSON.stringify(result)).not.toContain(value);
      expect(session.stderr()).toContain('mcp-sandbox: created');
    } finally {
      expect(await closeAndCheck(session)).toBe(true);
    }
    expect(session.stderr()).not.toContain(value);
  });

  test('a secrets file others can read is refused', async () => {
    const dir = tempDir();
    const file = `${dir}/secrets.env`;
    const { writeFileSync, chmodSync } = await import('node:fs');
    writeFileSync(file, 'MCP_SANDBOX_TEST_TOKEN=from-file\n');
    chmodSync(file, 0o644);
    const refused = await runCli(['run', fixture('secret.yaml'), '--dry-run'], { env: { MCP_SANDBOX_TEST_TOKEN: undefined, MCP_SANDBOX_SECRETS_FILE: file } });
    // --dry-run refuses as run would, naming the file and its mode once (it used to call the secret "missing").
    expect(refused.code).toBe(EXIT_CODES.SECRET_MISSING);
    expect(refused.stdout).toBe('');
    expectOneLine(refused.stderr, /refusing to read secrets from .*secrets\.env: its mode is 0644.*chmod 600/);
    const run = await runCli(['run', fixture('secret.yaml')], { env: { MCP_SANDBOX_TEST_TOKEN: undefined, MCP_SANDBOX_SECRETS_FILE: file } });
    expect(run.code).toBe(EXIT_CODES.SECRET_MISSING);
    expectOneLine(run.stderr, /refusing to read secrets from .*0644.*chmod 600/);
    chmodSync(file, 0o600);
    const dry = await runCli(['run', fixture('secret.yaml'), '--dry-run'], { env: { MCP_SANDBOX_TEST_TOKEN: undefined, MCP_SANDBOX_SECRETS_FILE: file } });
    expect(JSON.parse(dry.stdout).secrets).toEqual([{ name: 'MCP_SANDBOX_TEST_TOKEN', source: 'file' }]);
    expect(dry.stdout).not.toContain('from-file');
  });

  test('ten launchers at once all answer and leave nothing behind', async () => {
    const config = writeUserConfig(tempDir(), 'stopGrace: 2\n');
    const sessions = await Promise.all(Array.from({ length: 10 }, () => connect(everything, { env: { MCP_SANDBOX_CONFIG: config } })));
    try {
      const answers = await Promise.all(sessions.map((s, i) => s.client.callTool({ name: 'echo', arguments: { message: `launcher ${i}` } })));
      answers.forEach((answer, i) => expect(JSON.stringify(answer)).toContain(`Echo: launcher ${i}`));
      expect(new Set(sessions.map((s) => s.pid())).size).toBe(10);
    } finally {
      const clean = await Promise.all(sessions.map((s) => closeAndCheck(s, 10_000)));
      expect(clean).toEqual(Array(10).fill(true));
    }
  });
});
