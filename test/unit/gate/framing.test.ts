import { LineFramer, bytesOf, headOf, lastByteOf, lineOf, sniffId, sniffIsRequest, tailOf, textOf, type Line } from '../../../src/gate/framing.js';

function frame(chunks: Array<string | Buffer>, max = 1000): Array<string | { oversize: number; head: string; tail: string }> {
  const out: Array<string | { oversize: number; head: string; tail: string }> = [];
  const framer = new LineFramer(max, {
    line: (line) => out.push(Buffer.concat(line.parts).toString('utf8')),
    oversize: (head, tail, length) => out.push({ oversize: length, head: head.toString('utf8'), tail: tail.toString('utf8') }),
  });
  for (const chunk of chunks) framer.push(Buffer.from(chunk));
  framer.end();
  return out;
}

describe('LineFramer', () => {
  test('splits lines across and within chunks, newline kept', () => {
    expect(frame(['{"a":1}\n{"b"', ':2}\n{"c":3}\n'])).toEqual(['{"a":1}\n', '{"b":2}\n', '{"c":3}\n']);
  });

  test('keeps CRLF and blank lines as they came', () => {
    expect(frame(['{"a":1}\r\n\n'])).toEqual(['{"a":1}\r\n', '\n']);
  });

  test('a last line without newline comes out at end of input', () => {
    expect(frame(['{"a":1}\n{"b":2}'])).toEqual(['{"a":1}\n', '{"b":2}']);
  });

  test('a line over the cap is skipped to the next newline and reported with its length', () => {
    const big = `{"id":7,"method":"x","params":"${'y'.repeat(3000)}"}`;
    const out = frame(['{"a":1}\n', big.slice(0, 500), big.slice(500, 2000), `${big.slice(2000)}\n{"b":2}\n`]);
    expect(out[0]).toBe('{"a":1}\n');
    expect(out[1]).toMatchObject({ oversize: big.length + 1 });
    expect((out[1] as { head: string }).head.length).toBe(512);
    expect((out[1] as { tail: string }).tail.endsWith('"}\n')).toBe(true);
    expect(out[2]).toBe('{"b":2}\n');
  });

  test('exactly the cap passes; one byte more does not', () => {
    const at = 'x'.repeat(1000);
    expect(frame([`${at}\n`])).toEqual([`${at}\n`]);
    expect(frame([`${at}x\n`])[0]).toMatchObject({ oversize: 1002 });
  });
});

describe('sniffId', () => {
  test('reads a top-level id at the start or right before the closing brace', () => {
    expect(sniffId(Buffer.from('{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"a'))).toBe(42);
    expect(sniffId(Buffer.from('{"jsonrpc":"2.0","id":"ab\\"c","method"'))).toBe('ab"c');
    expect(sniffId(Buffer.from('{"result":{"content":[{"text":"aaa'), Buffer.from('aaaa"}]},"jsonrpc":"2.0","id":9}\n'))).toBe(9);
  });

  test('does not take a nested id', () => {
    expect(sniffId(Buffer.from('{"params":{"id":5},"id":'))).toBeUndefined();
    expect(sniffId(Buffer.from('{"result":{'), Buffer.from('"x":{"id":5}}\n'))).toBeUndefined();
    expect(sniffId(Buffer.from('{"result":"'), Buffer.from('\\"id\\":5}"}\n'))).toBeUndefined();
  });

  test('tells requests from responses', () => {
    expect(sniffIsRequest(Buffer.from('{"jsonrpc":"2.0","method":"x","id":1'))).toBe(true);
    expect(sniffIsRequest(Buffer.from('{"jsonrpc":"2.0","result":{"method":"x"}'))).toBe(false);
  });
});

describe('a line as the pieces it came in', () => {
  const pieces = (text: string, size: number): Buffer[] => {
    const bytes = Buffer.from(text);
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
    return out;
  };

  test('the framer hands a long line on unjoined, its pieces concatenating to the line', () => {
    const got: Line[] = [];
    const framer = new LineFramer(10_000, { line: (line) => got.push(line), oversize: () => undefined });
    const text = `{"id":1,"text":"${'漢'.repeat(1000)}"}\n`;
    for (const piece of pieces(text, 700)) framer.push(piece);
    expect(got).toHaveLength(1);
    const [line] = got as [Line];
    expect(line.parts.length).toBeGreaterThan(1);
    expect(line.length).toBe(Buffer.byteLength(text));
    expect(Buffer.concat(line.parts).toString()).toBe(text);
  });

  test('head, tail, last byte and text across pieces, multi-byte characters split between them', () => {
    const text = `${'é'.repeat(300)}${'😀'.repeat(300)}漢\n`;
    for (const size of [1, 5, 511, 700, 100_000]) {
      const parts = pieces(text, size);
      const line: Line = { parts, length: Buffer.byteLength(text) };
      const whole = Buffer.from(text);
      expect(headOf(line).equals(whole.subarray(0, 512))).toBe(true);
      expect(tailOf(line).equals(whole.subarray(whole.length - 512))).toBe(true);
      expect(headOf(line, 3).equals(whole.subarray(0, 3))).toBe(true);
      expect(tailOf(line, 2).equals(whole.subarray(whole.length - 2))).toBe(true);
      expect(lastByteOf(line)).toBe(10);
      expect(textOf(line)).toBe(text);
      expect(bytesOf(line).equals(whole)).toBe(true);
    }
    expect(textOf(lineOf(Buffer.from('{"a":1}')))).toBe('{"a":1}');
    expect(lastByteOf({ parts: [], length: 0 })).toBeUndefined();
  });
});
