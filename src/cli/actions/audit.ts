import { Chalk } from 'chalk';
import { statSync } from 'node:fs';
import { displayPath, SandboxError, unreadableReason } from '../../errors.js';
import type { AuditOptions } from '../commands/audit.js';
import { formatAuditTable, formatFollowHeader, formatFollowRow, type Paint } from '../../gate/audit/format.js';
import { auditDir } from '../../gate/audit/paths.js';
import { followAudit, parseSince, readAuditLines, type AuditLine, type AuditQuery } from '../../gate/audit/reader.js';
import { verifyAuditFiles } from '../../gate/audit/verify.js';
import { loadProfile } from '../../profile/load.js';
import { resolveProfileArg } from '../../profile/resolve.js';

/** A profile file given instead of a name: the log is kept under the profile's `name`. */
function profileName(file: string): string {
  return loadProfile(resolveProfileArg(file)).profile.name;
}

function paintFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Paint {
  const enabled = Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  const chalk = new Chalk({ level: enabled ? 1 : 0 });
  return { header: (text) => chalk.bold(text) };
}

/** `mcp-sandbox audit [profile]` (declared in ../commands/audit.ts). */
export async function auditShowAction(profile: string | undefined, options: AuditOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const name = profile !== undefined && /[/\\]|\.ya?ml$/i.test(profile) ? profileName(profile) : profile;
  const query: AuditQuery = {
    ...(name !== undefined ? { profile: name } : {}),
    ...(options.since !== undefined ? { since: parseSince(options.since) } : {}),
    ...(options.session !== undefined ? { session: options.session } : {}),
  };
  const dir = auditDir(env);
  const paint = paintFor(process.stdout, env);
  const lines = readAuditLines(dir, query);
  const print = (batch: readonly AuditLine[], follow: boolean): void => {
    if (batch.length === 0) return;
    const text = options.json ? batch.map((l) => l.text).join('\n') : follow ? batch.map(formatFollowRow).join('\n') : formatAuditTable(batch, paint);
    process.stdout.write(`${text}\n`);
  };
  if (!options.follow) {
    if (lines.length === 0 && !options.json) process.stderr.write(`no audit records${profile ? ` for ${profile}` : ''} in ${displayPath(dir)}\n`);
    print(lines, false);
    return;
  }
  if (!options.json) process.stdout.write(`${formatFollowHeader(paint)}\n`);
  print(lines, true);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await followAudit(dir, query, (batch) => print(batch, true), stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `mcp-sandbox audit verify [files…]`: exit 0 when every chain is intact, AUDIT_CHAIN_BROKEN naming the first broken line otherwise. */
export function auditVerifyAction(files: string[], env: NodeJS.ProcessEnv = process.env): void {
  const dir = auditDir(env);
  for (const file of files) {
    try {
      if (!statSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    } catch (error) {
      throw new SandboxError('INPUT_UNREADABLE', `audit file ${displayPath(file)} ${unreadableReason(error)}`);
    }
  }
  let report;
  try {
    report = verifyAuditFiles(files, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && files.length === 0) {
      process.stdout.write(`no audit files in ${displayPath(dir)}\n`);
      return;
    }
    throw new SandboxError('INPUT_UNREADABLE', `cannot read the audit files: ${(error as Error).message}`);
  }
  if (report.broken) {
    throw new SandboxError('AUDIT_CHAIN_BROKEN', `${displayPath(report.broken.file)}:${report.broken.line}: audit chain broken: ${report.broken.reason}`, {
      hint: 'the lines before it are intact; docs/audit.md explains each kind of break',
    });
  }
  process.stdout.write(`audit chain intact: ${report.lines} lines in ${report.files.length} file${report.files.length === 1 ? '' : 's'}\n`);
}
