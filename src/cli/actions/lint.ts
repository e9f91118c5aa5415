import path from 'node:path';
import { clientConfigPath, type ClientId } from '../../clients/paths.js';
import { ReportedFailure, SandboxError } from '../../errors.js';
import { lintClientConfig } from '../../lint/client.js';
import { findProjectConfig, loadLintConfig } from '../../lint/config.js';
import { defaultRuleContext, type FileReport } from '../../lint/engine.js';
import { formatJson, formatText } from '../../lint/format.js';
import { exitCodeForReports, lintPaths } from '../../lint/run.js';
import { formatSarif } from '../../lint/sarif.js';

/** `lint`'s command-line options (declared in ../commands/lint.ts). */
export interface LintOptions {
  format: 'text' | 'json' | 'sarif';
  client?: ClientId;
  config?: string;
  maxWarnings?: string;
  strict?: boolean;
}


/** `mcp-sandbox lint` (declared in ../commands/lint.ts). */
export function lintAction(paths: string[], options: LintOptions): void {
  let maxWarnings: number | undefined;
  if (options.maxWarnings !== undefined) {
    maxWarnings = Number(options.maxWarnings);
    if (!Number.isInteger(maxWarnings) || maxWarnings < 0) throw new SandboxError('USAGE', `--max-warnings must be a whole number, got "${options.maxWarnings}"`);
  }
  const config = loadLintConfig(options.config ?? findProjectConfig());
  const ctx = defaultRuleContext();
  let reports: FileReport[];
  if (options.client) {
    const client = options.client;
    const files = paths.length > 0 ? paths.map((p) => path.resolve(p)) : [clientConfigPath(client)];
    reports = files.map((file) => lintClientConfig(file, { client, config, ctx }));
  } else {
    if (paths.length === 0) throw new SandboxError('USAGE', 'nothing to lint', { hint: 'give profile files, directories or globs, or --client <client>' });
    const result = lintPaths(paths, { config, ctx });
    if (result.missing.length > 0) {
      throw new SandboxError('INPUT_UNREADABLE', `no profiles found: ${result.missing.join(', ')} (no such file, an empty directory, or a glob that matches nothing)`);
    }
    reports = result.reports;
  }
  const output = options.format === 'json' ? formatJson(reports) : options.format === 'sarif' ? formatSarif(reports, config) : formatText(reports);
  process.stdout.write(`${output}\n`);
  const code = exitCodeForReports(reports, { ...(maxWarnings !== undefined ? { maxWarnings } : {}), ...(options.strict ? { strict: true } : {}) });
  if (code !== 0) throw new ReportedFailure(code, 'lint findings');
}
