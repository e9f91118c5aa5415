import { Demuxer } from '../../../src/engine/demux.js';
import { frame } from '../run/fake-engine.js';

describe('Demuxer', () => {
  test('splits frames across arbitrary chunk boundaries', async () => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const demux = new Demuxer((c, done) => (out.push(Buffer.from(c)), done()), (c, done) => (err.push(Buffer.from(c)), done()));
    const stream = Buffer.concat([frame(1, 'hello '), frame(2, 'warn'), frame(1, Buffer.alloc(70_000, 120)), frame(1, 'end')]);
    for (let i = 0; i < stream.length; i += 3) demux.write(stream.subarray(i, i + 3));
    await new Promise<void>((resolve) => demux.end(resolve));
    expect(Buffer.concat(out).toString()).toBe(`hello ${'x'.repeat(70_000)}end`);
    expect(Buffer.concat(err).toString()).toBe('warn');
  });
});
