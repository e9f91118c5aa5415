import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildEntry, entryDifferences, entryProfile, isOurEntry } from '../../../src/clients/entries.js';
import { NPX_LAUNCHER, RUN_NODE_FLAGS, resolveLauncher } from '../../../src/clients/launcher.js';
import { CLIENT_FORMATS } from '../../../src/clients/paths.js';
import { SandboxError } from '../../../src/errors.js';

const LAUNCHER = { command: '/usr/local/bin/node', args: ['/usr/local/lib/node_modules/mcp-sandbox/bin/mcp-sandbox.js'] };
const PROFILE = { name: 'everything', file: '/home/u/profiles/everything.yaml', secrets: ['API_TOKEN'] };

describe('buildEntry', () => {
  test('Claude Desktop: absolute node, absolute launcher, run, absolute profile; no secret values', () => {
    expect(buildEntry(PROFILE, CLIENT_FORMATS['claude-desktop'], { launcher: LAUNCHER })).toEqual({
      command: '/usr/local/bin/node',
      args: ['/usr/local/lib/node_modules/mcp-sandbox/bin/mcp-sandbox.js', 'run', '/home/u/profiles/everything.yaml'],
    });
  });

  test('VS Code adds type stdio; placeholders are empty strings', () => {
    expect(buildEntry(PROFILE, CLIENT_FORMATS.vscode, { launcher: NPX_LAUNCHER, envPlaceholders: true })).toEqual({
      type: 'stdio',
      command: 'npx',
      args: ['-y', 'mcp-sandbox', 'run', '/home/u/profiles/everything.yaml'],
      env: { API_TOKEN: '' },
    });
  });

  test('no env key when there are no secrets', () => {
    expect(buildEntry({ ...PROFILE, secrets: [] }, CLIENT_FORMATS.cursor, { launcher: LAUNCHER, envPlaceholders: true })).not.toHaveProperty('env');
  });
});

describe('isOurEntry: the launcher followed by run', () => {
  const ours: unknown[] = [
    { command: '/usr/bin/node', args: ['/x/bin/mcp-sandbox.js', 'run', '/p.yaml'] },
    { command: 'npx', args: ['-y', 'mcp-sandbox', 'run', '/p.yaml'] },
    { command: 'npx', args: ['-y', 'mcp-sandbox@0.1.0', 'run', '/p.yaml'] },
    { command: 'mcp-sandbox', args: ['run', 'everything'] },
    { command: '/home/u/.npm-global/bin/mcp-sandbox', args: ['run', '/p.yaml'] },
    { command: 'C:\\Program Files\\nodejs\\node.exe', args: ['C:\\Users\\u\\AppData\\Roaming\\npm\\node_modules\\mcp-sandbox\\bin\\mcp-sandbox.js', 'run', 'C:\\p.yaml'] },
    { command: 'mcp-sandbox.cmd', args: ['run', 'p'] },
  ];
  const foreign: unknown[] = [
    { command: 'uvx', args: ['mcp-server-fetch'] },
    { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
    { command: 'mcp-sandbox', args: ['render', '/p.yaml'] },
    { command: 'docker', args: ['run', '--rm', '-i', 'mcp/fetch'] },
    { command: 'node', args: ['/x/not-mcp-sandbox.js', 'run'] },
    { url: 'https://example.com/mcp' },
    'string',
    null,
    [],
  ];
  test.each(ours.map((e) => [JSON.stringify(e), e]))('ours: %s', (_label, entry) => expect(isOurEntry(entry)).toBe(true));
  test.each(foreign.map((e) => [JSON.stringify(e), e]))('foreign: %s', (_label, entry) => expect(isOurEntry(entry)).toBe(false));

  test('entryProfile is the argument after run', () => {
    expect(entryProfile(ours[0])).toBe('/p.yaml');
    expect(entryProfile(ours[3])).toBe('everything');
    expect(entryProfile({ command: 'mcp-sandbox', args: ['run'] })).toBeUndefined();
    expect(entryProfile(foreign[0])).toBeUndefined();
  });
});

describe('entryDifferences', () => {
  const wanted = buildEntry(PROFILE, CLIENT_FORMATS.vscode, { launcher: LAUNCHER });
  test('only fields we write count', () => {
    expect(entryDifferences({ ...wanted, disabled: true, env: { X: 'secret' } }, wanted)).toEqual([]);
    expect(entryDifferences({ ...wanted, type: undefined }, wanted)).toEqual(['type is absent, expected "stdio"']);
    expect(entryDifferences({ ...wanted, command: '/old/node' }, wanted)).toEqual([`command is "/old/node", expected "/usr/local/bin/node"`]);
  });
});

describe('resolveLauncher', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'launcher-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakePackage(root: string, name = 'mcp-sandbox'): string {
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    mkdirSync(path.join(root, 'dist'), { recursive: true });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name }));
    writeFileSync(path.join(root, 'bin', 'mcp-sandbox.js'), '');
    writeFileSync(path.join(root, 'dist', 'cli.js'), '');
    return path.join(root, 'bin', 'mcp-sandbox.js');
  }

  test('follows the npm bin symlink to the package and uses the node executable with the run flags', () => {
    const bin = fakePackage(path.join(dir, 'lib', 'node_modules', 'mcp-sandbox'));
    mkdirSync(path.join(dir, 'bin'));
    symlinkSync(bin, path.join(dir, 'bin', 'mcp-sandbox'));
    expect(resolveLauncher({ argv1: path.join(dir, 'bin', 'mcp-sandbox'), execPath: '/opt/node/bin/node', moduleUrl: 'file:///nowhere/x.js' })).toEqual({
      command: '/opt/node/bin/node',
      args: [...RUN_NODE_FLAGS, bin],
    });
  });

  test('falls back to the package this module belongs to (tests, embedding)', () => {
    const bin = fakePackage(path.join(dir, 'pkg'));
    const moduleUrl = pathToFileURL(path.join(dir, 'pkg', 'dist', 'cli.js')).href;
    expect(resolveLauncher({ argv1: '/usr/lib/node_modules/jest/bin/jest.js', execPath: '/n', moduleUrl }).args).toEqual([...RUN_NODE_FLAGS, bin]);
  });

  test('a package of another name is not the launcher', () => {
    fakePackage(path.join(dir, 'pkg'), 'something-else');
    const moduleUrl = pathToFileURL(path.join(dir, 'pkg', 'dist', 'cli.js')).href;
    expect(() => resolveLauncher({ argv1: path.join(dir, 'pkg', 'bin', 'mcp-sandbox.js'), execPath: '/n', moduleUrl })).toThrow(SandboxError);
  });

  test('the native shim, where the build made it: the entry starts it with `run`, still recognised as ours; MCP_SANDBOX_LAUNCHER=node keeps node', () => {
    const bin = fakePackage(path.join(dir, 'pkg'));
    const shim = path.join(dir, 'pkg', 'dist', 'native', 'mcp-sandbox');
    mkdirSync(path.dirname(shim));
    writeFileSync(shim, '', { mode: 0o755 });
    const launcher = resolveLauncher({ argv1: bin, execPath: '/n', env: {} });
    expect(launcher).toEqual({ command: shim, args: [] });
    const entry = buildEntry(PROFILE, CLIENT_FORMATS['claude-desktop'], { launcher });
    expect(entry).toEqual({ command: shim, args: ['run', PROFILE.file] });
    expect(isOurEntry(entry)).toBe(true);
    expect(entryProfile(entry)).toBe(PROFILE.file);
    expect(resolveLauncher({ argv1: bin, execPath: '/n', env: { MCP_SANDBOX_LAUNCHER: 'node' } })).toEqual({ command: '/n', args: [...RUN_NODE_FLAGS, bin] });
    // Not executable: not used.
    chmodSync(shim, 0o644);
    expect(resolveLauncher({ argv1: bin, execPath: '/n', env: {} })).toEqual({ command: '/n', args: [...RUN_NODE_FLAGS, bin] });
  });

  test('in this repository: node and bin/mcp-sandbox.js', () => {
    const launcher = resolveLauncher();
    expect(launcher.command).toBe(process.execPath);
    expect(launcher.args).toEqual([...RUN_NODE_FLAGS, path.resolve('bin/mcp-sandbox.js')]);
  });

  test('an entry written before the run flags is ours, and drifted: desktop --check reports it, --install rewrites it', () => {
    const bin = '/usr/local/lib/node_modules/mcp-sandbox/bin/mcp-sandbox.js';
    const wanted = buildEntry(PROFILE, CLIENT_FORMATS['claude-desktop'], { launcher: { command: '/usr/local/bin/node', args: [...RUN_NODE_FLAGS, bin] } });
    const old = { command: '/usr/local/bin/node', args: [bin, 'run', PROFILE.file] };
    expect(isOurEntry(wanted)).toBe(true);
    expect(entryProfile(wanted)).toBe(PROFILE.file);
    expect(isOurEntry(old)).toBe(true);
    expect(entryDifferences(old, wanted)).toEqual([expect.stringMatching(/^args is .*expected .*--lite-mode/)]);
  });

  test('the run flags start node: lite mode, no WebAssembly, and no warning on stderr', () => {
    const r = spawnSync(process.execPath, [...RUN_NODE_FLAGS, '-p', 'typeof WebAssembly'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('undefined');
    expect(r.stderr).toBe('');
  });
});
