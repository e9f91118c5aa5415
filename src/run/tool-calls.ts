/**
 * The session's tools/call timeline, from the gate's onToolCall hook: which calls were in flight
 * during a span of time (the egress audit records name them, docs/egress.md). Ended calls are
 * kept for a while, because the proxy reports a connection when it closes.
 */
import type { JsonRpcId } from '../gate/jsonrpc.js';

export interface ToolCallRef {
  id: JsonRpcId;
  tool: string | undefined;
}

interface Span extends ToolCallRef {
  start: number;
  end?: number;
}

/** How many ended calls are remembered. */
const KEEP_ENDED = 256;

export class ToolCallTimeline {
  private readonly open = new Map<string, Span>();
  private readonly ended: Span[] = [];

  note(call: ToolCallRef & { phase: 'start' | 'end'; at: number }): void {
    const key = `${typeof call.id}:${String(call.id)}`;
    if (call.phase === 'start') {
      this.open.set(key, { id: call.id, tool: call.tool, start: call.at });
      return;
    }
    const span = this.open.get(key);
    if (!span) return;
    this.open.delete(key);
    span.end = call.at;
    this.ended.push(span);
    if (this.ended.length > KEEP_ENDED) this.ended.shift();
  }

  /** Calls in flight at some moment of [from, to] (ms since the epoch), oldest first. */
  during(from: number, to: number): ToolCallRef[] {
    return [...this.ended, ...this.open.values()]
      .filter((s) => s.start <= to && (s.end === undefined || s.end >= from))
      .sort((a, b) => a.start - b.start)
      .map(({ id, tool }) => ({ id, tool }));
  }
}
