/**
 * Reading a lock file. It sits on `run`'s start-up path when the gate pins tools, so this is a
 * readFileSync, JSON.parse and a shape check; no schema library. A lock that exists but cannot
 * be used is an error naming the file, line and column: running with the pin silently dropped
 * would defeat it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { SandboxError, unreadableReason } from '../errors.js';
import { LOCK_VERSION, lockPathFor, type LockedItem, type ToolLock } from './lock-format.js';

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] as string).length + 1 };
}

const HASH = /^[0-9a-f]{64}$/;

function isItems(value: unknown): value is LockedItem[] {
  return Array.isArray(value) && value.every((i) => typeof i === 'object' && i !== null && typeof (i as LockedItem).name === 'string' && HASH.test(String((i as LockedItem).sha256)));
}

/** What is wrong with a parsed lock, or undefined when it has the expected shape. */
function shapeProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'is not a JSON object';
  const lock = data as Record<string, unknown>;
  if (lock.lockVersion !== LOCK_VERSION) return `has lockVersion ${JSON.stringify(lock.lockVersion)}; this mcp-sandbox reads version ${LOCK_VERSION}`;
  if (typeof lock.profile !== 'string') return 'has no "profile" name';
  const image = lock.image as Record<string, unknown> | undefined;
  if (typeof image !== 'object' || image === null || typeof image.ref !== 'string' || typeof image.digest !== 'string') return 'has no "image" with "ref" and "digest"';
  for (const key of ['tools', 'resources', 'prompts']) if (!isItems(lock[key])) return `has no valid "${key}" list (entries of "name" and a sha256 hex "sha256")`;
  return undefined;
}

/** Parses a lock file's text; errors name `file` and the position. */
export function parseLock(text: string, file: string): ToolLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // JSON.parse names no position on every node version; jsonc-parser does (failure path only).
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    throw new SandboxError('PROFILE_INVALID', `lock file is not valid JSON (${first ? printParseErrorCode(first.error) : 'unexpected content'})`, {
      location: { file, ...positionOf(text, first?.offset ?? 0) },
      hint: 'run `mcp-sandbox lock <profile>` to write it again',
    });
  }
  const problem = shapeProblem(data);
  if (problem) throw new SandboxError('PROFILE_INVALID', `lock file ${problem}`, { location: { file, line: 1, column: 1 }, hint: 'run `mcp-sandbox lock <profile>` to write it again' });
  return data as ToolLock;
}

/** The lock next to a profile file, or undefined when there is none. */
export function readLockFor(profileFile: string): ToolLock | undefined {
  const file = lockPathFor(profileFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxError('INPUT_UNREADABLE', `lock file ${file} ${unreadableReason(error)}`);
  }
  return parseLock(text, file);
}
