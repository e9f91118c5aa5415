/**
 * JSON-RPC 2.0 as the gate sees it, and the errors the gate answers with itself.
 */

export type JsonRpcId = string | number;

export interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/**
 * Error codes of the gate's own answers (server-error range -32000..-32099, plus JSON-RPC's
 * invalid params for argument validation). Documented in docs/gate.md; `data.rule` names the
 * profile key that decided.
 */
export const GATE_ERRORS = {
  /** A tool, resource or prompt denied by tools/resources/prompts allow/deny. */
  DENIED: -32001,
  /** A tool hidden because it drifted from the lock (tools.onDrift: block). */
  DRIFTED: -32002,
  /** limits.callsPerMinute reached. */
  RATE_LIMITED: -32003,
  /** limits.maxConcurrent tools/call in flight. */
  TOO_MANY_CONCURRENT: -32004,
  /** A message over limits.maxMessageBytes. */
  TOO_LARGE: -32005,
  /** A result that carried a secret (secretScan: block). */
  SECRET_BLOCKED: -32006,
  /** A call to a tool the server does not list, or the gate could not get the list. */
  UNKNOWN_TOOL: -32007,
  /** The gate failed on a message (a bug); the message was not forwarded. */
  INTERNAL: -32603,
  /** Arguments that fail the tool's inputSchema or tools.constrain. */
  INVALID_ARGUMENTS: -32602,
} as const;

export type GateErrorCode = (typeof GATE_ERRORS)[keyof typeof GATE_ERRORS];

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || typeof value === 'number';
}

export function isRequest(message: JsonRpcMessage): boolean {
  return typeof message.method === 'string' && isId(message.id);
}

export function isNotification(message: JsonRpcMessage): boolean {
  return typeof message.method === 'string' && message.id === undefined;
}

export function isResponse(message: JsonRpcMessage): boolean {
  return message.method === undefined && isId(message.id) && ('result' in message || 'error' in message);
}

/** Map key for an id: 1 and "1" are different ids. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

/** A JSON-RPC error response line. */
export function errorLine(id: JsonRpcId | null, code: GateErrorCode, message: string, rule: string): Buffer {
  return Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message: `mcp-sandbox: ${message}`, data: { rule } } })}\n`);
}

export function resultLine(id: JsonRpcId, result: unknown): Buffer {
  return Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, result })}\n`);
}

export function messageLine(message: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(message)}\n`);
}
