/**
 * What the egress set reports: one event per connection the proxy saw (allowed or refused),
 * one per name the sandbox's resolver refused, and one per request the CONNECT proxy refused.
 * Parsed from the log lines of haproxy (the JSON of configs.ts's LOG_FORMAT), dnsmasq
 * (`log-queries`) and tinyproxy (`LogLevel Connect`).
 */

export type EgressVerdict = 'allowed' | 'refused-name' | 'refused-port' | 'refused-not-tls' | 'refused-unresolved' | 'refused-private';

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
      /** Set when the CONNECT proxy (HTTPS_PROXY) refused the request; what it lets through the proxy reports. */
      via?: 'connect';
    }
  | { kind: 'dns-refused'; name: string; time: number };

/** Receives every event; the launcher forwards them to the audit log. */
export type EgressSink = (event: EgressEvent) => void;

const VERDICTS = new Set<string>(['allowed', 'refused-name', 'refused-port', 'refused-not-tls', 'refused-unresolved', 'refused-private']);

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
    time: Number(raw.startMs) || 0,
  };
}

/** `dnsmasq[7]: config evil.test is NXDOMAIN` -> a dns-refused event. */
export function parseDnsLine(line: string, now: () => number = Date.now): EgressEvent | undefined {
  const m = /^dnsmasq\[\d+\]: config (\S+) is NXDOMAIN$/.exec(line.trim());
  return m ? { kind: 'dns-refused', name: m[1] as string, time: now() } : undefined;
}

/**
 * tinyproxy's log -> refused requests. A refusal line names the host or the port only, so the
 * request line before it (same client, logged just before) supplies the rest.
 */
export function connectLineParser(now: () => number = Date.now): (line: string) => EgressEvent | undefined {
  let last: { name: string; port: number } | undefined;
  const refused = (name: string, port: number, verdict: EgressVerdict): EgressEvent => ({
    kind: 'connection', name, port, upstream: '', verdict, bytesOut: 0, bytesIn: 0, durationMs: 0, termination: '', time: now(), via: 'connect',
  });
  return (line) => {
    const request = /\]: Request \(file descriptor \d+\): (\S+) (\S+) HTTP\/1\.[01]$/.exec(line.trim());
    if (request) {
      last = targetOf(request[1] as string, request[2] as string);
      return undefined;
    }
    const domain = /\]: Proxying refused on filtered domain "([^"]*)"$/.exec(line.trim());
    if (domain) return refused((domain[1] as string).toLowerCase(), last?.name === domain[1]?.toLowerCase() ? last.port : 0, 'refused-name');
    const port = /\]: Refused CONNECT method on port (\d+)$/.exec(line.trim());
    if (port) return refused(last?.port === Number(port[1]) ? last.name : '', Number(port[1]), 'refused-port');
    return undefined;
  };
}

/** `CONNECT host:443` or `GET http://host[:port]/...` -> name and port. */
function targetOf(method: string, target: string): { name: string; port: number } | undefined {
  if (method === 'CONNECT') {
    const m = /^([^:]+):(\d+)$/.exec(target);
    return m ? { name: (m[1] as string).toLowerCase(), port: Number(m[2]) } : undefined;
  }
  try {
    const url = new URL(target);
    return { name: url.hostname.toLowerCase(), port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
  } catch {
    return undefined;
  }
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
