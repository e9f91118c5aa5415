/**
 * Parsing of `network.allow` entries and `egress.hosts` (docs/egress.md). Variables are
 * already expanded by the caller. Problems carry the entry's index (or the host's name) so the
 * profile loader can turn them into file:line:col messages; nothing here throws on bad input.
 *
 *   api.github.com:443            a name on a port: TLS routed by SNI (HTTP by Host on port 80)
 *   "*.githubusercontent.com:443" every name one label or more under the domain, not the apex
 *   "*:443"                       any name (still refused when it resolves to a private address)
 *   db.example.com:5432/tcp       plain TCP to that one name, forwarded by port
 *   10.1.2.3:5432[/tcp]           an address: forwarded by port, exempt from the private-range refusal
 */

/** One allowed destination. `index` is the entry's position in `network.allow`. */
export type AllowEntry =
  | { kind: 'name'; index: number; port: number; name: string; wildcard: 'none' | 'subdomains' | 'any' }
  | { kind: 'tcp'; index: number; port: number; name: string }
  | { kind: 'address'; index: number; port: number; address: string };

/** A problem with one entry (`index`) or one `egress.hosts` key (`host`). */
export interface AllowProblem {
  index?: number;
  host?: string;
  message: string;
}

export interface ParsedAllow {
  entries: AllowEntry[];
  /** Name -> IPv4 address, from `egress.hosts`: resolved so, and exempt from the refusal. */
  hosts: Map<string, string>;
  problems: AllowProblem[];
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True for a dotted-quad IPv4 address with every part in 0..255. */
export function isIpv4(text: string): boolean {
  const m = IPV4.exec(text);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255 && String(Number(part)) === part);
}

/** A DNS name in lower case, or a reason it is not one. */
function checkName(name: string): string | undefined {
  if (name.length > 253) return 'is longer than 253 characters';
  const labels = name.split('.');
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) return bad === '' ? 'has an empty label' : `has an invalid label "${bad}" (letters, digits and inner hyphens only)`;
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return 'looks like an address but is not a valid IPv4 address';
  return undefined;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Parses one entry; returns the entry or a problem message. */
export function parseAllowEntry(raw: string, index: number): AllowEntry | string {
  const text = raw.trim().toLowerCase();
  if (text.startsWith('[') || (text.match(/:/g) ?? []).length > 1) {
    return `"${raw}": IPv6 destinations are not supported (the sandbox has no IPv6); use an IPv4 address or a name`;
  }
  let rest = text;
  let tcp = false;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const protocol = rest.slice(slash + 1);
    if (protocol !== 'tcp') return `"${raw}": unknown protocol "/${protocol}"; the only one is /tcp (plain TCP by port)`;
    tcp = true;
    rest = rest.slice(0, slash);
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return `"${raw}" has no port; write it as host:port, e.g. "${rest || 'api.example.com'}:443"`;
  const host = rest.slice(0, colon);
  const port = parsePort(rest.slice(colon + 1));
  if (port === undefined) return `"${raw}": the port "${rest.slice(colon + 1)}" is not a number from 1 to 65535`;
  if (host === '') return `"${raw}" has no host before the port`;
  if (isIpv4(host)) return { kind: 'address', index, port, address: host };
  if (host === '*' || host.startsWith('*.')) {
    if (tcp) return `"${raw}": a /tcp entry forwards to one host; name it (wildcards need TLS or HTTP to know the destination)`;
    if (host === '*') return { kind: 'name', index, port, name: '', wildcard: 'any' };
    const domain = host.slice(2);
    const why = checkName(domain);
    return why ? `"${raw}": the domain "${domain}" ${why}` : { kind: 'name', index, port, name: domain, wildcard: 'subdomains' };
  }
  if (host.includes('*')) return `"${raw}": a wildcard is allowed only as the whole first label ("*.example.com") or alone ("*")`;
  const why = checkName(host);
  if (why) return `"${raw}": the name "${host}" ${why}`;
  return tcp ? { kind: 'tcp', index, port, name: host } : { kind: 'name', index, port, name: host, wildcard: 'none' };
}

/** Parses `network.allow` and `egress.hosts`; duplicates and conflicts become problems. */
export function parseAllow(allow: readonly string[], hosts: Readonly<Record<string, string>> = {}): ParsedAllow {
  const entries: AllowEntry[] = [];
  const problems: AllowProblem[] = [];
  const seen = new Map<string, number>();
  allow.forEach((raw, index) => {
    const entry = parseAllowEntry(raw, index);
    if (typeof entry === 'string') {
      problems.push({ index, message: entry });
      return;
    }
    const key = entryKey(entry);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ index, message: `"${raw}" repeats entry ${first + 1}; remove one` });
      return;
    }
    seen.set(key, index);
    entries.push(entry);
  });
  problems.push(...portConflicts(entries, allow));
  const parsedHosts = new Map<string, string>();
  for (const [name, address] of Object.entries(hosts)) {
    const lower = name.toLowerCase();
    const why = checkName(lower);
    if (why) problems.push({ host: name, message: `egress.hosts: the name "${name}" ${why}` });
    else if (!isIpv4(String(address))) problems.push({ host: name, message: `egress.hosts: "${name}" maps to "${String(address)}", which is not an IPv4 address` });
    else parsedHosts.set(lower, String(address));
  }
  return { entries, hosts: parsedHosts, problems };
}

function entryKey(entry: AllowEntry): string {
  if (entry.kind === 'address') return `a ${entry.address}:${entry.port}`;
  if (entry.kind === 'tcp') return `t ${entry.name}:${entry.port}`;
  return `n ${entry.wildcard} ${entry.name}:${entry.port}`;
}

/**
 * A port is either routed by name (SNI/Host) or forwarded by port to one address: a name entry
 * and a /tcp entry for the same name and port cannot both hold.
 */
function portConflicts(entries: readonly AllowEntry[], allow: readonly string[]): AllowProblem[] {
  const problems: AllowProblem[] = [];
  for (const tcp of entries) {
    if (tcp.kind !== 'tcp') continue;
    const clash = entries.find((e) => e.kind === 'name' && e.port === tcp.port && matchesName(e, tcp.name));
    if (clash) {
      problems.push({
        index: tcp.index,
        message: `"${allow[tcp.index] ?? ''}" and entry ${clash.index + 1} ("${allow[clash.index] ?? ''}") both claim ${tcp.name}:${tcp.port}; keep one`,
      });
    }
  }
  return problems;
}

/** True when the name entry admits `name` (exact, one label or more under it, or any). */
export function matchesName(entry: Extract<AllowEntry, { kind: 'name' }>, name: string): boolean {
  if (entry.wildcard === 'any') return true;
  if (entry.wildcard === 'subdomains') return name.endsWith(`.${entry.name}`);
  return name === entry.name;
}
