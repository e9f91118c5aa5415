/**
 * Schema stage: checks the merged profile against schema/profile.schema.json and turns the
 * most specific ajv error into one actionable line.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schemaJson from '../../schema/profile.schema.json' with { type: 'json' };
import { SandboxError, type SourceLocation } from '../errors.js';
import { pointerSegments, toPointer } from './pointer.js';
import { quoted, quotedValue } from './quote.js';
import { closest } from './suggest.js';
import type { Profile } from './types.js';

/** The profile JSON Schema, as shipped in the package. */
const profileSchema: Record<string, unknown> = schemaJson;

type Schema = Record<string, unknown>;

let compiled: ValidateFunction | undefined;

/** Compiled once per process: compiling costs more than validating many profiles. */
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
    compiled = ajv.compile(profileSchema);
  }
  return compiled;
}

/** Finds where a pointer is; `key` asks for the key's position instead of the value's. */
export type Locate = (pointer: string, key?: boolean) => SourceLocation;

/** Throws a `SandboxError` naming the position of the first, most specific schema violation. */
export function validateProfile(data: unknown, locate: Locate): asserts data is Profile {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SandboxError('PROFILE_INVALID', `a profile must be a YAML map of keys, got ${describe(data)}`, {
      location: locate(''),
      hint: 'start with "version: 1"',
    });
  }
  const validate = validator();
  if (validate(data)) return;
  const error = mostSpecific(validate.errors ?? []);
  const { message, pointer, key, hint } = explain(error);
  throw new SandboxError('PROFILE_INVALID', message, { location: locate(pointer, key), hint });
}

// At equal depth, errors from a oneOf branch compete: a wrong type or pattern says more than
// "must be -1" from the special-value branch of resources.memorySwap, so const ranks last.
const KEYWORD_RANK = ['additionalProperties', 'propertyNames', 'required', 'enum', 'type', 'pattern', 'const'];

function mostSpecific(errors: ErrorObject[]): ErrorObject {
  const useful = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const pool = useful.length > 0 ? useful : errors;
  const depth = (e: ErrorObject): number =>
    pointerSegments(e.instancePath).length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const rank = (e: ErrorObject): number => {
    const index = KEYWORD_RANK.indexOf(e.keyword);
    return index < 0 ? KEYWORD_RANK.length : index;
  };
  return [...pool].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0] as ErrorObject;
}

interface Explanation {
  message: string;
  pointer: string;
  key?: boolean;
  hint?: string;
}

function explain(error: ErrorObject): Explanation {
  const pointer = error.instancePath;
  const field = fieldName(pointer);
  const expected = expectedAt(pointer);
  const value: unknown = error.data;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys(((error.parentSchema as Schema | undefined)?.properties as Schema | undefined) ?? {});
      const guess = closest(extra, allowed);
      const where = field ? ` in ${field}` : '';
      return {
        message: `unknown key ${quoted(extra)}${where}`,
        pointer: pointer + toPointer([extra]),
        key: true,
        hint: guess ? `did you mean "${guess}"?` : `expected one of: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      return { message: `missing required key "${missing}"${field ? ` in ${field}` : ''}`, pointer, hint: requiredHint(missing) };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const keyPointer = pointer + toPointer([name]);
      return {
        message: `${field} key ${quoted(name)} is not valid`,
        pointer: keyPointer,
        key: true,
        hint: `expected ${expectedAt(keyPointer, true) ?? 'a valid name'}`,
      };
    }
    case 'const':
      return { message: `${field} must be ${JSON.stringify(params.allowedValue)}, got ${describe(value)}`, pointer };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
      return {
        message: `${field} must be one of ${allowed.join(', ')}; got ${describe(value)}`,
        pointer,
        hint: guess ? `did you mean "${guess}"?` : undefined,
      };
    }
    case 'type':
      return {
        message: `${field} must be ${article(String(params.type))}, got ${describe(value)}`,
        pointer,
        hint: expected ? `expected ${expected}` : undefined,
      };
    case 'pattern':
      return { message: `${field} ${describe(value)} is not valid`, pointer, hint: `expected ${expected ?? `to match ${String(params.pattern)}`}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { message: `${field} must be ${String(params.comparison)} ${String(params.limit)}, got ${describe(value)}`, pointer };
    case 'minItems':
      return { message: `${field} must not be empty`, pointer, hint: 'remove the key to use the default' };
    case 'minLength':
      return { message: `${field} must not be empty`, pointer };
    case 'uniqueItems': {
      const list = Array.isArray(value) ? value : [];
      return { message: `${field} lists ${describe(list[Number(params.i)])} twice`, pointer: `${pointer}/${String(params.i)}` };
    }
    default:
      return { message: `${field || 'profile'} ${error.message ?? 'is not valid'}`, pointer, hint: expected ? `expected ${expected}` : undefined };
  }
}

function requiredHint(key: string): string | undefined {
  const hints: Record<string, string> = {
    version: 'add "version: 1"',
    name: 'add e.g. "name: my-server" (lowercase letters, digits, dashes)',
    image: 'add e.g. "image: mcp/everything:1.2.0"',
    path: 'add the mount point, e.g. "path: /tmp"',
    source: 'add the host path or volume name',
    target: 'add the path inside the container',
  };
  return hints[key];
}

/** Dotted field name for messages: /filesystem/mounts/0/target -> filesystem.mounts[0].target */
export function fieldName(pointer: string): string {
  return pointerSegments(pointer).reduce(
    (name, segment) => (/^\d+$/.test(segment) ? `${name}[${segment}]` : name ? `${name}.${segment}` : segment),
    '',
  );
}

/** The schema's human description of what is expected at an instance path, if it has one. */
function expectedAt(pointer: string, propertyName = false): string | undefined {
  let node: Schema | undefined = profileSchema;
  const segments = pointerSegments(pointer);
  for (const [index, segment] of segments.entries()) {
    node = deref(node);
    if (!node) return undefined;
    const isLast = index === segments.length - 1;
    if (propertyName && isLast && node.propertyNames) return deref(node.propertyNames as Schema)?.['x-expected'] as string;
    const properties = node.properties as Record<string, Schema> | undefined;
    if (properties?.[segment]) node = properties[segment];
    else if (node.items) node = node.items as Schema;
    else if (node.additionalProperties && typeof node.additionalProperties === 'object') node = node.additionalProperties as Schema;
    else return undefined;
  }
  node = deref(node);
  if (!node) return undefined;
  if (typeof node['x-expected'] === 'string') return node['x-expected'];
  const branches = (node.oneOf ?? node.anyOf) as Schema[] | undefined;
  if (branches) {
    const parts = branches.map((b) => deref(b)).map((b) => (b?.['x-expected'] as string | undefined) ?? (b && 'const' in b ? JSON.stringify(b.const) : undefined));
    return parts.filter(Boolean).join(', or ');
  }
  return undefined;
}

function deref(node: Schema | undefined): Schema | undefined {
  let current = node;
  while (current && typeof current.$ref === 'string') {
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce<Schema | undefined>((n, p) => n?.[p] as Schema | undefined, profileSchema);
  }
  return current;
}

function article(type: string): string {
  const names = type.split(',').map((t) => (t === 'integer' ? 'a whole number' : t === 'array' ? 'a list' : t === 'object' ? 'a map' : `a ${t}`));
  return names.join(' or ');
}

/** A value as it appears in a message: its YAML-ish type and (when short) the value itself. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return quotedValue(value);
  return `${typeof value === 'number' ? 'number' : typeof value} ${String(value)}`;
}
