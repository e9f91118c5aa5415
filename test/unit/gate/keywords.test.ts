/**
 * KeywordIndex against the obvious definition (`text.includes(keyword)` for each keyword), on
 * texts built to put keywords at the edges, overlapping each other and next to near misses.
 */
import { KeywordIndex } from '../../../src/gate/keywords.js';
import { RULE_KEYWORDS } from '../../../src/gate/tokens.js';

const KEYWORDS = [...new Set(Object.values(RULE_KEYWORDS).flat())];

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
  const pieces = [...KEYWORDS, ...KEYWORDS.map((k) => k.slice(0, -1)), ...KEYWORDS.map((k) => k.slice(1)), 'x', 'é', '_', '-', '.', ':', ' ', 'xo', 'sk', 'ECRE'];
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
  const index = new KeywordIndex(KEYWORDS);

  test('foundIn says for every keyword what includes says', () => {
    for (const text of texts()) expect(index.foundIn(text)).toEqual(KEYWORDS.map((k) => text.includes(k)));
  });

  test('anyInText says whether any keyword is in the text', () => {
    for (const text of texts()) expect([text, index.anyInText(text)]).toEqual([text, KEYWORDS.some((k) => text.includes(k))]);
  });

  test('anyInText on long texts (searched, not the short texts\' regex) says the same', () => {
    const padding = 'x'.repeat(9000);
    for (const text of texts().slice(0, 120)) {
      for (const long of [padding + text, text + padding]) expect([text, index.anyInText(long)]).toEqual([text, KEYWORDS.some((k) => long.includes(k))]);
    }
  });

  test('anyIn on the UTF-8 bytes says whether any keyword is in the text', () => {
    for (const text of texts()) expect([text, index.anyIn(Buffer.from(text))]).toEqual([text, KEYWORDS.some((k) => text.includes(k))]);
  });

  test('a keyword at the very start or end, or cut off by the end, is told apart', () => {
    expect(index.anyIn(Buffer.from('ghp_xxxx'))).toBe(true);
    expect(index.anyIn(Buffer.from('xxxxghp_'))).toBe(true);
    expect(index.anyIn(Buffer.from('xxxxghp'))).toBe(false);
    expect(index.anyIn(Buffer.from('_xxxx'))).toBe(false);
    expect(index.anyIn(Buffer.from('xxxx:/'))).toBe(false);
  });

  test('keywords must be printable ASCII (they are looked for in UTF-8 bytes)', () => {
    expect(() => new KeywordIndex(['é_'])).toThrow(/ASCII/);
    expect(() => new KeywordIndex([''])).toThrow(/ASCII/);
  });
});
