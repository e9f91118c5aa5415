/**
 * Bundle entry for `mcp-sandbox run` (dist/run.js): what an MCP client starts, on every server
 * start. bin/mcp-sandbox.js hands `run` here first, so that start-up loads only the launcher:
 * no commander, no other commands, no lint, no client-config code, no yaml when the profile
 * cache hits. Only the plain forms are parsed here; anything else (--help, unknown or repeated
 * flags, a missing profile, arguments without `--`) goes to the full CLI, whose `run` command
 * calls the same launch(), so behaviour and messages stay those of the full CLI.
 */
import { launch } from '../run/launch.js';
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
