/**
 * What the egress set reports: one event per connection the proxy saw (allowed or refused)
 * and one per name the sandbox's resolver refused. Parsed from the log lines of haproxy
 * (the JSON of configs.ts's LOG_FORMAT) and dnsmasq (`log-queries`).
 */

export type EgressVerdict = 'allowed' | 'refused-name' | 'refused-not-tls' | 'refused-unresolved' | 'refused-private';

export type EgressEvent =
  | {
      kind: 'connection';
      /** SNI, Host, the /tcp entry's name or the listed address. */
      name: string;
      port: number;
      /** Address:port the proxy connected to; empty when refused before connecting. */
      upstream: string;
      verdict: EgressVerdict;
      /** Bytes from the sandbox to the upstream and back. */
      bytesOut: number;
      bytesIn: number;
      durationMs: number;
      /** haproxy's two-letter termination state (`--` = normal close). */
      termination: string;
      /** Connection start, ms since the epoch. */
      time: number;
    }
  | { kind: 'dns-refused'; name: string; time: number };

/** Receives every event; the launcher forwards them to the audit log. */
export type EgressSink = (event: EgressEvent) => void;

const VERDICTS = new Set<string>(['allowed', 'refused-name', 'refused-not-tls', 'refused-unresolved', 'refused-private']);

/** One haproxy log line -> an event, or undefined for anything else (start-up notices). */
export function parseProxyLine(line: string): EgressEvent | undefined {
  if (!line.startsWith('{"event":"connection"')) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const verdictText = String(raw.verdict);
  const upstream = String(raw.upstream);
  const refusedEarly = verdictText !== 'allowed';
  return {
    kind: 'connection',
    name: String(raw.name ?? '').replace(/^-$/, ''),
    port: Number(raw.port),
    upstream: refusedEarly || upstream.startsWith('-') || upstream.startsWith('0.0.0.0') ? '' : upstream,
    verdict: VERDICTS.has(verdictText) ? (verdictText as EgressVerdict) : 'refused-name',
    bytesOut: Number(raw.bytesOut) || 0,
    bytesIn: Number(raw.bytesIn) || 0,
    durationMs: Number(raw.durationMs) || 0,
    termination: String(raw.termination ?? ''),
    time: (Number(raw.start) || 0) * 1000,
  };
}

/** `dnsmasq[7]: config evil.test is NXDOMAIN` -> a dns-refused event. */
export function parseDnsLine(line: string, now: () => number = Date.now): EgressEvent | undefined {
  const m = /^dnsmasq\[\d+\]: config (\S+) is NXDOMAIN$/.exec(line.trim());
  return m ? { kind: 'dns-refused', name: m[1] as string, time: now() } : undefined;
}

/** Splits a byte stream into lines and hands each complete one to `onLine`. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    // A line longer than this is not ours; drop it rather than grow without bound.
    if (pending.length > 64 * 1024) pending = '';
  };
}
