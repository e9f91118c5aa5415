/**
 * Emitter 1: the `docker run` argv for a SandboxSpec, deterministic and in `--flag=value` form,
 * so a reviewer can diff it and a user can run it without the launcher.
 */
import { quote } from 'shlex';
import { formatSize } from '../profile/units.js';
import type { SandboxSpec } from './spec.js';

/** `docker run …` as an argv array, starting with "docker", "run". Secrets appear as names only. */
export function toDockerArgv(spec: SandboxSpec): string[] {
  const argv = ['docker', 'run', '--rm', '-i', `--pull=${spec.pull}`, `--runtime=${spec.runtime}`, `--network=${spec.network}`];
  for (const ns of ['pid', 'ipc', 'uts', 'userns'] as const) {
    if (spec.namespaces[ns] === 'host') argv.push(`--${ns}=host`);
  }
  if (spec.readOnlyRoot) argv.push('--read-only');
  for (const t of spec.tmpfs) argv.push(`--tmpfs=${t.path}:${t.options}`);
  if (spec.memory > 0) argv.push(`--memory=${formatSize(spec.memory)}`);
  if (spec.memorySwap !== 0) argv.push(`--memory-swap=${spec.memorySwap === -1 ? '-1' : formatSize(spec.memorySwap)}`);
  if (spec.nanoCpus > 0) argv.push(`--cpus=${spec.nanoCpus / 1e9}`);
  argv.push(`--pids-limit=${spec.pidsLimit}`);
  for (const cap of spec.capDrop) argv.push(`--cap-drop=${cap}`);
  for (const cap of spec.capAdd) argv.push(`--cap-add=${cap}`);
  if (spec.noNewPrivileges) argv.push('--security-opt=no-new-privileges');
  if (spec.seccomp.kind === 'unconfined') argv.push('--security-opt=seccomp=unconfined');
  if (spec.seccomp.kind === 'file') argv.push(`--security-opt=seccomp=${spec.seccomp.path}`);
  if (spec.privileged) argv.push('--privileged');
  argv.push(spec.init ? '--init' : '--init=false');
  if (spec.user !== undefined) argv.push(`--user=${spec.user}`);
  if (spec.workdir !== undefined) argv.push(`--workdir=${spec.workdir}`);
  if (spec.entrypoint !== undefined) argv.push(`--entrypoint=${spec.entrypoint}`);
  for (const m of spec.mounts) {
    const fields = [`type=${m.type}`, `source=${m.source}`, `target=${m.target}`, ...(m.readOnly ? ['readonly'] : [])];
    argv.push(`--mount=${fields.map(csvField).join(',')}`);
  }
  for (const e of spec.env) argv.push(`--env=${e.name}=${e.value}`);
  for (const name of spec.secrets) argv.push(`--env=${name}`);
  for (const [key, value] of Object.entries(spec.labels)) argv.push(`--label=${key}=${value}`);
  argv.push(spec.image, ...(spec.cmd ?? []));
  return argv;
}

/** --mount values are CSV: a field holding a comma or quote is quoted. */
function csvField(field: string): string {
  return /[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** One POSIX shell command line for the argv. */
export function toShellCommand(argv: readonly string[]): string {
  return argv.map((arg) => quote(arg)).join(' ');
}
