/**
 * What setup reads from and runs on this machine, behind one interface so the planning logic is
 * unit-tested with a fake host and the engine test drives the real one.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { release } from 'node:os';
import path from 'node:path';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Host {
  platform: NodeJS.Platform;
  uid: number;
  /** `uname -r`. */
  kernel: string;
  /** An executable's absolute path: PATH, then the sbin/bin directories a root shell has. */
  which(name: string): string | undefined;
  /** Runs a command to completion (no shell); never throws for a non-zero exit. */
  run(argv: readonly string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CommandResult>;
  readFile(file: string): string | undefined;
}

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The real machine. */
export function realHost(env: NodeJS.ProcessEnv = process.env): Host {
  return {
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    kernel: release(),
    which(name) {
      const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
      for (const dir of dirs) {
        const file = path.join(dir, name);
        if (path.isAbsolute(file) && isExecutable(file)) return file;
      }
      return undefined;
    },
    run(argv, options = {}) {
      return new Promise((resolve) => {
        execFile(argv[0] as string, argv.slice(1), { timeout: options.timeoutMs ?? 600_000, env: options.env ?? env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 127) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && code === 127 ? error.message : '')) });
        });
      });
    },
    readFile(file) {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
