import { withEngine } from '../../engine/connect.js';
import { SandboxError } from '../../errors.js';
import { warmProfile } from '../../run/warm-command.js';

/** `mcp-sandbox warm` (declared in ../commands/warm.ts). */
export async function warmAction(profiles: string[], options: { pool?: string; stop?: boolean; verbose?: boolean }): Promise<void> {
  let pool: number | undefined;
  if (options.pool !== undefined) {
    pool = Number(options.pool);
    if (!/^\d+$/.test(options.pool) || pool > 32) throw new SandboxError('USAGE', `--pool ${options.pool}: expected a whole number from 0 to 32`);
  }
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const debug = (message: string): void => {
    if (options.verbose) process.stderr.write(`mcp-sandbox: ${message}\n`);
  };
  await withEngine(async (engine) => {
    for (const profile of profiles) await warmProfile(profile, { engine, env: process.env, say, debug, ...(pool === undefined ? {} : { pool }), ...(options.stop ? { stop: true } : {}) });
  });
}
