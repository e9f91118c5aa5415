/**
 * Normalize stage for the MCP gate's keys (tools, resources allow/deny, prompts, limits,
 * secretScan, roots, audit): the schema has checked the shapes; this fills in the defaults
 * (GATE_DEFAULTS in defaults.ts) and converts sizes.
 */
import { GATE_DEFAULTS } from './defaults.js';
import type { AuditArgumentsMode, DriftMode, GateConfig, NamePolicy, RootsMode, SecretScanMode } from './types.js';
import { parseSize } from './units.js';

interface RawPolicy {
  allow?: string[];
  deny?: string[];
}

/** The profile's gate sections as written (after `extends` and the schema). */
export interface RawGateSections {
  tools?: RawPolicy & { constrain?: Record<string, unknown>; onDrift?: DriftMode };
  resources?: RawPolicy;
  prompts?: RawPolicy;
  limits?: { callsPerMinute?: number; maxConcurrent?: number; maxMessageBytes?: string | number };
  secretScan?: SecretScanMode;
  roots?: RootsMode;
  audit?: { arguments?: AuditArgumentsMode; webhook?: string };
}

function policyOf(raw: RawPolicy | undefined): NamePolicy {
  return raw?.allow === undefined ? { deny: [...(raw?.deny ?? [])] } : { allow: [...raw.allow], deny: [...(raw.deny ?? [])] };
}

/** Fills the defaults in. Keys of `constrain` come from input: kept in a null-prototype object. */
export function gateConfigOf(raw: RawGateSections): GateConfig {
  const d = GATE_DEFAULTS;
  const constrain: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [tool, schema] of Object.entries(raw.tools?.constrain ?? {})) constrain[tool] = schema;
  const maxBytes = raw.limits?.maxMessageBytes === undefined ? undefined : parseSize(raw.limits.maxMessageBytes);
  return {
    tools: { ...policyOf(raw.tools), constrain, onDrift: raw.tools?.onDrift ?? d.tools.onDrift },
    resources: policyOf(raw.resources),
    prompts: policyOf(raw.prompts),
    limits: {
      callsPerMinute: raw.limits?.callsPerMinute ?? d.limits.callsPerMinute,
      maxConcurrent: raw.limits?.maxConcurrent ?? d.limits.maxConcurrent,
      maxMessageBytes: maxBytes ?? d.limits.maxMessageBytes,
    },
    secretScan: raw.secretScan ?? d.secretScan,
    roots: raw.roots ?? d.roots,
    auditArguments: raw.audit?.arguments ?? d.auditArguments,
    ...(raw.audit?.webhook === undefined ? {} : { auditWebhook: raw.audit.webhook }),
  };
}
