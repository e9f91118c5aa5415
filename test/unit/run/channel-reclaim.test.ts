/**
 * What the channels tell the reclaimer (src/run/reclaim.ts): every chunk read from the client and
 * from the attach stream, and with a stage also every chunk leaving it, so a message the stage
 * held is collected once it is written out, not only after the next 8 MB have come in.
 */
import { Duplex, PassThrough } from 'node:stream';
import { openChannels } from '../../../src/run/channel.js';
import type { MessageStage } from '../../../src/run/stage.js';

function frame(payload: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

async function carried(stage?: MessageStage): Promise<{ counted: number[]; server: string; client: string }> {
  const counted: number[] = [];
  const written: Buffer[] = [];
  const socket = new Duplex({ read: () => undefined, write: (chunk: Buffer, _e, done) => (written.push(chunk), done()) });
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  const out: Buffer[] = [];
  io.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const events = { onClientEof: () => undefined, onOutputClosed: () => undefined, debug: () => undefined };
  const channels = openChannels(socket, io, events, stage, (bytes) => counted.push(bytes));
  io.stdin.write('request!');
  socket.push(frame('answer'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  channels.release();
  return { counted, server: Buffer.concat(written).toString(), client: Buffer.concat(out).toString() };
}

describe('channels and the reclaimer', () => {
  test('without a stage: the chunks read from the client and from the attach stream', async () => {
    const { counted, server, client } = await carried();
    expect([server, client]).toEqual(['request!', 'answer']);
    expect(counted.sort((a, b) => a - b)).toEqual([8, 14]);
  });

  test('with a stage: also the chunks leaving it, both ways', async () => {
    const stage: MessageStage = { toServer: new PassThrough(), toClient: new PassThrough(), close: async () => undefined };
    const { counted, server, client } = await carried(stage);
    expect([server, client]).toEqual(['request!', 'answer']);
    expect(counted.sort((a, b) => a - b)).toEqual([6, 8, 8, 14]);
  });
});
