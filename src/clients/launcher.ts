/**
 * How a client starts the launcher. Clients (Claude Desktop above all) start servers with a
 * minimal environment and an unknown working directory: PATH may not contain `node` (nvm,
 * volta, asdf) nor `mcp-sandbox`, so the entry names the node executable and the launcher
 * script by absolute path instead of relying on the `#!/usr/bin/env node` shebang.
 *
 * Where the build made the native shim (dist/native/mcp-sandbox, src/run/warm-shim.c), that is
 * the entry's command: a warm start then starts no node process (docs/run.md, warm start); it
 * execs the same node launcher for everything it does not carry. MCP_SANDBOX_LAUNCHER=node
 * writes node entries all the same (and keeps the unit tests' expected entries fixed).
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxError } from '../errors.js';

/** The command and leading arguments that start `mcp-sandbox`; `run <profile>` follows. */
export interface Launcher {
  command: string;
  args: string[];
}

/** Inputs for finding the launcher; defaults read the running process. */
export interface LauncherContext {
  /** `process.argv[1]`: the script that was started. */
  argv1?: string;
  /** `process.execPath`: the node executable running us. */
  execPath?: string;
  /** Where this module lives, as a fallback for finding the package root. */
  moduleUrl?: string;
  /** The environment (MCP_SANDBOX_LAUNCHER=node: never the native shim). */
  env?: NodeJS.ProcessEnv;
}

/** `npx -y mcp-sandbox`: needs npx (and network on first use) on the client's PATH. */
export const NPX_LAUNCHER: Launcher = { command: 'npx', args: ['-y', 'mcp-sandbox'] };

const PACKAGE_NAME = 'mcp-sandbox';
const BIN = path.join('bin', 'mcp-sandbox.js');
const SHIM = path.join('dist', 'native', 'mcp-sandbox');

/**
 * `node <package>/bin/mcp-sandbox.js`, both absolute. The node path is `process.execPath` as
 * is, not its realpath: a Homebrew or distro symlink keeps working across node upgrades, a
 * versioned Cellar path would not.
 */
export function resolveLauncher(ctx: LauncherContext = {}): Launcher {
  const execPath = ctx.execPath ?? process.execPath;
  const bin = findBin(ctx.argv1 ?? process.argv[1], ctx.moduleUrl ?? import.meta.url);
  if (!bin) {
    throw new SandboxError('USAGE', 'cannot find the installed mcp-sandbox launcher (bin/mcp-sandbox.js)', {
      hint: 'install mcp-sandbox (npm install -g mcp-sandbox) or pass --npx',
    });
  }
  const shim = (ctx.env ?? process.env).MCP_SANDBOX_LAUNCHER === 'node' ? undefined : nativeShim(path.dirname(path.dirname(bin)));
  return shim ? { command: shim, args: [] } : { command: execPath, args: [bin] };
}

/** The package's native shim when the build made one and it can be run. */
function nativeShim(root: string): string | undefined {
  const file = path.join(root, SHIM);
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

function findBin(argv1: string | undefined, moduleUrl: string): string | undefined {
  // Started as the bin (directly, or through npm's symlink in a global bin directory).
  if (argv1) {
    const real = safeRealpath(argv1);
    if (real && path.basename(real) === 'mcp-sandbox.js' && isPackageRoot(path.dirname(path.dirname(real)))) return real;
    const fromArgv = real ? packageRootAbove(path.dirname(real)) : undefined;
    if (fromArgv) return path.join(fromArgv, BIN);
  }
  // Embedded (tests, other entry points): the package this module belongs to.
  const here = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  const root = packageRootAbove(path.dirname(safeRealpath(here) ?? here));
  return root ? path.join(root, BIN) : undefined;
}

function packageRootAbove(dir: string): string | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    if (isPackageRoot(current)) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

function isPackageRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest) || !existsSync(path.join(dir, BIN))) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

function safeRealpath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
