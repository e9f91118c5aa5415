/**
 * End to end as Claude Desktop does it: `desktop --install` writes the config under a temporary
 * HOME; the entry is then started exactly as the client would (its command, args and env, a
 * minimal environment, an unrelated working directory) with the MCP SDK's stdio client, and a
 * tool is called through the sandbox.
 *
 * Needs what every engine suite needs (helpers/engine.ts: the engine, the test images, a built
 * dist/). Without them the suite is skipped, except under CI=true, where it fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { BIN, ROOT, connectCommand, containersWithLabel, describeEngine, eventually, tempDir } from './helpers/engine.js';

jest.setTimeout(120_000);

const PROFILE = path.join(ROOT, 'test', 'fixtures', 'desktop', 'everything-test.yaml');
const containers = (): string[] => containersWithLabel('mcp-sandbox.profile=everything-test');

describeEngine('Claude Desktop starts the generated entry', () => {
  let home: string;
  beforeAll(() => {
    home = tempDir('desktop-e2e-');
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('install, start as the client would, call a tool, uninstall', async () => {
    // 1. Install into Claude Desktop's Linux path under the temporary HOME.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
    execFileSync(process.execPath, [BIN, 'desktop', PROFILE, '--install'], { env, cwd: ROOT, encoding: 'utf8' });
    const file = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[]; env?: Record<string, string> }> };
    const entry = config.mcpServers['everything-test'];
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(path.isAbsolute(entry.command)).toBe(true);
    expect(entry.args.every((a) => a === 'run' || path.isAbsolute(a))).toBe(true);
    // The entry it wrote passes its own client-config lint (no MS110 for the launcher, nothing else).
    const lint = execFileSync(process.execPath, [BIN, 'lint', '--client', 'claude-desktop', '--format', 'json', file], { env, cwd: ROOT, encoding: 'utf8' });
    expect((JSON.parse(lint) as { files: Array<{ findings: unknown[] }> }).files[0]?.findings).toEqual([]);

    // 2. Start it the way the client does: no PATH that leads to node or mcp-sandbox, cwd '/'.
    const { client, close } = await connectCommand(
      { command: entry.command, args: entry.args, env: { ...(entry.env ?? {}), PATH: '/nonexistent', HOME: home }, cwd: '/' },
      'claude-desktop-stand-in',
    );
    try {
      expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
      const result = (await client.callTool({ name: 'echo', arguments: { message: 'hello from the desktop entry' } })) as {
        content: Array<{ type: string; text?: string }>;
      };
      expect(result.content[0]?.text).toContain('hello from the desktop entry');
    } finally {
      await close();
    }

    // 3. Closing stdin ends the sandbox.
    await eventually(() => containers().length === 0, 10_000, 200);
    expect(containers()).toEqual([]);

    // 4. Uninstall removes the file it created.
    execFileSync(process.execPath, [BIN, 'desktop', '--uninstall'], { env, cwd: ROOT, encoding: 'utf8' });
    expect(existsSync(file)).toBe(false);
  });
});
