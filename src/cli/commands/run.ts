import type { Command } from 'commander';

/**
 * `mcp-sandbox run <profile> [-- args…]`: the stdio launcher an MCP client starts. The usual
 * forms do not come here: bin/mcp-sandbox.js hands them to the lean entry (../run-entry.ts),
 * which calls the same launch(). This declaration serves --help and everything unusual.
 */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run an MCP server from a profile in its sandbox, speaking MCP on stdin/stdout')
    .argument('<profile>', 'profile path or name')
    .argument('[args...]', 'extra arguments appended to the server command (after --)')
    .option('--dry-run', 'print the container that would be created (secret names only) and exit')
    .option('-v, --verbose', 'launcher diagnostics on stderr')
    .action(async (profile: string, args: string[], options: { dryRun?: boolean; verbose?: boolean }) => {
      const { launch } = await import('../../run/launch.js');
      process.exitCode = await launch(profile, { extraArgs: args, dryRun: options.dryRun, verbose: options.verbose });
    });
}
