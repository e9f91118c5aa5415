/**
 * Linting an MCP client config (`mcpServers` / `servers`): entries that run a server directly
 * on the host, literal secrets in `env`, and `docker run` entries parsed into a profile and put
 * through the same rules as a profile file. Positions point at the entry (or the exact argument)
 * in the config, found with jsonc-parser on the original text.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findNodeAtLocation, type Node } from 'jsonc-parser';
import { parseClientConfig, offsetToLineColumn, splitBom } from '../clients/config-file.js';
import { containerInvocation, parseDockerRun, type DockerRunParse } from '../clients/docker-run.js';
import { isOurEntry } from '../clients/entries.js';
import { rootNode } from '../clients/json-edit.js';
import { serversKeyOf, type ClientId } from '../clients/paths.js';
import { SandboxError, type SourceLocation } from '../errors.js';
import { loadStages, memoryChain } from '../profile/stages.js';
import { pointerSegments, toPointer } from '../profile/source.js';
import type { NormalizedProfile } from '../profile/types.js';
import { DEFAULT_LINT_CONFIG, defaultRuleContext, enabledRules, loadFailureReport, runRules, severityOf, sortFindings, type FileReport, type LintConfig, type ReportedFinding } from './engine.js';
import { RULES_BY_ID } from './registry.js';
import type { ClientEntry, Rule, RuleContext, Severity } from './types.js';

/** A config's text with a way to locate JSON pointers in it. */
interface ConfigText {
  file: string;
  data: Record<string, unknown>;
  locate(pointer: string): SourceLocation;
}

/** Parses config text (JSONC accepted: reading is lenient) and indexes positions. */
function readConfigText(file: string, raw: string): ConfigText {
  const { text } = splitBom(raw);
  const data = parseClientConfig(file, text, true);
  const tree = rootNode(text);
  const locate = (pointer: string): SourceLocation => {
    let segments: Array<string | number> = pointerSegments(pointer);
    for (;;) {
      const node: Node | undefined = tree ? findNodeAtLocation(tree, segments.map((s) => (/^\d+$/.test(String(s)) ? Number(s) : s))) : undefined;
      if (node) {
        // For an object member, point at its key: that is where an editor shows the entry.
        const at = node.parent?.type === 'property' && node.parent.children?.[1] === node && node.type === 'object' ? node.parent : node;
        return { file, ...offsetToLineColumn(text, at.offset) };
      }
      if (segments.length === 0) return { file, line: 1, column: 1 };
      segments = segments.slice(0, -1);
    }
  };
  return { file, data, locate };
}

function toEntry(name: string, value: Record<string, unknown>): ClientEntry {
  // Keys come from the file: no prototype, so "__proto__" or "constructor" stay plain names.
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  if (value.env && typeof value.env === 'object' && !Array.isArray(value.env)) {
    for (const [k, v] of Object.entries(value.env as Record<string, unknown>)) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const type = typeof value.type === 'string' ? value.type : undefined;
  const command = typeof value.command === 'string' ? value.command : undefined;
  const args = Array.isArray(value.args) ? value.args.map((a) => String(a)) : [];
  const remote = typeof value.url === 'string' || (type !== undefined && type !== 'stdio');
  const container = remote ? undefined : containerInvocation(command, args);
  return {
    name,
    ...(command !== undefined ? { command } : {}),
    args,
    env,
    remote,
    ours: isOurEntry(value),
    ...(container ? { container } : {}),
  };
}

export interface ClientLintOptions {
  client?: ClientId;
  config?: LintConfig;
  ctx?: RuleContext;
  /** Environment for ${VAR} in docker mount sources; defaults to the process's. */
  env?: NodeJS.ProcessEnv;
  /** Reads the file (a lint run hands over the text it has read already). */
  readFile?: (file: string) => string;
}

/** Lints one client config file. */
export function lintClientConfig(file: string, options: ClientLintOptions = {}): FileReport {
  let text: string;
  try {
    text = options.readFile ? options.readFile(file) : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return loadFailureReport(file, new SandboxError('INPUT_UNREADABLE', `cannot read client config ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`));
  }
  try {
    return lintClientText(file, text, options);
  } catch (error) {
    return loadFailureReport(file, error, options.config);
  }
}

/** Everything one entry's checks share. */
interface EntryScope {
  file: string;
  parsed: ConfigText;
  config: LintConfig;
  ctx: RuleContext;
  env: NodeJS.ProcessEnv;
  rules: Rule[];
}

/** Lints config text; throws SandboxError when it is not valid JSON. */
export function lintClientText(file: string, text: string, options: ClientLintOptions = {}): FileReport {
  const config = options.config ?? DEFAULT_LINT_CONFIG;
  const parsed = readConfigText(file, text);
  const key = serversKeyOf(parsed.data, options.client);
  const servers = parsed.data[key];
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) return { file, findings: [] };
  const scope: EntryScope = { file, parsed, config, ctx: options.ctx ?? defaultRuleContext(), env: options.env ?? process.env, rules: enabledRules(config) };
  const findings: ReportedFinding[] = [];
  for (const [name, value] of Object.entries(servers as Record<string, unknown>)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    findings.push(...lintEntry(toPointer([key, name]), toEntry(name, value as Record<string, unknown>), scope));
  }
  return { file, findings: sortFindings(findings) };
}

/** The entry's own checks, then its docker run line through the profile rules. */
function lintEntry(base: string, entry: ClientEntry, scope: EntryScope): ReportedFinding[] {
  const findings: ReportedFinding[] = [];
  const report = (rule: Rule, pointer: string, message: string, severity: Severity = severityOf(rule, scope.config)): void => {
    const location = scope.parsed.locate(pointer);
    findings.push({ rule: rule.id, severity, message, path: pointer, line: location.line, column: location.column, suppressed: false });
  };
  const parse = entry.container?.runStart !== undefined ? parseDockerRun(entry.args, { name: entry.name, start: entry.container.runStart }) : undefined;
  if (parse) entry.unmapped = parse.unmapped;
  for (const rule of scope.rules) {
    for (const finding of rule.checkEntry?.(entry, scope.ctx) ?? []) {
      const message = finding.message.startsWith('server "') ? finding.message : `server "${entry.name}": ${finding.message}`;
      report(rule, base + finding.pointer, message);
    }
  }
  if (!parse) return findings;
  const argPointer = (profilePointer: string): string => {
    const index = originOf(parse, profilePointer);
    return index === undefined ? base : `${base}/args/${index}`;
  };
  let profile: NormalizedProfile;
  try {
    profile = loadParsed(parse, argPointer, scope.parsed, path.dirname(path.resolve(scope.file)), scope.ctx.home, scope.env);
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    report(RULES_BY_ID.get('MS000') as Rule, base, `server "${entry.name}": its docker run line does not make a valid profile: ${error.message}`, 'error');
    return findings;
  }
  for (const finding of runRules(profile, (pointer) => ({ pointer: argPointer(pointer), location: scope.parsed.locate(argPointer(pointer)) }), scope.config, scope.ctx)) {
    findings.push({ ...finding, message: `server "${entry.name}": ${finding.message}` });
  }
  return findings;
}

/** The argument that set a profile pointer (or its nearest ancestor). */
function originOf(parse: DockerRunParse, pointer: string): number | undefined {
  let segments = pointerSegments(pointer);
  for (;;) {
    const index = parse.origins.get(toPointer(segments));
    if (index !== undefined) return index;
    if (segments.length === 0) return undefined;
    segments = segments.slice(0, -1);
  }
}

/** Schema and normalize stages for a parsed docker run line. */
function loadParsed(parse: DockerRunParse, argPointer: (p: string) => string, parsed: ConfigText, baseDir: string, home: string, env: NodeJS.ProcessEnv): NormalizedProfile {
  const locate = (pointer: string): SourceLocation => parsed.locate(argPointer(pointer));
  // VS Code's own variables, so mounts written with them resolve to something meaningful.
  const vars = { ...env, workspaceFolder: env.workspaceFolder ?? path.dirname(baseDir), userHome: env.userHome ?? home };
  return loadStages(parsed.file, memoryChain(parse.profile, locate, baseDir), { env: vars, home }).profile;
}
