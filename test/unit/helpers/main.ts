/**
 * The CLI driven in-process: `main()` with stdout and stderr captured, in a working directory,
 * leaving process.exitCode as it found it (unset).
 */
import { main } from '../../../src/cli/main.js';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mcp-sandbox <args>` through main(); `cwd` is entered for the call and left after. */
export async function runMain(args: string[], cwd = process.cwd()): Promise<MainResult> {
  let stdout = '';
  let stderr = '';
  // ESM jest has no global `jest`; swapping write is all that is needed.
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(['node', 'mcp-sandbox', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.chdir(previous);
    process.exitCode = undefined;
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}
