import { GATE_ERRORS } from '../../../src/gate/jsonrpc.js';
import { MIN_SECRET_LENGTH, SecretScanner, secretForms } from '../../../src/gate/secrets.js';
import { harness } from './harness.js';

const SECRET = 'sk-test-Xy9!/+=?&Q7 long value';
const TOKENS = {
  github: `ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`,
  aws: `aws_secret_access_key = ${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY'.slice(0, 40)}`,
  slack: 'xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn',
  stripe: `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`,
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEpAIBAAKCAQEA7bq98D6ZV5xF0b1oE4Tq5d8Y9nJ3Kp2WmXcVhLrT0sUa1BgNyQ\n'.repeat(6)}-----END RSA PRIVATE KEY-----`,
};

type Answer = { id?: unknown; error?: { code: number; message: string }; result?: { content: Array<{ text: string }> } };

async function roundTrip(text: string, options: { secretScan?: 'mask' | 'block' | 'off'; secrets?: Record<string, string> } = {}): Promise<{ raw: string; records: Array<Record<string, unknown>> }> {
  const h = harness({ secretScan: options.secretScan ?? 'mask' }, { secrets: options.secrets ?? { API_TOKEN: SECRET } });
  await h.client({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'demo://x' } });
  await h.server({ result: { content: [{ type: 'text', text }] }, jsonrpc: '2.0', id: 1 });
  return { raw: Buffer.concat(h.toClient).toString('utf8'), records: h.records };
}

describe('secret scanning of server messages', () => {
  test.each([
    ['as is', SECRET],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64 inside a longer base64 text', Buffer.from(`xx${SECRET}yyy`).toString('base64')],
    ['base64url', Buffer.from(`y${SECRET}`).toString('base64url')],
    ['URL-encoded', encodeURIComponent(SECRET)],
  ])('a declared secret %s is masked, the JSON stays valid, and the event names it without the value', async (_label, form) => {
    const { raw, records } = await roundTrip(`env: API_TOKEN=${form}; done`);
    expect(raw).not.toContain(form);
    const parsed = JSON.parse(raw) as Answer;
    expect(parsed.result?.content[0]?.text).toContain('[masked:API_TOKEN]');
    const event = records.find((r) => r.type === 'security');
    expect(event).toMatchObject({ event: 'secret-masked', source: 'secret:API_TOKEN' });
    expect(JSON.stringify(records)).not.toContain(SECRET);
  });

  test('a secret with JSON-escaped characters is found in its escaped form', async () => {
    const secret = 'quote"back\\slash-value';
    const { raw } = await roundTrip(`x ${secret} y`, { secrets: { Q: secret } });
    expect(raw).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect((JSON.parse(raw) as Answer).result?.content[0]?.text).toBe('x [masked:Q] y');
  });

  test('a secret spelled with \\u escapes is still found', async () => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET } });
    const escaped = JSON.stringify(SECRET).replace(/[a-z]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    await h.serverRaw(`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":${escaped}}}\n`);
    const out = Buffer.concat(h.toClient).toString();
    expect(JSON.parse(out)).toEqual({ jsonrpc: '2.0', method: 'notifications/message', params: { data: '[masked:API_TOKEN]' } });
  });

  test.each(Object.entries(TOKENS))('a %s token is masked', async (kind, token) => {
    const { raw, records } = await roundTrip(`here: ${token} :end`, { secrets: {} });
    expect(raw).not.toContain(token.split('\n')[1] ?? token);
    expect(raw).not.toContain(token);
    const text = (JSON.parse(raw) as Answer).result?.content[0]?.text ?? '';
    expect(text).toMatch(/^here: \[masked:[^\]]+\] :end$/);
    expect(records.some((r) => r.type === 'security' && r.event === 'secret-masked')).toBe(true);
    expect(JSON.stringify(records)).not.toContain(token);
    expect(kind).toBeTruthy();
  });

  test('block: the answer to the pending request becomes an error; nothing of the secret reaches the client', async () => {
    const { raw, records } = await roundTrip(`API_TOKEN=${SECRET}`, { secretScan: 'block' });
    const parsed = JSON.parse(raw) as Answer;
    expect(parsed.id).toBe(1);
    expect(parsed.error?.code).toBe(GATE_ERRORS.SECRET_BLOCKED);
    expect(parsed.error?.message).toContain('declared secret API_TOKEN');
    expect(raw).not.toContain(SECRET);
    expect(records.find((r) => r.type === 'security')).toMatchObject({ event: 'secret-blocked', source: 'secret:API_TOKEN', id: 1 });
  });

  test('block: a notification carrying a secret is dropped', async () => {
    const h = harness({ secretScan: 'block' }, { secrets: { API_TOKEN: SECRET } });
    await h.server({ jsonrpc: '2.0', method: 'notifications/message', params: { data: SECRET } });
    expect(h.toClient).toHaveLength(0);
  });

  test('off: nothing is scanned', async () => {
    const { raw } = await roundTrip(`API_TOKEN=${SECRET}`, { secretScan: 'off' });
    expect(raw).toContain(SECRET);
  });

  test('values shorter than the minimum are not scanned, and the log says why', async () => {
    const h = harness({}, { secrets: { PIN: '1234' } });
    await h.client({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await h.server({ jsonrpc: '2.0', id: 1, result: { text: 'pin 1234' } });
    expect(Buffer.concat(h.toClient).toString()).toContain('pin 1234');
    expect(h.logs.join('\n')).toContain(`secret PIN is not scanned for: its value is shorter than ${MIN_SECRET_LENGTH} characters`);
  });

  test('a line that is not JSON is masked as text', async () => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET } });
    await h.serverRaw(`debug: ${SECRET}\n`);
    expect(Buffer.concat(h.toClient).toString()).toBe('debug: [masked:API_TOKEN]\n');
  });

  test('keys are masked too, and "__proto__" stays a plain key', async () => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET } });
    await h.serverRaw(`{"jsonrpc":"2.0","method":"n","params":{${JSON.stringify(SECRET)}:1,"__proto__":{"x":${JSON.stringify(SECRET)}}}}\n`);
    const out = JSON.parse(Buffer.concat(h.toClient).toString()) as { params: Record<string, unknown> };
    expect(Object.keys(out.params)).toEqual(['[masked:API_TOKEN]', '__proto__']);
    expect(Buffer.concat(h.toClient).toString()).not.toContain(SECRET);
  });
});

describe('secretForms', () => {
  test('every base64 alignment of a value has a form found in the encoding of any neighbours', () => {
    const forms = secretForms(SECRET);
    for (const before of ['', 'a', 'ab', 'abc']) {
      const encoded = Buffer.from(`${before}${SECRET}zz`).toString('base64');
      expect(forms.some((form) => encoded.includes(form))).toBe(true);
    }
  });
});

describe('long server messages scanned while they arrive', () => {
  const SECRET_VALUE = 'long-message-secret-value-42';

  async function deliver(h: ReturnType<typeof harness>, line: string, piece = 65536): Promise<void> {
    const bytes = Buffer.from(line);
    for (let at = 0; at < bytes.length; at += piece) await h.serverRaw(bytes.subarray(at, at + piece));
  }

  test('a clean 2 MB answer goes through byte for byte and is booked from its ends', async () => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET_VALUE } });
    await h.client({ jsonrpc: '2.0', id: 'warm', method: 'ping' });
    await h.server({ jsonrpc: '2.0', id: 'warm', result: {} });
    await h.client({ jsonrpc: '2.0', id: 77, method: 'resources/read', params: { uri: 'demo://big' } });
    const line = `${JSON.stringify({ result: { contents: [{ uri: 'demo://big', text: 'é'.repeat(1_000_000) }] }, jsonrpc: '2.0', id: 77 })}\n`;
    const before = h.toClient.length;
    await deliver(h, line, 50_001); // odd piece size: multi-byte characters split across pieces
    expect(Buffer.concat(h.toClient.slice(before)).equals(Buffer.from(line))).toBe(true);
    expect(h.records.find((r) => r.id === 77)).toMatchObject({ type: 'call', method: 'resources/read', bytesOut: Buffer.byteLength(line), isError: false });
  });

  test('a long answer goes out as the pieces it came in, not joined into one copy', async () => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET_VALUE } });
    await h.client({ jsonrpc: '2.0', id: 'warm', method: 'ping' });
    await h.server({ jsonrpc: '2.0', id: 'warm', result: {} });
    await h.client({ jsonrpc: '2.0', id: 79, method: 'resources/read', params: { uri: 'demo://big' } });
    const line = `${JSON.stringify({ result: { contents: [{ uri: 'demo://big', text: 'z'.repeat(1_000_000) }] }, jsonrpc: '2.0', id: 79 })}\n`;
    const before = h.toClient.length;
    await deliver(h, line);
    const out = h.toClient.slice(before);
    expect(out.length).toBeGreaterThan(1);
    expect(Math.max(...out.map((chunk) => chunk.length))).toBeLessThanOrEqual(65536);
    expect(Buffer.concat(out).equals(Buffer.from(line))).toBe(true);
  });

  test('a secret in the last piece of a long answer (after the last scan step) is masked', async () => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET_VALUE } });
    await h.client({ jsonrpc: '2.0', id: 'warm', method: 'ping' });
    await h.server({ jsonrpc: '2.0', id: 'warm', result: {} });
    await h.client({ jsonrpc: '2.0', id: 80, method: 'resources/read', params: { uri: 'demo://big' } });
    const line = `{"jsonrpc":"2.0","id":80,"result":{"text":"${'x'.repeat(600_000)}${SECRET_VALUE}"}}\n`;
    const before = h.toClient.length;
    await deliver(h, line);
    const out = Buffer.concat(h.toClient.slice(before)).toString();
    expect(out).not.toContain(SECRET_VALUE);
    expect((JSON.parse(out) as { result: { text: string } }).result.text.endsWith('x[masked:API_TOKEN]')).toBe(true);
  });

  test.each([
    ['inside a piece', 300_000],
    ['across two pieces', 65536 * 3 - 10],
  ])('a secret %s of a long answer is masked', async (_label, at) => {
    const h = harness({}, { secrets: { API_TOKEN: SECRET_VALUE } });
    await h.client({ jsonrpc: '2.0', id: 'warm', method: 'ping' });
    await h.server({ jsonrpc: '2.0', id: 'warm', result: {} });
    await h.client({ jsonrpc: '2.0', id: 78, method: 'resources/read', params: { uri: 'demo://big' } });
    const prefix = '{"jsonrpc":"2.0","id":78,"result":{"text":"';
    const filler = 'x'.repeat(at - prefix.length);
    const line = `${prefix}${filler}${SECRET_VALUE}${'y'.repeat(700_000)}"}}\n`;
    const before = h.toClient.length;
    await deliver(h, line);
    const out = Buffer.concat(h.toClient.slice(before)).toString();
    expect(out).not.toContain(SECRET_VALUE);
    expect((JSON.parse(out) as { result: { text: string } }).result.text).toContain('x[masked:API_TOKEN]y');
  });
});

describe('long server messages: tokens where the scan steps meet', () => {
  const STEP = 128 * 1024;

  async function longAnswer(token: string, at: number, piece: number, rulesLoaded = true): Promise<{ out: string; records: Array<Record<string, unknown>> }> {
    const h = harness({});
    await h.client({ jsonrpc: '2.0', id: 'warm', method: 'ping' });
    // A keyword (://) makes the gate load the token rules; the long line is then scanned by them while it arrives.
    await h.server({ jsonrpc: '2.0', id: 'warm', result: rulesLoaded ? { see: 'https://example.com/' } : {} });
    if (rulesLoaded) await new Promise((resolve) => setTimeout(resolve, 50));
    await h.client({ jsonrpc: '2.0', id: 81, method: 'resources/read', params: { uri: 'demo://big' } });
    const prefix = '{"jsonrpc":"2.0","id":81,"result":{"text":"';
    const line = `${prefix}${'x'.repeat(at - prefix.length)} ${token} ${'y'.repeat(600_000)}"}}\n`;
    const bytes = Buffer.from(line);
    const before = h.toClient.length;
    for (let start = 0; start < bytes.length; start += piece) await h.serverRaw(bytes.subarray(start, start + piece));
    return { out: Buffer.concat(h.toClient.slice(before)).toString(), records: h.records };
  }

  test.each([
    ['github', TOKENS.github],
    ['slack', TOKENS.slack],
    ['stripe', TOKENS.stripe],
    ['jwt', TOKENS.jwt],
    ['aws', TOKENS.aws],
  ])('a %s token across the edge of a scan step is masked', async (_kind, token) => {
    for (const [at, piece] of [[STEP - 10, 65536], [STEP - 3, 50_001], [2 * STEP - Math.floor(token.length / 2), 65536]] as const) {
      const { out, records } = await longAnswer(token, at, piece);
      expect(out).not.toContain(token);
      expect(out).toContain('[masked:');
      expect((JSON.parse(out) as { id: number }).id).toBe(81);
      expect(records.some((r) => r.type === 'security' && r.event === 'secret-masked')).toBe(true);
    }
  });

  test.each([
    ['github', TOKENS.github],
    ['jwt', TOKENS.jwt],
  ])('a %s token in a long answer before the token rules were ever loaded is masked (flagged, scanned whole once they are)', async (_kind, token) => {
    const { out } = await longAnswer(token, STEP - 10, 65536, false);
    expect(out).not.toContain(token);
    expect(out).toContain('[masked:');
  });

  test('a private key across a scan step (longer than a piece boundary check) is masked', async () => {
    const { out } = await longAnswer(TOKENS.privateKey.replace(/\n/g, '\\n'), STEP - 200, 65536);
    expect(out).not.toContain('MIIEpAIBAAKCAQEA7bq98D6ZV5xF0b1oE4Tq5d8Y9nJ3Kp2WmXcVhLrT0sUa1BgNyQ');
  });
});

describe('the token rules are loaded only for a text that may need them', () => {
  test('without the rules loaded, a keyword of theirs counts; a text without any does not', () => {
    const scanner = new SecretScanner({});
    scanner.expectTokens(true);
    expect(scanner.ready).toBe(false);
    expect(scanner.mayHoldText('{"result":{"content":[{"type":"text","text":"Echo: ping 3"}]},"jsonrpc":"2.0","id":3}')).toBe(false);
    expect(scanner.mayHold(Buffer.from(`{"text":"${'x'.repeat(200_000)}"}`))).toBe(false);
    for (const token of Object.values(TOKENS)) {
      expect(scanner.mayHoldText(JSON.stringify(token))).toBe(true);
      expect(scanner.mayHold(Buffer.from(JSON.stringify(token)))).toBe(true);
    }
    scanner.expectTokens(false);
    expect(scanner.ready).toBe(true);
    expect(scanner.mayHoldText(JSON.stringify(TOKENS.github))).toBe(false);
  });
});

describe('mayHoldPieces', () => {
  // Every needle kind mayHold looks for, each placed across seams of every split below.
  const scanner = new SecretScanner({ API_TOKEN: 'a-declared-secret-value' });
  scanner.expectTokens(true);
  const needles = ['a-declared-secret-value', JSON.stringify('a-declared-secret-value').slice(1, -1), '\\u0041', '\\/', 'PRIVATE KEY', 'sk-ant-api0', 'ghp_', '://'];

  test('tells the same as mayHold of the joined pieces, whatever the split', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 400; round += 1) {
      const needle = needles[round % needles.length] as string;
      const text = `${'y'.repeat(random(60))}${round % 3 === 0 ? '' : needle}${'z'.repeat(random(60))}`;
      const bytes = Buffer.from(text);
      const pieces: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + random(12);
        pieces.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect([text, scanner.mayHoldPieces(pieces)]).toEqual([text, scanner.mayHold(bytes)]);
    }
    expect(scanner.mayHoldPieces([Buffer.from('nothing to see '), Buffer.from('here at all')])).toBe(false);
  });
});
