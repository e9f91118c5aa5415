/**
 * `mcp-sandbox setup`: does on Linux what `doctor` would tell the user to do. Plans (plan.ts),
 * shows the plan (every file diff and command with --dry-run), needs root only for the engine
 * parts, applies in order (packages, files, dockerd), waits until the engine reports the
 * runtimes, then runs doctor and prints its verdict. A second run finds nothing to do.
 */
import { doctorPassed, formatCheck, type Check } from '../doctor/checks.js';
import type { EngineClient } from '../engine/client.js';
import { SandboxError, EXIT_CODES } from '../errors.js';
import { fileDiff, shellLine } from './diff.js';
import { clearStalePidfile, logTail, startDockerd, waitForRuntimes } from './dockerd.js';
import { applyFileChange, withLock } from './files.js';
import type { Host } from './host.js';
import { changedFiles, enginePartsChange, makePlan, nothingToDo, type Command, type Plan } from './plan.js';

export interface SetupOptions {
  dryRun: boolean;
  yes: boolean;
  env: NodeJS.ProcessEnv;
  host: Host;
  engine: EngineClient;
  /** Where the account goes (stdout). */
  out: (line: string) => void;
  /** Asked before changing anything without --yes; undefined = no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  doctor: (env: NodeJS.ProcessEnv) => Promise<Check[]>;
  /** --no-doctor: skip the final check (scripts/engine-up.sh, before the test images exist). */
  skipDoctor?: boolean;
  now?: Date;
}

function commandText(command: Command): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return `${shellLine([...env, ...command.argv])}    # ${command.why}`;
}

/** The plan as the user reads it: diffs and commands, in the order they would happen. */
export function describePlan(plan: Plan & { skipDoctor?: boolean }, verb: 'would' | 'will'): string[] {
  const lines: string[] = [];
  for (const command of plan.installs) lines.push(`${verb} run: ${commandText(command)}`);
  for (const change of changedFiles(plan)) {
    lines.push(`${verb} ${change.before === undefined ? 'create' : 'change'} ${change.file} (${change.role}):`, fileDiff(change));
  }
  if (plan.dockerd.kind !== 'none') lines.push(`${verb} run: ${commandText(plan.dockerd.command)}`);
  if (!plan.skipDoctor) lines.push(`${verb} run: mcp-sandbox doctor    # check the result with real gVisor starts`);
  return lines;
}

/** Runs setup; returns the exit code. Throws SandboxError for what stops it (one line, with the fix). */
export async function runSetup(options: SetupOptions): Promise<number> {
  const { out } = options;
  let plan = await makePlan(options.host, options.env, options.engine);
  out(`setup: engine unix://${plan.target.socketPath}, dockerd config ${plan.target.daemonJson}`);
  for (const line of [...plan.explanation, ...plan.notes]) out(`  ${line}`);
  if (nothingToDo(plan)) {
    out('setup: nothing to change: runsc, daemon.json, the runtime mapping and dockerd are already set up');
    return options.dryRun ? 0 : verdict(options);
  }
  if (options.dryRun) {
    for (const line of describePlan({ ...plan, skipDoctor: options.skipDoctor }, 'would')) out(line);
    out('setup: dry run: nothing was changed');
    return 0;
  }
  if (enginePartsChange(plan) && options.host.uid !== 0) {
    throw new SandboxError('USAGE', 'setup needs root for the engine parts (runsc install, daemon.json, dockerd reload): rerun it as root (sudo mcp-sandbox setup), or see them with --dry-run');
  }
  if (!options.yes) await askFirst(plan, options);
  const lockDaemonJson = enginePartsChange(plan) ? (fn: () => Promise<void>) => withLock(plan.daemonJson.file, fn) : (fn: () => Promise<void>) => fn();
  await lockDaemonJson(async () => {
    if (plan.installs.length > 0) await install(plan.installs, options);
    // Planned again under the lock: the installed runsc decides the arguments, and the files are read afresh.
    plan = await makePlan(options.host, options.env, options.engine);
    for (const change of changedFiles(plan)) {
      const backup = applyFileChange(change, options.now);
      out(`${change.before === undefined ? 'created' : 'changed'} ${change.file} (${change.role})${backup ? `; backup ${backup}` : ''}`);
    }
    await bringUp(plan, options);
  });
  return verdict(options);
}

async function askFirst(plan: Plan, options: SetupOptions): Promise<void> {
  if (!options.confirm) {
    throw new SandboxError('USAGE', 'setup would change this machine and there is no terminal to ask: pass --yes to apply, or --dry-run to see the changes');
  }
  for (const line of describePlan({ ...plan, skipDoctor: options.skipDoctor }, 'will')) options.out(line);
  if (!(await options.confirm('apply these changes? [y/N] '))) throw new SandboxError('USAGE', 'setup cancelled: nothing was changed');
}

async function install(commands: Command[], options: SetupOptions): Promise<void> {
  for (const command of commands) {
    options.out(`running: ${commandText(command)}`);
    const result = await options.host.run(command.argv, { env: { ...options.env, ...command.env } });
    if (result.code !== 0) {
      const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-10).join('\n');
      if (tail) process.stderr.write(`${tail}\n`);
      throw new SandboxError('RUNTIME_MISSING', `${shellLine(command.argv)} failed (exit ${result.code})`, { hint: 'see its output above; install runsc by hand (https://gvisor.dev/docs/user_guide/install/) and rerun setup' });
    }
  }
}

/** Reloads or starts dockerd as planned and waits until the engine reports the runtimes. */
async function bringUp(plan: Plan, options: SetupOptions): Promise<void> {
  const { dockerd, target } = plan;
  const describe = Object.entries(plan.wanted)
    .map(([name, want]) => `${name}${want.network ? ` [--network=${want.network}]` : ''}`)
    .join(', ');
  if (dockerd.kind === 'none') return;
  let gone: () => boolean = () => false;
  if (dockerd.kind === 'reload' && dockerd.command.argv[0] === 'kill') {
    if (dockerd.pid === undefined) {
      throw new SandboxError('ENGINE_ERROR', `cannot find the dockerd process listening on ${target.socketPath} to reload it`, { hint: 'send it SIGHUP yourself (kill -HUP <pid>), then rerun setup' });
    }
    process.kill(dockerd.pid, 'SIGHUP');
  } else if (dockerd.kind === 'start' && dockerd.command.argv[0] !== 'systemctl') {
    if (dockerd.pidfile && clearStalePidfile(dockerd.pidfile)) options.out(`removed the stale pid file ${dockerd.pidfile}`);
    gone = startDockerd(dockerd.command.argv, target.log).exited;
  } else {
    const result = await options.host.run(dockerd.command.argv, { timeoutMs: 120_000 });
    if (result.code !== 0) throw new SandboxError('ENGINE_ERROR', `${shellLine(dockerd.command.argv)} failed: ${result.stderr.trim().split('\n')[0] ?? ''}`);
  }
  if (!(await waitForRuntimes(options.engine, plan.wanted, target.waitMs, gone))) {
    const tail = logTail(target.log);
    if (tail && dockerd.kind === 'start') process.stderr.write(`${tail}\n`);
    const what = gone() ? 'dockerd exited during start-up' : `the engine did not report the runtimes ${describe} within ${target.waitMs / 1000} s`;
    throw new SandboxError('ENGINE_ERROR', `${what} (${shellLine(dockerd.command.argv)})`, { hint: `see the dockerd log${dockerd.kind === 'start' && dockerd.command.argv[0] !== 'systemctl' ? ` (${target.log})` : ''}` });
  }
  const pid = dockerd.kind === 'reload' && dockerd.pid ? ` (pid ${dockerd.pid})` : '';
  options.out(`${dockerd.kind === 'start' ? 'started' : 'reloaded'} dockerd${pid}: runtimes ${describe}`);
}

async function verdict(options: SetupOptions): Promise<number> {
  if (options.skipDoctor) {
    options.out('setup: done (doctor not run: --no-doctor)');
    return 0;
  }
  options.out('doctor:');
  const checks = await options.doctor(options.env);
  for (const check of checks) options.out(`  ${formatCheck(check)}`);
  const failed = checks.filter((c) => c.status === 'fail').length;
  if (doctorPassed(checks)) {
    options.out(`setup: done: doctor passed (${checks.length} checks${checks.some((c) => c.status === 'warn') ? ', warnings above' : ''})`);
    return 0;
  }
  options.out(`setup: the engine is set up, but doctor found ${failed} problem${failed === 1 ? '' : 's'} (each with its fix above)`);
  return EXIT_CODES.DOCTOR_FAILED;
}
