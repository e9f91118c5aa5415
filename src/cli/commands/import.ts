import type { Command } from 'commander';
import { CLIENT_IDS } from '../../clients/paths.js';

/** `mcp-sandbox import <config> --server NAME`: a profile from a `docker run` client entry. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('print a profile (YAML) made from a docker run entry of an MCP client config')
    .argument('<config>', `client config file, or a client (${CLIENT_IDS.join(', ')}) for its default file`)
    .requiredOption('--server <name>', 'the server entry to import')
    .action(async (configArg: string, options: { server: string }) => {
      const { importAction } = await import('../actions/import.js');
      importAction(configArg, options);
    });
}
