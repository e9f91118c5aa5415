/**
 * The gate's configuration comes from the profile's normalize stage (src/profile/normalize-gate.ts,
 * defaults in src/profile/defaults.ts); re-exported here for the gate's own callers.
 */
export { GATE_DEFAULTS } from '../profile/defaults.js';
export { gateConfigOf, type RawGateSections } from '../profile/normalize-gate.js';
