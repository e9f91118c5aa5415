import { toDockerArgv, toShellCommand } from '../../compile/docker-argv.js';
import { toCreateBody } from '../../compile/engine-body.js';
import { toK8sManifests, toK8sYaml, type K8sOptions } from '../../compile/k8s.js';
import { serveOptionsOf } from '../../compile/k8s-serve.js';
import { prepareSandbox } from '../../compile/prepare.js';
import { CLIENT_FORMATS } from '../../clients/paths.js';
import { SandboxError } from '../../errors.js';
import type { LoadedProfile } from '../../profile/load.js';
import { isIpv4 } from '../../egress/allow.js';
import { k8sEgressOf } from '../../egress/k8s.js';
import { renderSetEngine, renderSetShell } from '../../egress/render-set.js';
import { loadUserConfig } from '../../run/user-config.js';

/** `mcp-sandbox render` (declared in ../commands/render.ts). */
export async function renderAction(arg: string, options: { format: string; serve?: boolean; serveImage?: string; egressIp?: string }): Promise<void> {
  const k8sOnly = [options.serve && '--serve', options.serveImage !== undefined && '--serve-image', options.egressIp !== undefined && '--egress-ip'].filter((f): f is string => typeof f === 'string');
  if (k8sOnly.length > 0 && options.format !== 'k8s') {
    throw new SandboxError('USAGE', `${k8sOnly.join(' and ')} ${k8sOnly.length > 1 ? 'only apply' : 'only applies'} to --format k8s`, { hint: 'add --format k8s' });
  }
  if (options.egressIp !== undefined && !isIpv4(options.egressIp)) {
    throw new SandboxError('USAGE', `--egress-ip ${JSON.stringify(options.egressIp)} is not an IPv4 address`, { hint: "give a free address of your cluster's service range, e.g. 10.96.0.53" });
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
      output = toK8sYaml(toK8sManifests(spec, { ...k8sOptions(loaded, options), ...withK8sEgress(spec, options.egressIp) })).trimEnd();
      break;
    default:
      output = allowlisted ? renderSetShell(spec, egress).join('\n') : toShellCommand(argv);
  }
  if (allowlisted && (options.format === 'json' || options.format === 'desktop')) {
    process.stderr.write(`mcp-sandbox: ${spec.name} has an egress allowlist: this docker command joins an egress set it does not create (render --format shell prints the whole set; mcp-sandbox run starts it)\n`);
  }
  process.stdout.write(`${output}\n`);
}

function withK8sEgress(spec: Parameters<typeof k8sEgressOf>[0], serviceIp: string | undefined): Pick<K8sOptions, 'egress'> {
  const egress = k8sEgressOf(spec, serviceIp);
  return egress === undefined ? {} : { egress };
}

/** What the k8s emitter needs beyond the spec; with --serve, the merged profile for `serve` to load. */
function k8sOptions(loaded: LoadedProfile, options: { serve?: boolean; serveImage?: string }): K8sOptions {
  const base = { justifications: loaded.profile.justifications, locate: loaded.locate };
  if (!options.serve) return base;
  return { ...base, serve: serveOptionsOf(loaded.raw, options.serveImage) };
}
