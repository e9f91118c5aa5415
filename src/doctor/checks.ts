/**
 * `mcp-sandbox doctor`: checks that this machine can run the shipped profiles, one result per
 * check. Everything external comes in through `DoctorDeps` (engine client, runsc version, probe
 * runner) so the logic is tested with fakes; the probes themselves run in parallel because a
 * runsc start is slow (see BENCHMARKS.md). The stages: the engine and its runtimes
 * (./engine-checks.ts), what the profiles need (./needs.ts), and probes (./probe-checks.ts).
 */
import type { EngineClient } from '../engine/client.js';
import type { NetworkMode } from '../profile/types.js';
import type { UserConfig } from '../run/user-config.js';
import { engineCheck, runscChecks, runtimesCheck } from './engine-checks.js';
import { groupNeeds } from './needs.js';
import { chooseProbeImages, probeChecks } from './probe-checks.js';
import type { ProbeResult, ProbeSpec } from './probe.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  status: CheckStatus;
  /** Short id, stable for tests and --json. */
  id: string;
  message: string;
  hint?: string;
}

/** What one shipped profile needs from the engine. */
export interface ProfileNeed {
  name: string;
  runtime: string;
  network: NetworkMode;
  image: string;
}

export interface DoctorDeps {
  engine: EngineClient;
  config: UserConfig;
  profiles: ProfileNeed[];
  /** Profiles that could not be loaded: file and message. */
  profileErrors?: Array<{ file: string; message: string }>;
  /** `runsc --version` output for a runtime binary, or undefined when it cannot be run here. */
  runscVersion(path: string): Promise<string | undefined>;
  probe(spec: ProbeSpec): Promise<ProbeResult>;
  /** Small local images to probe with, in order of preference. */
  probeImages?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs every check; never throws. */
export async function runDoctor(deps: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [];
  const engine = await engineCheck(deps.engine);
  checks.push(engine.check);
  if (!engine.facts) return checks;
  const { runtimes } = engine.facts;
  checks.push(runtimesCheck(engine.facts));
  checks.push(...(await runscChecks(engine.facts, deps)));

  for (const problem of deps.profileErrors ?? []) {
    checks.push({ status: 'warn', id: 'profiles', message: `profile ${problem.file} could not be loaded: ${problem.message}` });
  }
  const needs = groupNeeds(deps, runtimes);
  checks.push(...needs.checks);
  if (deps.profiles.length === 0) {
    checks.push({ status: 'warn', id: 'profiles', message: 'no shipped profiles found: runtime starts not checked', hint: 'reinstall mcp-sandbox' });
    return checks;
  }
  const images = await chooseProbeImages(deps, needs.usable);
  checks.push(images.check);
  if (images.imageFor.size === 0) return checks;
  checks.push(...(await probeChecks(deps, needs.usable, images.imageFor, runtimes, needs.configFile)));
  return checks;
}

const SYMBOL: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** One line per check: symbol, message, and the fix for failures and warnings. */
export function formatCheck(check: Check): string {
  return `${SYMBOL[check.status]} ${check.message}${check.hint ? ` (fix: ${check.hint})` : ''}`;
}

export function doctorPassed(checks: Check[]): boolean {
  return checks.every((check) => check.status !== 'fail');
}
