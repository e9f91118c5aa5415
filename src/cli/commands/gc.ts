import type { Command } from 'commander';

/** `mcp-sandbox gc`: removes sandboxes whose launcher is gone (e.g. killed with SIGKILL). */
export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('remove mcp-sandbox containers whose launcher is no longer running')
    .option('--dry-run', 'list what would be removed')
    .action(async (options: { dryRun?: boolean }) => {
      const { gcAction } = await import('../actions/gc.js');
      await gcAction(options);
    });
}
