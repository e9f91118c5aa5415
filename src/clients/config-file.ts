/**
 * Reading an MCP client's JSON (or JSONC) config with errors that name file, line and column.
 * Reading never modifies the file.
 */
import { readFileSync } from 'node:fs';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
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
  /** The original bytes as text, without a leading byte-order mark, for byte-identical round trips and line lookups. */
  text: string;
  /** The file began with a UTF-8 byte-order mark (VS Code writes and accepts one); writes keep it. */
  bom: boolean;
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

const BOM = '\uFEFF';

/** The text without a leading byte-order mark, and whether it had one. */
export function splitBom(text: string): { text: string; bom: boolean } {
  return text.startsWith(BOM) ? { text: text.slice(1), bom: true } : { text, bom: false };
}

/** Text to write: the byte-order mark back in front when the file had one. */
export function withBom(text: string, bom: boolean): string {
  return bom ? BOM + text : text;
}

/**
 * A parse tree as plain data. Objects have no prototype: keys come from the file, and
 * "__proto__", "constructor" or "toString" must be keys like any other, not inherited members.
 */
export function nodeValue(node: Node | undefined): unknown {
  if (!node) return undefined;
  if (node.type === 'array') return (node.children ?? []).map((child) => nodeValue(child));
  if (node.type !== 'object') return node.value;
  const object = Object.create(null) as Record<string, unknown>;
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key) object[String(key.value)] = nodeValue(value);
  }
  return object;
}

/**
 * Parses config text (a leading byte-order mark is skipped). `jsonc` allows comments and
 * trailing commas, as VS Code does; otherwise the first syntax error is reported at its position.
 */
export function parseClientConfig(file: string, raw: string, jsonc: boolean): Record<string, unknown> {
  const { text } = splitBom(raw);
  const errors: ParseError[] = [];
  const data: unknown = nodeValue(parseTree(text, errors, { allowTrailingComma: jsonc, disallowComments: !jsonc, allowEmptyContent: true }));
  const first = errors[0];
  if (first) {
    const { line, column } = offsetToLineColumn(text, first.offset);
    throw new SandboxError('CONFIG_CONFLICT', `invalid JSON: ${describeParseError(printParseErrorCode(first.error))}`, {
      location: { file, line, column },
      hint: 'fix the file by hand; mcp-sandbox never rewrites a config it cannot parse',
    });
  }
  if (data === undefined) return Object.create(null) as Record<string, unknown>;
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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, text: '', bom: false, exists: false, data: Object.create(null) as Record<string, unknown> };
    throw new SandboxError('INPUT_UNREADABLE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const split = splitBom(text);
  return { file, text: split.text, bom: split.bom, exists: true, data: parseClientConfig(file, split.text, jsonc) };
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
