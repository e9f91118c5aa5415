/**
 * Addresses the proxy refuses as upstreams when a name resolved to them (DNS rebinding, SSRF):
 * an entry naming an address, or a name mapped in `egress.hosts`, is exempt. IPv4 only: the
 * proxy resolves A records only (docs/egress.md).
 */
export const REFUSED_RANGES: readonly string[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // carrier-grade NAT (RFC 6598); holds Alibaba's metadata 100.100.100.200
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local; holds the cloud metadata address 169.254.169.254
  '172.16.0.0/12', // private (RFC 1918); holds Docker's default bridges
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking; the sandbox's virtual addresses
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and broadcast
];
