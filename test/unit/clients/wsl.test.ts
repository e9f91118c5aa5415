/**
 * The WSL entry for Claude Desktop on Windows: `wsl.exe -d <distro> -- <node> <launcher> run
 * <profile>`, paths in the distribution; recognized as ours; written where Windows' Claude
 * reads it. Nothing here runs Windows: the entries are checked as data (see docs/install.md).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildEntry, entryProfile, isOurEntry } from '../../../src/clients/entries.js';
import { CLIENT_FORMATS } from '../../../src/clients/paths.js';
import { assertInsideDistro, throughWsl, windowsClientConfigPath, wslLauncher } from '../../../src/clients/wsl.js';
import { runMain } from '../helpers/main.js';
import { RUN_NODE_FLAGS } from '../../../src/clients/launcher.js';

const PROFILE = { name: 'everything-test', file: '/home/alice/profiles/everything.yaml', secrets: [] };
const LAUNCHER = { command: '/home/alice/.nvm/versions/node/v22.11.0/bin/node', args: ['/home/alice/.npm-global/lib/node_modules/mcp-sandbox/bin/mcp-sandbox.js'] };

describe('wslLauncher / buildEntry', () => {
  it('writes wsl.exe -d <distro> -- <node> <launcher> run <profile>, every path the distribution\'s', () => {
    const entry = buildEntry(PROFILE, CLIENT_FORMATS['claude-desktop'], { launcher: wslLauncher('Ubuntu-24.04', LAUNCHER) });
    expect(entry).toEqual({
      command: 'wsl.exe',
      args: ['-d', 'Ubuntu-24.04', '--', LAUNCHER.command, LAUNCHER.args[0], 'run', '/home/alice/profiles/everything.yaml'],
    });
    expect(isOurEntry(entry)).toBe(true);
    expect(entryProfile(entry)).toBe('/home/alice/profiles/everything.yaml');
  });

  it('with --npx: wsl.exe -d <distro> -- npx -y mcp-sandbox run <profile>', () => {
    const entry = buildEntry(PROFILE, CLIENT_FORMATS['claude-desktop'], { launcher: throughWsl('Debian', { command: 'npx', args: ['-y', 'mcp-sandbox'] }) });
    expect(entry.args).toEqual(['-d', 'Debian', '--', 'npx', '-y', 'mcp-sandbox', 'run', PROFILE.file]);
    expect(isOurEntry(entry)).toBe(true);
  });

  it('without a distribution the launcher is unchanged', () => {
    expect(throughWsl(undefined, LAUNCHER)).toBe(LAUNCHER);
  });

  it('refuses a distribution name wsl.exe would not take, or that would split into arguments', () => {
    expect(() => wslLauncher('Ubuntu 22.04', LAUNCHER)).toThrow(/not a WSL distribution name/);
    expect(() => wslLauncher('-u', LAUNCHER)).toThrow(/not a WSL distribution name/);
  });
});

describe('assertInsideDistro', () => {
  it('passes inside the named distribution', () => {
    expect(() => assertInsideDistro('Ubuntu', { WSL_DISTRO_NAME: 'Ubuntu' }, '5.15.167.4-microsoft-standard-WSL2')).not.toThrow();
  });
  it('refuses outside WSL and inside another distribution', () => {
    expect(() => assertInsideDistro('Ubuntu', {}, '6.18.44-fc-v1045')).toThrow(/this is not a WSL distribution/);
    expect(() => assertInsideDistro('Ubuntu', { WSL_DISTRO_NAME: 'Debian' }, '5.15.167.4-microsoft-standard-WSL2')).toThrow(/this is the distribution Debian/);
  });
});

describe('windowsClientConfigPath', () => {
  it('asks cmd.exe for %APPDATA% and converts it with wslpath', () => {
    const calls: string[][] = [];
    const run = (file: string, args: string[]): string => {
      calls.push([file, ...args]);
      return file === 'cmd.exe' ? 'C:\\Users\\alice\\AppData\\Roaming\r\n' : '/mnt/c/Users/alice/AppData/Roaming\n';
    };
    expect(windowsClientConfigPath('claude-desktop', run)).toBe('/mnt/c/Users/alice/AppData/Roaming/Claude/claude_desktop_config.json');
    expect(calls).toEqual([
      ['cmd.exe', '/c', 'echo %APPDATA%'],
      ['wslpath', '-u', 'C:\\Users\\alice\\AppData\\Roaming'],
    ]);
  });
  it('says to pass --config-path when Windows cannot be asked', () => {
    const run = (): string => {
      throw new Error('spawn cmd.exe ENOENT');
    };
    expect(() => windowsClientConfigPath('claude-desktop', run)).toThrow(/cannot find the Windows %APPDATA% folder.*ENOENT/);
  });
});

describe('desktop --wsl (the CLI)', () => {
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = { ...process.env };
    process.exitCode = undefined;
  });
  afterEach(() => {
    process.env = saved;
    process.exitCode = undefined;
  });

  it('inside the distribution: installs the wsl.exe entry into the given Windows config file', async () => {
    process.env.WSL_DISTRO_NAME = 'Ubuntu';
    const dir = mkdtempSync(path.join(tmpdir(), 'desktop-wsl-'));
    const config = path.join(dir, 'claude_desktop_config.json');
    const profile = path.resolve('test/fixtures/desktop/everything-test.yaml');
    const { code } = await runMain(['desktop', '--wsl', 'Ubuntu', '--install', '--config-path', config, profile]);
    expect(code).toBe(0);
    const written = JSON.parse(readFileSync(config, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> };
    expect(written.mcpServers['everything-test']).toEqual({ command: 'wsl.exe', args: ['-d', 'Ubuntu', '--', process.execPath, ...RUN_NODE_FLAGS, path.resolve('bin/mcp-sandbox.js'), 'run', profile] });
    const check = await runMain(['desktop', '--wsl', 'Ubuntu', '--check', '--config-path', config]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^ok +everything-test/m);
    rmSync(dir, { recursive: true, force: true });
  });

  it('outside WSL: one line, exit 2, nothing written', async () => {
    delete process.env.WSL_DISTRO_NAME;
    const { code, stderr } = await runMain(['desktop', '--wsl', 'Ubuntu', path.resolve('test/fixtures/desktop/everything-test.yaml')]);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--wsl Ubuntu: this is not a WSL distribution/);
  });
});
