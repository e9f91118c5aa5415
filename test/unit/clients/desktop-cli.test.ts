/** `mcp-sandbox desktop` driven in-process, with a temporary HOME per test. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT_CODES } from '../../../src/errors.js';
import { runMain, type MainResult } from '../helpers/main.js';
import { RUN_NODE_FLAGS } from '../../../src/clients/launcher.js';

const FIXTURES = path.resolve('test/fixtures/desktop');
const EVERYTHING = path.join(FIXTURES, 'everything-test.yaml');
const SECRETS = path.join(FIXTURES, 'with-secrets.yaml');
const BIN = path.resolve('bin/mcp-sandbox.js');

let home: string;
let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'desktop-home-'));
  saved = { ...process.env };
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = path.join(home, '.config');
  process.exitCode = undefined;
});
afterEach(() => {
  process.env = saved;
  process.exitCode = undefined;
  rmSync(home, { recursive: true, force: true });
});

const cli = (...args: string[]): Promise<MainResult> => runMain(['desktop', ...args]);

const claudeConfig = (): string => path.join(home, '.config', 'Claude', 'claude_desktop_config.json');

test('prints the Claude Desktop snippet with absolute paths, 2-space indent', async () => {
  const { code, stdout } = await cli(EVERYTHING);
  expect(code).toBe(0);
  expect(stdout).toBe(
    `${JSON.stringify({ mcpServers: { 'everything-test': { command: process.execPath, args: [...RUN_NODE_FLAGS, BIN, 'run', EVERYTHING] } } }, null, 2)}\n`,
  );
  expect(existsSync(claudeConfig())).toBe(false);
});

test('several profiles, VS Code format, npx', async () => {
  const { code, stdout } = await cli(EVERYTHING, SECRETS, '--client', 'vscode', '--npx', '--env-placeholders');
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({
    servers: {
      'everything-test': { type: 'stdio', command: 'npx', args: ['-y', 'mcp-sandbox', 'run', EVERYTHING] },
      'with-secrets': { type: 'stdio', command: 'npx', args: ['-y', 'mcp-sandbox', 'run', SECRETS], env: { API_TOKEN: '', OTHER_KEY: '' } },
    },
  });
});

test('secret values from the environment are never written', async () => {
  process.env.API_TOKEN = 'hunter2-value';
  const { stdout, stderr } = await cli(SECRETS);
  expect(stdout).not.toContain('hunter2');
  expect(stdout).not.toContain('API_TOKEN');
  expect(stderr).toMatch(/with-secrets declares secrets API_TOKEN, OTHER_KEY; no values are written/);
  await cli(SECRETS, '--install', '--env-placeholders');
  expect(readFileSync(claudeConfig(), 'utf8')).not.toContain('hunter2');
});

test('install into the platform path, check, uninstall: round trip deletes the created file', async () => {
  const install = await cli(EVERYTHING, '--install');
  expect(install.code).toBe(0);
  expect(install.stdout).toMatch(/^added +everything-test in .*claude_desktop_config\.json$/m);
  expect(install.stdout).toMatch(/restart Claude Desktop/);
  const check = await cli('--check');
  expect(check).toMatchObject({ code: 0, stdout: 'ok       everything-test\n' });
  expect((await cli(EVERYTHING, '--check')).code).toBe(0);
  const again = await cli(EVERYTHING, '--install');
  expect(again.stdout).toMatch(/^unchanged +everything-test/m);
  expect(readdirSync(path.dirname(claudeConfig()))).toEqual(['claude_desktop_config.json']);
  const uninstall = await cli('--uninstall');
  expect(uninstall.code).toBe(0);
  expect(existsSync(claudeConfig())).toBe(false);
});

test('install then uninstall of an existing config restores its bytes; backups are listed', async () => {
  const file = path.join(home, 'cfg.json');
  const original = '{\n  "mcpServers": {\n    "fetch": { "command": "uvx", "args": ["mcp-server-fetch"] }\n  }\n}\n';
  writeFileSync(file, original);
  const install = await cli(EVERYTHING, SECRETS, '--install', '--config-path', file);
  expect(install.stdout).toMatch(/^backup +.*cfg\.json\.bak-\d{8}T\d{6}Z$/m);
  expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).mcpServers)).toEqual(['fetch', 'everything-test', 'with-secrets']);
  const uninstall = await cli(EVERYTHING, SECRETS, '--uninstall', '--config-path', file);
  expect(uninstall.code).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe(original);
});

test('check reports drift one line per entry and exits CONFIG_CONFLICT', async () => {
  const file = path.join(home, 'cfg.json');
  await cli(EVERYTHING, SECRETS, '--install', '--config-path', file);
  const data = JSON.parse(readFileSync(file, 'utf8'));
  data.mcpServers['everything-test'].command = '/old/node';
  data.mcpServers.gone = { command: process.execPath, args: [BIN, 'run', path.join(home, 'deleted.yaml')] };
  writeFileSync(file, JSON.stringify(data, null, 2));

  const all = await cli('--check', '--config-path', file);
  expect(all.code).toBe(EXIT_CODES.CONFIG_CONFLICT);
  expect(all.stdout.split('\n').filter(Boolean)).toEqual([
    `differs  everything-test: command is "/old/node", expected ${JSON.stringify(process.execPath)}`,
    'ok       with-secrets',
    `broken   gone: profile ${path.join(home, 'deleted.yaml')} does not exist`,
  ]);
  expect(all.stderr).toMatch(/2 of 3 entries drifted/);

  const named = await cli(EVERYTHING, '--check', '--config-path', file);
  expect(named.code).toBe(EXIT_CODES.CONFIG_CONFLICT);
  expect(named.stdout).toMatch(/^differs +everything-test/m);
  expect(named.stdout).toMatch(/^extra +with-secrets: /m);
  expect(named.stdout).toMatch(/^extra +gone: /m);

  const missing = await cli(EVERYTHING, '--check', '--client', 'cursor');
  expect(missing).toMatchObject({ code: EXIT_CODES.CONFIG_CONFLICT, stdout: 'missing  everything-test\n' });
});

test('a foreign entry of the same name is refused with file:line:col; --force replaces it', async () => {
  const file = path.join(home, '.cursor', 'mcp.json');
  mkdirSync(path.dirname(file));
  const original = '{\n  "mcpServers": {\n    "everything-test": {"command": "npx", "args": ["@modelcontextprotocol/server-everything"]}\n  }\n}\n';
  writeFileSync(file, original);
  const refused = await cli(EVERYTHING, '--install', '--client', 'cursor');
  expect(refused.code).toBe(EXIT_CODES.CONFIG_CONFLICT);
  expect(refused.stderr).toMatch(/mcp\.json:3:5: "everything-test" already exists and was not written by mcp-sandbox; nothing changed \(.*--force/);
  expect(readFileSync(file, 'utf8')).toBe(original);
  expect(readdirSync(path.dirname(file))).toEqual(['mcp.json']);
  expect((await cli(EVERYTHING, '--uninstall', '--client', 'cursor')).code).toBe(EXIT_CODES.CONFIG_CONFLICT);
  expect(readFileSync(file, 'utf8')).toBe(original);
  const forced = await cli(EVERYTHING, '--install', '--client', 'cursor', '--force');
  expect(forced.code).toBe(0);
  expect(JSON.parse(readFileSync(file, 'utf8')).mcpServers['everything-test'].args).toEqual([...RUN_NODE_FLAGS, BIN, 'run', EVERYTHING]);
});

test('a malformed config is left byte-identical and the error names file:line:col', async () => {
  const file = path.join(home, 'cfg.json');
  const original = '{\n  "mcpServers": {\n    "a": {"command": "x"},\n  }\n}\n';
  writeFileSync(file, original);
  for (const mode of ['--install', '--uninstall', '--check']) {
    const result = await cli(EVERYTHING, mode, '--config-path', file);
    expect(result.code).toBe(EXIT_CODES.CONFIG_CONFLICT);
    expect(result.stderr).toContain(`${file}:4:3: invalid JSON: expected a property name in double quotes`);
  }
  expect(readFileSync(file, 'utf8')).toBe(original);
  expect(readdirSync(home)).toEqual(['cfg.json']);
});

test('usage errors: no profile, an invalid profile, conflicting modes', async () => {
  expect((await cli()).code).toBe(EXIT_CODES.USAGE);
  expect((await cli(path.join(home, 'nope.yaml'))).code).toBe(EXIT_CODES.PROFILE_NOT_FOUND);
  const bad = path.join(home, 'bad.yaml');
  writeFileSync(bad, 'version: 1\nname: bad\n');
  expect((await cli(bad, '--install')).code).toBe(EXIT_CODES.PROFILE_INVALID);
  expect(existsSync(claudeConfig())).toBe(false);
  expect((await cli(EVERYTHING, '--install', '--check')).code).toBe(EXIT_CODES.USAGE);
});

test('uninstall by entry name works after the profile file is gone', async () => {
  const file = path.join(home, 'cfg.json');
  writeFileSync(file, '{"mcpServers": {}}');
  const profile = path.join(home, 'tmp-profile.yaml');
  writeFileSync(profile, readFileSync(EVERYTHING, 'utf8').replace('name: everything-test', 'name: short-lived'));
  await cli(profile, '--install', '--config-path', file);
  rmSync(profile);
  expect((await cli('short-lived', '--uninstall', '--config-path', file)).code).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe('{"mcpServers": {}}');
});

describe('the entries desktop --install writes lint clean with lint --client', () => {
  test.each(['claude-desktop', 'claude-code', 'cursor', 'vscode'])('%s', async (client) => {
    const config = path.join(home, 'work', `${client}.json`);
    expect((await cli(EVERYTHING, SECRETS, '--install', '--client', client, '--config-path', config, '--env-placeholders')).code).toBe(0);
    const lint = await runMain(['lint', '--client', client, '--format', 'json', config]);
    const findings = (JSON.parse(lint.stdout) as { files: Array<{ findings: Array<{ rule: string }> }> }).files[0]?.findings;
    expect(findings).toEqual([]);
    expect(lint.code).toBe(0);
  });

  test('with --npx too', async () => {
    const config = path.join(home, 'work', 'npx.json');
    expect((await cli(EVERYTHING, '--install', '--npx', '--config-path', config)).code).toBe(0);
    const lint = await runMain(['lint', '--client', 'claude-desktop', config]);
    expect(lint.stdout).toMatch(/✔ no problems/);
    expect(lint.code).toBe(0);
  });
});
