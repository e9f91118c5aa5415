/**
 * Locates the Dockerfiles shipped in `images/`, from the source tree (src/build) as well as
 * from the bundle (dist/) and an installed package: the first ancestor holding images/<base>.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxError } from '../errors.js';
import type { BuildBase } from './package-spec.js';

/** Absolute path of images/<base>/Dockerfile. MCP_SANDBOX_IMAGES_DIR overrides the search. */
export function dockerfileFor(base: BuildBase, env: NodeJS.ProcessEnv = process.env, from = moduleDir()): string {
  if (env.MCP_SANDBOX_IMAGES_DIR) {
    const file = path.resolve(env.MCP_SANDBOX_IMAGES_DIR, base, 'Dockerfile');
    if (existsSync(file)) return file;
    throw new SandboxError('INPUT_UNREADABLE', `${file} does not exist (MCP_SANDBOX_IMAGES_DIR)`);
  }
  let dir = from;
  for (;;) {
    const file = path.join(dir, 'images', base, 'Dockerfile');
    if (existsSync(file)) return file;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SandboxError('INPUT_UNREADABLE', `images/${base}/Dockerfile not found above ${from}`, {
    hint: 'reinstall mcp-sandbox, or set MCP_SANDBOX_IMAGES_DIR to a directory holding node/ and python/',
  });
}

function moduleDir(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}
