import type { ServeAuth, ServeAuthConfig } from '../../serve/auth/types.js';
import { serve } from '../../serve/serve.js';

/** `mcp-sandbox serve` (declared in ../commands/serve.ts). */
export async function serveAction(profile: string, options: { listen: string; publicUrl?: string; auth?: string; verbose?: boolean }): Promise<number> {
  return serve(profile, { ...options, loadAuth: loadServeAuth });
}

/**
 * The OAuth resource server for a profile's serve.auth, loaded only then (jose stays off the
 * path of a loopback serve). Discovery problems go to stderr without any token.
 */
async function loadServeAuth(config: ServeAuthConfig, resourceUrl: URL): Promise<ServeAuth> {
  const { createServeAuth } = await import('../../serve/auth/index.js');
  return createServeAuth(config, resourceUrl.href, { log: (message) => void process.stderr.write(`mcp-sandbox serve: ${message}\n`) });
}
