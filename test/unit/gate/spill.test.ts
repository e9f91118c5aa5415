/**
 * Long held lines go to an unlinked owner-only file (src/gate/spill.ts) and come out of it as
 * the reader takes them (src/gate/outbox.ts): the threshold, byte-for-byte read-back with
 * backpressure and in order, a refused request never forwarded, a failing disk falling back to
 * memory, and the file closed (and never visible in the temp dir) once done or at close.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SPILL_AT_BYTES } from '../../../src/gate/gate.js';
import { SPILL_READ_BYTES, diskIo, type SpillIo } from '../../../src/gate/spill.js';
import { harness, INIT, listTools, type Harness } from './harness.js';

const PIECE = 64 * 1024;

/** The real disk, counted; `failWriteAfter`: bytes after which every write fails (ENOSPC). */
function countedIo(failWriteAfter = Infinity): SpillIo & { opened: number[]; closed: number[]; bytesWritten: number; bytesRead: number } {
  const io = {
    opened: [] as number[],
    closed: [] as number[],
    bytesWritten: 0,
    bytesRead: 0,
    open: (): number => {
      const fd = diskIo.open();
      io.opened.push(fd);
      return fd;
    },
    write: (fd: number, bytes: Buffer, position: number): number => {
      if (io.bytesWritten + bytes.length > failWriteAfter) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      const done = diskIo.write(fd, bytes, position);
      io.bytesWritten += done;
      return done;
    },
    read: (fd: number, into: Buffer, position: number): number => {
      const done = diskIo.read(fd, into, position);
      io.bytesRead += done;
      return done;
    },
    close: (fd: number): void => {
      io.closed.push(fd);
      diskIo.close(fd);
    },
  };
  return io;
}

const call = (id: number, message: string, name = 'echo'): Buffer =>
  Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { message } } })}\n`);
const answer = (id: number, text: string): Buffer => Buffer.from(`${JSON.stringify({ result: { content: [{ type: 'text', text }] }, jsonrpc: '2.0', id })}\n`);

async function session(io: SpillIo, raw = {}): Promise<Harness> {
  const h = harness(raw, {}, { io });
  await h.client(INIT);
  await h.server({ jsonrpc: '2.0', id: 0, result: { capabilities: {} } });
  await listTools(h);
  return h;
}

/** Writes the line in 64 KB pieces, each write waiting for the gate (as a pipe does). */
async function feed(stream: NodeJS.WritableStream, line: Buffer): Promise<void> {
  for (let at = 0; at < line.length; at += PIECE) {
    const piece = Buffer.from(line.subarray(at, at + PIECE));
    await new Promise<void>((resolve, reject) => stream.write(piece, (error) => (error ? reject(error) : resolve())));
  }
  await new Promise((resolve) => setImmediate(resolve));
}

const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/** What the server receives for `line` sent by the client (from an empty start). */
async function throughToServer(h: Harness, line: Buffer): Promise<Buffer> {
  h.toServer.length = 0;
  await feed(h.gate.toServer, line);
  await settled();
  return Buffer.concat(h.toServer);
}
const gateFiles = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('mcp-sandbox-gate-'));

describe('spilling long held lines', () => {
  test('below the threshold a line stays in memory; from it on, it goes to a file and out byte for byte', async () => {
    const io = countedIo();
    const h = await session(io);
    const small = call(1, 'y'.repeat(SPILL_AT_BYTES - 200));
    expect((await throughToServer(h, small)).equals(small)).toBe(true);
    expect(io.opened).toEqual([]);
    const long = call(2, 'y'.repeat(3 * SPILL_AT_BYTES));
    expect((await throughToServer(h, long)).equals(long)).toBe(true);
    expect(io.opened).toHaveLength(1);
    expect(io.bytesWritten).toBe(long.length);
    expect(io.closed).toEqual(io.opened);
  });

  test('a spilled answer is scanned, booked and forwarded from its file; the file is never visible in the temp dir', async () => {
    const io = countedIo();
    const h = await session(io);
    await h.clientRaw(call(3, 'short'));
    const long = answer(3, `Echo: ${'z'.repeat(2 * SPILL_AT_BYTES)}`);
    const seen: string[][] = [];
    const stream = h.gate.toClient;
    const check = (): void => void seen.push(gateFiles());
    stream.on('data', check);
    await feed(stream, long);
    await settled();
    stream.off('data', check);
    expect(seen.flat()).toEqual([]);
    expect(io.opened).toHaveLength(1);
    expect(Buffer.concat(h.toClient.slice(-Math.ceil(long.length / SPILL_READ_BYTES) - 1)).subarray(-long.length).equals(long)).toBe(true);
    expect(h.records.find((r) => r.type === 'call' && r.id === 3)).toMatchObject({ bytesOut: long.length, decision: 'allow' });
    expect(io.closed).toEqual(io.opened);
  });

  test('read back only as the reader takes it, and what the gate sends meanwhile waits behind it', async () => {
    const io = countedIo();
    const h = await session(io);
    const out = h.gate.toServer;
    out.removeAllListeners('data');
    out.pause();
    const got: Buffer[] = [];
    const long = call(9, 'p'.repeat(8 * 1024 * 1024));
    const small = Buffer.from('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    const fed = feed(out, Buffer.concat([long, small]));
    await settled();
    // The skeleton's read, then no more than the stream's buffer (1 MB) and a piece while nobody reads.
    expect(io.bytesRead).toBeGreaterThan(long.length);
    expect(io.bytesRead).toBeLessThanOrEqual(long.length + 1024 * 1024 + SPILL_READ_BYTES);
    expect(out.readableLength).toBeLessThanOrEqual(1024 * 1024 + SPILL_READ_BYTES);
    out.on('data', (chunk: Buffer) => got.push(chunk));
    out.resume();
    await fed;
    await settled();
    expect(Buffer.concat(got).equals(Buffer.concat([long, small]))).toBe(true);
    // Once for the skeleton, once to forward it.
    expect(io.bytesRead).toBe(2 * long.length);
  });

  test('a refused long request never reaches the server, and its file is closed', async () => {
    const io = countedIo();
    const h = await session(io, { tools: { deny: ['write_*'] } });
    h.toServer.length = 0;
    const refused = call(4, 'y'.repeat(2 * SPILL_AT_BYTES), 'write_file');
    await feed(h.gate.toServer, refused);
    await settled();
    expect(io.opened).toHaveLength(1);
    expect(h.toServer).toEqual([]);
    expect(io.bytesRead).toBe(refused.length); // the skeleton's read, no forwarding
    expect((h.clientGot().at(-1) as { id: number; error: { message: string } }).error.message).toContain('denied');
    expect(io.closed).toEqual(io.opened);
  });

  test('a disk that fails mid-line: the line goes on in memory, intact, and the log says so', async () => {
    const io = countedIo(SPILL_AT_BYTES + 3 * PIECE);
    const h = await session(io);
    const long = call(5, 'y'.repeat(3 * SPILL_AT_BYTES));
    expect((await throughToServer(h, long)).equals(long)).toBe(true);
    expect(h.logs.some((line) => line.includes('holding it in memory') && line.includes('ENOSPC'))).toBe(true);
    expect(io.closed).toEqual(io.opened);
    // The next long line tries the disk again (and fails over the same way).
    const next = call(6, 'w'.repeat(2 * SPILL_AT_BYTES));
    expect((await throughToServer(h, next)).equals(next)).toBe(true);
    expect(io.opened).toHaveLength(2);
  });

  test('a disk that fails and cannot give back what it took: the line is refused, no byte of it forwarded', async () => {
    const io = { ...countedIo(SPILL_AT_BYTES + 3 * PIECE), read: (): number => { throw new Error('EIO: i/o error'); } };
    const h = await session(io);
    expect((await throughToServer(h, call(10, 'y'.repeat(3 * SPILL_AT_BYTES)))).length).toBe(0);
    expect((h.clientGot().at(-1) as { id: number; error: { code: number } }).id).toBe(10);
    expect(h.logs.some((line) => line.includes('EIO'))).toBe(true);
    // The next line is whole again.
    const next = call(11, 'short');
    expect((await throughToServer(h, next)).equals(next)).toBe(true);
  });

  test('no file can be made: the line stays in memory', async () => {
    const io: SpillIo = { ...diskIo, open: () => { throw new Error('EACCES: permission denied'); } };
    const h = await session(io);
    const long = call(7, 'y'.repeat(2 * SPILL_AT_BYTES));
    expect((await throughToServer(h, long)).equals(long)).toBe(true);
    expect(h.logs.some((line) => line.includes('could not make a temporary file'))).toBe(true);
  });

  test('the gate closing mid-line closes the file', async () => {
    const io = countedIo();
    const h = await session(io);
    const long = call(8, 'y'.repeat(2 * SPILL_AT_BYTES));
    await feed(h.gate.toServer, long.subarray(0, long.length - 10));
    expect(io.opened).toHaveLength(1);
    expect(io.closed).toEqual([]);
    await h.gate.close();
    expect(io.closed).toEqual(io.opened);
  });
});
