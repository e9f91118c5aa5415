import { createInterface } from 'node:readline/promises';
import { doctorHere } from '../../doctor/run-doctor.js';
import { resolveEndpoint } from '../../engine/endpoint.js';
import { HttpEngineClient } from '../../engine/http-client.js';
import { realHost } from '../../setup/host.js';
import { runSetup } from '../../setup/setup.js';
import type { SetupCommandOptions } from '../commands/setup.js';

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** `mcp-sandbox setup` (declared in ../commands/setup.ts). */
export async function setupAction(options: SetupCommandOptions): Promise<void> {
  const env = process.env;
  const engine = new HttpEngineClient(resolveEndpoint({ env }));
  try {
    const code = await runSetup({
      dryRun: options.dryRun ?? false,
      yes: options.yes ?? false,
      env,
      host: realHost(env),
      engine,
      out: (line) => process.stdout.write(`${line}\n`),
      ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
      doctor: (doctorEnv) => doctorHere({ env: doctorEnv }),
      skipDoctor: options.doctor === false,
    });
    if (code !== 0) process.exitCode = code;
  } finally {
    engine.close();
  }
}
