/**
 * One write per forwarded message: whatever pieces a short message arrived in, the gate hands
 * it on as one chunk, so the socket and stdout see one write per message (as with the gate
 * off), in both directions and for lines that share a chunk.
 */
import { Writable } from 'node:stream';
import { createGate } from '../../../src/gate/gate.js';
import { gateConfigOf } from '../../../src/gate/config.js';
import type { GateStage } from '../../../src/gate/types.js';
import { NO_PINNING, TOOLS } from './harness.js';

/** A writer that keeps each write() it is given, the way the session's socket and stdout get them. */
function writes(): { sink: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { sink, chunks };
}

const line = (message: unknown): Buffer => Buffer.from(`${JSON.stringify(message)}\n`);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function feed(stream: NodeJS.WritableStream, bytes: Buffer, pieces: number): Promise<void> {
  const size = Math.ceil(bytes.length / pieces);
  for (let at = 0; at < bytes.length; at += size) {
    stream.write(bytes.subarray(at, at + size));
    await turn();
  }
}

function gate(): GateStage {
  return createGate(gateConfigOf({ tools: { deny: ['write_*'] } }), { secrets: { TOKEN: 'a-declared-secret-value' }, mounts: [], audit: { record: () => undefined, close: async () => undefined }, pinning: NO_PINNING });
}

describe('writes per forwarded message', () => {
  test('a request in pieces, an answer in pieces, lines sharing a chunk: one write each', async () => {
    const g = gate();
    const server = writes();
    const client = writes();
    g.toServer.pipe(server.sink);
    g.toClient.pipe(client.sink);
    const list = line({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    await feed(g.toServer, list, 1);
    await feed(g.toClient, line({ jsonrpc: '2.0', id: 1, result: { tools: TOOLS } }), 7);
    const calls = Array.from({ length: 20 }, (_, i) => line({ jsonrpc: '2.0', id: 10 + i, method: 'tools/call', params: { name: 'echo', arguments: { message: `ping ${i}` } } }));
    // Each call split in 3 pieces with a turn between them, as a slow pipe delivers them.
    for (const call of calls) await feed(g.toServer, call, 3);
    const answers = calls.map((_, i) => line({ result: { content: [{ type: 'text', text: `Echo: ping ${i}` }] }, jsonrpc: '2.0', id: 10 + i }));
    for (const answer of answers) await feed(g.toClient, answer, 4);
    // Five answers in one chunk: five writes, one per line.
    const more = Array.from({ length: 5 }, (_, i) => line({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: i } }));
    await feed(g.toClient, Buffer.concat(more), 1);
    await turn();
    expect(server.chunks).toEqual([list, ...calls]);
    expect(client.chunks).toHaveLength(1 + answers.length + more.length);
    expect(client.chunks.slice(1)).toEqual([...answers, ...more]);
    for (const chunk of [...server.chunks, ...client.chunks]) expect(chunk.indexOf(10)).toBe(chunk.length - 1);
  });

  test('a refused call is answered with one write and never reaches the server', async () => {
    const g = gate();
    const server = writes();
    const client = writes();
    g.toServer.pipe(server.sink);
    g.toClient.pipe(client.sink);
    await feed(g.toServer, line({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'write_file', arguments: {} } }), 3);
    await turn();
    expect(server.chunks).toEqual([]);
    expect(client.chunks).toHaveLength(1);
    expect(JSON.parse(client.chunks[0]!.toString('utf8'))).toMatchObject({ id: 7, error: { data: { rule: 'tools.deny "write_*"' } } });
  });
});
