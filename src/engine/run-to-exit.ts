/**
 * A short-lived helper container run to its exit with its output collected: doctor's probes. Attach and wait are registered before start (a fast exit is not
 * missed); the container is removed on every path.
 */
import type { EngineClient, WaitResult } from './client.js';
import { Demuxer, type Sink } from './demux.js';

export interface RunToExitResult {
  exit: WaitResult;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

export interface RunToExitOptions {
  timeoutMs: number;
  timeoutMessage: string;
  /**
   * How long after the exit to wait for the stream's close, for output that trails it. Under
   * runsc on a loaded engine that can be more than 100 ms (doctor's probe lost its last lines):
   * callers that read the output as a verdict wait longer.
   */
  trailMs?: number;
}

/** Starts the created container `id`, waits for its exit (at most `timeoutMs`), removes it. */
export async function runToExit(engine: EngineClient, id: string, options: RunToExitOptions): Promise<RunToExitResult> {
  try {
    const stream = await engine.attach(id);
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    const sink: Sink = (chunk, done) => {
      chunks.push(chunk);
      done();
    };
    const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    stream.pipe(new Demuxer(sink, sink));
    const wait = await engine.wait(id, 'next-exit');
    await engine.start(id);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(options.timeoutMessage)), options.timeoutMs);
    });
    try {
      const exit = await Promise.race([wait.result, timeout]);
      // The last frames may trail the exit by a moment; the stream closes right after them.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, options.trailMs ?? 100).unref())]);
      return { exit, output: Buffer.concat(chunks).toString('utf8') };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await engine.remove(id, { force: true }).catch(() => undefined);
  }
}
