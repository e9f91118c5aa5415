/** The session under test with the fake engine: stdin to write to, stdout/stderr collected, signals on demand. */
import { PassThrough, Writable } from 'node:stream';
import path from 'node:path';
import { prepareSandbox } from '../../../src/compile/prepare.js';
import { launchBody } from '../../../src/run/launch.js';
import type { SessionOptions, ShutdownSignal } from '../../../src/run/session.js';
import { FakeEngine, type FakeBehaviour } from './fake-engine.js';

const FIXTURE = path.resolve('test/fixtures/run/everything.yaml');

export function collector(): Writable & { text(): string; buffer(): Buffer } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk);
      cb();
    },
  }) as Writable & { text(): string; buffer(): Buffer };
  w.text = () => Buffer.concat(chunks).toString('utf8');
  w.buffer = () => Buffer.concat(chunks);
  return w;
}

export function setup(behaviour: FakeBehaviour, overrides: Partial<SessionOptions> = {}) {
  const engine = new FakeEngine(behaviour);
  const stdin = new PassThrough();
  const stdout = collector();
  const stderr = collector();
  let signalHandler: ((s: ShutdownSignal) => void) | undefined;
  const warnings: string[] = [];
  const { spec } = prepareSandbox(FIXTURE);
  const options: SessionOptions = {
    engine,
    body: launchBody(spec, 'runsc', {}),
    pull: 'never',
    stopGrace: 0.05,
    stopTimeout: 0,
    io: {
      stdin,
      stdout,
      stderr,
      onSignal: (h) => {
        signalHandler = h;
        return () => {
          signalHandler = undefined;
        };
      },
    },
    debug: () => undefined,
    warn: (m) => warnings.push(m),
    ...overrides,
  };
  return { engine, stdin, stdout, stderr, options, warnings, signal: (s: ShutdownSignal) => signalHandler?.(s) };
}
