/**
 * A 10 MB message through the gate, both ways, as the pieces a pipe delivers: it comes out
 * byte for byte (or masked, when a declared secret sits in it, also across the prescan's window
 * and overlap edges), and the gate does not hold it in memory: it is spilled to a file
 * (src/gate/spill.ts). The memory bound counts bytes, not time: holding the line (a spill that
 * does not happen), joining the pieces, decoding the text or re-encoding a parsed object fails
 * it, and so does a prescan that copies its windows together or a forwarding that reads the
 * file back all at once.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { SPILL_AT_BYTES } from '../../../src/gate/gate.js';
import { PRESCAN_OVERLAP } from '../../../src/gate/prescan.js';
import { harness, INIT, listTools, type Harness } from './harness.js';

const SIZE = 10_000_000;
/**
 * What a spilled line may leave in memory at its peak: its first SPILL_AT_BYTES (held until the
 * spill), pieces in transit and collection slack, 0.4-0.6x the message here; a line held whole is
 * 1x or more.
 */
const SPILL_BOUND = Math.max(0.7 * SIZE, SPILL_AT_BYTES + 0.4 * SIZE);
const PIECE = 64 * 1024;
const SECRET = 'bench-secret-value-never-sent';
/** The prescan gathers this much before it scans a window (prescan.ts). */
const STEP = 128 * 1024;

type Gc = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/** A collection on demand, as the launcher's reclaimer (src/run/reclaim.ts) runs one every 1 MB. */
function gcFunction(): Gc {
  const require = createRequire(import.meta.url);
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--expose-gc');
  return (require('node:vm') as typeof import('node:vm')).runInNewContext('gc') as Gc;
}
const gc = gcFunction();

interface Transit {
  /** sha256 of what came out on the far side (hex). */
  digest: string;
  bytes: number;
  /** Peak growth over the start, in bytes, sampled at every piece in and out. */
  arrayBuffers: number;
  heapUsed: number;
}

/**
 * Writes `line` into `stream` as fresh 64 KB pieces (each one a new allocation the test then
 * drops, like a pipe read), counting what comes out of `out` without keeping it.
 */
async function transit(h: Harness, side: 'client' | 'server', line: Buffer): Promise<Transit> {
  const stream = side === 'client' ? h.gate.toServer : h.gate.toClient;
  const out = side === 'client' ? h.gate.toServer : h.gate.toClient;
  const kept = side === 'client' ? h.toServer : h.toClient;
  kept.length = 0;
  const hash = createHash('sha256');
  let bytes = 0;
  gc({ type: 'major' });
  const start = process.memoryUsage();
  const peak = { arrayBuffers: 0, heapUsed: 0 };
  const sample = (): void => {
    const now = process.memoryUsage();
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers - start.arrayBuffers);
    peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed - start.heapUsed);
  };
  let done: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => {
    done = resolve;
  });
  const onData = (chunk: Buffer): void => {
    hash.update(chunk);
    bytes += chunk.length;
    kept.length = 0;
    sample();
    if (chunk.at(-1) === 10) done();
  };
  out.on('data', onData);
  let sinceGc = 0;
  for (let at = 0; at < line.length; at += PIECE) {
    // A copy: the test's own buffer is not what the gate holds.
    const piece = Buffer.from(line.subarray(at, at + PIECE));
    await new Promise<void>((resolve, reject) => stream.write(piece, (error) => (error ? reject(error) : resolve())));
    sample();
    sinceGc += piece.length;
    if (sinceGc >= 1024 * 1024) {
      sinceGc = 0;
      gc({ type: 'minor' });
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([arrived, new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
  clearTimeout(timer);
  out.off('data', onData);
  if (process.env.BIG_MESSAGE_DEBUG) process.stderr.write(`${side}: ${JSON.stringify(peak)}\n`);
  return { digest: hash.digest('hex'), bytes, ...peak };
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const call = (id: number, message: string): Buffer =>
  Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } })}\n`);
// server-everything's layout: the id after the result.
const answer = (id: number, text: string): Buffer => Buffer.from(`${JSON.stringify({ result: { content: [{ type: 'text', text }] }, jsonrpc: '2.0', id })}\n`);

/** The launcher's reclaimer for what the gate reads back from a spill file (src/run/gate-stage.ts): a scavenge every 1 MB. */
function spillReclaimer(): (bytes: number) => void {
  let carried = 0;
  return (bytes) => {
    carried += bytes;
    if (carried < 1024 * 1024) return;
    carried = 0;
    gc({ type: 'minor', execution: 'async' });
  };
}

async function session(secrets: Record<string, string> = { API_TOKEN: SECRET }): Promise<Harness> {
  const h = harness({}, { secrets, reclaim: spillReclaimer() });
  await h.client(INIT);
  await h.server({ jsonrpc: '2.0', id: 0, result: { capabilities: {} } });
  await listTools(h);
  return h;
}

describe('a 10 MB message', () => {
  test('client -> server: a tools/call is validated and forwarded byte for byte, held at most once', async () => {
    const h = await session();
    const line = call(7, 'y'.repeat(SIZE));
    const seen = await transit(h, 'client', line);
    expect(seen.bytes).toBe(line.length);
    expect(seen.digest).toBe(sha(line));
    // Spilled to a file (spill.ts) once SPILL_AT_BYTES are held: what is in memory is those
    // first bytes, pieces in transit and collection slack; the line held in memory would be 1x,
    // a joined copy or its text 2x.
    expect(seen.arrayBuffers).toBeLessThan(SPILL_BOUND);
    expect(seen.heapUsed).toBeLessThan(0.3 * SIZE);
    expect(h.clientGot().filter((m) => (m as { id?: unknown }).id === 7)).toEqual([]);
  }, 60_000);

  test('server -> client: a clean answer leaves byte for byte, held at most once, booked with its bytes', async () => {
    const h = await session();
    await h.clientRaw(call(8, 'short'));
    const line = answer(8, `Echo: ${'y'.repeat(SIZE)}`);
    const seen = await transit(h, 'server', line);
    expect(seen.bytes).toBe(line.length);
    expect(seen.digest).toBe(sha(line));
    // Spilled while the prescan checks its windows where the pieces are: holding it in memory
    // would be 1x, copying each window together (as it once did) ~10% more.
    expect(seen.arrayBuffers).toBeLessThan(SPILL_BOUND);
    expect(seen.heapUsed).toBeLessThan(0.3 * SIZE);
    expect(h.records.find((r) => r.type === 'call' && r.id === 8)).toMatchObject({ tool: 'echo', isError: false, bytesOut: line.length, decision: 'allow' });
  }, 60_000);

  test('server -> client: a declared secret across window, overlap and piece edges is masked everywhere, the rest intact', async () => {
    const h = await session();
    await h.clientRaw(call(9, 'short'));
    const prefix = answer(9, '').indexOf('"text":""') + '"text":"'.length;
    // Line offsets where a secret starts: across a window edge, at the far edge of an overlap,
    // across a 64 KB piece edge, at the start of the text and right before its end.
    const starts = [prefix, 3 * STEP - 7, 5 * STEP + PRESCAN_OVERLAP - 3, 20 * PIECE - 11, 40 * STEP - 1, prefix + SIZE - SECRET.length];
    const chars = Buffer.alloc(SIZE, 'y');
    for (const start of starts) chars.write(SECRET, start - prefix, 'utf8');
    const text = chars.toString('latin1');
    const line = answer(9, text);
    for (const start of starts) expect(line.subarray(start, start + SECRET.length).toString()).toBe(SECRET);
    const out: Buffer[] = [];
    h.gate.toClient.on('data', (chunk: Buffer) => out.push(chunk));
    const seen = await transit(h, 'server', line);
    const got = Buffer.concat(out).toString('utf8');
    expect(got).not.toContain(SECRET);
    expect(got.endsWith('\n')).toBe(true);
    const message = JSON.parse(got) as { id: number; result: { content: Array<{ text: string }> } };
    expect(message.id).toBe(9);
    expect(message.result.content[0]?.text).toBe(text.split(SECRET).join('[masked:API_TOKEN]'));
    expect(seen.bytes).toBe(Buffer.byteLength(got));
    expect(h.records.find((r) => r.type === 'security' && r.event === 'secret-masked')).toMatchObject({ source: 'secret:API_TOKEN', count: starts.length, id: 9 });
  }, 60_000);
});
