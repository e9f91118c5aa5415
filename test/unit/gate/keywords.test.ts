/**
 * KeywordIndex against the obvious definition (`text.includes(keyword)` for each keyword), on
 * texts built to put keywords at the edges, overlapping each other and next to near misses.
 */
import { KeywordIndex } from '../../../src/gate/keywords.js';
import { CASELESS_KEYWORDS, RULE_KEYWORDS } from '../../../src/gate/tokens.js';

const KEYWORDS = [...new Set(Object.values(RULE_KEYWORDS).flat())];

/** The obvious definition: includes, on an ASCII-lower-cased text for a caseless keyword. */
const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
const holds = (text: string, keyword: string): boolean => (CASELESS_KEYWORDS.has(keyword) ? asciiLower(text) : text).includes(keyword);

/** A small deterministic generator (the same texts on every run). */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function texts(): string[] {
  const random = generator(42);
  const upper = [...CASELESS_KEYWORDS].flatMap((k) => [k.toUpperCase(), k.replace(/^./, (c) => c.toUpperCase()), k.replace(/.(?=[^.]*$)/, (c) => c.toUpperCase())]);
  const pieces = [...KEYWORDS, ...upper, ...KEYWORDS.map((k) => k.slice(0, -1)), ...KEYWORDS.map((k) => k.slice(1)), 'x', 'é', 'K', '_', '-', '.', ':', ' ', 'xo', 'sk', 'ECRE'];
  const out: string[] = ['', '_', 'npm', 'npm_', '://', ':/', 'ecret', 'ECRET'];
  for (let i = 0; i < 400; i += 1) {
    let text = '';
    const count = 1 + Math.floor(random() * 6);
    for (let j = 0; j < count; j += 1) text += pieces[Math.floor(random() * pieces.length)];
    out.push(text);
  }
  return out;
}

describe('KeywordIndex', () => {
  const index = new KeywordIndex(KEYWORDS, CASELESS_KEYWORDS);

  test('foundIn says for every keyword what includes says', () => {
    for (const text of texts()) expect(index.foundIn(text)).toEqual(KEYWORDS.map((k) => holds(text, k)));
  });

  test('anyInText says whether any keyword is in the text', () => {
    for (const text of texts()) expect([text, index.anyInText(text)]).toEqual([text, KEYWORDS.some((k) => holds(text, k))]);
  });

  test('anyInText on long texts (searched, not the short texts\' regex) says the same', () => {
    const padding = 'x'.repeat(9000);
    for (const text of texts().slice(0, 120)) {
      for (const long of [padding + text, text + padding]) expect([text, index.anyInText(long)]).toEqual([text, KEYWORDS.some((k) => holds(long, k))]);
    }
  });

  test('anyIn on the UTF-8 bytes says whether any keyword is in the text', () => {
    for (const text of texts()) expect([text, index.anyIn(Buffer.from(text))]).toEqual([text, KEYWORDS.some((k) => holds(text, k))]);
  });

  test('a keyword at the very start or end, or cut off by the end, is told apart', () => {
    expect(index.anyIn(Buffer.from('ghp_xxxx'))).toBe(true);
    expect(index.anyIn(Buffer.from('xxxxghp_'))).toBe(true);
    expect(index.anyIn(Buffer.from('xxxxghp'))).toBe(false);
    expect(index.anyIn(Buffer.from('_xxxx'))).toBe(false);
    expect(index.anyIn(Buffer.from('xxxx:/'))).toBe(false);
  });

  test('a caseless keyword is found in any ASCII case, and only there', () => {
    const caseless = new KeywordIndex(['hooks.slack.com/', 'npm_'], new Set(['hooks.slack.com/']));
    for (const text of ['HOOKS.SLACK.COM/', 'Hooks.Slack.Com/', 'x hooks.sLACK.com/ y']) {
      expect([text, caseless.anyInText(text), caseless.anyInText(text + 'x'.repeat(9000)), caseless.anyIn(Buffer.from(text)), caseless.foundIn(text)]).toEqual([text, true, true, true, [true, false]]);
    }
    // The i flag without u folds no other character to an ASCII letter (the Kelvin sign is not k).
    for (const text of ['hoo\u212As.slack.com/', 'hooks.slack.com', 'NPM_', 'hooks-slack.com/']) {
      expect([text, caseless.anyInText(text), caseless.anyInText(text + 'x'.repeat(9000)), caseless.anyIn(Buffer.from(text))]).toEqual([text, false, false, false]);
    }
  });

  test('a caseless keyword must be lower case and hold a separator (it is never searched for in a folded copy)', () => {
    expect(() => new KeywordIndex(['Hooks.slack'], new Set(['Hooks.slack']))).toThrow(/lower case/);
    expect(() => new KeywordIndex(['hooks'], new Set(['hooks']))).toThrow(/lower case/);
  });

  test('keywords must be printable ASCII (they are looked for in UTF-8 bytes)', () => {
    expect(() => new KeywordIndex(['é_'])).toThrow(/ASCII/);
    expect(() => new KeywordIndex([''])).toThrow(/ASCII/);
  });
});
