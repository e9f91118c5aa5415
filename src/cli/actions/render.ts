import { toDockerArgv, toShellCommand } from '../../compile/docker-argv.js';
import { toCreateBody } from '../../compile/engine-body.js';
import { prepareSandbox } from '../../compile/prepare.js';
import { CLIENT_FORMATS } from '../../clients/paths.js';

/** `mcp-sandbox render` (declared in ../commands/render.ts). */
export function renderAction(arg: string, options: { format: string }): void {
  const { spec } = prepareSandbox(arg);
  const argv = toDockerArgv(spec);
  let output: string;
  switch (options.format) {
    case 'json':
      output = JSON.stringify(argv);
      break;
    case 'desktop':
      output = JSON.stringify({ [CLIENT_FORMATS['claude-desktop'].serversKey]: { [spec.name]: { command: argv[0], args: argv.slice(1) } } }, null, 2);
      break;
    case 'engine':
      output = JSON.stringify(toCreateBody(spec), null, 2);
      break;
    default:
      output = toShellCommand(argv);
  }
  process.stdout.write(`${output}\n`);
}
