import { Option, type Command } from 'commander';
import { CLIENT_IDS } from '../../clients/paths.js';
import type { DesktopOptions } from '../actions/desktop.js';

/** `mcp-sandbox desktop [profile…]`: client config entries that start profiles through the launcher. */
export function registerDesktop(program: Command): void {
  program
    .command('desktop')
    .description('print or install MCP client config entries that run profiles through mcp-sandbox')
    .argument('[profile...]', 'profile paths or names')
    .addOption(new Option('--client <client>', 'the MCP client').choices([...CLIENT_IDS]).default('claude-desktop'))
    .addOption(new Option('--install', "merge the entries into the client's config file").conflicts(['uninstall', 'check']))
    .addOption(new Option('--uninstall', 'remove our entries (the named profiles, or all of ours)').conflicts(['check']))
    .option('--check', 'compare installed entries with what the profiles generate; exit 3 on drift')
    .option('--force', 'replace (or remove) a same-name entry that mcp-sandbox did not write')
    .option('--config-path <file>', "use this config file instead of the client's default")
    .option('--npx', 'start the launcher with `npx -y mcp-sandbox` instead of absolute paths')
    .option('--wsl <distro>', 'for Claude Desktop on Windows: the entry runs `wsl.exe -d <distro> -- <node> <launcher> run <profile>` (run this inside that distribution)')
    .option('--env-placeholders', 'write "env": {"NAME": ""} for declared secrets, to fill in by hand')
    .action(async (args: string[], options: DesktopOptions) => {
      const { desktopAction } = await import('../actions/desktop.js');
      desktopAction(args, options);
    });
}
