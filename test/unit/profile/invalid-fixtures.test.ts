/**
 * Every malformed profile in test/fixtures/profile/invalid/*.yaml must fail with exactly one
 * line: `file:line:col: message (hint)`. The expected line sits in the fixture itself, as its
 * first line `# expect: …`, or, for a file that cannot hold a comment (the empty file), in a
 * sibling `<name>.expect`. Adding a case is adding one file.
 *
 * Lines are compared as the CLI prints them (`formatError`), with the working directory set to
 * the fixture directory so file names are short, and the fixture directory's absolute path
 * written as `<dir>` wherever a message names a resolved path.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxError, formatError } from '../../../src/errors.js';
import { loadProfile } from '../../../src/profile/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../fixtures/profile/invalid');

interface Case {
  file: string;
  expected: string;
}

function expectation(file: string): string {
  const sidecar = path.join(dir, file.replace(/\.yaml$/, '.expect'));
  if (existsSync(sidecar)) return readFileSync(sidecar, 'utf8').trim();
  const first = readFileSync(path.join(dir, file), 'utf8').split('\n')[0] ?? '';
  const match = /^# expect: (.+)$/.exec(first);
  if (!match) throw new Error(`${file}: first line must be "# expect: file:line:col: message", or add ${path.basename(sidecar)}`);
  return (match[1] as string).trim();
}

const cases: Case[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, expected: expectation(file) }));

// A fixed environment: a variable set on the developer's machine must not change a message.
const env: NodeJS.ProcessEnv = { HOME: '/home/user' };

function failureLine(file: string): { line: string; error: unknown } {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    loadProfile(file, { env, home: '/home/user' });
    return { line: '(loaded without error)', error: undefined };
  } catch (error) {
    return { line: formatError(error).split(dir).join('<dir>'), error };
  } finally {
    process.chdir(previous);
  }
}

describe('malformed profiles', () => {
  it('has at least 20 fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('$file', ({ file, expected }) => {
    const { line, error } = failureLine(file);
    expect(line).toBe(expected);
    // One line, a user error (not a crash), with a position.
    expect(line).not.toContain('\n');
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).location).toBeDefined();
    expect((error as SandboxError).code).toBe('PROFILE_INVALID');
  });
});
