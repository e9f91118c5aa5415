/**
 * Reading an MCP client's JSON (or JSONC) config with errors that name file, line and column.
 * Reading never modifies the file.
 */
import { readFileSync } from 'node:fs';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { SandboxError } from '../errors.js';

/** One stdio server entry as clients write it. */
export interface ServerEntry {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  type?: string;
  [key: string]: unknown;
}

/** A parsed client config and the exact text it came from. */
export interface ClientConfig {
  file: string;
  /** The original bytes as text, for byte-identical round trips and line lookups. */
  text: string;
  /** False when the file does not exist yet. */
  exists: boolean;
  data: Record<string, unknown>;
}

/** Line and column (1-based) of a character offset. */
export function offsetToLineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Parses config text. `jsonc` allows comments and trailing commas, as VS Code does; otherwise
 * the first syntax error is reported at its position.
 */
export function parseClientConfig(file: string, text: string, jsonc: boolean): Record<string, unknown> {
  const errors: ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: jsonc, disallowComments: !jsonc, allowEmptyContent: true });
  const first = errors[0];
  if (first) {
    const { line, column } = offsetToLineColumn(text, first.offset);
    throw new SandboxError('CONFIG_CONFLICT', `invalid JSON: ${describeParseError(printParseErrorCode(first.error))}`, {
      location: { file, line, column },
      hint: 'fix the file by hand; mcp-sandbox never rewrites a config it cannot parse',
    });
  }
  if (data === undefined) return {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SandboxError('CONFIG_CONFLICT', 'the config must be a JSON object', { location: { file, line: 1, column: 1 } });
  }
  return data as Record<string, unknown>;
}

/** Reads a client config; a missing file reads as an empty object. */
export function readClientConfig(file: string, jsonc: boolean): ClientConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, text: '', exists: false, data: {} };
    throw new SandboxError('INPUT_UNREADABLE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { file, text, exists: true, data: parseClientConfig(file, text, jsonc) };
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value',
    ColonExpected: 'expected ":"',
    CommaExpected: 'expected ","',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: 'unexpected content after the end',
    InvalidCommentToken: 'comments are not allowed in this file',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in string',
  };
  return words[code] ?? code;
}
