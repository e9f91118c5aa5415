/** The one way a failed command is reported, shared by the full CLI (main.ts) and the lean `run` entry. */
import { ReportedFailure, exitCodeFor, formatError } from '../errors.js';

/** Prints the error's one line (and its stack with --debug) on stderr; returns the exit code. */
export function reportError(error: unknown, debug: boolean, stderr: { write(text: string): unknown } = process.stderr): number {
  // Already reported line by line (validate of several files, lint findings, drift): nothing more to say.
  if (!(error instanceof ReportedFailure)) {
    stderr.write(`mcp-sandbox: ${formatError(error)}\n`);
  }
  if (debug && !(error instanceof ReportedFailure) && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return exitCodeFor(error);
}
