import { Option, type Command } from 'commander';

/** `mcp-sandbox render <profile>`: the exact hardened docker command, for review or use without the launcher. */
export function registerRender(program: Command): void {
  program
    .command('render')
    .description('print the hardened docker run command for a profile (or its Engine API body, or Kubernetes manifests)')
    .argument('<profile>', 'profile path or name')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['shell', 'json', 'desktop', 'engine', 'k8s']).default('shell'))
    .option('--serve', 'with --format k8s: a Deployment + Service running `mcp-sandbox serve` in front of per-session sandbox Pods')
    .option('--serve-image <image>', 'with --serve: the image with the mcp-sandbox CLI')
    .option('--egress-ip <address>', "with --format k8s and an allowlist: the egress proxy Service's cluster IP (the sandbox's nameserver); default 10.96.0.53")
    .action(async (arg: string, options: { format: string; serve?: boolean; serveImage?: string; egressIp?: string }) => {
      const { renderAction } = await import('../actions/render.js');
      await renderAction(arg, options);
    });
}
