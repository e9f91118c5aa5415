/**
 * Emitter 1: the `docker run` argv for a SandboxSpec, deterministic and in `--flag=value` form,
 * so a reviewer can diff it and a user can run it without the launcher. Every flag comes from
 * its row in docker-flags.ts, the table the parser (clients/docker-run.ts) reads as well.
 */
import { quote } from 'shlex';
import { DOCKER_RUN_FLAGS } from './docker-flags.js';
import type { SandboxSpec } from './spec.js';

/** `docker run …` as an argv array, starting with "docker", "run". Secrets appear as names only. */
export function toDockerArgv(spec: SandboxSpec): string[] {
  const flags = DOCKER_RUN_FLAGS.flatMap((row) => row.emit?.(spec) ?? []);
  return ['docker', 'run', ...flags, spec.image, ...(spec.cmd ?? [])];
}

/** One POSIX shell command line for the argv. */
export function toShellCommand(argv: readonly string[]): string {
  return argv.map((arg) => quote(arg)).join(' ');
}
