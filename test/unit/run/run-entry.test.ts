/** The lean `run` entry's argv split: the plain forms only; everything else goes to the full CLI. */
import { Demuxer } from '../../../src/engine/demux.js';
import { parseRunArgv } from '../../../src/cli/run-entry.js';

describe('parseRunArgv', () => {
  test('the plain forms', () => {
    expect(parseRunArgv(['p.yaml'])).toEqual({ profile: 'p.yaml', extraArgs: [], dryRun: false, verbose: false, debug: false });
    expect(parseRunArgv(['--verbose', 'p', '--dry-run', '--debug'])).toEqual({ profile: 'p', extraArgs: [], dryRun: true, verbose: true, debug: true });
    expect(parseRunArgv(['p', '-v', '--', 'a', '--dry-run', '--'])).toEqual({ profile: 'p', extraArgs: ['a', '--dry-run', '--'], dryRun: false, verbose: true, debug: false });
    expect(parseRunArgv(['p', '--'])).toEqual({ profile: 'p', extraArgs: [], dryRun: false, verbose: false, debug: false });
  });

  test('anything unusual falls through to the full CLI', () => {
    for (const argv of [[], ['--help'], ['p', '-h'], ['p', '--verbos'], ['p', 'extra'], ['--', 'p'], ['p', '-v', '-v'], ['p', '--dry-run=1'], ['-'], ['p', '-vd'], ['--verbose']]) {
      expect(parseRunArgv(argv)).toBeUndefined();
    }
  });
});

describe('Demuxer write coalescing', () => {
  const frame = (stream: number, text: string): Buffer => {
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([header, Buffer.from(text)]);
  };

  test('many small frames in one read leave as one write per stream run, at once', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const demux = new Demuxer((c, done) => (out.push(c.toString()), done()), (c, done) => (err.push(c.toString()), done()));
    const chunk = Buffer.concat([frame(1, 'a'), frame(1, 'b'), frame(1, 'c'), frame(2, 'E'), frame(2, 'F'), frame(1, 'd')]);
    demux.write(chunk);
    // Handed over synchronously: nothing waits for more data.
    expect(out).toEqual(['abc', 'd']);
    expect(err).toEqual(['EF']);
    await new Promise<void>((resolve) => demux.end(resolve));
  });

  test('chunks queued behind a slow destination go out together, with backpressure', async () => {
    const out: string[] = [];
    let release: (() => void) | undefined;
    const demux = new Demuxer(
      (c, done) => {
        out.push(c.toString());
        release = done;
      },
      (_c, done) => done(),
    );
    demux.write(frame(1, 'first'));
    expect(out).toEqual(['first']);
    demux.write(frame(1, 'x'));
    demux.write(frame(1, 'y'));
    expect(out).toEqual(['first']); // the destination has not accepted "first" yet
    release?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out).toEqual(['first', 'xy']);
    release?.();
    await new Promise<void>((resolve) => demux.end(resolve));
  });
});
