/**
 * The skeleton reader (src/gate/skeleton.ts) against JSON.parse: the same values for
 * everything short, LongStrings with the right lengths and heads for long strings, however the
 * line is cut into pieces; undefined (read it the ordinary way) wherever it cannot be exact.
 */
import { HEAD_CHARS, LongString, holdsLong, readSkeleton } from '../../../src/gate/skeleton.js';

/** The line cut into pieces at every `step` bytes. */
const cut = (bytes: Buffer, step: number): Buffer[] => {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += step) parts.push(bytes.subarray(at, at + step));
  return parts;
};

/** JSON.parse's value with long strings replaced by what the skeleton should say of them. */
function expected(value: unknown, longAt: number): unknown {
  if (typeof value === 'string') {
    if (Buffer.byteLength(JSON.stringify(value)) - 2 < longAt) return value;
    return { length: value.length, codePoints: [...value].length, head: value.slice(0, HEAD_CHARS) };
  }
  if (Array.isArray(value)) return value.map((v) => expected(v, longAt));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expected(v, longAt)]));
  return value;
}

function plain(value: unknown): unknown {
  if (value instanceof LongString) return { length: value.length, codePoints: value.codePoints, head: value.head };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const SAMPLES: ReadonlyArray<[string, string]> = [
  ['a request', '{"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}},"jsonrpc":"2.0","id":5}\n'],
  ['escapes in strings and keys', String.raw`{"a\"b":"q\"uo\\te\\","c":"\u00e9\n\t\/","d\\":"\\\"","e":"\ud83d\ude00"}`],
  ['numbers and literals', '{"n":[-0,1.5e3,-2E-2,0,12345678901234567890],"t":true,"f":false,"z":null}'],
  ['whitespace', ' \t{ "a" : [ 1 , { } , [ ] ] , "b" : "" }\r\n'],
  ['a batch', '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]'],
  ['non-ASCII text', '{"text":"grüße, 日本語, 😀 and more"}'],
  ['__proto__ as a key', '{"__proto__":{"polluted":true},"a":1}'],
];

describe('readSkeleton: short values are exactly JSON.parse', () => {
  test.each(SAMPLES)('%s, in pieces of every size', (_label, text) => {
    const bytes = Buffer.from(text);
    const want = JSON.parse(text) as unknown;
    for (let step = 1; step <= bytes.length; step += 1) {
      const got = readSkeleton(cut(bytes, step), 1 << 20);
      expect(plain(got)).toEqual(want);
    }
  });

  test('a __proto__ key stays an own key and pollutes nothing', () => {
    const got = readSkeleton([Buffer.from('{"__proto__":{"polluted":true}}')], 1024) as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('readSkeleton: long strings are counted, not made', () => {
  const longSamples: ReadonlyArray<[string, string]> = [
    ['ASCII', 'x'.repeat(50_000)],
    ['escapes across the whole string', 'a"b\\c\n/'.repeat(8_000)],
    ['two- three- and four-byte characters', 'é日😀'.repeat(6_000)],
    ['escaped surrogate pairs', '\ud83d\ude00'.repeat(6_000)],
    ['lone surrogates', '\ud83d-\ude00'.repeat(6_000)],
  ];
  test.each(longSamples)('%s, cut at odd places', (_label, value) => {
    // JSON.stringify leaves lone surrogates escaped (\ud83d), and keeps pairs as UTF-8; the raw forms below cover both.
    const forms = [JSON.stringify({ arguments: { message: value } }), JSON.stringify({ arguments: { message: value } }).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)];
    for (const text of forms) {
      const bytes = Buffer.from(text);
      for (const step of [1, 7, 4093, 65_536, bytes.length]) {
        const got = plain(readSkeleton(cut(bytes, step), 16 * 1024));
        expect(got).toEqual(expected(JSON.parse(text), 16 * 1024));
      }
    }
  });

  test('holdsLong finds a LongString at any depth', () => {
    const got = readSkeleton([Buffer.from(JSON.stringify({ a: [{ b: 'y'.repeat(40_000) }] }))], 16 * 1024);
    expect(holdsLong(got)).toBe(true);
    expect(holdsLong(JSON.parse('{"a":[{"b":"short"}]}'))).toBe(false);
  });

  test('a 10 MB string in 64 KB pieces: counted with its head', () => {
    const text = JSON.stringify({ method: 'tools/call', params: { name: 'echo', arguments: { message: 'z'.repeat(10_000_000) } }, jsonrpc: '2.0', id: 9 });
    const got = readSkeleton(cut(Buffer.from(text), 65_536), 16 * 1024) as { id: number; params: { arguments: { message: LongString } } };
    expect(got.id).toBe(9);
    const message = got.params.arguments.message;
    expect(message).toBeInstanceOf(LongString);
    expect([message.length, message.codePoints, message.head.length]).toEqual([10_000_000, 10_000_000, HEAD_CHARS]);
  });
});

describe('readSkeleton: what it cannot read exactly is undefined', () => {
  const bad: ReadonlyArray<[string, Buffer]> = [
    ['truncated', Buffer.from('{"a":"b"')],
    ['trailing garbage', Buffer.from('{"a":1} x')],
    ['a raw control character in a string', Buffer.from('{"a":"b\u0001c"}')],
    ['an invalid escape', Buffer.from('{"a":"\\x41"}')],
    ['a bad literal', Buffer.from('{"a":tru}')],
    ['a missing colon', Buffer.from('{"a" 1}')],
    ['empty', Buffer.alloc(0)],
    ['deep nesting', Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`)],
    ['invalid UTF-8 in a long string', Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20_000, 0x61), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
    ['an overlong encoding in a long string', Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20_000, 0x61), Buffer.from([0xe0, 0x80, 0xaf]), Buffer.from('"}')])],
    ['an encoded surrogate in a long string', Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20_000, 0x61), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ['a long string cut off', Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20_000, 0x61)])],
  ];
  test.each(bad)('%s', (_label, bytes) => {
    expect(readSkeleton(cut(bytes, 5_000), 16 * 1024)).toBeUndefined();
  });

  test('the one leniency: a raw control character past a long string\'s head is counted as a character', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20_000, 0x61), Buffer.from([0x01]), Buffer.from('"}')]);
    expect(plain(readSkeleton([bytes], 16 * 1024))).toEqual({ a: { length: 20_001, codePoints: 20_001, head: 'a'.repeat(HEAD_CHARS) } });
  });

  test('a mostly ASCII long string with non-ASCII far apart is counted exactly (and in linear time)', () => {
    const value = `${'a'.repeat(100_000)}é${'b'.repeat(100_000)}😀`;
    const bytes = Buffer.from(JSON.stringify({ v: value }));
    expect(plain(readSkeleton([bytes], 16 * 1024))).toEqual({ v: { length: value.length, codePoints: value.length - 1, head: value.slice(0, HEAD_CHARS) } });
  });

  test('invalid UTF-8 in a short string decodes as JSON.parse of the decoded line does', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff]), Buffer.from('y"}')]);
    expect(readSkeleton([bytes], 1024)).toEqual(JSON.parse(bytes.toString('utf8')));
  });
});
