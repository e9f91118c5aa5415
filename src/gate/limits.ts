/**
 * Per-session call limits: a sliding one-minute window of tools/call starts and a count of
 * calls in flight. 0 disables either.
 */

export type LimitVerdict = { ok: true } | { ok: false; rule: 'limits.callsPerMinute' | 'limits.maxConcurrent'; message: string };

export class CallLimits {
  private readonly starts: number[] = [];
  private inFlight = 0;

  constructor(private readonly perMinute: number, private readonly maxConcurrent: number, private readonly now: () => number) {}

  /** Admits a call (counting it) or says which limit refuses it. */
  admit(): LimitVerdict {
    const now = this.now();
    while (this.starts.length > 0 && (this.starts[0] as number) <= now - 60_000) this.starts.shift();
    if (this.perMinute > 0 && this.starts.length >= this.perMinute) {
      return { ok: false, rule: 'limits.callsPerMinute', message: `rate limit: ${this.perMinute} tool calls per minute (limits.callsPerMinute); try again later` };
    }
    if (this.maxConcurrent > 0 && this.inFlight >= this.maxConcurrent) {
      return { ok: false, rule: 'limits.maxConcurrent', message: `${this.maxConcurrent} tool calls already in flight (limits.maxConcurrent); wait for one to finish` };
    }
    if (this.perMinute > 0) this.starts.push(now);
    this.inFlight += 1;
    return { ok: true };
  }

  /** A call admitted earlier has ended (answered or cancelled). */
  release(): void {
    if (this.inFlight > 0) this.inFlight -= 1;
  }
}
