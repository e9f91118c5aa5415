/**
 * The gate's configuration from a profile's gate sections (tools, resources, prompts, limits,
 * secretScan, roots, audit), with its defaults in one place. The schema has already checked
 * the shapes; this only fills in what is absent and converts sizes.
 */
import { parseSize } from '../profile/units.js';
import type { AuditArgumentsMode, DriftMode, GateConfig, NamePolicy, RootsMode, SecretScanMode } from './types.js';

/**
 * Defaults, chosen so that a profile without gate keys still gets the protections that cost
 * no behaviour a client relies on: secrets masked, drifted tools blocked (only when a lock
 * exists), roots answered from the mounts (the client's roots are host paths, meaningless
 * inside the container), no rate or concurrency cap (a client's bursts are legitimate until
 * the profile says otherwise), and a message size cap well above the 10 MB messages MCP
 * clients accept.
 */
export const GATE_DEFAULTS: GateConfig = Object.freeze({
  tools: { deny: [], constrain: {}, onDrift: 'block' },
  resources: { deny: [] },
  prompts: { deny: [] },
  limits: { callsPerMinute: 0, maxConcurrent: 0, maxMessageBytes: 16 * 1024 * 1024 },
  secretScan: 'mask',
  roots: 'mounts',
  auditArguments: 'redacted',
}) as GateConfig;

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
  audit?: { arguments?: AuditArgumentsMode };
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
  };
}
