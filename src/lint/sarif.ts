/**
 * SARIF 2.1.0 for GitHub code scanning: every rule in tool.driver.rules (help text, help URI,
 * default level, CIS/OWASP tags), every finding a result with a physical location. Suppressed
 * findings are kept, with an in-source suppression carrying the justification.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { VERSION } from '../version.js';
import type { FileReport, LintConfig } from './engine.js';
import { DEFAULT_LINT_CONFIG, severityOf } from './engine.js';
import { RULES } from './registry.js';
import type { Rule, Severity } from './types.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** GitHub ranks security alerts by this property (0-10). */
const SECURITY_SEVERITY: Record<Severity, string> = { error: '8.0', warning: '5.0', info: '2.0' };

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

function ruleDescriptor(rule: Rule, config: LintConfig): Record<string, unknown> {
  const severity = severityOf(rule, config);
  const refs = [rule.references.cis ? `CIS Docker Benchmark ${rule.references.cis}` : undefined, rule.references.owasp ? `OWASP Docker cheat sheet ${rule.references.owasp}` : undefined].filter(Boolean);
  const refText = refs.length > 0 ? `\n\nReferences: ${refs.join('; ')}.` : '';
  return {
    id: rule.id,
    name: pascal(rule.name),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    help: {
      text: `${rule.rationale}\n\nRemediation: ${rule.remediation}${refText}`,
      markdown: `${rule.rationale}\n\n**Remediation:** ${rule.remediation}${refText}\n\n[${rule.id} documentation](${rule.docs})`,
    },
    helpUri: rule.docs,
    defaultConfiguration: { level: LEVEL[severity], enabled: !config.disabled.has(rule.id) },
    properties: {
      tags: ['security', 'mcp-sandbox', ...(rule.references.cis ? [`CIS-${rule.references.cis.split(',')[0]?.trim()}`] : []), ...(rule.references.owasp ? [`OWASP-${rule.references.owasp.replace(/\D/g, '')}`] : [])],
      'security-severity': SECURITY_SEVERITY[severity],
      precision: 'high',
    },
  };
}

/** A relative path as URI segments: each segment percent-encoded, joined by '/'. */
function uriPath(relative: string): string {
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

/** The directory's file:// URI, ending in '/' as SARIF requires of a base (also for `/`). */
function directoryUri(dir: string): string {
  const href = pathToFileURL(path.resolve(dir)).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/**
 * An artifact location: relative to %SRCROOT% (the working directory) when the file lies below
 * it, otherwise an absolute file:// URI.
 */
export function artifactUri(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(path.resolve(cwd), absolute);
  const inside = relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
  if (inside) return { uri: uriPath(relative), uriBaseId: '%SRCROOT%' };
  return { uri: pathToFileURL(absolute).href };
}

export function formatSarif(reports: readonly FileReport[], config: LintConfig = DEFAULT_LINT_CONFIG, cwd: string = process.cwd()): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const results = reports.flatMap((report) =>
    report.findings.map((f) => ({
      ruleId: f.rule,
      ruleIndex: index.get(f.rule) ?? 0,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifactUri(f.file ?? report.file, cwd),
            region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column) },
          },
          ...(f.path ? { logicalLocations: [{ fullyQualifiedName: f.path, kind: 'member' }] } : {}),
        },
      ],
      partialFingerprints: { 'mcpSandbox/v1': `${f.rule}:${f.path}` },
      ...(f.suppressed ? { suppressions: [{ kind: 'inSource', justification: f.justification ?? '' }] } : {}),
    })),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mcp-sandbox',
            semanticVersion: VERSION,
            version: VERSION,
            informationUri: 'https://github.com/mcp-sandbox/mcp-sandbox',
            rules: RULES.map((r) => ruleDescriptor(r, config)),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: directoryUri(cwd) } },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
