import type { Command } from 'commander';

export interface LockOptions {
  check?: boolean;
  verbose?: boolean;
}

/** `mcp-sandbox lock <profile>`: pin the server's tools, resources, prompts and image digest (docs/lock.md). */
export function registerLock(program: Command): void {
  program
    .command('lock')
    .description('start the server in its sandbox, list its tools, resources and prompts, and write <profile>.lock.json next to the profile')
    .argument('<profile>', 'profile path or name')
    .option('--check', 'write nothing; exit 3 when the lock is missing or differs from what the server lists now')
    .option('-v, --verbose', "pass the launcher's and server's stderr through")
    .action(async (profile: string, options: LockOptions) => {
      const { lockAction } = await import('../actions/lock.js');
      await lockAction(profile, options);
    });
}
