/**
 * A short-lived helper container run to its exit with its output collected: egress's firewall
 * helper and doctor's probes. Attach and wait are registered before start (a fast exit is not
 * missed); the container is removed on every path.
 */
import type { EngineClient, WaitResult } from './client.js';
import { Demuxer, type Sink } from './demux.js';

export interface RunToExitResult {
  exit: WaitResult;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

/** Starts the created container `id`, waits for its exit (at most `timeoutMs`), removes it. */
export async function runToExit(engine: EngineClient, id: string, options: { timeoutMs: number; timeoutMessage: string }): Promise<RunToExitResult> {
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
      // The last frames may trail the exit by a moment.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 100))]);
      return { exit, output: Buffer.concat(chunks).toString('utf8') };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await engine.remove(id, { force: true }).catch(() => undefined);
  }
}
