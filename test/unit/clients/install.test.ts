import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { SandboxError } from '../../../src/errors.js';
import { buildEntry, type ProfileRef } from '../../../src/clients/entries.js';
import { checkEntries, installEntries, uninstallEntries, backups } from '../../../src/clients/install.js';
import { writeFileAtomic } from '../../../src/fs/atomic-write.js';
import { CLIENT_FORMATS, type ClientId } from '../../../src/clients/paths.js';
import type { ServerEntry } from '../../../src/clients/config-file.js';

const LAUNCHER = { command: '/opt/node/bin/node', args: ['/opt/mcp-sandbox/bin/mcp-sandbox.js'] };
const desktop = CLIENT_FORMATS['claude-desktop'];
const vscode = CLIENT_FORMATS.vscode;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'desktop-install-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ref(name: string, secrets: string[] = []): ProfileRef {
  return { name, file: `/profiles/${name}.yaml`, secrets };
}
function entriesFor(client: ClientId, ...names: string[]): Record<string, ServerEntry> {
  return Object.fromEntries(names.map((n) => [n, buildEntry(ref(n), CLIENT_FORMATS[client], { launcher: LAUNCHER })]));
}
function files(): string[] {
  return readdirSync(dir).sort();
}
function conflict(fn: () => unknown): SandboxError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('CONFIG_CONFLICT');
    return error as SandboxError;
  }
  throw new Error('expected a CONFIG_CONFLICT');
}

const FOREIGN = '{"command": "uvx", "args": ["mcp-server-fetch"]}';

/** Existing configs in the styles people (and clients) write, for byte-exact round trips. */
const ORIGINALS: Record<string, string> = {
  'pretty, other servers': `{\n  "mcpServers": {\n    "fetch": ${FOREIGN}\n  },\n  "globalShortcut": "Ctrl+Space"\n}\n`,
  'no servers key': `{\n  "globalShortcut": "Ctrl+Space"\n}\n`,
  'empty servers': `{\n  "mcpServers": {}\n}\n`,
  'empty object': '{}',
  'empty object with newline': '{}\n',
  'one line': `{"mcpServers":{"fetch":${FOREIGN}},"theme":"dark"}`,
  'four spaces, CRLF': `{\r\n    "mcpServers": {\r\n        "fetch": {\r\n            "command": "uvx"\r\n        }\r\n    }\r\n}\r\n`,
  tabs: `{\n\t"mcpServers": {\n\t\t"a": {"command": "x"},\n\t\t"b": {"command": "y"}\n\t}\n}`,
  'no trailing newline, servers last': `{\n  "x": 1,\n  "mcpServers": {\n    "fetch": ${FOREIGN}\n  }\n}`,
  'unicode and escapes': `{\n  "name": "caf\\u00e9 ☕",\n  "mcpServers": {\n    "ß": {"command": "a\\\\b"}\n  }\n}\n`,
};

describe('install then uninstall restores the original bytes', () => {
  for (const [label, original] of Object.entries(ORIGINALS)) {
    test(label, () => {
      const file = path.join(dir, 'claude_desktop_config.json');
      writeFileSync(file, original);
      const installed = installEntries(file, desktop, entriesFor('claude-desktop', 'alpha', 'beta'));
      expect(installed.changed).toBe(true);
      const after = readFileSync(file, 'utf8');
      const data = JSON.parse(after) as { mcpServers: Record<string, ServerEntry> };
      expect(Object.keys(data.mcpServers)).toEqual(expect.arrayContaining(['alpha', 'beta']));
      // Everything that was there is still there.
      const before = JSON.parse(original) as Record<string, unknown>;
      for (const [key, value] of Object.entries(before)) {
        if (key !== 'mcpServers') expect((data as Record<string, unknown>)[key]).toEqual(value);
      }
      for (const [name, entry] of Object.entries((before.mcpServers ?? {}) as Record<string, unknown>)) expect(data.mcpServers[name]).toEqual(entry);
      const removed = uninstallEntries(file, desktop);
      expect(removed.actions.map((a) => a.action)).toEqual(['removed', 'removed']);
      expect(readFileSync(file, 'utf8')).toBe(original);
    });
  }

  test('JSONC with comments and a trailing comma (VS Code)', () => {
    const original = `{\n  // project servers\n  "servers": {\n    "fetch": {"type": "stdio", "command": "uvx"}, // keep me\n  },\n  /* inputs */ "inputs": [],\n}\n`;
    const file = path.join(dir, 'mcp.json');
    writeFileSync(file, original);
    installEntries(file, vscode, entriesFor('vscode', 'alpha'));
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('// project servers');
    expect(after).toContain('/* inputs */');
    expect(parse(after).servers.alpha).toEqual({ type: 'stdio', command: LAUNCHER.command, args: [...LAUNCHER.args, 'run', '/profiles/alpha.yaml'] });
    uninstallEntries(file, vscode);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  test('a file that did not exist is deleted again', () => {
    const file = path.join(dir, 'Claude', 'claude_desktop_config.json');
    const result = installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'));
    expect(result.backup).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(
      `{\n  "mcpServers": {\n    "alpha": {\n      "command": "/opt/node/bin/node",\n      "args": [\n        "/opt/mcp-sandbox/bin/mcp-sandbox.js",\n        "run",\n        "/profiles/alpha.yaml"\n      ]\n    }\n  }\n}\n`,
    );
    // A second profile later (the file now exists, so a backup is taken) changes nothing.
    installEntries(file, desktop, entriesFor('claude-desktop', 'beta'));
    const removed = uninstallEntries(file, desktop);
    expect(removed.deleted).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  test('any removal order gives back the original bytes', () => {
    const names = ['alpha', 'beta', 'gamma'];
    const orders = [names, ['beta', 'alpha', 'gamma'], ['gamma', 'beta', 'alpha'], ['beta', 'gamma', 'alpha']];
    for (const original of [...Object.values(ORIGINALS), '{\n  "mcpServers": {\n    "a": {} // trailing comment\n  }\n}\n']) {
      for (const order of orders) {
        const file = path.join(dir, 'c.json');
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
        writeFileSync(file, original);
        installEntries(file, { ...desktop, jsonc: true }, entriesFor('claude-desktop', ...names));
        for (const name of order) {
          uninstallEntries(file, { ...desktop, jsonc: true }, [name]);
          expect(() => parse(readFileSync(file, 'utf8'))).not.toThrow();
        }
        expect(readFileSync(file, 'utf8')).toBe(original);
      }
    }
  });

  test('uninstall of named entries removes only those', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, ORIGINALS['pretty, other servers'] as string);
    installEntries(file, desktop, entriesFor('claude-desktop', 'alpha', 'beta'));
    uninstallEntries(file, desktop, ['alpha']);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).mcpServers)).toEqual(['fetch', 'beta']);
  });
});

describe('install', () => {
  test('is idempotent: a second install writes nothing and takes no backup', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, ORIGINALS['pretty, other servers'] as string);
    const first = installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'), { now: new Date('2026-01-02T03:04:05Z') });
    expect(first.backup).toBe(`${file}.bak-20260102T030405Z`);
    expect(readFileSync(first.backup as string, 'utf8')).toBe(ORIGINALS['pretty, other servers']);
    const bytes = readFileSync(file, 'utf8');
    const mtime = statSync(file).mtimeMs;
    const second = installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'));
    expect(second).toMatchObject({ changed: false, actions: [{ name: 'alpha', action: 'unchanged' }] });
    expect(second.backup).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(bytes);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(files()).toEqual(['c.json', 'c.json.bak-20260102T030405Z']);
  });

  test('backups in the same second get distinct names', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{}');
    const now = new Date('2026-01-02T03:04:05Z');
    installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'), { now });
    installEntries(file, desktop, entriesFor('claude-desktop', 'beta'), { now });
    expect(files()).toEqual(['c.json', 'c.json.bak-20260102T030405Z', 'c.json.bak-20260102T030405Z-1']);
    expect(backups(file).map((b) => path.basename(b))).toEqual(['c.json.bak-20260102T030405Z', 'c.json.bak-20260102T030405Z-1']);
  });

  test('refuses a same-name entry it did not write, changing nothing; --force replaces it', () => {
    const file = path.join(dir, 'c.json');
    const original = `{\n  "mcpServers": {\n    "fetch": ${FOREIGN},\n    "alpha": {"command": "python", "args": ["alpha.py"]}\n  }\n}\n`;
    writeFileSync(file, original);
    const error = conflict(() => installEntries(file, desktop, entriesFor('claude-desktop', 'beta', 'alpha')));
    expect(error.message).toMatch(/"alpha" already exists and was not written by mcp-sandbox/);
    expect(error.location).toEqual({ file, line: 4, column: 5 });
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(files()).toEqual(['c.json']);

    const forced = installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'), { force: true });
    expect(forced.actions).toEqual([{ name: 'alpha', action: 'replaced' }]);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data.mcpServers.alpha).toEqual(entriesFor('claude-desktop', 'alpha').alpha);
    expect(data.mcpServers.fetch).toEqual(JSON.parse(FOREIGN));
    expect(readFileSync(forced.backup as string, 'utf8')).toBe(original);
  });

  test('updates its own entry in place, keeping keys and env values the user added', () => {
    const file = path.join(dir, 'c.json');
    const old = { command: '/old/node', args: ['/old/bin/mcp-sandbox.js', 'run', '/profiles/alpha.yaml'], env: { API_TOKEN: 'typed-by-user' }, disabled: false };
    writeFileSync(file, JSON.stringify({ mcpServers: { alpha: old, fetch: JSON.parse(FOREIGN) } }, null, 2));
    const wanted = { alpha: buildEntry(ref('alpha', ['API_TOKEN', 'OTHER']), desktop, { launcher: LAUNCHER, envPlaceholders: true }) };
    const result = installEntries(file, desktop, wanted);
    expect(result.actions).toEqual([{ name: 'alpha', action: 'updated' }]);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data.mcpServers.alpha).toEqual({
      command: LAUNCHER.command,
      args: [...LAUNCHER.args, 'run', '/profiles/alpha.yaml'],
      env: { API_TOKEN: 'typed-by-user', OTHER: '' },
      disabled: false,
    });
    expect(checkEntries(file, desktop, wanted, true)).toEqual([{ name: 'alpha', status: 'ok' }]);
  });

  test('VS Code entries go under "servers" with type stdio', () => {
    const file = path.join(dir, '.vscode', 'mcp.json');
    installEntries(file, vscode, entriesFor('vscode', 'alpha'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      servers: { alpha: { type: 'stdio', command: LAUNCHER.command, args: [...LAUNCHER.args, 'run', '/profiles/alpha.yaml'] } },
    });
  });

  test('writes through a symlinked config, keeping the link', () => {
    const real = path.join(dir, 'dotfiles.json');
    const link = path.join(dir, 'c.json');
    writeFileSync(real, '{}\n');
    symlinkSync(real, link);
    installEntries(link, desktop, entriesFor('claude-desktop', 'alpha'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(real, 'utf8')).mcpServers.alpha).toBeDefined();
  });

  test('keeps the mode of the original file and its backup', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, '{}\n');
    chmodSync(file, 0o600);
    const result = installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(result.backup as string).mode & 0o777).toBe(0o600);
  });

  test('leaves no temporary files behind', () => {
    const file = path.join(dir, 'c.json');
    installEntries(file, desktop, entriesFor('claude-desktop', 'alpha'));
    installEntries(file, desktop, entriesFor('claude-desktop', 'beta'));
    uninstallEntries(file, desktop, ['alpha']);
    expect(files().filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('malformed configs are never modified', () => {
  const cases: Array<[string, string, ClientId, number, number, RegExp]> = [
    ['missing comma', '{\n  "mcpServers": {\n    "a": {"command": "x"}\n    "b": {}\n  }\n}\n', 'claude-desktop', 4, 5, /expected ","/],
    ['comment in a JSON-only client', '{\n  // no\n  "mcpServers": {}\n}\n', 'claude-desktop', 2, 3, /comments are not allowed/],
    ['trailing comma in a JSON-only client', '{\n  "mcpServers": {},\n}\n', 'cursor', 3, 1, /expected a property name/],
    ['unterminated string', '{\n  "mcpServers": {\n    "a": {"command": "x\n', 'vscode', 3, 22, /unterminated string/],
    ['servers not an object', '{\n  "mcpServers": []\n}\n', 'claude-desktop', 2, 17, /"mcpServers" is not an object/],
  ];
  for (const [label, text, client, line, column, message] of cases) {
    test(label, () => {
      const file = path.join(dir, 'c.json');
      writeFileSync(file, text);
      const format = CLIENT_FORMATS[client];
      const install = conflict(() => installEntries(file, format, entriesFor(client, 'alpha')));
      expect(install.location).toEqual({ file, line, column });
      expect(install.message).toMatch(message);
      conflict(() => uninstallEntries(file, format));
      conflict(() => checkEntries(file, format, entriesFor(client, 'alpha'), true));
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(files()).toEqual(['c.json']);
    });
  }
});

describe('uninstall', () => {
  test('leaves foreign entries alone even when named, unless forced', () => {
    const file = path.join(dir, 'c.json');
    const original = `{"mcpServers": {"fetch": ${FOREIGN}}}`;
    writeFileSync(file, original);
    expect(uninstallEntries(file, desktop, ['fetch'])).toMatchObject({ changed: false, actions: [{ name: 'fetch', action: 'foreign' }] });
    expect(uninstallEntries(file, desktop)).toMatchObject({ changed: false, actions: [] });
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(uninstallEntries(file, desktop, ['fetch'], { force: true }).changed).toBe(true);
  });

  test('a missing file is nothing to do', () => {
    expect(uninstallEntries(path.join(dir, 'none.json'), desktop)).toMatchObject({ changed: false });
    expect(files()).toEqual([]);
  });
});

describe('check', () => {
  test('reports missing, differing, foreign and extra entries one line each', () => {
    const file = path.join(dir, 'c.json');
    installEntries(file, desktop, entriesFor('claude-desktop', 'alpha', 'beta', 'gamma'));
    const text = readFileSync(file, 'utf8').replace('/profiles/beta.yaml', '/elsewhere/beta.yaml');
    writeFileSync(file, text.replace('"mcpServers": {', `"mcpServers": {\n    "fetch": ${FOREIGN},`));
    const lines = checkEntries(file, desktop, entriesFor('claude-desktop', 'alpha', 'beta', 'delta', 'fetch'), true);
    expect(lines).toEqual([
      { name: 'alpha', status: 'ok' },
      { name: 'beta', status: 'differs', detail: expect.stringMatching(/^args is .*\/elsewhere\/beta\.yaml.*, expected .*\/profiles\/beta\.yaml/) },
      { name: 'delta', status: 'missing' },
      { name: 'fetch', status: 'foreign', detail: expect.any(String) },
      { name: 'gamma', status: 'extra', detail: expect.stringContaining('/profiles/gamma.yaml') },
    ]);
  });

  test('never prints secret values; only names count', () => {
    const file = path.join(dir, 'c.json');
    const entry = buildEntry(ref('alpha', ['TOKEN']), desktop, { launcher: LAUNCHER, envPlaceholders: true });
    writeFileSync(file, JSON.stringify({ mcpServers: { alpha: { ...entry, env: { OTHER: 'hunter2' } } } }));
    const lines = checkEntries(file, desktop, { alpha: entry }, true);
    expect(lines).toEqual([{ name: 'alpha', status: 'differs', detail: 'env lacks TOKEN' }]);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });
});

describe('writeFileAtomic', () => {
  test('replaces content and cleans up its temp file when the rename fails', () => {
    const target = path.join(dir, 'sub');
    mkdirSync(target); // renaming a file over a directory fails
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(files()).toEqual(['sub']);
    const file = path.join(dir, 'f.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(files()).toEqual(['f.json', 'sub']);
  });
});
