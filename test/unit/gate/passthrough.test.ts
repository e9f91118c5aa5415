/**
 * What no policy touches leaves byte for byte as it came, in both directions, whatever the
 * whitespace, key order, escapes and chunking (property-style over seeded random messages).
 */
import { harness } from './harness.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', 'é', '漢', '😀', '\u0001', '/', '{', ']'];

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 2 ? 4 : 6));
  if (k === 0) return Math.floor(r() * 1e6) - 5e5;
  if (k === 1) return Array.from({ length: Math.floor(r() * 12) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
  if (k === 2) return r() < 0.5;
  if (k === 3) return null;
  if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(r() * 4); i += 1) obj[`k${Math.floor(r() * 100)}`] = randomValue(r, depth + 1);
  return obj;
}

/** A message rendered with random spacing and key order (not what JSON.stringify would write). */
function render(r: () => number, value: unknown): string {
  const ws = (): string => [' ', '', '  ', '\t'][Math.floor(r() * 4)] as string;
  if (Array.isArray(value)) return `[${ws()}${value.map((v) => render(r, v)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(() => r() - 0.5);
    return `{${ws()}${entries.map(([k, v]) => `${JSON.stringify(k)}${ws()}:${ws()}${render(r, v)}`).join(`${ws()},${ws()}`)}${ws()}}`;
  }
  if (typeof value === 'string' && r() < 0.3) return JSON.stringify(value).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return JSON.stringify(value);
}

function randomMessage(r: () => number, i: number): unknown {
  const kind = Math.floor(r() * 4);
  if (kind === 0) return { jsonrpc: '2.0', id: i, method: ['ping', 'tools/list', 'resources/list', 'custom/x'][Math.floor(r() * 4)], params: randomValue(r, 0) };
  if (kind === 1) return { jsonrpc: '2.0', method: 'notifications/progress', params: randomValue(r, 0) };
  if (kind === 2) return { jsonrpc: '2.0', id: `s-${i}`, result: randomValue(r, 0) };
  return { jsonrpc: '2.0', id: i, error: { code: -32000, message: 'x', data: randomValue(r, 0) } };
}

async function feed(write: (b: Buffer) => Promise<void>, r: () => number, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(r() * 200);
    await write(bytes.subarray(at, at + size));
    at += size;
  }
}

describe('byte-for-byte passthrough', () => {
  test.each([1, 2, 3, 4, 5])('random messages, random chunking, both directions (seed %i)', async (seed) => {
    const r = rng(seed);
    const h = harness({ secretScan: 'mask' }, { secrets: { TOKEN: 'not-in-any-message-123' } });
    // A list the client never asked for (ids are not pending) is carried as is, as are unknown methods.
    const text = Array.from({ length: 60 }, (_, i) => `${render(r, randomMessage(r, i))}${r() < 0.2 ? '\r\n' : '\n'}`).join('');
    const bytes = Buffer.from(text);
    await feed(h.clientRaw, r, bytes);
    await feed(h.serverRaw, r, bytes);
    expect(Buffer.concat(h.toServer).equals(bytes)).toBe(true);
    expect(Buffer.concat(h.toClient).equals(bytes)).toBe(true);
  });

  test('not JSON at all is carried as is', async () => {
    const h = harness();
    await h.clientRaw('hello\nnot json {\n');
    await h.serverRaw('Content-Length: 3\n\n');
    expect(Buffer.concat(h.toServer).toString()).toBe('hello\nnot json {\n');
    expect(Buffer.concat(h.toClient).toString()).toBe('Content-Length: 3\n\n');
  });

  test('a batch nothing touches is carried as is, and its answers too', async () => {
    const h = harness({ tools: { deny: ['write_*'] } });
    const batch = '[ {"jsonrpc":"2.0","id":1,"method":"ping"} , {"method":"notifications/x","jsonrpc":"2.0"} ]\n';
    await h.clientRaw(batch);
    const answer = '[{"id":1,"jsonrpc":"2.0","result":{}}]\n';
    await h.serverRaw(answer);
    expect(Buffer.concat(h.toServer).toString()).toBe(batch);
    expect(Buffer.concat(h.toClient).toString()).toBe(answer);
  });

  test('a 10 MB message goes through intact both ways', async () => {
    const h = harness({}, { secrets: { TOKEN: 'secret-value-that-is-absent' } });
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const payload = `ÄéЖ漢😀 "q" \\ ${alphabet.repeat(Math.ceil(10_000_000 / alphabet.length))}`.slice(0, 10_000_000);
    const request = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'custom/echo', params: { payload } })}\n`);
    const response = Buffer.from(`${JSON.stringify({ result: { content: [{ type: 'text', text: payload }] }, jsonrpc: '2.0', id: 5 })}\n`);
    for (let at = 0; at < request.length; at += 65536) await h.clientRaw(request.subarray(at, at + 65536));
    for (let at = 0; at < response.length; at += 65536) await h.serverRaw(response.subarray(at, at + 65536));
    expect(Buffer.concat(h.toServer).equals(request)).toBe(true);
    expect(Buffer.concat(h.toClient).equals(response)).toBe(true);
  }, 60_000);
});

describe('backpressure', () => {
  test('a reader that stops reading stops the gate taking more, and nothing is lost when it reads again', async () => {
    const { createGate } = await import('../../../src/gate/gate.js');
    const { gateConfigOf } = await import('../../../src/gate/config.js');
    const gate = createGate(gateConfigOf({}), { secrets: {}, mounts: [], audit: { record: () => undefined, close: async () => undefined }, pinning: { drifted: () => ({ added: [], changed: [] }) } });
    const line = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { data: 'z'.repeat(4000) } })}\n`);
    let accepted = 0;
    // Nobody reads toClient: writes are taken until the buffers fill, then write() says wait.
    for (let i = 0; i < 5000; i += 1) {
      const more = gate.toClient.write(line);
      accepted += 1;
      if (!more) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Bounded by the two high-water marks (1 MiB each) and a line or two: not the 20 MB offered.
    expect(accepted * line.length).toBeLessThan(2 * 1024 * 1024 + 2 * line.length);
    const got: Buffer[] = [];
    const drained = new Promise((resolve) => gate.toClient.once('drain', resolve));
    gate.toClient.on('data', (chunk: Buffer) => got.push(chunk));
    await drained;
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(got).equals(Buffer.concat(Array.from({ length: accepted }, () => line)))).toBe(true);
  });
});
