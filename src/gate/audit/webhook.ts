/**
 * Security events POSTed to the profile's `audit.webhook`. Fire and forget: every POST has a
 * short timeout, nothing waits for it on the message path, and a failure is only counted
 * (a slow or dead receiver must never slow the session down or end it).
 */

export interface WebhookStats {
  sent: number;
  failed: number;
}

export class Webhook {
  readonly stats: WebhookStats = { sent: 0, failed: 0 };
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** Starts the POST of one JSON document and returns at once. */
  post(body: string): void {
    const done = fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    }).then(
      async (response) => {
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) this.stats.sent += 1;
        else this.stats.failed += 1;
      },
      () => {
        this.stats.failed += 1;
      },
    );
    const tracked = done.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Waits for the POSTs still running (each ends by its own timeout). */
  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
