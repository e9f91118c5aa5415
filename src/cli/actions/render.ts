import { toDockerArgv, toShellCommand } from '../../compile/docker-argv.js';
import { toCreateBody } from '../../compile/engine-body.js';
import { prepareSandbox } from '../../compile/prepare.js';
import { CLIENT_FORMATS } from '../../clients/paths.js';
import { renderSetEngine, renderSetShell } from '../../egress/render-set.js';
import { loadUserConfig } from '../../run/user-config.js';

/** `mcp-sandbox render` (declared in ../commands/render.ts). */
export async function renderAction(arg: string, options: { format: string }): Promise<void> {
  const { spec } = prepareSandbox(arg);
  const argv = toDockerArgv(spec);
  const allowlisted = spec.network === 'allow';
  const egress = allowlisted ? ((await loadUserConfig()).egress ?? {}) : {};
  let output: string;
  switch (options.format) {
    case 'json':
      output = JSON.stringify(argv);
      break;
    case 'desktop':
      output = JSON.stringify({ [CLIENT_FORMATS['claude-desktop'].serversKey]: { [spec.name]: { command: argv[0], args: argv.slice(1) } } }, null, 2);
      break;
    case 'engine':
      output = JSON.stringify(allowlisted ? renderSetEngine(spec, egress) : toCreateBody(spec), null, 2);
      break;
    default:
      output = allowlisted ? renderSetShell(spec, egress).join('\n') : toShellCommand(argv);
  }
  if (allowlisted && (options.format === 'json' || options.format === 'desktop')) {
    process.stderr.write(`mcp-sandbox: ${spec.name} has an egress allowlist: this docker command joins an egress set it does not create (render --format shell prints the whole set; mcp-sandbox run starts it)\n`);
  }
  process.stdout.write(`${output}\n`);
}
