import { EXIT_CODES, formatError, displayPath, ReportedFailure, SandboxError, type ErrorCode } from '../../errors.js';
import { loadProfile } from '../../profile/load.js';
import { resolveProfileArg } from '../../profile/resolve.js';

/** `mcp-sandbox validate <profile…>` (declared in ../commands/validate.ts). */
export function validateAction(args: string[], debug: boolean): void {
  let failed = 0;
  // The exit code of the worst failure: a missing file (2, usage) outranks an invalid one (1),
  // so a typo in a CI script's file list is not mistaken for a profile that needs fixing.
  let code: ErrorCode | undefined;
  for (const arg of args) {
    try {
      const loaded = loadProfile(resolveProfileArg(arg));
      process.stdout.write(`ok  ${displayPath(loaded.file)} (${loaded.profile.name})\n`);
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      failed++;
      if (code === undefined || EXIT_CODES[error.code] > EXIT_CODES[code]) code = error.code;
      process.stderr.write(`${formatError(error)}\n`);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    }
  }
  if (failed > 0) {
    throw new ReportedFailure(EXIT_CODES[code ?? 'PROFILE_INVALID'], `${failed} of ${args.length} profile${args.length === 1 ? '' : 's'} invalid`);
  }
}
