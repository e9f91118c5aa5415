import type { Command } from 'commander';
import type { BuildFlags } from '../actions/build.js';

/** `mcp-sandbox build <profile>`: the image a profile names, from its `build:` section, without a registry image. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description("build the image a profile names from its build: section (package staged on the host, no registry pull when the base is local)")
    .argument('<profile>', 'profile path or name')
    .option('--base-image <ref>', 'base image instead of the pinned digest (env MCP_SANDBOX_NODE_BASE / MCP_SANDBOX_PYTHON_BASE)')
    .option('--app <dir>', 'copy this already staged app directory instead of running npm/pip')
    .option('--force', 'build even if the image is up to date')
    .option('--offline', 'stage npm packages from the local npm cache only')
    .option('--python-version <x.y>', "the base image's Python version, for pip wheel selection", '3.12')
    .option('-v, --verbose', 'show the builder output')
    .action(async (arg: string, flags: BuildFlags) => {
      // Loaded on demand, like every command's implementation: --help and other commands stay fast.
      const { buildAction } = await import('../actions/build.js');
      await buildAction(arg, flags);
    });
}
