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

/** Returns a counter: call it with each chunk's size; it collects after every `every` bytes. */
export function reclaimer(every = 1024 * 1024): (bytes: number) => void {
  let carried = 0;
  return (bytes) => {
    carried += bytes;
    if (carried < every) return;
    carried = 0;
    gc()?.({ type: 'minor', execution: 'async' });
  };
}
