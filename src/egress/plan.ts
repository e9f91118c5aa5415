/**
 * From parsed entries to what the three parts need (docs/egress.md): the DNS answers of the
 * sandbox's resolver, the proxy's listeners, and the address translation in the sandbox's
 * firewall. Names resolve inside the sandbox to virtual addresses in 198.18.0.0/24 (RFC 2544's
 * benchmarking range, never routed on the internet); the firewall translates each virtual
 * address and port to one proxy listener. The server never learns a real upstream address.
 */
import type { AllowEntry } from './allow.js';

/** The virtual address every name entry (SNI/Host routed) resolves to. */
export const NAME_VIP = '198.18.0.1';
/** Where the virtual addresses live: the firewall routes this range to the proxy. */
export const VIP_RANGE = '198.18.0.0/24';
/** The proxy's first listening port; one port per listener after it. */
export const FIRST_LISTEN_PORT = 10000;

export type NameEntry = Extract<AllowEntry, { kind: 'name' }>;

/** One listener on the proxy and how it chooses the upstream. */
export type Listener =
  | { route: 'sni' | 'http'; listenPort: number; port: number; names: NameEntry[] }
  | { route: 'tcp'; listenPort: number; port: number; name: string }
  | { route: 'address'; listenPort: number; port: number; address: string };

/** An answer of the sandbox's resolver: exact name, or every name under `name`, or any name. */
export interface DnsAnswer {
  name: string;
  wildcard: NameEntry['wildcard'];
  address: string;
}

/** Destination (virtual or listed address) and port the server uses -> proxy listener. */
export interface Translation {
  address: string;
  port: number;
  listenPort: number;
}

export interface EgressPlan {
  listeners: Listener[];
  dns: DnsAnswer[];
  translations: Translation[];
  /** Destinations the sandbox needs a route for (virtual range, listed addresses). */
  routes: string[];
  /** From `egress.hosts`: name -> address the proxy uses instead of resolving. */
  hosts: Map<string, string>;
}

/** Plans the egress set for valid entries (see parseAllow); pure, so render can show it. */
export function planEgress(entries: readonly AllowEntry[], hosts: ReadonlyMap<string, string> = new Map()): EgressPlan {
  const listeners: Listener[] = [];
  const nextPort = (): number => FIRST_LISTEN_PORT + listeners.length;
  const byPort = new Map<number, NameEntry[]>();
  for (const entry of entries) {
    if (entry.kind === 'name') byPort.set(entry.port, [...(byPort.get(entry.port) ?? []), entry]);
  }
  for (const [port, names] of [...byPort].sort((a, b) => a[0] - b[0])) {
    listeners.push({ route: port === 80 ? 'http' : 'sni', listenPort: nextPort(), port, names });
  }
  const dns: DnsAnswer[] = [];
  const tcpVips = new Map<string, string>();
  const translations: Translation[] = [];
  for (const entry of entries) {
    if (entry.kind === 'tcp') {
      let vip = tcpVips.get(entry.name);
      if (vip === undefined) {
        vip = `198.18.0.${2 + tcpVips.size}`;
        tcpVips.set(entry.name, vip);
        dns.push({ name: entry.name, wildcard: 'none', address: vip });
      }
      const listener: Listener = { route: 'tcp', listenPort: nextPort(), port: entry.port, name: entry.name };
      listeners.push(listener);
      translations.push({ address: vip, port: entry.port, listenPort: listener.listenPort });
    } else if (entry.kind === 'address') {
      const listener: Listener = { route: 'address', listenPort: nextPort(), port: entry.port, address: entry.address };
      listeners.push(listener);
      translations.push({ address: entry.address, port: entry.port, listenPort: listener.listenPort });
    } else if (!tcpVips.has(entry.name) || entry.wildcard !== 'none') {
      dns.push({ name: entry.name, wildcard: entry.wildcard, address: NAME_VIP });
    }
  }
  translations.push(...nameTranslations(listeners, tcpVips));
  const routes = [VIP_RANGE, ...entries.flatMap((e) => (e.kind === 'address' ? [`${e.address}/32`] : []))];
  return { listeners, dns: dedupeDns(dns, tcpVips), translations, routes: [...new Set(routes)], hosts: new Map(hosts) };
}

/** Name listeners answer on the shared virtual address, and on a /tcp name's own one. */
function nameTranslations(listeners: readonly Listener[], tcpVips: ReadonlyMap<string, string>): Translation[] {
  const out: Translation[] = [];
  for (const l of listeners) {
    if (l.route !== 'sni' && l.route !== 'http') continue;
    out.push({ address: NAME_VIP, port: l.port, listenPort: l.listenPort });
    for (const [name, vip] of tcpVips) {
      if (l.names.some((n) => n.wildcard === 'any' || (n.wildcard === 'subdomains' ? name.endsWith(`.${n.name}`) : n.name === name))) {
        out.push({ address: vip, port: l.port, listenPort: l.listenPort });
      }
    }
  }
  return out;
}

/** An exact name that is also a /tcp name answers with the /tcp name's address only. */
function dedupeDns(dns: readonly DnsAnswer[], tcpVips: ReadonlyMap<string, string>): DnsAnswer[] {
  const seen = new Set<string>();
  return dns.filter((a) => {
    if (a.wildcard === 'none' && tcpVips.has(a.name) && a.address !== tcpVips.get(a.name)) return false;
    const key = `${a.wildcard} ${a.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
