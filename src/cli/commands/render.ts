import { Option, type Command } from 'commander';
import { toDockerArgv, toShellCommand } from '../../compile/docker-argv.js';
import { toCreateBody } from '../../compile/engine-body.js';
import { prepareSandbox } from '../../compile/prepare.js';

/** `mcp-sandbox render <profile>`: the exact hardened docker command, for review or use without the launcher. */
export function registerRender(program: Command): void {
  program
    .command('render')
    .description('print the hardened docker run command for a profile')
    .argument('<profile>', 'profile path or name')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['shell', 'json', 'desktop', 'engine']).default('shell'))
    .action((arg: string, options: { format: string }) => {
      const { spec } = prepareSandbox(arg);
      const argv = toDockerArgv(spec);
      let output: string;
      switch (options.format) {
        case 'json':
          output = JSON.stringify(argv);
          break;
        case 'desktop':
          output = JSON.stringify({ mcpServers: { [spec.name]: { command: argv[0], args: argv.slice(1) } } }, null, 2);
          break;
        case 'engine':
          output = JSON.stringify(toCreateBody(spec), null, 2);
          break;
        default:
          output = toShellCommand(argv);
      }
      process.stdout.write(`${output}\n`);
    });
}
