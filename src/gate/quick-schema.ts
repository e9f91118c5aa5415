/**
 * A fast accept for the JSON Schemas most tools declare (objects of typed properties, required,
 * additionalProperties, lengths, ranges, enums of plain values), so that valid arguments never
 * load ajv: ajv and its compiled meta-schema cost the launcher 10-13 MB of memory, more than the
 * whole rest of the gate (BENCHMARKS.md, gate section).
 *
 * The check only ever says "valid" for data ajv accepts as well. Everything else (a failure, or a
 * schema using any keyword outside the subset, an unknown dialect, a property name Object's
 * prototype also has) goes to ajv (./validate.ts), which decides and words the error; so
 * messages and verdicts stay ajv's. A long string read as a skeleton (./skeleton.ts) is checked
 * by its type and length; anything else about it (enum, const) is a false.
 */

import { LongString } from './skeleton.js';

/** true: the data is valid (ajv would say so too); false: ask ajv. */
export type QuickCheck = (data: unknown) => boolean;

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
/** The dialects whose subset semantics are the same here: draft-07 and 2020-12 (the MCP default). */
const DIALECTS = new Set([
  'http://json-schema.org/draft-07/schema#',
  'http://json-schema.org/draft-07/schema',
  'https://json-schema.org/draft/2020-12/schema',
]);
const STRING_ANNOTATIONS = ['title', 'description', '$comment'];
const BOOLEAN_ANNOTATIONS = ['deprecated', 'readOnly', 'writeOnly'];
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'];
const BOUNDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const KNOWN = new Set([
  ...STRING_ANNOTATIONS,
  ...BOOLEAN_ANNOTATIONS,
  ...COUNTS,
  ...BOUNDS,
  '$schema',
  'default',
  'examples',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
]);

type Plain = string | number | boolean | null;

/** The check for `schema`, or undefined when it is outside the subset (ajv then decides). */
export function quickCheckOf(schema: unknown): QuickCheck | undefined {
  if (isRecord(schema) && schema.$schema !== undefined && !(typeof schema.$schema === 'string' && DIALECTS.has(schema.$schema))) return undefined;
  return compile(schema, true);
}

function compile(schema: unknown, root: boolean): QuickCheck | undefined {
  if (schema === true) return () => true;
  if (schema === false) return () => false;
  if (!isRecord(schema)) return undefined;
  const checks: QuickCheck[] = [];
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key) || (key === '$schema' && !root)) return undefined;
    const check = keyword(key, schema[key], schema);
    if (check === undefined) return undefined;
    if (check !== NOTHING) checks.push(check);
  }
  return allOf(checks);
}

/**
 * The checks run on every tools/call, mostly before V8 has optimized them: indexed loops and no
 * wrapper around a single check, rather than iterators, destructuring and callbacks per call.
 */
function allOf(checks: readonly QuickCheck[]): QuickCheck {
  if (checks.length === 0) return NOTHING;
  if (checks.length === 1) return checks[0] as QuickCheck;
  return (data) => {
    for (let i = 0; i < checks.length; i += 1) if (!(checks[i] as QuickCheck)(data)) return false;
    return true;
  };
}

/** An annotation: no check. */
const NOTHING: QuickCheck = () => true;

function keyword(key: string, value: unknown, schema: Record<string, unknown>): QuickCheck | undefined {
  if (STRING_ANNOTATIONS.includes(key)) return typeof value === 'string' ? NOTHING : undefined;
  if (BOOLEAN_ANNOTATIONS.includes(key)) return typeof value === 'boolean' ? NOTHING : undefined;
  if (COUNTS.includes(key)) return Number.isInteger(value) && (value as number) >= 0 ? countCheck(key, value as number) : undefined;
  if (BOUNDS.includes(key)) return typeof value === 'number' && Number.isFinite(value) ? boundCheck(key, value) : undefined;
  switch (key) {
    case '$schema':
    case 'default':
      return NOTHING;
    case 'examples':
      return Array.isArray(value) ? NOTHING : undefined;
    case 'type':
      return typeCheck(value);
    case 'properties':
      return propertiesCheck(value);
    case 'required':
      return requiredCheck(value);
    case 'additionalProperties':
      return additionalCheck(value, schema.properties);
    case 'items': {
      const items = compile(value, false);
      return items && ((data) => !Array.isArray(data) || data.every((item) => items(item)));
    }
    case 'enum':
      return Array.isArray(value) && value.length > 0 && value.every(isPlain) ? (data) => (value as Plain[]).includes(data as Plain) : undefined;
    case 'const':
      return isPlain(value) ? (data) => data === value : undefined;
    default:
      return undefined;
  }
}

function typeCheck(value: unknown): QuickCheck | undefined {
  const types = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(types) || types.length === 0 || new Set(types).size !== types.length) return undefined;
  if (!types.every((type) => typeof type === 'string' && TYPES.has(type))) return undefined;
  const names = types as string[];
  if (names.length === 1) {
    const only = names[0] as string;
    return (data) => hasType(data, only);
  }
  return (data) => {
    for (let i = 0; i < names.length; i += 1) if (hasType(data, names[i] as string)) return true;
    return false;
  };
}

function hasType(data: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isRecord(data);
    case 'array':
      return Array.isArray(data);
    case 'number':
      return typeof data === 'number' && Number.isFinite(data);
    case 'integer':
      return Number.isInteger(data);
    case 'null':
      return data === null;
    case 'string':
      return typeof data === 'string' || data instanceof LongString;
    default:
      return typeof data === type;
  }
}

/**
 * ajv reads a property as `data[name]`, so a name the prototype has (toString, __proto__) would
 * be seen on every object: such schemas are left to ajv.
 */
function safeName(name: string): boolean {
  return !(name in Object.prototype);
}

function propertiesCheck(value: unknown): QuickCheck | undefined {
  if (!isRecord(value)) return undefined;
  const names: string[] = [];
  const checks: QuickCheck[] = [];
  for (const [name, sub] of Object.entries(value)) {
    const check = compile(sub, false);
    if (!check || !safeName(name)) return undefined;
    names.push(name);
    checks.push(check);
  }
  return (data) => {
    if (!isRecord(data)) return true;
    for (let i = 0; i < names.length; i += 1) {
      const name = names[i] as string;
      if (Object.hasOwn(data, name) && !(checks[i] as QuickCheck)(data[name])) return false;
    }
    return true;
  };
}

function requiredCheck(value: unknown): QuickCheck | undefined {
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string' && safeName(name)) || new Set(value).size !== value.length) return undefined;
  const names = value as string[];
  return (data) => {
    if (!isRecord(data)) return true;
    for (let i = 0; i < names.length; i += 1) if (!Object.hasOwn(data, names[i] as string)) return false;
    return true;
  };
}

function additionalCheck(value: unknown, properties: unknown): QuickCheck | undefined {
  if (properties !== undefined && !isRecord(properties)) return undefined;
  const declared = new Set(Object.keys(properties ?? {}));
  const check = compile(value, false);
  if (!check) return undefined;
  return (data) => {
    if (!isRecord(data)) return true;
    const keys = Object.keys(data);
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i] as string;
      if (!declared.has(key) && !check(data[key])) return false;
    }
    return true;
  };
}

function countCheck(key: string, limit: number): QuickCheck {
  const atLeast = key.startsWith('min');
  const ok = (count: number): boolean => (atLeast ? count >= limit : count <= limit);
  if (key.endsWith('Length')) {
    return (data) => (data instanceof LongString ? ok(data.codePoints) : typeof data !== 'string' || ok(lengthBound(data, limit, atLeast)));
  }
  if (key.endsWith('Items')) return (data) => !Array.isArray(data) || ok(data.length);
  return (data) => !isRecord(data) || ok(Object.keys(data).length);
}

/**
 * A string's length in code points (as ajv counts it), computed only where the UTF-16 length
 * does not decide already: a 10 MB argument under a large maxLength is not walked.
 */
function lengthBound(text: string, limit: number, atLeast: boolean): number {
  if (atLeast ? text.length / 2 >= limit : text.length <= limit) return text.length;
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    count += 1;
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i += 1;
  }
  return count;
}

function boundCheck(key: string, bound: number): QuickCheck {
  const test: (n: number) => boolean =
    key === 'minimum' ? (n) => n >= bound : key === 'maximum' ? (n) => n <= bound : key === 'exclusiveMinimum' ? (n) => n > bound : (n) => n < bound;
  return (data) => typeof data !== 'number' || test(data);
}

function isPlain(value: unknown): value is Plain {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof LongString);
}
