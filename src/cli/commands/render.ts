import { Option, type Command } from 'commander';

/** `mcp-sandbox render <profile>`: the exact hardened docker command, for review or use without the launcher. */
export function registerRender(program: Command): void {
  program
    .command('render')
    .description('print the hardened docker run command for a profile')
    .argument('<profile>', 'profile path or name')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['shell', 'json', 'desktop', 'engine']).default('shell'))
    .action(async (arg: string, options: { format: string }) => {
      const { renderAction } = await import('../actions/render.js');
      await renderAction(arg, options);
    });
}
