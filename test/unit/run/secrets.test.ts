/**
 * src/run/secrets.ts: dotenv comments and quotes, a refused secrets file named once (also by
 * --dry-run's secretSources), and names that are Object.prototype members stay plain names.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toCreateBody } from '../../../src/compile/engine-body.js';
import { compileSpec } from '../../../src/compile/spec.js';
import { loadStages, memoryChain } from '../../../src/profile/stages.js';
import { parseSecrets, resolveSecrets, secretSources } from '../../../src/run/secrets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const secretsFile = (text: string, mode = 0o600): string => {
  const file = path.join(dir, 'secrets.env');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
};

describe('dotenv syntax', () => {
  test.each([
    ['K=v # comment', 'v'],
    ['K=v#not-a-comment', 'v#not-a-comment'],
    ['K=  spaced value   # c', 'spaced value'],
    ['K="quoted # kept"', 'quoted # kept'],
    ['K="quoted" # comment after the quote', 'quoted'],
    ["K='single # kept' # c", 'single # kept'],
    ['K="a\\"b\\\\c\\nd"', 'a"b\\c\nd'],
    ["export K='x=y'", 'x=y'],
    ['K=', ''],
    ['K= # only a comment', ''],
  ])('%s', (line, value) => {
    expect(parseSecrets(`${line}\n`).get('K')).toBe(value);
  });
});

describe('a refused secrets file', () => {
  test('--dry-run names the file and its mode once instead of calling every secret missing', () => {
    const file = secretsFile('A=1\nB=2\n', 0o644);
    const env = { MCP_SANDBOX_SECRETS_FILE: file };
    expect(() => secretSources(['A', 'B'], { env })).toThrow(`refusing to read secrets from ${file}: its mode is 0644, others can read it`);
    expect(() => resolveSecrets(['A', 'B'], { env })).toThrow(/its mode is 0644/);
    // Only when the file is needed: names in the environment never read it.
    expect(secretSources(['A'], { env: { ...env, A: 'x' } })).toEqual([{ name: 'A', source: 'env' }]);
    chmodSync(file, 0o600);
    expect(secretSources(['A', 'C'], { env })).toEqual([
      { name: 'A', source: 'file' },
      { name: 'C', source: 'missing' },
    ]);
  });

  test('a secrets file that is not a regular file is refused by name', () => {
    expect(() => resolveSecrets(['A'], { env: { MCP_SANDBOX_SECRETS_FILE: dir } })).toThrow(/refusing to read secrets from/);
  });
});

describe('names from input are only names', () => {
  test('secrets: [toString, constructor, __proto__] never send a function or a prototype', () => {
    const env = { MCP_SANDBOX_SECRETS_FILE: path.join(dir, 'none.env') };
    expect(secretSources(['toString', 'constructor'], { env })).toEqual([
      { name: 'toString', source: 'missing' },
      { name: 'constructor', source: 'missing' },
    ]);
    expect(() => resolveSecrets(['toString'], { env })).toThrow(/secret toString declared by the profile is not set/);
    const values = resolveSecrets(['toString', 'constructor'], { env: { ...env, toString: 'a', constructor: 'b' } });
    expect(Object.getPrototypeOf(values)).toBeNull();
    expect({ ...values }).toEqual({ toString: 'a', constructor: 'b' });
    secretsFile('hasOwnProperty=from-file\n');
    expect(resolveSecrets(['hasOwnProperty'], { env: { MCP_SANDBOX_SECRETS_FILE: path.join(dir, 'secrets.env') } }).hasOwnProperty).toBe('from-file');
  });

  test('the create body (as --dry-run prints it) never carries Object.prototype members as secret values', () => {
    const locate = (): { file: string; line: number; column: number } => ({ file: 'mem', line: 1, column: 1 });
    const { profile } = loadStages('mem', memoryChain({ version: 1, name: 'x', image: 'x:1', secrets: ['toString', 'constructor', 'valueOf'] }, locate, '/'), { env: {}, home: '/' });
    const body = toCreateBody(compileSpec(profile), { secretValues: {} });
    expect(body.Env).toEqual([]);
    expect(toCreateBody(compileSpec(profile), { secretValues: Object.assign(Object.create(null) as Record<string, string>, { valueOf: 'v' }) }).Env).toEqual(['valueOf=v']);
  });
});

describe('secrets (from the launcher parts tests)', () => {
  const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-unit-'));

  test('parse KEY=VALUE with comments, export and quotes', () => {
    expect(Object.fromEntries(parseSecrets('# c\nexport A=1\nB = "two words"\nC=\'x=y\'\n\nbad line\n'))).toEqual({ A: '1', B: 'two words', C: 'x=y' });
  });

  test('environment first, then a 0600 file; a readable file is refused', () => {
    const dir = tmp();
    const file = path.join(dir, 'secrets.env');
    writeFileSync(file, 'FROM_FILE=f\nBOTH=file\n');
    chmodSync(file, 0o600);
    const env = { MCP_SANDBOX_SECRETS_FILE: file, BOTH: 'env' };
    expect(resolveSecrets(['BOTH', 'FROM_FILE'], { env })).toEqual({ BOTH: 'env', FROM_FILE: 'f' });
    expect(secretSources(['BOTH', 'FROM_FILE', 'NONE'], { env })).toEqual([
      { name: 'BOTH', source: 'env' },
      { name: 'FROM_FILE', source: 'file' },
      { name: 'NONE', source: 'missing' },
    ]);
    expect(() => resolveSecrets(['NONE'], { env })).toThrow(/secret NONE declared by the profile is not set/);
    chmodSync(file, 0o640);
    expect(() => resolveSecrets(['FROM_FILE'], { env })).toThrow(/mode is 0640/);
    // Nothing is read when the environment has everything.
    expect(resolveSecrets(['BOTH'], { env })).toEqual({ BOTH: 'env' });
    rmSync(dir, { recursive: true, force: true });
  });
});
