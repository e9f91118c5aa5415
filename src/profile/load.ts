/**
 * The read, parse and extends stages from YAML files: `yamlChain` is the `ChainSource` that
 * src/profile/stages.ts runs when nothing else (the profile cache) can answer. Each stage
 * reports `file:line:col`, and never quotes a file it could not use.
 */
import path from 'node:path';
import schemaJson from '../../schema/profile.schema.json' with { type: 'json' };
import { SandboxError, unreadableReason, type SourceLocation } from '../errors.js';
import { sha256 } from './cache.js';
import { pointerSegments, toPointer } from './pointer.js';
import { readInputText } from './read.js';
import { parseYamlSource, type SourceFile } from './source.js';
import { loadStages, type ChainSource, type LoadedProfile, type StageOptions } from './stages.js';
import type { Locate } from './validate.js';

export type { LoadedProfile } from './stages.js';

/** Options for tests and embedding; defaults read the real environment and filesystem. */
export interface LoadOptions extends StageOptions {
  /** Reads a file (profiles, bases, seccomp); defaults to the read stage (src/profile/read.ts). */
  readFile?: (file: string) => string;
}

const MAX_EXTENDS_DEPTH = 16;

/** Loads one profile file through every stage up to and including normalize. */
export function loadProfile(file: string, options: LoadOptions = {}): LoadedProfile {
  return loadStages(file, yamlChain(options), options);
}

/**
 * What src/profile/cache.ts stores for a profile: each layer file with the sha256 of the bytes
 * that were parsed, and the directory normalize resolved each relative path against (which
 * layer wrote a pointer is only known from the YAML documents). Only without a custom readFile.
 */
export interface LoadTrace {
  layers: Array<{ file: string; sha256: string }>;
  baseDirs: Record<string, string>;
}

/** loadProfile, plus the trace the profile cache needs. */
export function loadProfileTraced(file: string, options: Omit<LoadOptions, 'readFile'> = {}): { loaded: LoadedProfile; trace: LoadTrace } {
  const trace: LoadTrace = { layers: [], baseDirs: Object.create(null) as Record<string, string> };
  return { loaded: loadStages(file, yamlChain({}, trace), options), trace };
}

/** read -> parse -> extends from the filesystem (or `options.readFile`). */
export function yamlChain(options: Pick<LoadOptions, 'readFile'> = {}, trace?: LoadTrace): ChainSource {
  const read =
    options.readFile ??
    ((f: string): string => {
      const { text, bytes } = readInputText(f);
      trace?.layers.push({ file: f, sha256: sha256(bytes) });
      return text;
    });
  return (file) => {
    const absolute = path.resolve(file);
    const layers = readLayers(absolute, read);
    const merged = mergeLayers(layers);
    const baseDir = (pointer: string): string => {
      const dir = path.dirname(owner(layers, pointer).file);
      if (trace) trace.baseDirs[pointer] = dir;
      return dir;
    };
    return { file: absolute, merged, files: layers.map((l) => l.file), locate: makeLocate(layers), baseDir };
  };
}

/**
 * The extends merge. A base's `justifications` are dropped: a justification applies to the
 * profile that states it, so a shared base cannot silence findings in every profile built on it
 * (and a reviewer reading one profile sees every justification that applies to it).
 */
function mergeLayers(layers: readonly SourceFile[]): Record<string, unknown> {
  const merged = layers.reduceRight<Record<string, unknown>>((base, layer, index) => {
    const data = { ...(layer.data as Record<string, unknown>) };
    if (index > 0) delete data.justifications;
    return deepMerge(base, data);
  }, {});
  delete merged.extends;
  return merged;
}

/** Parse stage plus `extends`: the chain of files, most derived first. Cycles are errors. */
function readLayers(file: string, read: (file: string) => string): SourceFile[] {
  const layers: SourceFile[] = [];
  const seen: string[] = [];
  let current = file;
  let from: SourceLocation | undefined;
  // The extends value as written, for messages: the user recognises it; the resolved path goes in the hint.
  let written = '';
  for (;;) {
    if (seen.includes(current)) {
      const chain = [...seen.slice(seen.indexOf(current)), current].map((f) => path.basename(f)).join(' -> ');
      throw new SandboxError('PROFILE_INVALID', `extends cycle: ${chain}`, { location: from, hint: 'remove one of the extends' });
    }
    if (seen.length >= MAX_EXTENDS_DEPTH) {
      throw new SandboxError('PROFILE_INVALID', `extends chain deeper than ${MAX_EXTENDS_DEPTH} files`, { location: from });
    }
    seen.push(current);
    let text: string;
    try {
      text = read(current);
    } catch (error) {
      const what = unreadableReason(error);
      if (!from) throw new SandboxError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'PROFILE_NOT_FOUND' : 'INPUT_UNREADABLE', `profile ${current} ${what}`);
      throw new SandboxError('PROFILE_INVALID', `extends: base profile ${JSON.stringify(written)} ${what}`, {
        location: from,
        hint: `looked for ${current}; paths are relative to the profile that extends`,
      });
    }
    const layer = parseYamlSource(current, text);
    const data = layer.data;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      // The kind only, never the value: the file may be anything (a key, /etc/shadow).
      const got = data === null || data === undefined ? 'an empty document' : Array.isArray(data) ? 'a list' : typeof data === 'string' ? 'text' : `a ${typeof data}`;
      throw new SandboxError('PROFILE_INVALID', `a profile must be a YAML map of keys, got ${got}`, {
        location: layer.find('') ?? { file: current, line: 1, column: 1 },
        hint: 'start with "version: 1"',
      });
    }
    if (!looksLikeProfile(data as Record<string, unknown>)) {
      throw new SandboxError('PROFILE_INVALID', `${from ? `extends: base profile ${JSON.stringify(written)}` : 'this file'} is not an mcp-sandbox profile: none of its keys is a profile key`, {
        location: from ?? layer.find('') ?? { file: current, line: 1, column: 1 },
        hint: 'a profile starts with "version: 1"; see schema/profile.schema.json',
      });
    }
    layers.push(layer);
    const parent = (data as Record<string, unknown>).extends;
    if (parent === undefined) return layers;
    from = layer.find('/extends') ?? { file: current, line: 1, column: 1 };
    if (typeof parent !== 'string' || parent.length === 0) {
      throw new SandboxError('PROFILE_INVALID', `extends must be a path to a base profile, got ${JSON.stringify(parent)}`, { location: from });
    }
    written = parent;
    current = path.resolve(path.dirname(current), parent);
  }
}

const PROFILE_KEYS = new Set(Object.keys((schemaJson as { properties: Record<string, unknown> }).properties));

/**
 * A map none of whose keys a profile has is some other file (a docker config.json, /etc/shadow
 * read as `user:…` keys): refused as a whole, so no message lists its keys.
 */
function looksLikeProfile(data: Record<string, unknown>): boolean {
  const keys = Object.keys(data);
  return keys.length === 0 || keys.some((key) => PROFILE_KEYS.has(key));
}

/** The pointer and its ancestors, deepest first, without the root. */
function ancestors(pointer: string): string[] {
  const segments = pointerSegments(pointer);
  return segments.map((_, i) => toPointer(segments.slice(0, segments.length - i)));
}

/** The most derived layer that writes the pointer (or its nearest ancestor). */
function owner(layers: SourceFile[], pointer: string): SourceFile {
  for (const prefix of ancestors(pointer)) {
    const layer = layers.find((l) => l.find(prefix) !== undefined);
    if (layer) return layer;
  }
  return layers[0] as SourceFile;
}

function makeLocate(layers: SourceFile[]): Locate {
  return (pointer, key = false) => {
    for (const prefix of ancestors(pointer)) {
      for (const layer of layers) {
        const found = layer.find(prefix, key && prefix === pointer);
        if (found) return found;
      }
    }
    const first = layers[0] as SourceFile;
    return first.find('') ?? { file: first.file, line: 1, column: 1 };
  };
}

/** Maps merge key by key; lists and scalars of the derived profile replace the base's. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = Object.hasOwn(result, key) ? result[key] : undefined;
    // defineProperty, not assignment: a "__proto__" key must stay a key (and be reported as
    // unknown), not replace the prototype and smuggle its contents past the schema.
    Object.defineProperty(result, key, {
      value: isPlainObject(previous) && isPlainObject(value) ? deepMerge(previous, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
