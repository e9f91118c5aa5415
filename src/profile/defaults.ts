/**
 * The hardening defaults: the one place that decides what a profile gets when it says nothing.
 * Every other module reads these; none restates them.
 */

import type { GateConfig } from './types.js';

/** Defaults for keys a profile may omit, in the profile's own units. */
export const PROFILE_DEFAULTS = {
  pull: 'missing',
  /** gVisor: the server gets its own user-space kernel instead of the host's. */
  runtime: 'runsc',
  /** Loopback only: a poisoned prompt cannot make the server call out. */
  network: 'none',
  /** The container's own pid, ipc, uts and user namespaces: it cannot see or signal the host's. */
  namespaces: { pid: 'private', ipc: 'private', uts: 'private', userns: 'private' },
  resources: {
    memory: '512m',
    cpus: 1,
    /**
     * Under runsc the host pids cgroup counts gVisor's own threads: about 55 for one idle node
     * server, plus about 8 per guest process still running. Hitting the limit kills the whole
     * sandbox, not one fork. 512 leaves room for ~50 concurrent children (measured, docs/engine.md).
     */
    pids: 512,
  },
  filesystem: {
    readOnlyRoot: true,
    tmpfs: [{ path: '/tmp', size: '64m', exec: false }],
  },
  security: {
    capDrop: ['ALL'],
    capAdd: [] as string[],
    noNewPrivileges: true,
    seccomp: 'default',
    init: true,
    privileged: false,
  },
  mountReadOnly: true,
} as const;

/**
 * Warm start (docs/run.md): one idle sandbox once the user asks for a pool, removed after half
 * an hour unclaimed so a forgotten pool does not hold memory for long.
 */
export const WARM_DEFAULTS = Object.freeze({ pool: 1, idleTimeout: '30m' });

/**
 * `serve` (docs/serve.md): every session is a sandbox (memory, a gVisor sentry), so a server
 * holds few at once and ends forgotten ones: 16 in all, 4 per subject (one person's editors
 * and agents), a quarter of an hour without a request.
 */
export const SERVE_DEFAULTS = Object.freeze({ sessions: Object.freeze({ max: 16, perSubject: 4, idleTimeout: '15m' }) });

/**
 * Defaults, chosen so that a profile without gate keys still gets the protections that cost
 * no behaviour a client relies on: secrets masked, drifted tools blocked (only when a lock
 * exists), roots answered from the mounts (the client's roots are host paths, meaningless
 * inside the container), no rate or concurrency cap (a client's bursts are legitimate until
 * the profile says otherwise), and a message size cap well above the 10 MB messages MCP
 * clients accept.
 */
/** The MCP gate's defaults (docs/gate.md). */
export const GATE_DEFAULTS: GateConfig = Object.freeze({
  tools: { deny: [], constrain: {}, onDrift: 'block' },
  resources: { deny: [] },
  prompts: { deny: [] },
  limits: { callsPerMinute: 0, maxConcurrent: 0, maxMessageBytes: 16 * 1024 * 1024 },
  secretScan: 'mask',
  roots: 'mounts',
  auditArguments: 'redacted',
}) as GateConfig;
