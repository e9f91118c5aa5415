/**
 * Secret values for a profile's declared `secrets:` names. The launcher's environment (the
 * client config's `env` block) wins; otherwise ~/.config/mcp-sandbox/secrets.env
 * (MCP_SANDBOX_SECRETS_FILE overrides the path), which is refused unless only its owner can
 * read it. Values go to the Engine API create body and nowhere else.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';

export interface SecretOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Where the secrets file is looked for. */
function secretsFilePath(options: SecretOptions = {}): string {
  const env = options.env ?? process.env;
  return env.MCP_SANDBOX_SECRETS_FILE || path.join(options.home ?? homedir(), '.config', 'mcp-sandbox', 'secrets.env');
}

/** Where each secret would come from, without reading any value (for --dry-run). */
export function secretSources(names: string[], options: SecretOptions = {}): Array<{ name: string; source: 'env' | 'file' | 'missing' }> {
  const env = options.env ?? process.env;
  let fileNames: Set<string> | undefined;
  return names.map((name) => {
    if (env[name] !== undefined) return { name, source: 'env' };
    if (fileNames === undefined) {
      try {
        fileNames = new Set(Object.keys(readSecretsFile(secretsFilePath(options))));
      } catch {
        fileNames = new Set();
      }
    }
    return { name, source: fileNames.has(name) ? 'file' : 'missing' };
  });
}

/** Resolves every declared secret, or throws SECRET_MISSING naming the first absent one. */
export function resolveSecrets(names: string[], options: SecretOptions = {}): Record<string, string> {
  const env = options.env ?? process.env;
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = env[name];
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length === 0) return values;
  const file = secretsFilePath(options);
  let fromFile: Record<string, string> = {};
  try {
    fromFile = readSecretsFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const stillMissing = missing.filter((name) => fromFile[name] === undefined);
  for (const name of missing) if (fromFile[name] !== undefined) values[name] = fromFile[name] as string;
  if (stillMissing.length > 0) {
    const list = stillMissing.join(', ');
    throw new SandboxError('SECRET_MISSING', `secret${stillMissing.length > 1 ? 's' : ''} ${list} declared by the profile ${stillMissing.length > 1 ? 'are' : 'is'} not set`, {
      hint: `set ${stillMissing[0]} in the client config's "env" block, or add ${stillMissing[0]}=... to ${file} (mode 0600)`,
    });
  }
  return values;
}

/** Reads KEY=VALUE lines (comments, `export `, quotes allowed). Refuses a file others can read. */
function readSecretsFile(file: string): Record<string, string> {
  const stat = statSync(file);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new SandboxError('SECRET_MISSING', `refusing to read secrets from ${file}: its mode is ${mode}, others can read it`, {
      hint: `chmod 600 ${file}`,
    });
  }
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new SandboxError('SECRET_MISSING', `refusing to read secrets from ${file}: it belongs to uid ${stat.uid}, not to you`, {
      hint: `chown $(id -u) ${file}`,
    });
  }
  return parseSecrets(readFileSync(file, 'utf8'));
}

export function parseSecrets(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] as string;
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
      value = value.slice(1, -1);
      if (match[2]?.[0] === '"') value = value.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    values[match[1] as string] = value;
  }
  return values;
}
