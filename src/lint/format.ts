/**
 * Output formats: text for people, JSON (a contract: see the issue and docs/ci.md) and SARIF
 * (in sarif.ts) for code scanning. Formatters are pure: they return the text to print.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { displayPath } from '../errors.js';
import type { FileReport, ReportedFinding } from './engine.js';

export interface Summary {
  errors: number;
  warnings: number;
  infos: number;
  suppressed: number;
}

export function summarize(reports: readonly FileReport[]): Summary {
  const summary: Summary = { errors: 0, warnings: 0, infos: 0, suppressed: 0 };
  for (const report of reports) {
    for (const f of report.findings) {
      if (f.suppressed) summary.suppressed++;
      else if (f.severity === 'error') summary.errors++;
      else if (f.severity === 'warning') summary.warnings++;
      else summary.infos++;
    }
  }
  return summary;
}

/** The JSON contract: exactly these keys, in this order. */
export function formatJson(reports: readonly FileReport[]): string {
  const files = reports.map((r) => ({
    file: displayPath(r.file),
    findings: r.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      path: f.path,
      line: f.line,
      column: f.column,
      suppressed: f.suppressed,
      // Only for a finding in another file than the report's (a base profile).
      ...(f.file !== undefined ? { file: displayPath(f.file) } : {}),
    })),
  }));
  return JSON.stringify({ files, summary: summarize(reports) }, null, 2);
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function makeChalk(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const enabled = Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  return new Chalk({ level: enabled ? 1 : 0 });
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Text: one line per finding, `file:line:col  severity  MSxxx  message`, grouped by file. */
export function formatText(reports: readonly FileReport[], chalk: ChalkInstance = makeChalk()): string {
  const lines: string[] = [];
  const paint = (f: ReportedFinding): string => {
    if (f.suppressed) return chalk.dim('suppressed');
    return f.severity === 'error' ? chalk.red('error  ') : f.severity === 'warning' ? chalk.yellow('warning') : chalk.blue('info   ');
  };
  for (const report of reports) {
    if (report.findings.length === 0) continue;
    if (lines.length > 0) lines.push('');
    for (const f of report.findings) {
      const where = `${displayPath(f.file ?? report.file)}:${f.line}:${f.column}`;
      const text = f.suppressed ? chalk.dim(`${f.message} (justified: ${f.justification ?? ''})`) : f.message;
      lines.push(`${chalk.underline(where)}  ${paint(f)}  ${chalk.bold(f.rule)}  ${text}`);
    }
  }
  const s = summarize(reports);
  const problems = s.errors + s.warnings + s.infos;
  const counts = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info')}`;
  const tail = `${s.suppressed > 0 ? `, ${s.suppressed} suppressed` : ''} in ${plural(reports.length, 'file')}`;
  const line = problems === 0 ? chalk.green(`✔ no problems${tail}`) : (s.errors > 0 ? chalk.red : chalk.yellow)(`✖ ${plural(problems, 'problem')} (${counts})${tail}`);
  if (lines.length > 0) lines.push('');
  lines.push(line);
  return lines.join('\n');
}
