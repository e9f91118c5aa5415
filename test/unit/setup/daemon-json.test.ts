/**
 * The one daemon.json merger: our runtimes in, every other byte kept, idempotent, and a file
 * it cannot use refused with its location and without its content.
 */
import { mergeRuntimes, wantedEntry, withNetworkArg, type WantedRuntimes } from '../../../src/setup/daemon-json.js';
import { SandboxError, formatError } from '../../../src/errors.js';

const FILE = '/etc/docker/daemon.json';
const QUIRK: WantedRuntimes = { runsc: { path: '/usr/bin/runsc', network: 'none' }, 'runsc-net': { path: '/usr/bin/runsc', network: 'host' } };
const DEFAULT: WantedRuntimes = { runsc: { path: '/usr/local/bin/runsc', network: undefined }, 'runsc-net': { path: '/usr/local/bin/runsc', network: 'sandbox' } };

function thrown(fn: () => unknown): SandboxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error('expected a SandboxError');
}

describe('mergeRuntimes', () => {
  it('creates the file from nothing with both quirk runtimes', () => {
    const result = mergeRuntimes(FILE, '', QUIRK);
    expect(result.changed).toBe(true);
    expect(result.touched).toEqual(['runsc', 'runsc-net']);
    expect(JSON.parse(result.text)).toEqual({
      runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] }, 'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] } },
    });
    expect(result.text.endsWith('\n')).toBe(true);
  });

  it('is idempotent: a second merge returns the same bytes, unchanged', () => {
    const first = mergeRuntimes(FILE, '', QUIRK).text;
    const second = mergeRuntimes(FILE, first, QUIRK);
    expect(second.changed).toBe(false);
    expect(second.touched).toEqual([]);
    expect(second.text).toBe(first);
  });

  it('keeps foreign keys, their order and layout byte for byte, and other runtimes', () => {
    const original = '{\n    "log-level": "warn",\n    "labels": ["a=1"],\n    "runtimes": {\n        "kata": {"path": "/opt/kata/bin/kata-runtime"}\n    },\n    "features": { "buildkit": true }\n}\n';
    const result = mergeRuntimes(FILE, original, QUIRK);
    const data = JSON.parse(result.text) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['log-level', 'labels', 'runtimes', 'features']);
    expect(data.runtimes).toEqual({
      kata: { path: '/opt/kata/bin/kata-runtime' },
      runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] },
      'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] },
    });
    // Everything before the insertion point and after the runtimes object is untouched.
    expect(result.text.startsWith('{\n    "log-level": "warn",\n    "labels": ["a=1"],\n    "runtimes": {\n        "kata": {"path": "/opt/kata/bin/kata-runtime"},\n        "runsc": {')).toBe(true);
    expect(result.text.endsWith('    },\n    "features": { "buildkit": true }\n}\n')).toBe(true);
    expect(mergeRuntimes(FILE, result.text, QUIRK).changed).toBe(false);
  });

  it('updates an existing runsc entry in place, keeping its other arguments and keys', () => {
    const original = '{"runtimes": {"runsc": {"path": "/old/runsc", "runtimeArgs": ["--debug", "--network=sandbox", "--debug-log=/tmp/"], "note": "mine"}}}';
    const result = mergeRuntimes(FILE, original, QUIRK);
    const runtimes = (JSON.parse(result.text) as { runtimes: Record<string, unknown> }).runtimes;
    expect(runtimes.runsc).toEqual({ path: '/usr/bin/runsc', runtimeArgs: ['--debug', '--network=none', '--debug-log=/tmp/'], note: 'mine' });
    expect(result.touched).toEqual(['runsc', 'runsc-net']);
  });

  it('without the quirk registers runsc with its defaults and runsc-net with --network=sandbox', () => {
    const result = mergeRuntimes(FILE, '{}\n', DEFAULT);
    expect(JSON.parse(result.text)).toEqual({
      runtimes: { runsc: { path: '/usr/local/bin/runsc' }, 'runsc-net': { path: '/usr/local/bin/runsc', runtimeArgs: ['--network=sandbox'] } },
    });
  });

  it('refuses invalid JSON with file, line and column, and never echoes the content', () => {
    const secretish = '{\n  "registry-mirrors": ["https://user:hunter2@mirror.example"],\n  "debug": true,\n}\n';
    const error = thrown(() => mergeRuntimes(FILE, secretish, QUIRK));
    expect(error.code).toBe('CONFIG_CONFLICT');
    expect(error.location).toEqual({ file: FILE, line: 4, column: 1 });
    expect(formatError(error)).not.toContain('hunter2');
    expect(formatError(error)).toMatch(/never rewrites/);
  });

  it('refuses comments (dockerd reads plain JSON), a non-object top level and a non-object runtimes', () => {
    expect(thrown(() => mergeRuntimes(FILE, '{ // mine\n}', QUIRK)).location).toEqual({ file: FILE, line: 1, column: 3 });
    expect(thrown(() => mergeRuntimes(FILE, '[1]', QUIRK)).message).toMatch(/JSON object/);
    expect(thrown(() => mergeRuntimes(FILE, '{\n  "runtimes": []\n}', QUIRK)).location).toEqual({ file: FILE, line: 2, column: 15 });
  });
});

describe('withNetworkArg / wantedEntry', () => {
  it('replaces the first network argument in place, drops the others and their values', () => {
    expect(withNetworkArg(['--a', '--network', 'host', '-network=none', '--b'], 'none')).toEqual(['--a', '--network=none', '--b']);
    expect(withNetworkArg(['--a'], 'host')).toEqual(['--a', '--network=host']);
    expect(withNetworkArg(['--network=none', '--a'], undefined)).toEqual(['--a']);
  });

  it('omits runtimeArgs when there are none and there were none', () => {
    expect(wantedEntry(undefined, { path: '/r', network: undefined })).toEqual({ path: '/r' });
    expect(wantedEntry({ path: '/r', runtimeArgs: ['--network=none'] }, { path: '/r', network: undefined })).toEqual({ path: '/r', runtimeArgs: [] });
  });
});
