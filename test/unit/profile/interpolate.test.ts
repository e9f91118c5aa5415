/**
 * `${VAR}` in host paths (src/profile/interpolate.ts): the Compose/POSIX forms, nested
 * defaults evaluated only when used, `$$`, and positioned errors for malformed text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatError } from '../../../src/errors.js';
import { InterpolationError, interpolate } from '../../../src/profile/interpolate.js';
import { loadProfile } from '../../../src/profile/load.js';

const env = { SET: 'val', EMPTY: '', OTHER: 'other' };

describe('forms', () => {
  test.each([
    ['/a/${SET}/b', '/a/val/b'],
    ['/a/$SET/b', '/a/val/b'],
    ['${SET:-d}', 'val'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${UNSET-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${SET+alt}', 'alt'],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${SET:?need it}', 'val'],
    ['${EMPTY?need it}', ''],
    ['${UNSET:-${OTHER}}', 'other'],
    ['${UNSET:-${ALSO_UNSET:-deep}/x}', 'deep/x'],
    ['${SET:-${UNSET}}', 'val'],
    ['${SET:-${UNSET:?never evaluated}}', 'val'],
    ['${UNSET:-~/work, space}', '~/work, space'],
    ['cost$$5/${SET}', 'cost$5/val'],
    ['$$SET', '$SET'],
    ['${UNSET:-}', ''],
    ['/plain/path', '/plain/path'],
    ['/a/b}', '/a/b}'],
  ])('%s -> %s', (text, expected) => {
    expect(interpolate(text, env)).toBe(expected);
  });

  test('a variable named like an Object.prototype member is just unset', () => {
    expect(interpolate('${toString:-d}', {})).toBe('d');
    expect(() => interpolate('${constructor}', {})).toThrow('environment variable constructor is not set');
  });
});

describe('errors carry the offset', () => {
  test.each([
    ['/x/${UNSET}', 'environment variable UNSET is not set', 3],
    ['/x/$UNSET', 'environment variable UNSET is not set', 3],
    ['${EMPTY}', 'environment variable EMPTY is not set', 0],
    ['${UNSET:?set it first}', 'environment variable UNSET is not set: set it first', 0],
    ['${EMPTY:?}', 'environment variable EMPTY is not set', 0],
    ['/a/${SET', '"${" is never closed with "}"', 3],
    ['${UNSET:-${OTHER}', '"${" is never closed with "}"', 0],
    ['${1X}', '"${" must be followed by a variable name (letters, digits, _)', 0],
    ['${}', '"${" must be followed by a variable name (letters, digits, _)', 0],
    ['${SET:x}', 'unknown operator in ${SET…}: expected }, :-, -, :+, +, :? or ?', 6],
    ['${SET=x}', 'unknown operator in ${SET…}: expected }, :-, -, :+, +, :? or ?', 5],
    ['/a/$/b', 'a "$" must start $NAME or ${NAME}; write $$ for a literal $', 3],
  ])('%s', (text, message, offset) => {
    let caught: unknown;
    try {
      interpolate(text, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InterpolationError);
    expect((caught as InterpolationError).message).toBe(message);
    expect((caught as InterpolationError).offset).toBe(offset);
  });
});

describe('in a profile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-interp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const profile = (source: string): string => {
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, `version: 1\nname: t\nimage: busybox:1\nfilesystem:\n  mounts:\n    - source: '${source}'\n      target: /data\n`);
    return file;
  };
  const failure = (file: string, vars: NodeJS.ProcessEnv): string => {
    try {
      loadProfile(file, { env: vars, home: '/home/u' });
    } catch (error) {
      return formatError(error);
    }
    return 'loaded';
  };

  test('mount sources use every form; a default may start with ~', () => {
    const load = (source: string, vars: NodeJS.ProcessEnv): string => loadProfile(profile(source), { env: vars, home: '/home/u' }).profile.filesystem.mounts[0]?.source as string;
    expect(load('${A:-${B}}', { B: '/from-b' })).toBe('/from-b');
    expect(load('${A:+/alt}', { A: 'x' })).toBe('/alt');
    expect(load('${A-/dflt}', {})).toBe('/dflt');
    expect(load('${A:-~/work}', {})).toBe('/home/u/work');
    expect(load('/srv/$A/data', { A: 'one' })).toBe('/srv/one/data');
    expect(load('/srv/a$$b', {})).toBe('/srv/a$b');
  });

  test('malformed text is a positioned error naming the character', () => {
    expect(failure(profile('${A:-${B}'), { B: 'x' })).toBe(
      `${path.join(dir, 'p.yaml')}:6:15: "\${A:-\${B}" at character 1: "\${" is never closed with "}" (supported: $$, $V, \${V}, \${V:-default}, \${V-default}, \${V:+alt}, \${V+alt}, \${V:?message}, \${V?message})`,
    );
    expect(failure(profile('${A:?the data directory}'), {})).toMatch(/p\.yaml:6:15: environment variable A in "\$\{A:\?the data directory\}" is not set: the data directory \(set A, or write \$\{A:-default\}\)$/);
  });
});
