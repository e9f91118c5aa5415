/**
 * Warm start against the real engine under runsc, driven by the MCP SDK client: `mcp-sandbox
 * warm` fills a pool, `run` claims a member (rename), carries the session, and refills after
 * the first answer; racing launchers, invalidation (profile edit, secret change), expiry and
 * exited members, hardening through the warm path, and nothing left behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { BIN, connect, describeEngine, eventually, INITIALIZE_LINE, launcherEnv, NODE_IMAGE, ROOT, runCli, tempDir, writeUserConfig, type McpSession } from './helpers/engine.js';

jest.setTimeout(180_000);

const SERVER = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';
type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');

/** One test's world: its own profile name, config and per-user key (XDG dirs). */
function world(name: string, extra = ''): { dir: string; file: string; env: Record<string, string>; write(more: string): void } {
  const dir = tempDir('h9-warm-');
  const file = path.join(dir, `${name}.yaml`);
  const write = (more: string): void =>
    writeFileSync(file, `version: 1\nname: ${name}\nimage: ${NODE_IMAGE}\npull: never\nentrypoint: [node]\ncommand: [${SERVER}, stdio]\nuser: "10001"\n${more}`);
  write(extra);
  const env = { MCP_SANDBOX_CONFIG: writeUserConfig(dir, '{}\n'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache') };
  return { dir, file, env, write };
}

/** `name state` of a profile's containers, all states. */
function members(profile: string): Array<{ id: string; name: string; state: string }> {
  const out = execFileSync('docker', ['ps', '-a', '--no-trunc', '--filter', `label=mcp-sandbox.profile=${profile}`, '--format', '{{.ID}} {{.Names}} {{.State}}'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, state] = line.split(' ');
      return { id: id as string, name: name as string, state: state as string };
    });
}
const idle = (profile: string): Array<{ id: string; name: string }> => members(profile).filter((m) => /-pool-[0-9a-f]{12}$/.test(m.name) && m.state === 'running');

async function warm(w: { file: string; env: Record<string, string> }, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const result = await runCli(['warm', w.file, ...args], { env: { ...w.env, ...env } });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** The command lines of a process's children ('' when it has none: ps then exits 1). */
function launcherChildren(pid: number): string {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'args='], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

const profiles: string[] = [];
afterAll(() => {
  // Safety net only: each test asserts its own cleanup first.
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

describeEngine('warm start', () => {
  test('a claimed session works end to end, keeps the hardening and secrets out of argv, and is refilled', async () => {
    const name = 'h9-warm-e2e';
    profiles.push(name);
    const w = world(name, 'secrets: [H9_WARM_TOKEN]\nresources: { memory: 256m, pids: 300 }\n');
    const secret = { H9_WARM_TOKEN: 'h9-warm-secret-value-1' };
    expect(await warm(w, [], secret)).toContain('1 idle pooled sandbox');
    const [member] = idle(name);
    expect(member).toBeDefined();
    const session: McpSession = await connect(w.file, { env: { ...w.env, ...secret }, runArgs: ['-v'] });
    try {
      expect(session.stderr()).toContain(`claimed warm sandbox ${member!.name.replace('-pool-', '-claimed-')}`);
      expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'warm hello' } }))).toBe('Echo: warm hello');
      expect(textOf(await session.client.callTool({ name: 'get-env', arguments: {} }))).toContain('[masked:H9_WARM_TOKEN]');
      const inspect = JSON.parse(execFileSync('docker', ['inspect', member!.id], { encoding: 'utf8' }))[0];
      expect(inspect.HostConfig.Runtime).toBe('runsc');
      expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
      expect(inspect.HostConfig.CapDrop).toEqual(['ALL']);
      expect(inspect.HostConfig.SecurityOpt).toContain('no-new-privileges');
      expect(inspect.HostConfig.Memory).toBe(256 * 1024 * 1024);
      expect(inspect.HostConfig.PidsLimit).toBe(300);
      expect(JSON.stringify([inspect.Config.Cmd, inspect.Config.Entrypoint, inspect.Args, inspect.Path, inspect.Config.Labels])).not.toContain('h9-warm-secret-value-1');
      // Containment: the server runs on gVisor's kernel.
      expect(execFileSync('docker', ['exec', member!.id, 'cat', '/proc/version'], { encoding: 'utf8' })).toMatch(/gVisor|Linux version 4\.4\.0/);
      // The refill comes after the first answer, from the reaper: a new idle member.
      expect(await eventually(() => idle(name).some((m) => m.id !== member!.id), 60_000, 250)).toBe(true);
    } finally {
      await session.close();
    }
    expect(await eventually(() => !members(name).some((m) => m.id === member!.id), 10_000)).toBe(true);
    expect(await warm(w, ['--stop'])).toContain('removed 1 idle');
    expect(await eventually(() => members(name).length === 0, 10_000)).toBe(true);
  });

  test('three launchers at once on a pool of three: all claim, the refills coalesce, the pool is back to three and never above', async () => {
    const name = 'h9-warm-coalesce';
    profiles.push(name);
    const w = world(name, 'warm: { pool: 3, idleTimeout: 5m }\n');
    expect(await warm(w)).toContain('3 idle pooled sandboxes');
    const before = new Set(idle(name).map((m) => m.id));
    const sessions = await Promise.all([0, 1, 2].map(() => connect(w.file, { env: w.env, runArgs: ['-v'] })));
    let most = 0;
    try {
      for (const s of sessions) expect(s.stderr()).toContain('claimed warm sandbox');
      for (const s of sessions) expect(textOf(await s.client.callTool({ name: 'echo', arguments: { message: 'three' } }))).toBe('Echo: three');
      const refilled = await eventually(() => {
        const now = idle(name).filter((m) => !before.has(m.id));
        most = Math.max(most, members(name).filter((m) => /-pool-[0-9a-f]{12}$/.test(m.name)).length);
        return now.length === 3;
      }, 90_000, 200);
      expect(refilled).toBe(true);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    expect(most).toBeLessThanOrEqual(3);
    // Still three a moment later: no late second refill.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(members(name).filter((m) => /-pool-[0-9a-f]{12}$/.test(m.name))).toHaveLength(3);
    expect(await warm(w, ['--stop'])).toContain('removed 3 idle');
    expect(await eventually(() => members(name).length === 0, 20_000)).toBe(true);
  });

  test('a session that ends before the client falls quiet (a health check) still has its member replaced', async () => {
    const name = 'h9-warm-short';
    profiles.push(name);
    const w = world(name, 'warm: { pool: 1, idleTimeout: 5m }\n');
    expect(await warm(w)).toContain('1 idle pooled sandbox');
    const [member] = idle(name);
    const session = await connect(w.file, { env: w.env, runArgs: ['-v'] });
    expect(session.stderr()).toContain('claimed warm sandbox');
    await session.close();
    expect(await eventually(() => idle(name).some((m) => m.id !== member!.id), 60_000, 250)).toBe(true);
    expect(await warm(w, ['--stop'])).toContain('removed 1 idle');
    expect(await eventually(() => members(name).length === 0, 20_000)).toBe(true);
  });

  test('two launchers racing for a pool of one: exactly one claims, the other starts cold, both work', async () => {
    const name = 'h9-warm-race';
    profiles.push(name);
    const w = world(name, 'warm: { pool: 0 }\n');
    await warm(w, ['--pool', '1']);
    expect(idle(name)).toHaveLength(1);
    const sessions = await Promise.all([0, 1].map(() => connect(w.file, { env: w.env, runArgs: ['-v'] })));
    try {
      const claimed = sessions.filter((s) => s.stderr().includes('claimed warm sandbox'));
      expect(claimed).toHaveLength(1);
      expect(sessions.filter((s) => /cold start/.test(s.stderr()))).toHaveLength(1);
      for (const [i, s] of sessions.entries()) expect(textOf(await s.client.callTool({ name: 'echo', arguments: { message: `r${i}` } }))).toBe(`Echo: r${i}`);
      // pool: 0 in the profile: no refill after the claim.
      expect(idle(name)).toHaveLength(0);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    expect(await eventually(() => members(name).length === 0, 10_000)).toBe(true);
  });

  test('a profile edit or a changed secret invalidates the pool: cold start, stale member removed', async () => {
    const name = 'h9-warm-invalid';
    profiles.push(name);
    const w = world(name, 'secrets: [H9_WARM_TOKEN]\nwarm: { pool: 0 }\n');
    for (const change of ['secret', 'edit'] as const) {
      await warm(w, ['--pool', '1'], { H9_WARM_TOKEN: 'one' });
      const [member] = idle(name);
      expect(member).toBeDefined();
      if (change === 'edit') w.write('secrets: [H9_WARM_TOKEN]\nwarm: { pool: 0 }\nenv: { H9_EDITED: "yes" }\n');
      const token = change === 'secret' ? 'two' : 'one';
      const session = await connect(w.file, { env: { ...w.env, H9_WARM_TOKEN: token }, runArgs: ['-v'] });
      try {
        expect(session.stderr()).not.toContain('claimed warm sandbox');
        expect(session.stderr()).toContain('cold start');
        expect(textOf(await session.client.callTool({ name: 'get-env', arguments: {} }))).toContain(token === 'two' ? '"two"' : '"one"');
        expect(await eventually(() => !members(name).some((m) => m.id === member!.id), 10_000)).toBe(true);
      } finally {
        await session.close();
      }
      expect(await eventually(() => members(name).length === 0, 10_000)).toBe(true);
    }
  });

  test('an expired or exited pooled sandbox is never claimed, and nothing is left behind', async () => {
    const name = 'h9-warm-expired';
    profiles.push(name);
    const w = world(name, 'warm: { pool: 0, idleTimeout: 2s }\n');
    await warm(w, ['--pool', '1']);
    const [member] = idle(name);
    expect(member).toBeDefined();
    await new Promise((r) => setTimeout(r, 2500));
    let session = await connect(w.file, { env: w.env, runArgs: ['-v'] });
    expect(session.stderr()).toContain('cold start');
    expect(session.stderr()).not.toContain('claimed warm sandbox');
    await session.close();
    expect(await eventually(() => members(name).length === 0, 10_000)).toBe(true);

    // Exited: the member's server is stopped while idle (AutoRemove or not, it is never handed out).
    w.write('warm: { pool: 0, idleTimeout: 10m }\n');
    await warm(w, ['--pool', '1']);
    const [second] = idle(name);
    execFileSync('docker', ['kill', second!.id], { stdio: 'ignore' });
    session = await connect(w.file, { env: w.env, runArgs: ['-v'] });
    expect(session.stderr()).not.toContain('claimed warm sandbox');
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'cold' } }))).toBe('Echo: cold');
    await session.close();
    expect(await eventually(() => members(name).length === 0, 10_000)).toBe(true);
  });

  test('the reaper removes an unclaimed pool after its idle timeout with no launcher around', async () => {
    const name = 'h9-warm-reaper';
    profiles.push(name);
    // Long enough that `warm` and `ps` finish first on a loaded machine, short for the test.
    const w = world(name, 'warm: { pool: 2, idleTimeout: 8s }\n');
    expect(await warm(w)).toContain('2 idle pooled sandboxes');
    expect(idle(name)).toHaveLength(2);
    const ps = await runCli(['ps'], { env: w.env });
    expect(ps.stdout).toMatch(/h9-warm-reaper\s+running \(pool idle\)/);
    expect(await eventually(() => members(name).length === 0, 30_000, 250)).toBe(true);
  });

  test('a claimed session whose server ignores stdin EOF, launcher SIGKILLed right after the first answer: the pool reaper removes it within 10 s, no watchdog spawned', async () => {
    const name = 'h-guard-warm-sigkill';
    profiles.push(name);
    const w = world(name);
    // A private TMPDIR: this test's reaper (lock and guard socket) is its own, not another run's.
    const env = { ...w.env, TMPDIR: tempDir('h-guard-tmp-') };
    // server-everything behind a shell that keeps the container alive after EOF and TERM.
    const shell = `entrypoint: [sh, -c]\ncommand: ['trap "" TERM INT HUP; node ${SERVER} stdio; sleep 600']\n`;
    writeFileSync(w.file, readFileSync(w.file, 'utf8').replace(/^entrypoint: .*\ncommand: .*\n/m, shell));
    expect(await warm(w, [], env)).toContain('1 idle pooled sandbox');
    const [member] = idle(name);
    expect(member).toBeDefined();
    const child = spawn(process.execPath, [BIN, 'run', '-v', w.file], { cwd: ROOT, env: launcherEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    child.stdin.write(INITIALIZE_LINE);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const answered = Date.now();
    // The launcher's children (a watchdog is detached but still its child until it dies).
    const children = launcherChildren(child.pid as number);
    child.kill('SIGKILL');
    expect(Date.now() - answered).toBeLessThan(100);
    await exited;
    const killed = Date.now();
    expect(stderr).toContain('claimed warm sandbox');
    expect(stderr).toMatch(/pool reaper guards .*-claimed-/);
    expect(stderr).not.toMatch(/watchdog/);
    expect(children).not.toContain('watchdog.js');
    expect(await eventually(() => !members(name).some((m) => m.id === member!.id), 10_000, 100)).toBe(true);
    expect(Date.now() - killed).toBeLessThan(10_000);
    // The pool is empty and no session is guarded any more: the reaper leaves.
    expect(await eventually(() => readdirSync(env.TMPDIR).every((f) => !f.endsWith('.pid')), 20_000, 200)).toBe(true);
  });

  test('a refiller ended by SIGTERM (warm --stop) leaves no lock file behind', async () => {
    const dir = tempDir('h9-warm-term-');
    const order = {
      endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock', source: 'default socket' },
      fill: [],
      refill: { fill: { profile: 'h9-warm-term', body: {}, count: 1 }, hash: 'H', idleTimeout: 60, lockFile: path.join(dir, 'refill.pid') },
      lockFile: path.join(dir, 'reaper.pid'),
    };
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'watchdog.js'), '--pool-reaper'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.stdin.end(`${JSON.stringify(order)}\n`);
    // It holds the lock while it waits for claims to be quiet (1 s), before any engine call.
    expect(await eventually(() => existsSync(order.refill.lockFile), 10_000, 20)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(existsSync(order.refill.lockFile)).toBe(false);
  });
});
