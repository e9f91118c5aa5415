/**
 * Warm start through the native shim (dist/native/mcp-sandbox, src/run/warm-shim.c) and the
 * pool reaper's broker (src/run/warm-broker.ts), on the real engine under runsc, driven by the
 * MCP SDK's stdio client as a client's entry would start it: a claimed session with the gate
 * applied, the cold path through the shim, SIGKILL of the shim, ten at once, and secrets in no
 * process's argv. Each test has its own TMPDIR, so its reaper and broker are its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { connectCommand, describeEngine, eventually, INITIALIZE_LINE, launcherEnv, NODE_IMAGE, ROOT, runCli, tempDir, writeUserConfig, type McpSession } from './helpers/engine.js';

jest.setTimeout(240_000);

const SHIM = path.join(ROOT, 'dist', 'native', 'mcp-sandbox');
const SERVER = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';
type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');

interface World {
  dir: string;
  file: string;
  env: Record<string, string>;
}

/** One test's world: its profile, config, per-user key (XDG dirs) and temp directory. */
function world(name: string, extra = ''): World {
  const dir = tempDir('hws-');
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `version: 1\nname: ${name}\nimage: ${NODE_IMAGE}\npull: never\nentrypoint: [node]\ncommand: [${SERVER}, stdio]\nuser: "10001"\n${extra}`);
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, { mode: 0o700 });
  const env = { MCP_SANDBOX_CONFIG: writeUserConfig(dir, '{}\n'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache'), MCP_SANDBOX_AUDIT_DIR: path.join(dir, 'audit'), TMPDIR: tmp };
  return { dir, file, env };
}

function members(profile: string): Array<{ id: string; name: string; state: string }> {
  const out = execFileSync('docker', ['ps', '-a', '--no-trunc', '--filter', `label=mcp-sandbox.profile=${profile}`, '--format', '{{.ID}} {{.Names}} {{.State}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((line) => {
    const [id, name, state] = line.split(' ');
    return { id: id as string, name: name as string, state: state as string };
  });
}
const idle = (profile: string): Array<{ id: string; name: string }> => members(profile).filter((m) => /-pool-[0-9a-f]{12}$/.test(m.name) && m.state === 'running');

async function warm(w: World, args: string[] = [], env: Record<string, string> = {}): Promise<void> {
  const result = await runCli(['warm', w.file, ...args], { env: { ...w.env, ...env } });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** The shim under the SDK's stdio client, as a client entry starts it. */
function connectShim(w: World, env: Record<string, string> = {}, runArgs: string[] = ['-v']): Promise<McpSession> {
  return connectCommand({ command: SHIM, args: ['run', ...runArgs, w.file], env: launcherEnv({ ...w.env, ...env }), cwd: ROOT });
}

/** The broker's pid (the reaper holding the broker lock in the world's TMPDIR). */
function brokerPid(w: World): number | undefined {
  const file = readdirSync(w.env.TMPDIR as string).find((f) => /^mcp-sandbox-\d+-broker\.pid$/.test(f));
  return file ? Number(readFileSync(path.join(w.env.TMPDIR as string, file), 'utf8')) : undefined;
}

/** The command lines of a process's children ('' when it has none: ps then exits 1). */
function children(pid: number): string {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'args='], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');

const profiles: string[] = [];
const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await runCli(['warm', '--stop', w.file], { env: w.env }).catch(() => undefined);
  for (const profile of profiles) {
    for (const m of members(profile)) {
      try {
        execFileSync('docker', ['rm', '-f', m.id], { stdio: 'ignore' });
      } catch {
        // removed meanwhile (AutoRemove)
      }
    }
  }
});

describeEngine('warm start through the native shim', () => {
  beforeAll(() => {
    expect(existsSync(SHIM)).toBe(true);
  });

  test('a claimed session carried by the broker: tools work, the gate applies its policy and masks the secret, no node process, secrets in no argv', async () => {
    const name = 'hws-claimed';
    profiles.push(name);
    const w = world(name, 'secrets: [HWS_TOKEN]\ntools:\n  deny: ["get-sum"]\nsecretScan: mask\n');
    worlds.push(w);
    const secret = { HWS_TOKEN: `hws-secret-${process.pid}-Qz81` };
    await warm(w, [], secret);
    const [member] = idle(name);
    expect(member).toBeDefined();
    const session = await connectShim(w, secret);
    try {
      expect(session.stderr()).toContain(`claimed warm sandbox ${member!.name.replace('-pool-', '-claimed-')}`);
      const pid = session.pid() as number;
      // The client's process is the shim itself, not node, and it started nothing.
      expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('mcp-sandbox');
      expect(children(pid)).toBe('');
      expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'via the broker' } }))).toBe('Echo: via the broker');
      const names = (await session.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('echo');
      expect(names).not.toContain('get-sum');
      await expect(session.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })).rejects.toThrow(/tools\.deny/);
      const envText = JSON.stringify(await session.client.callTool({ name: 'get-env', arguments: {} }));
      expect(envText).toContain('[masked:HWS_TOKEN]');
      expect(envText).not.toContain(secret.HWS_TOKEN);
      const broker = brokerPid(w);
      expect(broker).toBeDefined();
      expect(cmdline(pid)).not.toContain(secret.HWS_TOKEN);
      expect(cmdline(broker!)).not.toContain(secret.HWS_TOKEN);
      expect(cmdline(broker!)).toContain('--pool-reaper');
    } finally {
      await session.close();
    }
    expect(await eventually(() => !members(name).some((m) => m.id === member!.id), 10_000)).toBe(true);
    // The audit log is the gate's, as in `run`: the denied call is in it, the secret is not.
    const auditDir = w.env.MCP_SANDBOX_AUDIT_DIR as string;
    const audit = readdirSync(auditDir).filter((f) => f.endsWith('.jsonl')).map((f) => readFileSync(path.join(auditDir, f), 'utf8')).join('');
    expect(audit).toContain('"decision":"deny"');
    expect(audit).toContain('"type":"session-end"');
    expect(audit).not.toContain(secret.HWS_TOKEN);
    await runCli(['warm', '--stop', w.file], { env: w.env });
    // The reaper leaves once nothing is idle: its broker's and guard's socket directories go with it.
    const socketDirs = (): string[] => readdirSync(w.env.TMPDIR as string).filter((f) => f.endsWith('.d'));
    expect(await eventually(() => brokerPid(w) === undefined && socketDirs().length === 0, 30_000)).toBe(true);
  });

  test('the exit code: stdin EOF ends the session with 0, SIGTERM to the shim with 143', async () => {
    const name = 'hws-exit';
    profiles.push(name);
    const w = world(name, 'warm: { pool: 2, idleTimeout: 5m }\n');
    worlds.push(w);
    await warm(w);
    for (const how of ['eof', 'SIGTERM'] as const) {
      const child = spawn(SHIM, ['run', '-v', w.file], { cwd: ROOT, env: launcherEnv(w.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.stdin.write(INITIALIZE_LINE);
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      if (how === 'eof') child.stdin.end();
      else child.kill('SIGTERM');
      expect(await exited).toBe(how === 'eof' ? 0 : 143);
      expect(stderr).toContain('claimed warm sandbox');
    }
    await runCli(['warm', '--stop', w.file], { env: w.env });
  });

  test('no broker: the shim execs the node launcher, which starts cold and works', async () => {
    const name = 'hws-cold';
    profiles.push(name);
    const w = world(name);
    worlds.push(w);
    const session = await connectShim(w);
    try {
      expect(session.stderr()).toContain('no warm pool (no pool reaper running): cold start');
      expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'cold' } }))).toBe('Echo: cold');
      expect(cmdline(session.pid() as number)).toMatch(/node .*bin\/mcp-sandbox\.js run -v /);
    } finally {
      await session.close();
    }
    expect(await eventually(() => members(name).length === 0, 10_000)).toBe(true);
  });

  test('a broker with no member of this profile answers "cold" at once: the node launcher starts it cold and it works', async () => {
    const name = 'hws-other';
    profiles.push(name, `${name}-unpooled`);
    const w = world(name);
    worlds.push(w);
    await warm(w);
    expect(brokerPid(w)).toBeDefined();
    // A second profile of the same user, never warmed: the broker runs, but has nothing for it.
    const other = { ...w, file: path.join(w.dir, `${name}-unpooled.yaml`) };
    writeFileSync(other.file, readFileSync(w.file, 'utf8').replace(`name: ${name}\n`, `name: ${name}-unpooled\n`));
    const session = await connectShim(other);
    try {
      expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'unpooled' } }))).toBe('Echo: unpooled');
      expect(cmdline(session.pid() as number)).toMatch(/node .*bin\/mcp-sandbox\.js run -v /);
      expect(session.stderr()).toContain('no warm sandbox: cold start');
      // The pooled profile's member is untouched.
      expect(idle(name)).toHaveLength(1);
    } finally {
      await session.close();
    }
    expect(await eventually(() => members(`${name}-unpooled`).length === 0, 10_000)).toBe(true);
    await runCli(['warm', '--stop', w.file], { env: w.env });
  });

  test('a shim SIGKILLed right after the first answer: the broker shuts its session down and removes the container', async () => {
    const name = 'hws-sigkill';
    profiles.push(name);
    // pool 0: the broker still ends the session after the kill, which would otherwise refill the pool.
    const w = world(name, 'warm: { pool: 0 }\n');
    worlds.push(w);
    // server-everything behind a shell that keeps the container alive after EOF and TERM.
    writeFileSync(w.file, readFileSync(w.file, 'utf8').replace(/^entrypoint: .*\ncommand: .*\n/m, `entrypoint: [sh, -c]\ncommand: ['trap "" TERM INT HUP; node ${SERVER} stdio; sleep 600']\n`));
    await warm(w, ['--pool', '1']);
    const [member] = idle(name);
    expect(member).toBeDefined();
    const child = spawn(SHIM, ['run', '-v', w.file], { cwd: ROOT, env: launcherEnv(w.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    child.stdin.write(INITIALIZE_LINE);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    const killed = Date.now();
    expect(stderr).toContain('claimed warm sandbox');
    expect(await eventually(() => !members(name).some((m) => m.id === member!.id), 15_000, 100)).toBe(true);
    expect(Date.now() - killed).toBeLessThan(15_000);
    // No session left and nothing idle: the reaper (and its broker) leaves.
    // (The reaper sweeps the engine's idle members of every profile: another pool on a shared engine keeps it.)
    const othersIdle = (): boolean => execFileSync('docker', ['ps', '-q', '--filter', 'label=mcp-sandbox.pool=idle'], { encoding: 'utf8' }).trim() !== '';
    const pidFiles = (): string[] => readdirSync(w.env.TMPDIR as string).filter((f) => f.endsWith('.pid'));
    await eventually(() => othersIdle() || pidFiles().length === 0, 30_000, 200);
    expect(othersIdle() ? [] : pidFiles()).toEqual([]);
  });

  test('ten shims at once on a pool of ten: all claim and work', async () => {
    const name = 'hws-ten';
    profiles.push(name);
    const w = world(name, 'warm: { pool: 10, idleTimeout: 5m }\n');
    worlds.push(w);
    await warm(w);
    expect(await eventually(() => idle(name).length === 10, 60_000, 250)).toBe(true);
    const sessions = await Promise.all(Array.from({ length: 10 }, () => connectShim(w)));
    try {
      for (const s of sessions) expect(s.stderr()).toContain('claimed warm sandbox');
      const answers = await Promise.all(sessions.map((s, i) => s.client.callTool({ name: 'echo', arguments: { message: `n${i}` } })));
      expect(answers.map(textOf)).toEqual(sessions.map((_s, i) => `Echo: n${i}`));
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    await runCli(['warm', '--stop', w.file], { env: w.env });
    expect(await eventually(() => members(name).length === 0, 60_000, 250)).toBe(true);
  });
});
