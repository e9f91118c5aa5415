/**
 * Claude Desktop on Windows starts Windows processes, while the engine with gVisor and the
 * launcher live in a WSL2 distribution. The entry therefore starts `wsl.exe -d <distro> --
 * <node> <launcher> run <profile>`, every path after `--` being the distribution's: `desktop
 * --wsl` runs inside that distribution, where those paths are the ones it sees. wsl.exe passes
 * stdin/stdout through, so the MCP stdio stream reaches the launcher unchanged.
 */
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import type { Launcher } from './launcher.js';
import type { ClientId } from './paths.js';

export const WSL_EXE = 'wsl.exe';

/** WSL distribution names as `wsl.exe -l` lists them: no spaces or shell characters. */
const DISTRO = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The launcher wrapped for Windows: `wsl.exe -d <distro> -- <command> <args…>`. */
export function wslLauncher(distro: string, inner: Launcher): Launcher {
  if (!DISTRO.test(distro)) {
    throw new SandboxError('USAGE', `--wsl ${JSON.stringify(distro)} is not a WSL distribution name`, { hint: 'use a name from `wsl.exe -l -q`, e.g. --wsl Ubuntu' });
  }
  return { command: WSL_EXE, args: ['-d', distro, '--', inner.command, ...inner.args] };
}

/** `inner` through wsl.exe when a distribution is named, else `inner` itself. */
export function throughWsl(distro: string | undefined, inner: Launcher): Launcher {
  return distro === undefined ? inner : wslLauncher(distro, inner);
}

/**
 * Refuses `--wsl` outside the named distribution: the node, launcher and profile paths written
 * into the entry are those of the machine running `desktop`, so they must be that distribution's.
 */
export function assertInsideDistro(distro: string, env: NodeJS.ProcessEnv = process.env, kernel: string = release()): void {
  const current = env.WSL_DISTRO_NAME;
  if (!current && !/microsoft/i.test(kernel)) {
    throw new SandboxError('USAGE', `--wsl ${distro}: this is not a WSL distribution, so the paths written would not be ${distro}'s`, {
      hint: `run mcp-sandbox desktop --wsl ${distro} inside that distribution (wsl.exe -d ${distro})`,
    });
  }
  if (current && current !== distro) {
    throw new SandboxError('USAGE', `--wsl ${distro}, but this is the distribution ${current}: the paths written would be ${current}'s`, { hint: `run it inside ${distro}, or pass --wsl ${current}` });
  }
}

/**
 * The Windows-side config file of a client, as a path inside WSL (/mnt/c/…): %APPDATA% (or
 * %USERPROFILE%) asked from cmd.exe and converted with wslpath. `run` is for tests.
 */
export function windowsClientConfigPath(client: ClientId, run: (file: string, args: string[]) => string = (file, args) => execFileSync(file, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] })): string {
  const variable = client === 'cursor' ? 'USERPROFILE' : 'APPDATA';
  let dir: string;
  try {
    const windows = run('cmd.exe', ['/c', `echo %${variable}%`]).trim();
    if (!windows || windows.includes('%')) throw new Error(`%${variable}% is not set`);
    dir = run('wslpath', ['-u', windows]).trim();
  } catch (error) {
    throw new SandboxError('USAGE', `cannot find the Windows %${variable}% folder from this distribution (${(error as Error).message.split('\n')[0]})`, {
      hint: 'pass --config-path /mnt/c/Users/<you>/AppData/Roaming/Claude/claude_desktop_config.json',
    });
  }
  return client === 'cursor' ? path.posix.join(dir, '.cursor', 'mcp.json') : path.posix.join(dir, 'Claude', 'claude_desktop_config.json');
}
