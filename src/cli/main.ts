/**
 * Commander wiring only: each command lives in ./commands and does its own work. Errors are
 * printed here, once, as one line, and mapped to exit codes by `exitCodeFor`.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_CODES } from '../errors.js';
import { VERSION } from '../version.js';
import { reportError } from './report.js';
import { registerDesktop } from './commands/desktop.js';
import { registerRender } from './commands/render.js';
import { registerBuild } from './commands/build.js';
import { registerValidate } from './commands/validate.js';
import { registerLint } from './commands/lint.js';
import { registerImport } from './commands/import.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerPs } from './commands/ps.js';
import { registerGc } from './commands/gc.js';
import { registerWarm } from './commands/warm.js';
import { registerDoctor } from './commands/doctor.js';
import { registerSetup } from './commands/setup.js';
import { registerAudit } from './commands/audit.js';
import { registerLock } from './commands/lock.js';

/** Builds the program; exported so tests can drive it in-process. */
export function buildProgram(): Command {
  const program = new Command('mcp-sandbox')
    .description('Run MCP servers inside hardened gVisor containers, from reviewed YAML profiles.')
    .version(VERSION)
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerValidate(program);
  registerRender(program);
  registerLint(program);
  registerImport(program);
  registerBuild(program);
  registerRun(program);
  registerServe(program);
  registerPs(program);
  registerGc(program);
  registerWarm(program);
  registerDoctor(program);
  registerSetup(program);
  registerDesktop(program);
  registerAudit(program);
  registerLock(program);
  for (const command of program.commands) command.exitOverride();
  program.hook('preAction', (_program, action) => {
    // `mcp-sandbox lint | head` closes stdout early: that is the reader's choice, not an error.
    // `run` handles its own stdout, because a closed stdout there means the client went away.
    if (action.name() !== 'run') process.stdout.on('error', quietOnEpipe);
  });
  return program;
}

function quietOnEpipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    // `run` and `doctor` still set process.exitCode (src/cli/commands/run.ts, doctor.ts); every
    // other command ends non-zero by throwing, ReportedFailure when it printed already.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with code 0; commander already printed its message.
      return error.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    }
    return reportError(error, debug);
  }
}
