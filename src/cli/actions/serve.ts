import { SandboxError } from '../../errors.js';
import type { ServeAuth, ServeAuthConfig } from '../../serve/auth/types.js';
import { serve } from '../../serve/serve.js';

/** `mcp-sandbox serve` (declared in ../commands/serve.ts). */
export async function serveAction(profile: string, options: { listen: string; publicUrl?: string; auth?: string; verbose?: boolean }): Promise<number> {
  return serve(profile, { ...options, loadAuth: loadServeAuth });
}

/**
 * MERGE POINT: the OAuth resource server for a profile's serve.auth. The lead wires
 * `createServeAuth(config, resourceUrl)` from src/serve/auth/ here; until then a profile with
 * serve.auth fails clearly instead of being served without the authentication it asks for.
 */
async function loadServeAuth(config: ServeAuthConfig, resourceUrl: URL): Promise<ServeAuth> {
  void config;
  void resourceUrl;
  throw new SandboxError('NOT_IMPLEMENTED', 'serve.auth is not available in this build: OAuth for serve has not been wired in yet', {
    hint: 'remove serve.auth to serve on loopback with --auth none',
  });
}
