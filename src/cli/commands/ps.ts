import type { Command } from 'commander';

/** `mcp-sandbox ps`: the sandboxes on the engine, with whether their launcher is still there. */
export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list mcp-sandbox containers (profile, age, launcher alive?)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { psAction } = await import('../actions/ps.js');
      await psAction(options);
    });
}
