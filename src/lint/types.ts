/**
 * The shapes every lint rule and the engine share. A rule is data (id, severity, references,
 * remediation) plus a pure check over a normalized profile, so rules can be tested, documented
 * and exported to SARIF without running anything.
 */
import type { ContainerInvocation, UnmappedFlag } from '../clients/docker-run.js';
import type { NormalizedProfile } from '../profile/types.js';

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** What a check reports: where (a JSON pointer into the profile) and what, naming the value. */
export interface Finding {
  pointer: string;
  message: string;
  /** Overrides the rule's default severity for this finding (data-driven rules). */
  severity?: Severity;
}

/** A server entry of an MCP client config, as the client-entry checks see it. */
export interface ClientEntry {
  /** Key under mcpServers/servers. */
  name: string;
  command?: string;
  args: string[];
  env: Record<string, string>;
  /** Remote (url/http/sse) entries run nothing locally. */
  remote: boolean;
  /** Written by `mcp-sandbox desktop`: it starts the launcher with `run <profile>`. */
  ours?: boolean;
  /** How it reaches a container engine, when it does (clients/container-command.ts). */
  container?: ContainerInvocation;
  /** Flags of its `docker run` line that no profile field holds (indexes into args). */
  unmapped?: UnmappedFlag[];
}

/** The outside facts a check may read; built once per lint run so checks stay pure. */
export interface RuleContext {
  /** The real home directory: ~ in sensitive paths expands against it. */
  home: string;
  /** Config files and directories of AI clients (a server must not see or edit them). */
  clientConfigPaths: string[];
  /** Every known rule id, for checks about justifications. */
  ruleIds: ReadonlySet<string>;
  /** The profile file being linted (set per file by lintProfile; absent for client-config entries). */
  profileFile?: string;
  /** Whether a tool lock (`<basename>.lock.json`) lies next to a profile file. */
  hasLockFile?: (profileFile: string) => boolean;
  /** A host path with every symlink resolved (of its longest existing prefix); tests inject one. */
  realpath(file: string): string;
  /** Host paths compare case-folded (macOS, Windows filesystems). */
  caseInsensitive: boolean;
}

export interface RuleReferences {
  /** CIS Docker Benchmark v1.6.0 recommendation number, e.g. "5.4". */
  cis?: string;
  /** OWASP Docker Security Cheat Sheet rule, e.g. "Rule #3". */
  owasp?: string;
}

export interface Rule {
  /** MS + 3 digits; the hundreds digit is the family. */
  id: string;
  /** kebab-case name; the rule's file is `<id lowercased>-<name>.ts`. */
  name: string;
  title: string;
  severity: Severity;
  references: RuleReferences;
  /** Why it matters, for the docs page and SARIF help. */
  rationale: string;
  /** One sentence ending with a period. */
  remediation: string;
  /** More Markdown for the docs page (e.g. a table the rule is driven by). */
  details?: string;
  /** URL of docs/rules/<id>.md. */
  docs: string;
  /** False for rules about justifications themselves (a justification cannot silence them). */
  suppressible: boolean;
  check(profile: NormalizedProfile, ctx: RuleContext): Finding[];
  /** Checks a client config entry directly; pointers are relative to the entry. */
  checkEntry?(entry: ClientEntry, ctx: RuleContext): Finding[];
}

export const RULE_FAMILIES: Record<string, string> = {
  '0': 'lint',
  '1': 'runtime and isolation',
  '2': 'network',
  '3': 'filesystem',
  '4': 'user and privileges',
  '5': 'resources',
  '6': 'secrets and env',
  '7': 'image',
  '8': 'tool pinning',
};

/** Where rule pages are published; the same files live in docs/rules/. */
const DOCS_BASE = 'https://github.com/mcp-sandbox/mcp-sandbox/blob/main/docs/rules/';

type RuleSpec = Omit<Rule, 'docs' | 'suppressible' | 'references'> & { references?: RuleReferences; suppressible?: boolean };

/** Fills in the derived fields, so each rule file states only what is particular to it. */
export function defineRule(spec: RuleSpec): Rule {
  return { references: {}, suppressible: true, ...spec, docs: `${DOCS_BASE}${spec.id}.md` };
}
