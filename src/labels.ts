/**
 * Label keys mcp-sandbox puts on every container it creates: the one home for them. `ps`, `gc`,
 * the orphan sweep, `import` and the scripts find our containers by these keys.
 */
export const LABELS = {
  /** The profile's name: every container of ours carries it. */
  profile: 'mcp-sandbox.profile',
  /** Pid of the launcher that owns the container. */
  launcherPid: 'mcp-sandbox.launcher-pid',
  /** Host the launcher ran on: a pid means nothing on another machine's engine. */
  launcherHost: 'mcp-sandbox.launcher-host',
  version: 'mcp-sandbox.version',
  /** Marks doctor's short-lived probe containers. */
  doctor: 'mcp-sandbox.doctor',
  /** The egress allowlist's part: `network`, `dns` (holds the namespace and sets its firewall), `proxy`. */
  egress: 'mcp-sandbox.egress',
  /** The egress session id, shared by the network and the containers of one sandbox. */
  egressSession: 'mcp-sandbox.egress-session',
  /** A spare egress set made ahead by a keeper (src/egress/spare-keeper.ts): the recipe hash's first 16 digits. */
  egressSpare: 'mcp-sandbox.egress-spare',
  /** Warm start: `idle` on a pooled sandbox (claimed ones are told apart by name, src/run/warm-pool.ts). */
  pool: 'mcp-sandbox.pool',
  /** What went into a pooled sandbox (src/run/warm-hash.ts): a claimer only takes an equal one. */
  poolHash: 'mcp-sandbox.pool-hash',
  /** When an idle pooled sandbox is due for removal: seconds since the epoch. */
  poolExpires: 'mcp-sandbox.pool-expires',
} as const;

/** Keys under this prefix are ours; a profile may not set them. */
export const RESERVED_LABEL_PREFIX = 'mcp-sandbox.';
