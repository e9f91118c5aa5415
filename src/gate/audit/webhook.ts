/**
 * Security events POSTed to the profile's `audit.webhook`. Fire and forget: every POST has a
 * short timeout, nothing waits for it on the message path, and a failure is only counted
 * (a slow or dead receiver must never slow the session down or end it). node:http(s) rather
 * than the global fetch: fetch loads undici synchronously on its first call, which stalled the
 * event loop (and so the session) for hundreds of milliseconds on a loaded machine.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';

export interface WebhookStats {
  sent: number;
  failed: number;
}

type Requester = (url: URL, options: RequestOptions, onResponse: (response: IncomingMessage) => void) => ClientRequest;

export class Webhook {
  readonly stats: WebhookStats = { sent: 0, failed: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private requester?: Promise<Requester>;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** Starts the POST of one JSON document and returns at once. */
  post(body: string): void {
    const done = this.send(body).then(
      (ok) => {
        if (ok) this.stats.sent += 1;
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

  private async send(body: string): Promise<boolean> {
    const url = new URL(this.url);
    this.requester ??= url.protocol === 'https:' ? import('node:https').then((m) => m.request as Requester) : import('node:http').then((m) => m.request as Requester);
    const request = await this.requester;
    return new Promise<boolean>((resolve) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: this.timeoutMs }, (response) => {
        response.resume();
        response.on('end', () => resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300));
        response.on('error', () => resolve(false));
      });
      const timer = setTimeout(() => req.destroy(new Error('timeout')), this.timeoutMs);
      timer.unref();
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
      // Whatever happens, the POST ends: a response that never finished counts as a failure.
      req.on('close', () => {
        clearTimeout(timer);
        setImmediate(() => resolve(false));
      });
      req.end(body);
    });
  }
}
