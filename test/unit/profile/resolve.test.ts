/**
 * Resolution of a profile name (src/profile/resolve.ts): the user's own directories before the
 * working directory's ./profiles, and a record of what was shadowed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeResolution, profileSearchPath, resolveProfile, resolveProfileArg } from '../../../src/profile/resolve.js';

let root: string;
const cwd = (): string => path.join(root, 'repo');
const home = (): string => path.join(root, 'home');
const userDir = (): string => path.join(home(), '.config', 'mcp-sandbox', 'profiles');
const put = (dir: string, name: string): string => {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, 'version: 1\nname: x\nimage: x:1\n');
  return file;
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-resolve-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("a cloned repository's ./profiles cannot shadow the user's own profile", () => {
  const mine = put(userDir(), 'github.yaml');
  const theirs = put(path.join(cwd(), 'profiles'), 'github.yaml');
  const resolved = resolveProfile('github', {}, cwd(), home());
  expect(resolved).toEqual({ file: mine, from: userDir(), shadowed: [theirs] });
  expect(describeResolution('github', resolved)).toBe(`profile "github" is ${mine} (from ${userDir()}); it shadows ${theirs}`);
});

test('MCP_SANDBOX_PROFILE_PATH comes first, in order; ./profiles is used when nothing else has the name', () => {
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  const inB = put(b, 'fetch.yaml');
  const mine = put(userDir(), 'fetch.yaml');
  const env = { MCP_SANDBOX_PROFILE_PATH: [a, b].join(path.delimiter) };
  expect(profileSearchPath(env, cwd(), home())).toEqual([a, b, userDir(), path.join(cwd(), 'profiles')]);
  expect(resolveProfile('fetch', env, cwd(), home())).toEqual({ file: inB, from: b, shadowed: [mine] });
  const local = put(path.join(cwd(), 'profiles'), 'only-here.yml');
  expect(resolveProfileArg('only-here', env, cwd(), home())).toBe(local);
  expect(describeResolution('only-here', resolveProfile('only-here', env, cwd(), home()))).toBe(`profile "only-here" is ${local} (from ${path.join(cwd(), 'profiles')})`);
});

test('a path is taken as given and shadows nothing; an unknown name lists where it looked', () => {
  const file = put(path.join(cwd(), 'profiles'), 'git.yaml');
  expect(resolveProfile('profiles/git.yaml', {}, cwd(), home())).toEqual({ file, from: 'path', shadowed: [] });
  expect(() => resolveProfile('/dev/zero', {}, cwd(), home())).toThrow('profile file /dev/zero is not a regular file');
  expect(() => resolveProfile('profiles/', {}, cwd(), home())).toThrow('profile file profiles/ is a directory');
  expect(() => resolveProfile('nope', {}, cwd(), home())).toThrow(`no profile named "nope" in ${userDir()}, ${path.join(cwd(), 'profiles')}`);
});
