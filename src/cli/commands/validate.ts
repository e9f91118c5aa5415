import type { Command } from 'commander';
import { formatError, displayPath, SandboxError } from '../../errors.js';
import { loadProfile } from '../../profile/load.js';
import { resolveProfileArg } from '../../profile/resolve.js';

/** `mcp-sandbox validate <profile…>`: one line per file; exit 1 if any is invalid. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('load and check profiles; prints one line per file')
    .argument('<profile...>', 'profile paths or names')
    .action((args: string[]) => {
      let failed = 0;
      let firstError: unknown;
      for (const arg of args) {
        try {
          const loaded = loadProfile(resolveProfileArg(arg));
          process.stdout.write(`ok  ${displayPath(loaded.file)} (${loaded.profile.name})\n`);
        } catch (error) {
          if (!(error instanceof SandboxError)) throw error;
          failed++;
          firstError ??= error;
          process.stderr.write(`${formatError(error)}\n`);
        }
      }
      if (failed > 0) {
        const code = args.length === 1 && firstError instanceof SandboxError ? firstError.code : 'PROFILE_INVALID';
        throw new SandboxError(code, `${failed} of ${args.length} profile${args.length === 1 ? '' : 's'} invalid`, { cause: 'reported' });
      }
    });
}
