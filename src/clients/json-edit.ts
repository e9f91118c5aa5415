/**
 * Minimal, symmetric text edits on JSON/JSONC documents.
 *
 * Why not jsonc-parser's `modify` with formatting: it reformats every line an edit touches, so a
 * one-line file (or the line holding the previous entry) comes back different after
 * insert + remove. Here an insertion adds exactly `,<newline><indent>"name": value` after the
 * last property, and a removal deletes exactly that span again, so install followed by
 * uninstall gives back the original bytes. Untouched bytes (comments included) never change.
 */
import { parseTree, type Node } from 'jsonc-parser';

/** Layout conventions detected from the existing text, so insertions look hand-written. */
export interface TextStyle {
  /** One level of indentation ("  ", "    " or "\t"). */
  indent: string;
  eol: '\n' | '\r\n';
}

export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

/** The document's indentation unit and line ending; defaults to two spaces and "\n". */
export function detectStyle(text: string): TextStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const match = /\n([ \t]+)\S/.exec(text);
  let indent = '  ';
  if (match?.[1]) indent = match[1].startsWith('\t') ? '\t' : match[1];
  return { indent, eol };
}

export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.offset) + edit.content + text.slice(edit.offset + edit.length);
}

/** The parse tree of a document known to be valid (callers parse with errors first). */
export function rootNode(text: string): Node | undefined {
  return parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
}

/** The property node (`"key": value`) of `key` in an object node. */
export function findProperty(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.children?.[0]?.value === key);
}

/** Leading whitespace of the line that holds `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? '';
}

/** True when only whitespace precedes `offset` on its line. */
function startsLine(text: string, offset: number): boolean {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*$/.test(text.slice(start, offset));
}

/** `value` as JSON, multi-line with the document's style, nested below `baseIndent`. */
function formatValue(value: unknown, baseIndent: string, style: TextStyle): string {
  return JSON.stringify(value, null, style.indent).split('\n').join(style.eol + baseIndent);
}

/**
 * Adds `"key": value` as the last property of `object`. Multi-line objects get one property
 * per line at the indentation of their siblings; one-line objects stay on one line.
 */
export function insertPropertyEdit(text: string, object: Node, key: string, value: unknown, style: TextStyle): TextEdit {
  const children = object.children ?? [];
  const last = children[children.length - 1];
  if (last) {
    const end = last.offset + last.length;
    if (startsLine(text, last.offset)) {
      const indent = lineIndent(text, last.offset);
      return { offset: end, length: 0, content: `,${style.eol}${indent}${JSON.stringify(key)}: ${formatValue(value, indent, style)}` };
    }
    return { offset: end, length: 0, content: `, ${JSON.stringify(key)}: ${JSON.stringify(value)}` };
  }
  // Empty object: whatever whitespace was inside is replaced; removing the last property
  // gives back `{}`.
  const outer = lineIndent(text, object.offset);
  const inner = outer + style.indent;
  return {
    offset: object.offset + 1,
    length: object.length - 2,
    content: `${style.eol}${inner}${JSON.stringify(key)}: ${formatValue(value, inner, style)}${style.eol}${outer}`,
  };
}

/**
 * Removes the property `key` of `object`: the inverse of `insertPropertyEdit`. A last property
 * takes the comma and line break before it; a first one the span up to the next property; the
 * only one leaves `{}` (unless comments remain inside, which are kept).
 */
export function removePropertyEdit(text: string, object: Node, key: string): TextEdit | undefined {
  const children = object.children ?? [];
  const index = children.findIndex((p) => p.children?.[0]?.value === key);
  const property = children[index];
  if (!property) return undefined;
  const end = property.offset + property.length;
  const previous = children[index - 1];
  const next = children[index + 1];
  if (previous) {
    const from = previous.offset + previous.length;
    return { offset: from, length: end - from, content: '' };
  }
  if (next) return { offset: property.offset, length: next.offset - property.offset, content: '' };
  const innerStart = object.offset + 1;
  const innerEnd = object.offset + object.length - 1;
  // A trailing comma (JSONC) after the only property goes with it.
  let removeEnd = end;
  const after = /^\s*,/.exec(text.slice(end, innerEnd));
  if (after) removeEnd = end + after[0].length;
  const rest = text.slice(innerStart, property.offset) + text.slice(removeEnd, innerEnd);
  if (/^\s*$/.test(rest)) return { offset: innerStart, length: innerEnd - innerStart, content: '' };
  return { offset: property.offset, length: removeEnd - property.offset, content: '' };
}

/** Replaces a value node with `value`, laid out like its surroundings. */
export function replaceValueEdit(text: string, node: Node, value: unknown, style: TextStyle): TextEdit {
  const original = text.slice(node.offset, node.offset + node.length);
  const multiline = original.includes('\n') || typeof value !== 'object' || value === null;
  const content = multiline ? formatValue(value, lineIndent(text, node.offset), style) : JSON.stringify(value);
  return { offset: node.offset, length: node.length, content };
}

/** True when an object node has no properties and nothing but whitespace inside. */
export function isEmptyObject(text: string, node: Node): boolean {
  return node.type === 'object' && (node.children?.length ?? 0) === 0 && /^\s*$/.test(text.slice(node.offset + 1, node.offset + node.length - 1));
}
