/**
 * The quick check (src/gate/quick-schema.ts) must never accept what ajv rejects: every case is
 * decided by the real ajv (the dialect's class, the gate's options) and the quick verdict is
 * compared with it. Schemas outside the subset must not get a quick check at all.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { quickCheckOf } from '../../../src/gate/quick-schema.js';

const OPTIONS = { strict: false, allErrors: true, logger: false as const, addUsedSchema: false, validateSchema: true };
const legacy = new Ajv(OPTIONS);
const modern = new Ajv2020(OPTIONS);
const D7 = 'http://json-schema.org/draft-07/schema#';

function ajvAccepts(schema: Record<string, unknown>, data: unknown): boolean {
  const ajv = typeof schema.$schema === 'string' && schema.$schema.includes('draft-07') ? legacy : modern;
  return ajv.compile(schema)(data);
}

const ECHO = { type: 'object', properties: { message: { type: 'string', description: 'Message to echo' } }, required: ['message'], additionalProperties: false, $schema: D7 };
const RICH = {
  type: 'object',
  properties: {
    count: { type: 'integer', minimum: 1, maximum: 10 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    mode: { enum: ['fast', 'slow', null, 3] },
    tag: { const: 'v1' },
    flags: { type: 'array', items: { type: 'boolean' }, minItems: 1, maxItems: 3 },
    name: { type: ['string', 'null'], minLength: 2, maxLength: 4 },
    meta: { type: 'object', additionalProperties: { type: 'number' }, maxProperties: 2, minProperties: 1 },
    anything: true,
  },
  required: ['count'],
  title: 't',
  examples: [{}],
  default: {},
};

const CASES: ReadonlyArray<[string, Record<string, unknown>, unknown]> = [
  ['echo ok', ECHO, { message: 'hi' }],
  ['echo wrong type', ECHO, { message: 42 }],
  ['echo missing', ECHO, {}],
  ['echo extra', ECHO, { message: 'x', extra: 1 }],
  ['echo not an object', ECHO, ['message']],
  ['echo null', ECHO, null],
  ['rich ok', RICH, { count: 3, ratio: 0.5, mode: null, tag: 'v1', flags: [true], name: 'ab', meta: { a: 1 }, anything: { x: [1] } }],
  ['integer as float', RICH, { count: 2.5 }],
  ['integer written 2.0 parses as 2', RICH, JSON.parse('{"count": 2.0}')],
  ['below minimum', RICH, { count: 0 }],
  ['above maximum', RICH, { count: 11 }],
  ['exclusive bound hit', RICH, { count: 1, ratio: 0 }],
  ['enum miss', RICH, { count: 1, mode: 'medium' }],
  ['enum number', RICH, { count: 1, mode: 3 }],
  ['const miss', RICH, { count: 1, tag: 'v2' }],
  ['items wrong', RICH, { count: 1, flags: [true, 'no'] }],
  ['too few items', RICH, { count: 1, flags: [] }],
  ['too many items', RICH, { count: 1, flags: [true, true, true, true] }],
  ['null allowed by the type list', RICH, { count: 1, name: null }],
  ['too short', RICH, { count: 1, name: 'a' }],
  ['too long', RICH, { count: 1, name: 'abcde' }],
  // Two surrogate pairs are two code points for ajv, four UTF-16 units.
  ['astral characters count once', RICH, { count: 1, name: '😀😀' }],
  ['astral too long', RICH, { count: 1, name: '😀😀😀😀😀' }],
  ['additional property of the wrong type', RICH, { count: 1, meta: { a: 'x' } }],
  ['too many properties', RICH, { count: 1, meta: { a: 1, b: 2, c: 3 } }],
  ['too few properties', RICH, { count: 1, meta: {} }],
  ['an own __proto__ key is just a key', ECHO, JSON.parse('{"message":"x","__proto__":1}')],
];

describe('quick schema check agrees with ajv', () => {
  test.each(CASES)('%s', (_label, schema, data) => {
    const quick = quickCheckOf(schema);
    expect(quick).toBeDefined();
    const accepted = ajvAccepts(schema, data);
    // Quick says "valid" exactly when ajv does on this subset; a false only defers to ajv.
    expect(quick?.(data)).toBe(accepted);
  });

  test('a long string is not walked when its UTF-16 length already decides', () => {
    const schema = { type: 'object', properties: { message: { type: 'string', maxLength: 20_000_000 } } };
    const message = 'y'.repeat(10_000_000);
    expect(quickCheckOf(schema)?.({ message })).toBe(true);
    expect(ajvAccepts(schema, { message })).toBe(true);
  });

  test('boolean schemas', () => {
    expect(quickCheckOf(true)?.({ a: 1 })).toBe(true);
    expect(quickCheckOf(false)?.({})).toBe(false);
  });
});

describe('schemas outside the subset go to ajv', () => {
  const outside: ReadonlyArray<[string, unknown]> = [
    ['pattern', { type: 'object', properties: { path: { type: 'string', pattern: '^/' } } }],
    ['format', { type: 'string', format: 'uri' }],
    ['$ref', { type: 'object', properties: { a: { $ref: '#/definitions/x' } }, definitions: { x: { type: 'string' } } }],
    ['anyOf', { anyOf: [{ type: 'string' }, { type: 'number' }] }],
    ['prefixItems', { type: 'array', prefixItems: [{ type: 'string' }] }],
    ['tuple items', { type: 'array', items: [{ type: 'string' }] }],
    ['unknown type name', { type: 'strng' }],
    ['repeated type', { type: ['string', 'string'] }],
    ['negative maxLength', { type: 'string', maxLength: -1 }],
    ['an object in enum', { enum: [{ a: 1 }] }],
    ['empty enum', { enum: [] }],
    ['a property the prototype has', { type: 'object', properties: { constructor: { type: 'string' } } }],
    ['required name the prototype has', { type: 'object', required: ['toString'] }],
    ['draft-04', { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }],
    ['nested $schema', { type: 'object', properties: { a: { $schema: D7, type: 'string' } } }],
    ['a description that is no string', { type: 'object', description: 5 }],
    ['patternProperties', { type: 'object', patternProperties: { '^x': { type: 'string' } } }],
    ['a schema that is no object', 'object'],
  ];
  test.each(outside)('%s', (_label, schema) => {
    expect(quickCheckOf(schema)).toBeUndefined();
  });
});
