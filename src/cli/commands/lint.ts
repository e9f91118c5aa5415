import { Option, type Command } from 'commander';
import { CLIENT_IDS } from '../../clients/paths.js';
import type { LintOptions } from '../actions/lint.js';

/** `mcp-sandbox lint [paths…]`: the security linter for profiles and client configs. */
export function registerLint(program: Command): void {
  program
    .command('lint')
    .description('check profiles (files, directories, globs) or an MCP client config for weak sandboxing')
    .argument('[paths...]', 'profiles, directories or globs; with --client, the config file (default: the client\'s own)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addOption(new Option('--client <client>', 'lint an MCP client config instead of profiles').choices([...CLIENT_IDS]))
    .option('--config <file>', 'project config (default: the nearest .mcp-sandbox.yaml)')
    .option('--max-warnings <n>', 'fail when there are more than n warnings')
    .option('--strict', 'fail on any warning')
    .action(async (paths: string[], options: LintOptions) => {
      const { lintAction } = await import('../actions/lint.js');
      lintAction(paths, options);
    });
}
