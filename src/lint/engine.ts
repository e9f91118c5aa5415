/**
 * The lint stage: runs every enabled rule over a normalized profile and turns findings into
 * reported ones (severity after config, position in the file, suppression by justification).
 * Loading is parse -> schema -> normalize -> lint -> compile; `lintProfile` is this stage.
 */
import path from 'node:path';
import { SandboxError, type SourceLocation } from '../errors.js';
import type { LoadedProfile } from '../profile/load.js';
import type { NormalizedProfile } from '../profile/types.js';
import { RULES, RULES_BY_ID } from './registry.js';
import { defaultRuleContext } from './context.js';
import type { Rule, RuleContext, Severity } from './types.js';

export { defaultRuleContext } from './context.js';

/** One finding as every output format sees it. `path` is a JSON pointer into the reported file. */
export interface ReportedFinding {
  rule: string;
  severity: Severity;
  message: string;
  path: string;
  line: number;
  column: number;
  suppressed: boolean;
  /** The justification's reason, for suppressed findings. */
  justification?: string;
  /** The file the position is in, when not the report's own file (a base profile via `extends`). */
  file?: string;
}

export interface FileReport {
  /** As given or found (display form is chosen by the formatter). */
  file: string;
  findings: ReportedFinding[];
  /** The file could not be read at all: exit 2 rather than 1. */
  unreadable?: boolean;
}

/** Project configuration: severity overrides and disabled rules (from .mcp-sandbox.yaml). */
export interface LintConfig {
  severities: Readonly<Record<string, Severity>>;
  disabled: ReadonlySet<string>;
}

export const DEFAULT_LINT_CONFIG: LintConfig = { severities: {}, disabled: new Set() };

/** Where a pointer is in the reported file. */
export type PointerLocator = (pointer: string) => { pointer: string; location: SourceLocation };

/** The lint stage for a loaded profile. */
export function lintProfile(loaded: LoadedProfile, config: LintConfig = DEFAULT_LINT_CONFIG, ctx: RuleContext = defaultRuleContext()): FileReport {
  const locator: PointerLocator = (pointer) => ({ pointer, location: loaded.locate(pointer) });
  return { file: loaded.file, findings: runRules(loaded.profile, locator, config, { ...ctx, profileFile: loaded.file }, loaded.file) };
}

/**
 * Runs the rules over a profile; the locator maps profile pointers to positions. A position in
 * another file than `reportFile` (a base profile) keeps its file on the finding.
 */
export function runRules(profile: NormalizedProfile, locator: PointerLocator, config: LintConfig, ctx: RuleContext, reportFile?: string): ReportedFinding[] {
  const findings: ReportedFinding[] = [];
  for (const rule of enabledRules(config)) {
    for (const finding of rule.check(profile, ctx)) {
      const { pointer, location } = locator(finding.pointer);
      const reason = rule.suppressible ? profile.justifications[rule.id] : undefined;
      const suppressed = reason !== undefined && reason.trim() !== '';
      findings.push({
        rule: rule.id,
        severity: config.severities[rule.id] ?? finding.severity ?? rule.severity,
        message: finding.message,
        path: pointer,
        line: location.line,
        column: location.column,
        suppressed,
        ...(suppressed ? { justification: reason } : {}),
        ...(reportFile !== undefined && path.resolve(location.file) !== path.resolve(reportFile) ? { file: location.file } : {}),
      });
    }
  }
  return sortFindings(findings);
}

/** Rules not disabled by the project config. */
export function enabledRules(config: LintConfig): Rule[] {
  if (config.disabled.size === 0) return RULES as Rule[];
  return RULES.filter((rule) => !config.disabled.has(rule.id));
}

export function severityOf(rule: Rule, config: LintConfig): Severity {
  return config.severities[rule.id] ?? rule.severity;
}

export function sortFindings(findings: ReportedFinding[]): ReportedFinding[] {
  return findings.sort((a, b) => a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/**
 * A load failure as a report: MS000 at the error's position, or an unreadable input. Never a
 * stack trace; unexpected errors still propagate as bugs.
 */
export function loadFailureReport(file: string, error: unknown, config: LintConfig = DEFAULT_LINT_CONFIG): FileReport {
  if (!(error instanceof SandboxError)) throw error;
  const unreadable = error.code === 'PROFILE_NOT_FOUND' || error.code === 'INPUT_UNREADABLE';
  const rule = RULES_BY_ID.get('MS000') as Rule;
  const location = error.location ?? { file, line: 1, column: 1 };
  const hint = error.hint ? ` (${error.hint})` : '';
  // An error in a base profile is reported where it is, like any finding a base causes.
  const inOther = path.resolve(location.file) !== path.resolve(file);
  return {
    file,
    ...(unreadable ? { unreadable: true } : {}),
    findings: [
      {
        rule: rule.id,
        severity: unreadable ? 'error' : severityOf(rule, config),
        message: `${error.message}${hint}`,
        path: '',
        line: location.line,
        column: location.column,
        suppressed: false,
        ...(inOther ? { file: location.file } : {}),
      },
    ],
  };
}
