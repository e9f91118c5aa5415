/**
 * One lint run over command-line inputs: expand them, load each profile (a load error becomes
 * an MS000 finding, never a stack trace), lint, and decide the exit code.
 */
import path from 'node:path';
import { EXIT_CODES } from '../errors.js';
import { loadProfile, type LoadedProfile } from '../profile/load.js';
import { lintClientConfig } from './client.js';
import { DEFAULT_LINT_CONFIG, defaultRuleContext, lintProfile, loadFailureReport, type FileReport, type LintConfig } from './engine.js';
import { summarize } from './format.js';
import { expandInputs } from './inputs.js';
import type { RuleContext } from './types.js';

export interface LintRunOptions {
  config?: LintConfig;
  ctx?: RuleContext;
  cwd?: string;
}

/** Lints profile files, directories and globs; `.json` files are read as client configs. */
export function lintPaths(args: readonly string[], options: LintRunOptions = {}): { reports: FileReport[]; missing: string[] } {
  const config = options.config ?? DEFAULT_LINT_CONFIG;
  const ctx = options.ctx ?? defaultRuleContext();
  const { files, missing } = expandInputs(args, options.cwd);
  // The extends stage of each load says which files are bases of others.
  const linted = files.map((file) => lintFile(file, config, ctx));
  const bases = new Set(linted.flatMap((l) => l.bases));
  const reports: FileReport[] = [];
  for (const [i, { report }] of linted.entries()) {
    // A partial base profile is linted through the profiles that extend it (positions point
    // into it); on its own it is not a profile, so only a complete base is reported itself.
    if (bases.has(files[i] as string) && report.findings.some((f) => f.rule === 'MS000') && !report.unreadable) continue;
    reports.push(report);
  }
  return { reports, missing };
}

function lintFile(file: string, config: LintConfig, ctx: RuleContext): { report: FileReport; bases: string[] } {
  if (path.extname(file).toLowerCase() === '.json') return { report: lintClientConfig(file, { config, ctx }), bases: [] };
  let loaded: LoadedProfile;
  try {
    loaded = loadProfile(file);
  } catch (error) {
    return { report: loadFailureReport(file, error, config), bases: [] };
  }
  return { report: lintProfile(loaded, config, ctx), bases: loaded.files.slice(1) };
}

export interface ExitPolicy {
  /** Fail when warnings exceed this many; undefined = warnings never fail. */
  maxWarnings?: number;
  /** Warnings fail (same as maxWarnings 0). */
  strict?: boolean;
}

/** 0 clean, 1 errors or too many warnings, 2 an unreadable input. */
export function exitCodeForReports(reports: readonly FileReport[], policy: ExitPolicy = {}): number {
  if (reports.some((r) => r.unreadable)) return EXIT_CODES.INPUT_UNREADABLE;
  const summary = summarize(reports);
  if (summary.errors > 0) return EXIT_CODES.LINT_FINDINGS;
  const limit = policy.strict ? 0 : policy.maxWarnings;
  if (limit !== undefined && summary.warnings > limit) return EXIT_CODES.LINT_FINDINGS;
  return 0;
}
