/**
 * One lint run over command-line inputs: expand them, load each profile (a load error becomes
 * an MS000 finding, never a stack trace), lint, and decide the exit code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT_CODES } from '../errors.js';
import { loadProfile } from '../profile/load.js';
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
  const texts = new Map<string, string>();
  const bases = extendedFiles(files, texts);
  // The loader reads each file again; hand it the text already read (and forget it after).
  const readFile = (file: string): string => {
    const text = texts.get(file);
    texts.delete(file);
    return text ?? readFileSync(file, 'utf8');
  };
  const reports: FileReport[] = [];
  for (const file of files) {
    const report = lintFile(file, config, ctx, readFile);
    // A partial base profile is linted through the profiles that extend it (positions point
    // into it); on its own it is not a profile, so only a complete base is reported itself.
    if (bases.has(file) && report.findings.some((f) => f.rule === 'MS000') && !report.unreadable) continue;
    reports.push(report);
  }
  return { reports, missing };
}

/** Files named by an `extends:` of another file in the list. */
function extendedFiles(files: readonly string[], texts: Map<string, string>): Set<string> {
  const bases = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    texts.set(file, text);
    const match = /^extends:[ \t]*(?:"([^"]+)"|'([^']+)'|([^#\s][^#\n]*?))[ \t]*(?:#.*)?$/m.exec(text);
    const target = match?.[1] ?? match?.[2] ?? match?.[3];
    if (target) bases.add(path.resolve(path.dirname(file), target));
  }
  return bases;
}

function lintFile(file: string, config: LintConfig, ctx: RuleContext, readFile: (file: string) => string): FileReport {
  if (path.extname(file).toLowerCase() === '.json') return lintClientConfig(file, { config, ctx, readFile });
  try {
    return lintProfile(loadProfile(file, { readFile }), config, ctx);
  } catch (error) {
    return loadFailureReport(file, error, config);
  }
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
