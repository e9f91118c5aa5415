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

/**
 * node's flags for `run`, the launcher a client starts for each server (docs/gate.md, Memory).
 * Lite mode (no JIT: V8 interprets, keeps no optimised code, compiles nothing at run time) is
 * what keeps the gate's launcher within its peak-RSS budget: the optimising compiler's zones,
 * its worker threads' arenas and the code it makes were most of what the gate added
 * (BENCHMARKS.md, "Lite mode for `run`"). It also leaves no run-time executable memory in the
 * process that parses an untrusted server's output. `--no-expose-wasm`: lite mode turns
 * WebAssembly off and says so on stderr unless it is off already; `run` uses none (no `fetch`).
 * The native shim adds the same flags when it execs node for `run` (src/run/warm-shim.c, a unit
 * test keeps the two lists equal); an npx entry cannot carry them (NODE_OPTIONS refuses
 * `--lite-mode`).
 */
export const RUN_NODE_FLAGS: readonly string[] = ['--lite-mode', '--no-expose-wasm'];

/** `npx -y mcp-sandbox`: needs npx (and network on first use) on the client's PATH. */
export const NPX_LAUNCHER: Launcher = { command: 'npx', args: ['-y', 'mcp-sandbox'] };

const PACKAGE_NAME = 'mcp-sandbox';
const BIN = path.join('bin', 'mcp-sandbox.js');
const SHIM = path.join('dist', 'native', 'mcp-sandbox');

/**
 * `node <RUN_NODE_FLAGS> <package>/bin/mcp-sandbox.js`, both paths absolute. The node path is
 * `process.execPath` as is, not its realpath: a Homebrew or distro symlink keeps working across
 * node upgrades, a versioned Cellar path would not.
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
  return shim ? { command: shim, args: [] } : { command: execPath, args: [...RUN_NODE_FLAGS, bin] };
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
