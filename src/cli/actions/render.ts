import { toDockerArgv, toShellCommand } from '../../compile/docker-argv.js';
import { toCreateBody } from '../../compile/engine-body.js';
import { toK8sManifests, toK8sYaml, type K8sOptions } from '../../compile/k8s.js';
import { SERVE_IMAGE, SERVE_PORT } from '../../compile/k8s-serve.js';
import { prepareSandbox } from '../../compile/prepare.js';
import { CLIENT_FORMATS } from '../../clients/paths.js';
import { SandboxError } from '../../errors.js';
import type { LoadedProfile } from '../../profile/load.js';
import { stringify } from 'yaml';
import { planEgress } from '../../egress/plan.js';
import { renderSetEngine, renderSetShell } from '../../egress/render-set.js';
import { loadUserConfig } from '../../run/user-config.js';

/** `mcp-sandbox render` (declared in ../commands/render.ts). */
export async function renderAction(arg: string, options: { format: string; serve?: boolean; serveImage?: string }): Promise<void> {
  if ((options.serve || options.serveImage !== undefined) && options.format !== 'k8s') {
    throw new SandboxError('USAGE', '--serve and --serve-image only apply to --format k8s', { hint: 'add --format k8s' });
  }
  const { spec, loaded } = prepareSandbox(arg);
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
    case 'k8s':
      output = toK8sYaml(toK8sManifests(spec, { ...k8sOptions(loaded, options), ...(spec.egress ? { egress: planEgress(spec.egress.entries) } : {}) })).trimEnd();
      break;
    default:
      output = allowlisted ? renderSetShell(spec, egress).join('\n') : toShellCommand(argv);
  }
  if (allowlisted && (options.format === 'json' || options.format === 'desktop')) {
    process.stderr.write(`mcp-sandbox: ${spec.name} has an egress allowlist: this docker command joins an egress set it does not create (render --format shell prints the whole set; mcp-sandbox run starts it)\n`);
  }
  process.stdout.write(`${output}\n`);
}

/** What the k8s emitter needs beyond the spec; with --serve, the merged profile for `serve` to load. */
function k8sOptions(loaded: LoadedProfile, options: { serve?: boolean; serveImage?: string }): K8sOptions {
  const base = { justifications: loaded.profile.justifications, locate: loaded.locate };
  if (!options.serve) return base;
  const { extends: _extends, ...merged } = loaded.raw;
  return { ...base, serve: { image: options.serveImage ?? SERVE_IMAGE, profileYaml: stringify(merged, { lineWidth: 0 }), port: SERVE_PORT } };
}
