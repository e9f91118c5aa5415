import type { Command } from 'commander';

/** `mcp-sandbox warm <profile…>`: starts sandboxes ahead that `run` claims (docs/run.md, warm start). */
export function registerWarm(program: Command): void {
  program
    .command('warm')
    .description('start idle sandboxes ahead for profiles, which `run` claims instead of starting one')
    .argument('<profiles...>', 'profile paths or names')
    .option('--pool <n>', 'idle sandboxes to keep per profile (default: the profile\'s warm.pool, else 1)')
    .option('--stop', 'remove the idle pooled sandboxes of these profiles')
    .option('-v, --verbose', 'diagnostics on stderr')
    .action(async (profiles: string[], options: { pool?: string; stop?: boolean; verbose?: boolean }) => {
      const { warmAction } = await import('../actions/warm.js');
      await warmAction(profiles, options);
    });
}
