/**
 * Frees the buffers stdio traffic leaves behind. Every read from a pipe or socket allocates a
 * new Buffer outside the JS heap, and V8 only collects them when its young generation fills,
 * which a launcher that mostly moves bytes rarely does: in the benchmark's 1 MB echoes the
 * garbage grew the launcher's RSS well before any collection ran (figures in BENCHMARKS.md).
 * After every `every` bytes carried, a young-generation collection (a scavenge: cheap for the
 * launcher's small heap) is scheduled as a task, so no write waits for it.
 *
 * node:v8 and node:vm are loaded on the first use only: a session of small messages never pays
 * for them. If the engine refuses (flags frozen), reclaiming is simply off.
 */
import { createRequire } from 'node:module';

type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gcFunction: GcFunction | null | undefined;

function gc(): GcFunction | null {
  if (gcFunction === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const v8 = require('node:v8') as typeof import('node:v8');
      const vm = require('node:vm') as typeof import('node:vm');
      v8.setFlagsFromString('--expose-gc');
      gcFunction = vm.runInNewContext('gc') as GcFunction;
    } catch {
      gcFunction = null;
    }
  }
  return gcFunction;
}

/**
 * Returns a counter: call it with each chunk's size; it collects the young generation after
 * every `every` bytes, and the whole heap after every `major` bytes. A message held while it
 * arrives (the gate keeps a long line's pieces until its end; a pipe's queue while the peer is
 * slow) outlives two scavenges, so its buffers move to the old generation and stay until a
 * full collection, which a small heap rarely triggers: the next long message then came in
 * beside the garbage of the last one. Every 4 MB: under lite mode (RUN_NODE_FLAGS,
 * src/clients/launcher.ts) the gate's promoted pieces of 1 MB messages were the launcher's
 * peak; 2 MB went no lower and cost more collections (BENCHMARKS.md, "Lite mode for `run`").
 */
export function reclaimer(every = 1024 * 1024, major = 4 * 1024 * 1024): (bytes: number) => void {
  let carried = 0;
  let sinceMajor = 0;
  return (bytes) => {
    carried += bytes;
    if (carried < every) return;
    sinceMajor += carried;
    carried = 0;
    const full = major > 0 && sinceMajor >= major;
    if (full) sinceMajor = 0;
    gc()?.({ type: full ? 'major' : 'minor', execution: 'async' });
  };
}
