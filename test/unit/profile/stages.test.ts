/**
 * One loading pipeline (src/profile/stages.ts): no module outside it runs the schema or
 * normalize stage itself, and nothing parses `extends:` on its own.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStages, memoryChain } from '../../../src/profile/stages.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');
const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, f));
const callers = (pattern: RegExp): string[] => files.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map((f) => path.relative(src, f));

test('only loadStages calls the schema and normalize stages', () => {
  expect(callers(/\bnormalizeProfile\(/).filter((f) => f !== 'profile/normalize.ts')).toEqual(['profile/stages.ts']);
  expect(callers(/\bvalidateProfile\(/).filter((f) => f !== 'profile/validate.ts')).toEqual(['profile/stages.ts']);
});

test('nothing parses extends: with its own regex; the extends stage lists the files', () => {
  expect(callers(/\^extends:/)).toEqual([]);
});

test('an in-memory profile goes through the same stages (defaults, schema errors)', () => {
  const locate = (): { file: string; line: number; column: number } => ({ file: 'mem', line: 1, column: 1 });
  const loaded = loadStages('mem', memoryChain({ version: 1, name: 'm', image: 'x:1', user: '000' }, locate, '/'), { env: {}, home: '/' });
  expect(loaded.profile.user).toBe('0');
  expect(loaded.profile.namespaces).toEqual({ pid: 'private', ipc: 'private', uts: 'private', userns: 'private' });
  expect(() => loadStages('mem', memoryChain({ version: 1, name: 'm', image: 'x:1', network: 'wide' }, locate, '/'))).toThrow(/network must be one of/);
});
