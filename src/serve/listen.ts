/**
 * `--listen` and `--public-url`: where serve binds, where clients reach it, and from that the
 * Origin and Host values it accepts (DNS rebinding protection: a page on another origin must
 * not reach a local server through the user's browser).
 */
import { isIP } from 'node:net';
import { SandboxError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** The MCP endpoint's path when --public-url does not name one. */
export const DEFAULT_ENDPOINT_PATH = '/mcp';

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080` or a bare port (loopback). */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  const host = match ? (match[1] ?? match[2] ?? '127.0.0.1') : '';
  if (!match || !Number.isInteger(port) || port > 65535 || (match[1] !== undefined && isIP(match[1]) !== 6)) {
    throw new SandboxError('USAGE', `--listen ${JSON.stringify(value)}: expected host:port such as 127.0.0.1:8080 (IPv6 as [::1]:8080)`);
  }
  return { host, port };
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

/** host:port as it appears in a URL or a Host header. */
export function hostPort(address: ListenAddress): string {
  return `${isIP(address.host) === 6 ? `[${address.host}]` : address.host}:${address.port}`;
}

/** --public-url, checked: http(s), no query or fragment. Default: http on the listen address. */
export function publicUrlOf(value: string | undefined, address: ListenAddress): URL {
  if (value === undefined) {
    const host = isWildcard(address.host) ? '127.0.0.1' : address.host;
    return new URL(`http://${hostPort({ host, port: address.port })}${DEFAULT_ENDPOINT_PATH}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SandboxError('USAGE', `--public-url ${JSON.stringify(value)}: not a URL`, { hint: 'give the URL clients use for the MCP endpoint, such as https://mcp.example.com/mcp' });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new SandboxError('USAGE', `--public-url ${JSON.stringify(value)}: expected an http(s) URL without credentials, query or fragment`);
  }
  if (url.pathname === '/') url.pathname = DEFAULT_ENDPOINT_PATH;
  return url;
}

export interface OriginPolicy {
  /** Origins a browser request may come from (absent Origin: not a browser, allowed). */
  origins: ReadonlySet<string>;
  /** Host header values accepted; undefined = any (a wildcard listen address has no one name). */
  hosts?: ReadonlySet<string>;
}

/** The listen address (with localhost for a loopback one) and the public URL. */
export function originPolicy(address: ListenAddress, publicUrl: URL): OriginPolicy {
  const hosts = new Set<string>([publicUrl.host]);
  const origins = new Set<string>([publicUrl.origin]);
  const names = isWildcard(address.host) ? [] : [hostPort(address)];
  if (isLoopback(address.host)) names.push(`localhost:${address.port}`, `127.0.0.1:${address.port}`, `[::1]:${address.port}`);
  for (const name of names) {
    hosts.add(name);
    origins.add(`http://${name}`);
  }
  return isWildcard(address.host) ? { origins } : { origins, hosts };
}
