import type { Command } from 'commander';

export interface SetupCommandOptions {
  dryRun?: boolean;
  yes?: boolean;
  /** commander's negation of --doctor: false with --no-doctor. */
  doctor?: boolean;
}

/** `mcp-sandbox setup`: installs and registers gVisor for the local engine, then runs doctor. */
export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('on Linux: install runsc if missing, register the gVisor runtimes in daemon.json, write the runtime mapping, reload dockerd, run doctor')
    .option('--dry-run', 'print the diff of every file and every command it would run; change nothing')
    .option('-y, --yes', 'apply without asking')
    .option('--no-doctor', 'do not run doctor at the end (e.g. before any image to probe with exists)')
    .addHelpText(
      'after',
      '\nEnvironment: MCP_SANDBOX_DAEMON_JSON (default /etc/docker/daemon.json), DOCKER_HOST (the engine socket),\nMCP_SANDBOX_DOCKERD_ARGS (extra dockerd arguments for a start), MCP_SANDBOX_DOCKERD (the dockerd to start), MCP_SANDBOX_DOCKERD_LOG, MCP_SANDBOX_ENGINE_WAIT (seconds),\nMCP_SANDBOX_CONFIG (the user config). See docs/install.md.',
    )
    .action(async (options: SetupCommandOptions) => {
      // Loaded on demand: nothing of setup is on `run`'s start path.
      const { setupAction } = await import('../actions/setup.js');
      await setupAction(options);
    });
}
