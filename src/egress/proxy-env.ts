/**
 * The sandbox's forward proxy for clients that honour proxy variables (docs/egress.md): tinyproxy
 * in the holder, on the sandbox's own loopback address. It accepts CONNECT (and plain HTTP) only
 * to allowed names and ports (403 otherwise, recorded) and connects through the sandbox's resolver
 * and firewall like any process there, so the proxy's SNI/Host policy and private-range refusal
 * apply to it unchanged. No imports: `compile` loads this on every start.
 */

/** The sandbox's own service address (Docker's resolv.conf names it): resolver and CONNECT proxy. */
export const SANDBOX_SERVICE_ADDRESS = '127.0.0.11';
/** tinyproxy's port there. */
export const CONNECT_PORT = 3128;

const PROXY_URL = `http://${SANDBOX_SERVICE_ADDRESS}:${CONNECT_PORT}`;
/** Loopback stays direct: a server talking to itself through the proxy would be refused. */
const NO_PROXY = 'localhost,127.0.0.1,::1';

/** Proxy variables for an allowlisted server, both spellings (curl reads only lower-case http_proxy). */
export const PROXY_ENV: Readonly<Record<string, string>> = {
  HTTPS_PROXY: PROXY_URL,
  https_proxy: PROXY_URL,
  HTTP_PROXY: PROXY_URL,
  http_proxy: PROXY_URL,
  NO_PROXY,
  no_proxy: NO_PROXY,
};
