/**
 * `run`'s last line of defence: the error-level lint rules on the profile exactly as it will
 * run (variables and `~` expanded, paths resolved, symlinks followed by the rules' context).
 * Lint may have passed the file with other variables; this verdict is the one that counts.
 *
 * Lean by design (dist/run.cjs loads it on every start): rules, the engine's rule loop and the
 * rule context only. The project's .mcp-sandbox.yaml is not read here (it needs the yaml
 * library): severities are the rules' own, and a justification in the profile is the one way
 * to accept a finding.
 */
import { displayPath, SandboxError, type SourceLocation } from '../errors.js';
import type { NormalizedProfile } from '../profile/types.js';
import { defaultRuleContext } from './context.js';
import { DEFAULT_LINT_CONFIG, runRules, type ReportedFinding } from './engine.js';
import type { RuleContext } from './types.js';

export interface EnforceOptions {
  /** Positions for the findings (a full load has them; a cached profile does not). */
  locate?: (pointer: string) => SourceLocation;
  /** The profile file, for messages when there are no positions. */
  file?: string;
  ctx?: RuleContext;
}

/** The findings that stop a run: error severity and not justified. */
export function blockingFindings(profile: NormalizedProfile, options: EnforceOptions = {}): ReportedFinding[] {
  const ctx = options.ctx ?? defaultRuleContext();
  const file = options.file ?? '';
  const locate = options.locate ?? ((): SourceLocation => ({ file, line: 0, column: 0 }));
  const findings = runRules(profile, (pointer) => ({ pointer, location: locate(pointer) }), DEFAULT_LINT_CONFIG, ctx, file === '' ? undefined : file);
  return findings.filter((f) => f.severity === 'error' && !f.suppressed);
}

function findingLine(f: ReportedFinding, file: string | undefined): string {
  const where = f.line > 0 ? `${displayPath(f.file ?? file ?? '')}:${f.line}:${f.column}: ` : file ? `${displayPath(file)}: ` : '';
  return `  ${where}${f.rule} ${f.message}`;
}

/**
 * Returns the profile when no error-level finding stands; otherwise throws LINT_FINDINGS
 * (exit 1) naming each finding's rule, message and position, one per line.
 */
export function enforceLintVerdict(profile: NormalizedProfile, options: EnforceOptions = {}): NormalizedProfile {
  const blocking = blockingFindings(profile, options);
  if (blocking.length === 0) return profile;
  const ids = [...new Set(blocking.map((f) => f.rule))].join(', ');
  const head = `refused to run "${profile.name}": ${blocking.length} lint error${blocking.length === 1 ? '' : 's'} (${ids}) in the profile as it would run; fix ${blocking.length === 1 ? 'it' : 'them'} or justify each rule under "justifications:"`;
  throw new SandboxError('LINT_FINDINGS', [head, ...blocking.map((f) => findingLine(f, options.file))].join('\n'));
}
