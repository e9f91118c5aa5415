/**
 * Argument validation with ajv, for what the quick check (./quick-schema.ts) cannot accept on its
 * own: a schema outside its subset, or arguments it does not pass (ajv then decides and words
 * the error). Loaded by the first call that needs it (not ahead: most tools' arguments never
 * need it, and a listed tool's schema says nothing about whether it will be called), and only
 * the dialect the schema declares:
 * draft-07 (and older) with ajv's default class, 2019-09 and 2020-12 (also the default when
 * absent, as MCP specifies) with Ajv2020. Each class with its meta-schema costs several MB.
 */

/** An error text, or undefined when the data is valid. */
export type Validator = (data: unknown) => string | undefined;

interface AjvError { instancePath: string; message?: string; params?: Record<string, unknown> }
interface AjvFunction { (data: unknown): boolean; errors?: AjvError[] | null }
interface AjvLike { compile(schema: object): AjvFunction }
type AjvClass = new (options: Record<string, unknown>) => AjvLike;
type Dialect = 'legacy' | 'modern';

const instances = new Map<Dialect, Promise<AjvLike>>();

function dialectOf(schema: object): Dialect {
  const dialect = (schema as { $schema?: unknown }).$schema;
  return typeof dialect === 'string' && /draft-0[4-7]/.test(dialect) ? 'legacy' : 'modern';
}

function ajvFor(dialect: Dialect): Promise<AjvLike> {
  let instance = instances.get(dialect);
  if (!instance) {
    instance = (async (): Promise<AjvLike> => {
      const [module, formats] = await Promise.all([dialect === 'legacy' ? import('ajv') : import('ajv/dist/2020.js'), import('ajv-formats')]);
      const ajv = new (pick<AjvClass>(module, dialect === 'legacy' ? 'Ajv' : 'Ajv2020'))({ strict: false, allErrors: true, logger: false, addUsedSchema: false, validateSchema: true });
      pick<(ajv: AjvLike) => void>(formats, 'default')(ajv);
      return ajv;
    })();
    instances.set(dialect, instance);
  }
  return instance;
}

/** Compiles `schema`; rejects when the schema itself is invalid (its message says why). */
export async function compileSchema(schema: unknown): Promise<Validator> {
  if (typeof schema === 'boolean') return schema ? () => undefined : () => 'no arguments are accepted';
  if (typeof schema !== 'object' || schema === null) throw new Error('the schema is not an object');
  const fn = (await ajvFor(dialectOf(schema))).compile(schema);
  return (data) => (fn(data) ? undefined : describeErrors(fn.errors ?? []));
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
