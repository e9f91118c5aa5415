import type { Command } from 'commander';
import { buildProfileImage } from '../../build/build.js';

interface BuildFlags {
  baseImage?: string;
  app?: string;
  force?: boolean;
  offline?: boolean;
  pythonVersion?: string;
  verbose?: boolean;
}

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
      const result = await buildProfileImage(arg, {
        baseImage: flags.baseImage,
        appDir: flags.app,
        force: flags.force,
        offline: flags.offline,
        pythonVersion: flags.pythonVersion,
        log: (line) => process.stderr.write(`mcp-sandbox build: ${line}\n`),
        ...(flags.verbose ? { onOutput: (chunk: string): void => void process.stderr.write(chunk) } : {}),
      });
      process.stdout.write(`${result.image}\n`);
    });
}
