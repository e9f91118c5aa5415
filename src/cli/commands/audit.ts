import type { Command } from 'commander';

export interface AuditOptions {
  since?: string;
  session?: string;
  follow?: boolean;
  json?: boolean;
}

/** `mcp-sandbox audit [profile]` and `mcp-sandbox audit verify [files…]`: the gate's audit log (docs/audit.md). */
export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('show the audit log (a table on a terminal, plain text when piped, JSON lines with --json)')
    .argument('[profile]', "a profile's name or file (default: every profile)")
    .option('--since <when>', 'only records since a duration ago (90s, 15m, 1h, 7d) or a date (2026-12-01)')
    .option('--session <id>', 'only one session (its id or a prefix)')
    .option('-f, --follow', 'keep printing records as they are appended')
    .option('--json', 'print the raw JSON lines')
    .action(async (profile: string | undefined, options: AuditOptions) => {
      const { auditShowAction } = await import('../actions/audit.js');
      await auditShowAction(profile, options);
    });
  audit
    .command('verify')
    .description('check the hash chain of audit files (default: every file) and name the first broken line')
    .argument('[files...]', 'audit files; each is checked with every segment of its day')
    .action(async (files: string[]) => {
      const { auditVerifyAction } = await import('../actions/audit.js');
      auditVerifyAction(files);
    });
}
