/**
 * Bundle entry for `mcp-sandbox run` (dist/run.js): what an MCP client starts, on every server
 * start. bin/mcp-sandbox.js hands `run` here first, so that start-up loads only the launcher:
 * no commander, no other commands, no lint, no client-config code, no yaml when the profile
 * cache hits. Only the plain forms are parsed here; anything else (--help, unknown or repeated
 * flags, a missing profile, arguments without `--`) goes to the full CLI, whose `run` command
 * calls the same launch(), so behaviour and messages stay those of the full CLI.
 */
import { homedir } from 'node:os';
import { launch } from '../run/launch.js';
import type { BrokerRequest } from '../run/warm-broker.js';
import { reportError } from './report.js';

export interface RunArgv {
  profile: string;
  extraArgs: string[];
  dryRun: boolean;
  verbose: boolean;
  debug: boolean;
}

/** `<profile> [--dry-run] [-v|--verbose] [--debug] [-- args…]` (after `run`), or undefined for anything else. */
export function parseRunArgv(args: readonly string[]): RunArgv | undefined {
  const flags = { dryRun: false, verbose: false, debug: false };
  let profile: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      if (profile === undefined) return undefined;
      return { profile, extraArgs: args.slice(i + 1), ...flags };
    }
    const flag = arg === '--dry-run' ? 'dryRun' : arg === '-v' || arg === '--verbose' ? 'verbose' : arg === '--debug' ? 'debug' : undefined;
    if (flag) {
      if (flags[flag]) return undefined;
      flags[flag] = true;
    } else if (arg.startsWith('-') || profile !== undefined) {
      return undefined;
    } else {
      profile = arg;
    }
  }
  return profile === undefined ? undefined : { profile, extraArgs: [], ...flags };
}

/** Runs `run` with the arguments after `run`; undefined means "not handled here: use the full CLI". */
export async function runMain(args: readonly string[]): Promise<number | undefined> {
  const parsed = parseRunArgv(args);
  if (!parsed) return undefined;
  try {
    return await launch(parsed.profile, { extraArgs: parsed.extraArgs, dryRun: parsed.dryRun, verbose: parsed.verbose });
  } catch (error) {
    return reportError(error, parsed.debug);
  }
}

/**
 * `run` for the warm-start broker (src/run/warm-broker.ts): the same launch() with the shim's
 * io, cwd and environment, for a claimed pool member only. Undefined means "cold": the shim
 * execs the node launcher, which then decides and reports everything itself (so a refusal's
 * message is exactly the launcher's). Only the plain forms are carried (no --dry-run), and only
 * for a client whose home is the broker's (paths under ~ would otherwise resolve elsewhere).
 */
export async function brokerMain(request: BrokerRequest): Promise<number | undefined> {
  const parsed = request.args[0] === 'run' ? parseRunArgv(request.args.slice(1)) : undefined;
  if (!parsed || parsed.dryRun) return undefined;
  if (request.env.HOME !== undefined && request.env.HOME !== homedir()) return undefined;
  let accepted = false;
  try {
    return await launch(parsed.profile, {
      extraArgs: parsed.extraArgs,
      verbose: parsed.verbose,
      env: request.env,
      io: request.io,
      cwd: request.cwd,
      brokered: {
        endpoint: request.endpoint,
        accept: () => {
          accepted = true;
          request.accept();
        },
      },
    });
  } catch (error) {
    return accepted ? reportError(error, parsed.debug, request.io.stderr) : undefined;
  }
}
