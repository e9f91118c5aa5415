import type { Command } from 'commander';

/** `mcp-sandbox validate <profile…>`: one line per file; exit 1 if any is invalid. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('load and check profiles; prints one line per file')
    .argument('<profile...>', 'profile paths or names')
    .action(async (args: string[]) => {
      const { validateAction } = await import('../actions/validate.js');
      validateAction(args, program.opts<{ debug?: boolean }>().debug === true);
    });
}
