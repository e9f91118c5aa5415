/**
 * YAML parsing that keeps source positions, so every later stage can point at `file:line:col`.
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { SandboxError, type SourceLocation } from '../errors.js';
import { pointerSegments } from './pointer.js';
import { quoted } from './quote.js';

/** One parsed YAML file and a way to find where a JSON pointer lives in it. */
export interface SourceFile {
  file: string;
  /** Plain data of the document. */
  data: unknown;
  /**
   * Position of the value at `pointer` (or, with `key`, of its key). Undefined when the file
   * does not contain that path.
   */
  find(pointer: string, key?: boolean): SourceLocation | undefined;
}

export { pointerSegments, toPointer } from './pointer.js';

/**
 * Parses one YAML 1.2 document. Duplicate keys, several documents, aliases to nowhere and
 * syntax errors are all reported at their position, never with more of the file's text than a
 * short key or token (the file may not be a profile at all: src/profile/quote.ts).
 */
export function parseYamlSource(file: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  // uniqueKeys off: the yaml library compares every key with every earlier one (quadratic);
  // duplicateKey() below does the same check with one Set per map (BENCHMARKS.md).
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, version: '1.2' });
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const first = doc.errors[0];
    if (first) throw new SandboxError('PROFILE_INVALID', yamlMessage(first.message), { location: at(first.pos[0]) });
    const duplicate = duplicateKey(doc);
    if (duplicate) {
      throw new SandboxError('PROFILE_INVALID', `duplicate key ${quoted(duplicate.key)}: each key may appear once in a map`, { location: at(duplicate.offset) });
    }
  }
  if (list.length > 1) {
    const second = list[1] as Document;
    const offset = second.range?.[0] ?? 0;
    const marker = text.lastIndexOf('---', offset);
    throw new SandboxError('PROFILE_INVALID', 'a profile holds exactly one YAML document; found a second one', {
      location: at(marker >= 0 ? marker : offset),
      hint: 'split it into one file per server',
    });
  }
  const doc = list[0] as Document | undefined;
  let data: unknown = null;
  try {
    data = doc ? doc.toJS({ maxAliasCount: 100 }) : null;
  } catch (error) {
    // Unresolved aliases and alias bombs only surface when the document is converted; point
    // at the first alias that does not resolve rather than at the top of the file.
    let offset = 0;
    if (doc) {
      visit(doc, {
        Alias(_key, node) {
          if (node.resolve(doc) !== undefined) return undefined;
          offset = node.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
    }
    throw new SandboxError('PROFILE_INVALID', yamlMessage((error as Error).message), { location: at(offset) });
  }
  const root = doc?.contents ?? null;

  const find = (pointer: string, key = false): SourceLocation | undefined => {
    let node: unknown = root;
    let keyNode: Node | undefined;
    for (const segment of pointerSegments(pointer)) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment);
        if (!pair) return undefined;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = Number(segment);
        if (!Number.isInteger(index) || index < 0 || index >= node.items.length) return undefined;
        node = node.items[index];
      } else {
        return undefined;
      }
    }
    const target = (key && keyNode ? keyNode : (node as Node | null)) ?? keyNode;
    const offset = target?.range?.[0];
    return offset === undefined ? undefined : at(offset);
  };
  return { file, data, find };
}

/** The first key (in document order) that repeats an earlier key of the same map. */
function duplicateKey(doc: Document): { key: string; offset: number } | undefined {
  let found: { key: string; offset: number } | undefined;
  // A plain walk over collections: yaml's visit() calls back on every scalar too.
  const walk = (node: unknown): void => {
    if (isSeq(node)) {
      for (const item of node.items) walk(item);
      return;
    }
    if (!isMap(node)) return;
    const seen = node.items.length > 1 ? new Set<unknown>() : undefined;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (seen?.has(key)) {
        const offset = (pair.key as Node | null)?.range?.[0] ?? 0;
        if (!found || offset < found.offset) found = { key: String(key), offset };
      }
      seen?.add(key);
      walk(pair.value);
    }
  };
  walk(doc.contents);
  return found;
}

function yamlMessage(message: string): string {
  // The yaml library ends messages with "at line X, column Y"; the location is printed already.
  let text = message.replace(/\s+at line \d+, column \d+:?[\s\S]*$/, '').trim();
  // What follows ": " is text from the file (an alias, a tag, a scalar): only a short token stays.
  const colon = text.indexOf(': ');
  if (colon >= 0) {
    const tail = text.slice(colon + 2);
    text = /^[A-Za-z0-9_.-]{1,40}$/.test(tail) ? text : text.slice(0, colon);
  }
  if (text.length > 120) text = `${text.slice(0, 117)}...`;
  return `invalid YAML: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}
