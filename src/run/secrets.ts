/**
 * Secret values for a profile's declared `secrets:` names. The launcher's environment (the
 * client config's `env` block) wins; otherwise ~/.config/mcp-sandbox/secrets.env
 * (MCP_SANDBOX_SECRETS_FILE overrides the path), which is refused unless only its owner can
 * read it. Values go to the Engine API create body and nowhere else.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError, unreadableReason } from '../errors.js';
import { decodeText, readInputBytes } from '../profile/read.js';

export interface SecretOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Where the secrets file is looked for. */
function secretsFilePath(options: SecretOptions = {}): string {
  const env = options.env ?? process.env;
  return env.MCP_SANDBOX_SECRETS_FILE || path.join(options.home ?? homedir(), '.config', 'mcp-sandbox', 'secrets.env');
}

/** A variable of the launcher's environment: own string values only (`toString` is not a secret). */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The secrets file's values; an absent file is empty, a refused one throws (naming file and reason once). */
function fileValues(options: SecretOptions): Map<string, string> {
  try {
    return readSecretsFile(secretsFilePath(options));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
}

/**
 * Where each secret would come from, without printing any value (for --dry-run). Throws, as
 * `run` would, when a name needs the secrets file and the file is refused (mode, owner).
 */
export function secretSources(names: string[], options: SecretOptions = {}): Array<{ name: string; source: 'env' | 'file' | 'missing' }> {
  const env = options.env ?? process.env;
  let fromFile: Map<string, string> | undefined;
  return names.map((name) => {
    if (envValue(env, name) !== undefined) return { name, source: 'env' };
    fromFile ??= fileValues(options);
    return { name, source: fromFile.has(name) ? 'file' : 'missing' };
  });
}

/** Resolves every declared secret, or throws SECRET_MISSING naming the absent ones. */
export function resolveSecrets(names: string[], options: SecretOptions = {}): Record<string, string> {
  const env = options.env ?? process.env;
  // Null prototype: names come from the profile, and "toString" must stay just a name.
  const values = Object.create(null) as Record<string, string>;
  const missing: string[] = [];
  for (const name of names) {
    const value = envValue(env, name);
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length === 0) return values;
  const file = secretsFilePath(options);
  const fromFile = fileValues(options);
  const stillMissing = missing.filter((name) => !fromFile.has(name));
  for (const name of missing) if (fromFile.has(name)) values[name] = fromFile.get(name) as string;
  if (stillMissing.length > 0) {
    const list = stillMissing.join(', ');
    throw new SandboxError('SECRET_MISSING', `secret${stillMissing.length > 1 ? 's' : ''} ${list} declared by the profile ${stillMissing.length > 1 ? 'are' : 'is'} not set`, {
      hint: `set ${stillMissing[0]} in the client config's "env" block, or add ${stillMissing[0]}=... to ${file} (mode 0600)`,
    });
  }
  return values;
}

/** Reads KEY=VALUE lines (comments, `export `, quotes allowed). Refuses a file others can read. */
function readSecretsFile(file: string): Map<string, string> {
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
  try {
    return parseSecrets(decodeText(file, readInputBytes(file)));
  } catch (error) {
    if (error instanceof SandboxError || (error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    throw new SandboxError('SECRET_MISSING', `refusing to read secrets from ${file}: it ${unreadableReason(error)}`);
  }
}

/**
 * dotenv conventions: `#` lines are comments; `export ` is allowed; an unquoted value ends at
 * whitespace followed by `#` (an inline comment) and is trimmed; a quoted value keeps `#` and
 * spaces, and what follows its closing quote is ignored; "…" understands \n, \" and \\.
 */
export function parseSecrets(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    values.set(match[1] as string, secretValue(match[2] as string));
  }
  return values;
}

function secretValue(written: string): string {
  const quote = written[0];
  if (quote === "'") {
    const end = written.indexOf("'", 1);
    if (end > 0) return written.slice(1, end);
  } else if (quote === '"') {
    const close = /^"((?:[^"\\]|\\.)*)"/.exec(written);
    if (close) return (close[1] as string).replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
  }
  // The `=\s*` before the value took the whitespace: a value that starts with # is a comment.
  return written.startsWith('#') ? '' : written.replace(/\s+#.*$/, '').trim();
}
