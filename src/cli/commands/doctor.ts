import type { Command } from 'commander';
import { EXIT_CODES, ReportedFailure } from '../../errors.js';

/** `mcp-sandbox doctor`: can this machine run the shipped profiles? One line per check. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the engine, runtimes, runsc, a real start per runtime the shipped profiles use, and memory/pids limits')
    .option('--profiles <dir>', 'check the profiles in this directory instead of the shipped ones')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { profiles?: string; json?: boolean }) => {
      // Loaded on demand: nothing of doctor is on `run`'s start path.
      const { doctorHere } = await import('../../doctor/run-doctor.js');
      const { doctorPassed, formatCheck } = await import('../../doctor/checks.js');
      const checks = await doctorHere({ profilesDir: options.profiles });
      if (options.json) process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
      else for (const check of checks) process.stdout.write(`${formatCheck(check)}\n`);
      if (!doctorPassed(checks)) throw new ReportedFailure(EXIT_CODES.DOCTOR_FAILED, 'doctor found problems');
    });
}
