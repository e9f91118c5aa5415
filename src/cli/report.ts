/** The one way a failed command is reported, shared by the full CLI (main.ts) and the lean `run` entry. */
import { ReportedFailure, SandboxError, exitCodeFor, formatError } from '../errors.js';

/** Prints the error's one line (and its stack with --debug) on stderr; returns the exit code. */
export function reportError(error: unknown, debug: boolean): number {
  // Already reported line by line (validate of several files, lint findings, drift): nothing more to say.
  // `cause: 'reported'` is the older spelling, still thrown by gc (src/cli/actions/gc.ts).
  const reported = error instanceof ReportedFailure || (error instanceof SandboxError && error.cause === 'reported');
  if (!reported) {
    process.stderr.write(`mcp-sandbox: ${formatError(error)}\n`);
  }
  if (debug && !(error instanceof ReportedFailure) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return exitCodeFor(error);
}
