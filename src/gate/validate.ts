/**
 * Argument validation with ajv, loaded on the first tools/call or tools/list (never at start).
 * The dialect follows the schema's `$schema`: draft-07 (and older) with ajv's default class,
 * 2019-09 and 2020-12 (also the default when absent, as MCP specifies) with Ajv2020.
 */

/** An error text, or undefined when the data is valid. */
export type Validator = (data: unknown) => string | undefined;

export interface SchemaCompiler {
  /** Throws when the schema itself is invalid (its message says why). */
  compile(schema: unknown): Validator;
}

interface AjvError { instancePath: string; message?: string; params?: Record<string, unknown> }
interface AjvFunction { (data: unknown): boolean; errors?: AjvError[] | null }
interface AjvLike { compile(schema: object): AjvFunction }
type AjvClass = new (options: Record<string, unknown>) => AjvLike;

let loading: Promise<SchemaCompiler> | undefined;

export function loadSchemaCompiler(): Promise<SchemaCompiler> {
  loading ??= (async (): Promise<SchemaCompiler> => {
    const [draft07, draft2020, formats] = await Promise.all([import('ajv'), import('ajv/dist/2020.js'), import('ajv-formats')]);
    const options = { strict: false, allErrors: true, logger: false, addUsedSchema: false, validateSchema: true };
    const addFormats = pick<(ajv: AjvLike) => void>(formats, 'default');
    const make = (cls: AjvClass): AjvLike => {
      const ajv = new cls(options);
      addFormats(ajv);
      return ajv;
    };
    const legacy = make(pick<AjvClass>(draft07, 'Ajv'));
    const modern = make(pick<AjvClass>(draft2020, 'Ajv2020'));
    return {
      compile(schema: unknown): Validator {
        if (typeof schema === 'boolean') return schema ? () => undefined : () => 'no arguments are accepted';
        if (typeof schema !== 'object' || schema === null) throw new Error('the schema is not an object');
        const dialect = (schema as { $schema?: unknown }).$schema;
        const ajv = typeof dialect === 'string' && /draft-0[4-7]/.test(dialect) ? legacy : modern;
        const fn = ajv.compile(schema);
        return (data) => (fn(data) ? undefined : describeErrors(fn.errors ?? []));
      },
    };
  })();
  return loading;
}

/**
 * A CommonJS export through a dynamic import: ts-jest and node give the named export, a bundle
 * may give only `default` (module.exports), which may itself carry the name.
 */
function pick<T>(module: unknown, name: string): T {
  const m = module as Record<string, unknown> & { default?: Record<string, unknown> & { default?: unknown } };
  const found = m[name] ?? m.default?.[name] ?? (name === 'default' ? m.default?.default ?? m.default : m.default);
  if (typeof found !== 'function') throw new Error(`ajv: ${name} not found in the module`);
  return found as T;
}

function describeErrors(errors: readonly AjvError[]): string {
  return errors
    .slice(0, 5)
    .map((error) => `${error.instancePath === '' ? 'arguments' : `arguments${error.instancePath}`} ${error.message ?? 'is invalid'}`)
    .join('; ');
}
