/**
 * No container of ours outlives its launcher, whatever the client does (issue 9 §1): the real
 * `claude mcp list` health check (SIGINT, SIGTERM, SIGKILL in quick succession), a scripted
 * storm of signals at random moments ending in SIGKILL, and a server that ignores stdin EOF
 * whose launcher is SIGKILLed without warning. Each test uses a profile name of its own.
 */
import { jest } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, INITIALIZE_LINE, ROOT, containersOfLauncher, containersWithLabel, describeEngine, eventually, fixture, launcherEnv, tempDir, writeProfile } from './helpers/engine.js';

jest.setTimeout(300_000);

const CLAUDE = path.join(ROOT, 'node_modules', '.bin', 'claude');

/** A copy of a fixture under a profile name unique to these tests. */
function profileNamed(dir: string, fixtureName: string, name: string): string {
  const text = readFileSync(fixture(fixtureName), 'utf8').replace(/^name: .*$/m, `name: ${name}`);
  return writeProfile(dir, name, text);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on('exit', () => resolve());
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `claude mcp list` in a fresh git repository whose .mcp.json starts the launcher. */
function claudeMcpList(profile: string): string {
  const dir = tempDir('mcp-sandbox-claude-');
  const repo = path.join(dir, 'repo');
  mkdirSync(path.join(repo, '.claude'), { recursive: true });
  mkdirSync(path.join(dir, 'home'));
  execFileSync('git', ['init', '-q', repo]);
  writeFileSync(path.join(repo, '.mcp.json'), JSON.stringify({ mcpServers: { sandboxed: { command: process.execPath, args: [BIN, 'run', profile] } } }));
  writeFileSync(path.join(repo, '.claude', 'settings.local.json'), JSON.stringify({ enableAllProjectMcpServers: true }));
  return execFileSync(CLAUDE, ['mcp', 'list'], { cwd: repo, env: launcherEnv({ HOME: path.join(dir, 'home') }), encoding: 'utf8', timeout: 120_000 });
}

describeEngine('no orphaned container, whatever the client does', () => {
  const dir = tempDir();

  test.each([
    ['a server that exits on stdin EOF', 'everything.yaml', 'h1-orphan-claude-eof'],
    ['a server that ignores stdin EOF and SIGTERM', 'everything.yaml', 'h1-orphan-claude-stubborn'],
  ])('claude mcp list (%s): reports connected, and no container of the profile remains 5 s later', async (_what, file, name) => {
    const profile = profileNamed(dir, file, name);
    if (name.endsWith('stubborn')) {
      // server-everything behind a shell that keeps the container alive after EOF and TERM.
      const text = readFileSync(profile, 'utf8');
      const shell = "entrypoint: [sh, -c]\ncommand: ['trap \"\" TERM INT HUP; node /app/node_modules/@modelcontextprotocol/server-everything/dist/index.js stdio; sleep 600']";
      writeFileSync(profile, text.replace(/^entrypoint: .*$/m, '').replace(/^command: .*$/m, shell));
    }
    const output = claudeMcpList(profile);
    expect(output).toMatch(/sandboxed: .* - ✔ Connected/);
    const listed = Date.now();
    expect(await eventually(() => containersWithLabel(`mcp-sandbox.profile=${name}`).length === 0, 5_000 - (Date.now() - listed))).toBe(true);
  });

  test('a storm of signals at random moments, then SIGKILL at a random moment: no container left 5 s after the kill (20 runs)', async () => {
    const stubborn = profileNamed(dir, 'shell.yaml', 'h1-orphan-storm');
    const everything = profileNamed(dir, 'everything.yaml', 'h1-orphan-storm-mcp');
    const run = async (i: number): Promise<string | undefined> => {
      // Half the servers exit on EOF (an MCP server); half ignore EOF, TERM, INT and HUP.
      const args = i % 2 === 0 ? ['run', everything] : ['run', stubborn, '--', 'trap "" TERM INT HUP; echo up; while true; do sleep 1; done'];
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: launcherEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.on('error', () => undefined);
      if (i % 2 === 0) child.stdin.write(INITIALIZE_LINE);
      const plan: string[] = [];
      // The first signal lands anywhere from before the create to well after the first answer.
      await sleep(Math.random() * 2500);
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'].sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 3)) as NodeJS.Signals[];
      const killAt = Date.now() + Math.random() * 1500;
      for (const signal of signals) {
        if (Date.now() >= killAt) break;
        child.kill(signal);
        plan.push(signal);
        await sleep(Math.random() * 300);
      }
      await sleep(Math.max(0, killAt - Date.now()));
      child.kill('SIGKILL');
      plan.push('SIGKILL');
      await exited(child);
      const killed = Date.now();
      const clean = await eventually(() => containersOfLauncher(child.pid as number).length === 0, 5_000 - (Date.now() - killed));
      return clean ? undefined : `run ${i} (${plan.join(' ')}): container left: ${containersOfLauncher(child.pid as number).join(' ')}`;
    };
    const failures: string[] = [];
    // Four at a time: the machine is shared, and the point is the timing of each, not load.
    for (let batch = 0; batch < 20; batch += 4) {
      const results = await Promise.all([0, 1, 2, 3].map((k) => run(batch + k)));
      failures.push(...results.filter((r): r is string => r !== undefined));
    }
    expect(failures).toEqual([]);
  });

  test('a server that ignores stdin EOF, launcher SIGKILLed with no signal before: gone within 10 s', async () => {
    const profile = profileNamed(dir, 'shell.yaml', 'h1-orphan-sigkill');
    const child = spawn(process.execPath, [BIN, 'run', profile, '--', 'echo up; sleep 600'], { cwd: ROOT, env: launcherEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await sleep(200);
    expect(containersOfLauncher(child.pid as number)).toHaveLength(1);
    child.kill('SIGKILL');
    await exited(child);
    const killed = Date.now();
    expect(await eventually(() => containersOfLauncher(child.pid as number).length === 0, 10_000)).toBe(true);
    expect(Date.now() - killed).toBeLessThan(10_000);
  });

  test('OOM with AutoRemove: exit 137, the limit named from the engine\'s events, and the container gone', async () => {
    const profile = profileNamed(dir, 'node-script.yaml', 'h1-orphan-oom');
    const child = spawn(process.execPath, [BIN, 'run', profile, '--', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'], { cwd: ROOT, env: launcherEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(137);
    expect(stderr).toMatch(/^mcp-sandbox: the server was killed.*memory limit of 64m \(raise resources\.memory/m);
    expect(await eventually(() => containersWithLabel('mcp-sandbox.profile=h1-orphan-oom').length === 0, 5_000)).toBe(true);
  });
});
