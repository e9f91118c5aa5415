/**
 * Client-config code against hostile or unusual input: names that are Object.prototype members,
 * a byte-order mark, dangling symlinks, and the lock that serializes concurrent writers.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildEntry } from '../../../src/clients/entries.js';
import { installEntries, readEntries, uninstallEntries } from '../../../src/clients/install.js';
import { CLIENT_FORMATS } from '../../../src/clients/paths.js';
import type { ServerEntry } from '../../../src/clients/config-file.js';
import { SandboxError } from '../../../src/errors.js';
import { withFileLock } from '../../../src/fs/lock.js';
import { lintClientText } from '../../../src/lint/client.js';

const LAUNCHER = { command: '/opt/node/bin/node', args: ['/opt/mcp-sandbox/bin/mcp-sandbox.js'] };
const desktop = CLIENT_FORMATS['claude-desktop'];
const vscode = CLIENT_FORMATS.vscode;
const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'clients-hardening-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function entry(name: string, format = desktop): ServerEntry {
  return buildEntry({ name, file: `/profiles/${name}.yaml`, secrets: [] }, format, { launcher: LAUNCHER });
}

describe('names that are Object.prototype members', () => {
  test.each(PROTO_NAMES)('"%s" installs, reads back, checks and uninstalls like any name', (name) => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{\n  "mcpServers": {\n    "other": {"command": "docker", "args": ["run", "x"]}\n  }\n}\n');
    const result = installEntries(file, desktop, new Map([[name, entry(name)]]));
    expect(result.actions).toEqual([{ name, action: 'added' }]);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`"${name}": {`);
    const names = readEntries(file, desktop).entries.map((e) => e.name);
    expect(names).toEqual(['other', name]);
    expect(installEntries(file, desktop, new Map([[name, entry(name)]])).actions).toEqual([{ name, action: 'unchanged' }]);
    expect(uninstallEntries(file, desktop, [name]).actions).toEqual([{ name, action: 'removed' }]);
    expect(readEntries(file, desktop).entries.map((e) => e.name)).toEqual(['other']);
  });

  test.each(PROTO_NAMES)('uninstalling "%s" that is not there is "absent", not a crash', (name) => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{"mcpServers": {}}\n');
    expect(uninstallEntries(file, desktop, [name]).actions).toEqual([{ name, action: 'absent' }]);
  });

  test.each(PROTO_NAMES)('lint --client sees a server named "%s" and its env', (name) => {
    // By hand: JSON.stringify of an object literal with a "__proto__" key would drop it.
    const raw = `{"mcpServers": {"${name}": {"command": "npx", "args": ["-y", "some-server"], "env": {"${name}": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}}}`;
    const findings = lintClientText('/tmp/c.json', raw).findings;
    const unsandboxed = findings.filter((f) => f.rule === 'MS110');
    expect(unsandboxed).toHaveLength(1);
    expect(unsandboxed[0]?.message).toContain(`server "${name}"`);
    expect(findings.some((f) => f.rule === 'MS601' && f.message.includes('GitHub token'))).toBe(true);
  });
});

describe('a UTF-8 byte-order mark (VS Code accepts one)', () => {
  const original = '\uFEFF{\n  // mine\n  "servers": {\n    "a": {"type": "stdio", "command": "docker", "args": ["run", "x"]},\n  }\n}\n';

  test('install accepts it and keeps it; uninstall gives back the original bytes', () => {
    const file = path.join(dir, 'mcp.json');
    writeFileSync(file, original);
    installEntries(file, vscode, new Map([['mine', entry('mine', vscode)]]));
    const installed = readFileSync(file, 'utf8');
    expect(installed.startsWith('\uFEFF{')).toBe(true);
    expect(installed).toContain('"mine": {');
    uninstallEntries(file, vscode, ['mine']);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  test('lint reads it, with positions as an editor shows them', () => {
    const report = lintClientText('/x/.vscode/mcp.json', '\uFEFF{"servers": {\n"s": {"command": "node", "args": ["server.js"]}}}', { client: 'vscode' });
    expect(report.findings.find((f) => f.rule === 'MS110')).toMatchObject({ line: 2, column: 18 });
    expect(report.findings.some((f) => f.rule === 'MS000')).toBe(false);
  });
});

describe('a symlinked config that dangles', () => {
  test('is written through to where it points; the link stays a link', () => {
    mkdirSync(path.join(dir, 'dotfiles'));
    const target = path.join(dir, 'dotfiles', 'claude.json');
    const link = path.join(dir, 'config.json');
    symlinkSync(target, link);
    const result = installEntries(link, desktop, new Map([['a', entry('a')]]));
    expect(result.file).toBe(target);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(JSON.parse(readFileSync(target, 'utf8')).mcpServers.a.command).toBe(LAUNCHER.command);
  });

  test('whose directory does not exist is refused clearly, the link untouched', () => {
    const link = path.join(dir, 'config.json');
    symlinkSync(path.join(dir, 'gone', 'claude.json'), link);
    let error: unknown;
    try {
      installEntries(link, desktop, new Map([['a', entry('a')]]));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('CONFIG_CONFLICT');
    expect((error as SandboxError).message).toMatch(/is a symlink to .*gone\/claude\.json, whose directory does not exist/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(existsSync(path.join(dir, 'gone'))).toBe(false);
  });
});

describe('the file lock', () => {
  test('a lock left by a dead process is broken; the new holder runs and releases it', () => {
    const file = path.join(dir, 'config.json');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${file}.lock`, `${dead.stdout} ${hostname()} deadbeef`);
    expect(withFileLock(file, () => existsSync(`${file}.lock`), { timeoutMs: 2000 })).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test('an old lock is stale whatever its pid says', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(`${file}.lock`, `${process.pid} other-host cafe`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    expect(withFileLock(file, () => 42, { timeoutMs: 2000 })).toBe(42);
  });

  test('a live holder makes the waiter give up after the timeout, naming the lock; the lock stays', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(`${file}.lock`, `${process.pid} ${hostname()} someone-else`);
    const started = Date.now();
    expect(() => withFileLock(file, () => 1, { timeoutMs: 200 })).toThrow(/config\.json\.lock is held by another mcp-sandbox/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(`${process.pid} ${hostname()} someone-else`);
  });

  test('released when the critical section throws', () => {
    const file = path.join(dir, 'config.json');
    expect(() => withFileLock(file, () => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('realpathLongestPrefix (what MS301 and the run refusal resolve with)', () => {
  test('links on the way, dangling links, loops, missing tails, relative targets', async () => {
    const { realpathLongestPrefix } = await import('../../../src/fs/realpath.js');
    const { realpathSync } = await import('node:fs');
    const d = realpathSync(dir);
    mkdirSync(path.join(d, 'real'));
    symlinkSync(path.join(d, 'real'), path.join(d, 'link'));
    symlinkSync('real/x/y', path.join(d, 'dangling'));
    symlinkSync('loop', path.join(d, 'loop'));
    symlinkSync('../real', path.join(d, 'real', 'up'));
    const short = (p: string): string => realpathLongestPrefix(p).replace(d, 'D');
    expect(short(path.join(d, 'link/a/b'))).toBe('D/real/a/b');
    expect(short(path.join(d, 'dangling/z'))).toBe('D/real/x/y/z');
    expect(short(path.join(d, 'loop/q'))).toBe('D/loop/q');
    expect(short(path.join(d, 'real/up/up/k'))).toBe('D/real/k');
    expect(realpathLongestPrefix('/nonexistent-h3/x')).toBe('/nonexistent-h3/x');
    expect(realpathLongestPrefix('/')).toBe('/');
  });
});
