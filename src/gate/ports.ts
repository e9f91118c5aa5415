/**
 * The gate's ports to the audit log and tool pinning (src/gate/audit/, src/gate/lock.ts).
 * Both sides use this file unchanged: the gate calls, the implementations conform.
 */

/** Where the gate's records go (H6: hash-chained JSONL). Never throws; never blocks the session. */
export interface AuditSink {
  record(entry: Record<string, unknown>): void;
  close(): Promise<void>;
}
export interface ToolDescriptor { name: string; description?: string; inputSchema?: unknown; annotations?: unknown }
/** Tool pinning against a lock file (H6). undefined lock = nothing pinned. */
export interface PinningCheck {
  /** Names of tools that are new or whose definition changed against the lock. */
  drifted(tools: readonly ToolDescriptor[]): { added: string[]; changed: string[] };
}
