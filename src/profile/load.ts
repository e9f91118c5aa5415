/**
 * Loading in fixed stages: parse -> resolve `extends` -> schema -> normalize.
 * (Lint and compile follow in their own modules.) Each stage reports `file:line:col`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError, unreadableReason, type SourceLocation } from '../errors.js';
import { sha256 } from './cache.js';
import { normalizeProfile, type NormalizeContext } from './normalize.js';
import { pointerSegments, toPointer } from './pointer.js';
import { parseYamlSource, type SourceFile } from './source.js';
import type { NormalizedProfile, Profile } from './types.js';
import { validateProfile, type Locate } from './validate.js';

/** A profile that passed every loading stage, with the means to point back into its files. */
export interface LoadedProfile {
  /** Absolute path of the profile file that was asked for. */
  file: string;
  /** Merged (after `extends`) and schema-valid, as written. */
  raw: Profile;
  /** Defaults applied, units converted, paths resolved. */
  profile: NormalizedProfile;
  /** Position of a JSON pointer; falls back to its nearest ancestor, then to the file's start. */
  locate: Locate;
  /** Every file that contributed, most derived first. */
  files: string[];
}

/** Options for tests and embedding; defaults read the real environment. */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Reads a file; defaults to the filesystem. */
  readFile?: (file: string) => string;
}

const MAX_EXTENDS_DEPTH = 16;

/** Loads one profile file through every stage up to and including normalize. */
export function loadProfile(file: string, options: LoadOptions = {}): LoadedProfile {
  return load(file, options);
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
  const trace: LoadTrace = { layers: [], baseDirs: {} };
  return { loaded: load(file, options, trace), trace };
}

function load(file: string, options: LoadOptions, trace?: LoadTrace): LoadedProfile {
  const absolute = path.resolve(file);
  const read =
    options.readFile ??
    ((f: string): string => {
      const bytes = readFileSync(f);
      trace?.layers.push({ file: f, sha256: sha256(bytes) });
      return bytes.toString('utf8');
    });
  const layers = readLayers(absolute, read);
  const locate = makeLocate(layers);
  const merged = layers.reduceRight<Record<string, unknown>>((base, layer) => deepMerge(base, layer.data as Record<string, unknown>), {});
  delete merged.extends;
  validateProfile(merged, locate);
  const ctx: NormalizeContext = {
    env: options.env ?? process.env,
    home: options.home || homedir(),
    locate,
    baseDir: (pointer) => {
      const dir = path.dirname(owner(layers, pointer).file);
      if (trace) trace.baseDirs[pointer] = dir;
      return dir;
    },
    ...(options.readFile ? { readFile: options.readFile } : {}),
  };
  const profile = normalizeProfile(merged, ctx);
  return { file: absolute, raw: merged, profile, locate, files: layers.map((l) => l.file) };
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
      if (!from) throw new SandboxError('PROFILE_NOT_FOUND', `profile ${current} ${what}`);
      throw new SandboxError('PROFILE_INVALID', `extends: base profile ${JSON.stringify(written)} ${what}`, {
        location: from,
        hint: `looked for ${current}; paths are relative to the profile that extends`,
      });
    }
    const layer = parseYamlSource(current, text);
    const data = layer.data;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      const got = data === null || data === undefined ? 'an empty document' : Array.isArray(data) ? 'a list' : `${typeof data} ${JSON.stringify(data)}`;
      throw new SandboxError('PROFILE_INVALID', `a profile must be a YAML map of keys, got ${got}`, {
        location: layer.find('') ?? { file: current, line: 1, column: 1 },
        hint: 'start with "version: 1"',
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
