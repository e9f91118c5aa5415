import type { Command } from 'commander';

/** `mcp-sandbox serve <profile>`: the profile over MCP Streamable HTTP, one sandbox per session (docs/serve.md). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve an MCP server from a profile over Streamable HTTP, one sandbox per MCP session')
    .argument('<profile>', 'profile path or name')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--public-url <url>', 'the URL clients use for the MCP endpoint (behind a TLS reverse proxy); default http://<listen>/mcp')
    .option('--auth <mode>', 'none: serve without authentication (loopback --listen only); default: the profile\'s serve.auth')
    .option('-v, --verbose', 'one line per session start and end, and the sandboxes\' stderr, on stderr')
    .action(async (profile: string, options: { listen: string; publicUrl?: string; auth?: string; verbose?: boolean }) => {
      const { serveAction } = await import('../actions/serve.js');
      process.exitCode = await serveAction(profile, options);
    });
}
