/**
 * Project lint configuration: `.mcp-sandbox.yaml` found from the working directory upwards, or
 * `--config FILE`. Only its `lint` section is read here:
 *
 *   lint:
 *     rules:
 *       MS201: off        # disable
 *       MS702: warning    # change severity
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import { parseYamlSource } from '../profile/source.js';
import { DEFAULT_LINT_CONFIG, type LintConfig } from './engine.js';
import { RULES_BY_ID } from './registry.js';
import { SEVERITIES, type Severity } from './types.js';

const PROJECT_CONFIG_NAME = '.mcp-sandbox.yaml';

/** The nearest .mcp-sandbox.yaml at or above `cwd`, if any. */
export function findProjectConfig(cwd: string = process.cwd()): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, PROJECT_CONFIG_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Reads a project config; mistakes in it are usage errors (exit 2), named by position. */
export function loadLintConfig(file: string | undefined): LintConfig {
  if (file === undefined) return DEFAULT_LINT_CONFIG;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SandboxError('INPUT_UNREADABLE', `cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let source;
  try {
    source = parseYamlSource(file, text);
  } catch (error) {
    if (error instanceof SandboxError) throw new SandboxError('USAGE', error.message, { ...(error.location ? { location: error.location } : {}) });
    throw error;
  }
  const at = (pointer: string) => source.find(pointer) ?? { file, line: 1, column: 1 };
  const data = source.data as { lint?: { rules?: Record<string, unknown> } } | null;
  const rules = data?.lint?.rules ?? {};
  if (typeof rules !== 'object' || Array.isArray(rules)) {
    throw new SandboxError('USAGE', 'lint.rules must be a map of rule id to off, error, warning or info', { location: at('/lint/rules') });
  }
  const severities: Record<string, Severity> = {};
  const disabled = new Set<string>();
  for (const [id, value] of Object.entries(rules)) {
    const pointer = `/lint/rules/${id}`;
    if (!RULES_BY_ID.has(id)) throw new SandboxError('USAGE', `unknown rule ${id} in lint.rules`, { location: at(pointer), hint: 'see docs/rules/README.md' });
    if (value === 'off' || value === false) {
      if (id === 'MS000' || id === 'MS001') throw new SandboxError('USAGE', `${id} cannot be disabled`, { location: at(pointer) });
      disabled.add(id);
    } else if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) severities[id] = value as Severity;
    else throw new SandboxError('USAGE', `lint.rules.${id} must be off, error, warning or info, got ${JSON.stringify(value)}`, { location: at(pointer) });
  }
  return { severities, disabled };
}
