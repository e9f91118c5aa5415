import { parseAllow } from '../../../src/egress/allow.js';
import { connectProxyConfig, dnsmasqConfig, firewallRules, haproxyConfig } from '../../../src/egress/configs.js';
import { connectLineParser, parseDnsLine, parseProxyLine, lineSplitter } from '../../../src/egress/events.js';
import { planEgress } from '../../../src/egress/plan.js';

const ALLOW = ['api.github.com:443', '*.githubusercontent.com:443', 'example.com:80', 'db.test:5432/tcp', '10.1.2.3:6379/tcp'];

function plan(allow = ALLOW, hosts: Record<string, string> = {}) {
  const parsed = parseAllow(allow, hosts);
  expect(parsed.problems).toEqual([]);
  return planEgress(parsed.entries, parsed.hosts);
}

describe('planEgress', () => {
  test('one listener per name port, per /tcp entry and per address; names resolve to virtual addresses', () => {
    const p = plan();
    expect(p.listeners.map((l) => [l.route, l.port, l.listenPort])).toEqual([
      ['http', 80, 10000],
      ['sni', 443, 10001],
      ['tcp', 5432, 10002],
      ['address', 6379, 10003],
    ]);
    expect(p.dns).toEqual([
      { name: 'api.github.com', wildcard: 'none', address: '198.18.0.1' },
      { name: 'githubusercontent.com', wildcard: 'subdomains', address: '198.18.0.1' },
      { name: 'example.com', wildcard: 'none', address: '198.18.0.1' },
      { name: 'db.test', wildcard: 'none', address: '198.18.0.2' },
    ]);
    expect(p.translations).toEqual(
      expect.arrayContaining([
        { address: '198.18.0.2', port: 5432, listenPort: 10002 },
        { address: '10.1.2.3', port: 6379, listenPort: 10003 },
        { address: '198.18.0.1', port: 80, listenPort: 10000 },
        { address: '198.18.0.1', port: 443, listenPort: 10001 },
      ]),
    );
    expect(p.routes).toEqual(['198.18.0.0/24', '10.1.2.3/32']);
  });

  test('a /tcp name also allowed by name on another port answers on its own address for both', () => {
    const p = plan(['db.test:443', 'db.test:5432/tcp']);
    expect(p.dns).toEqual([{ name: 'db.test', wildcard: 'none', address: '198.18.0.2' }]);
    expect(p.translations).toContainEqual({ address: '198.18.0.2', port: 443, listenPort: 10000 });
  });
});

describe('dnsmasqConfig', () => {
  test('exact names as host-records, wildcards below the apex, NXDOMAIN for the rest, no upstream', () => {
    const text = dnsmasqConfig(plan());
    expect(text).toContain('host-record=api.github.com,198.18.0.1\n');
    expect(text).toContain('address=/*.githubusercontent.com/198.18.0.1\n');
    expect(text).toContain('address=/#/\n');
    expect(text).toContain('no-resolv\n');
    expect(text).not.toMatch(/^server=/m);
  });
  test('"*" answers every name with the shared virtual address', () => {
    expect(dnsmasqConfig(plan(['*:443']))).toContain('address=/#/198.18.0.1\n');
  });
});

describe('haproxyConfig', () => {
  const text = haproxyConfig(plan(ALLOW, { 'db.test': '10.9.9.9' }));
  test('SNI on TLS ports, Host on 80, fixed upstreams for /tcp and addresses', () => {
    expect(text).toContain('  parse-resolv-conf');
    expect(text).toContain('  nbthread 1');
    expect(text).toMatch(/frontend listen_10001\n  bind :10001\n  mode tcp/);
    expect(text).toContain('set-var(sess.name) req.ssl_sni,lower');
    expect(text).toContain('reject unless { var(sess.name) -m str api.github.com } || { var(sess.name) -m end .githubusercontent.com }');
    expect(text).toContain('http-request set-var(sess.name) req.hdr(host),field(1,:),lower');
    expect(text).toContain('tcp-request content set-dst ipv4(10.1.2.3)');
  });
  test('resolved addresses in refused ranges are rejected unless mapped in egress.hosts', () => {
    expect(text).toMatch(/reject if !\{ var\(sess.mapped\) -m found \} \{ var\(sess.dst\) -m ip 0\.0\.0\.0\/8 10\.0\.0\.0\/8 100\.64\.0\.0\/10 127\.0\.0\.0\/8 169\.254\.0\.0\/16 172\.16\.0\.0\/12/);
    expect(text).toContain('set-var(sess.mapped) ipv4(10.9.9.9) if { var(sess.name) -m str db.test }');
  });
});

describe('connectProxyConfig', () => {
  test('the allowed names, /tcp names and addresses as fnmatch patterns, default deny, the allowed ports only', () => {
    const { config, filter } = connectProxyConfig(plan());
    expect(filter.split('\n').filter(Boolean).sort()).toEqual(['*.githubusercontent.com', '10.1.2.3', 'api.github.com', 'db.test', 'example.com']);
    expect(config).toContain('Listen 127.0.0.11\n');
    expect(config).toContain('FilterDefaultDeny Yes\n');
    expect(config.match(/^ConnectPort \d+$/gm)).toEqual(['ConnectPort 80', 'ConnectPort 443', 'ConnectPort 5432', 'ConnectPort 6379']);
    expect(connectProxyConfig(plan(['*:443'])).filter).toBe('*\n');
  });
  test('the firewall lets the sandbox reach it on loopback, and nothing else on 127.0.0.11', () => {
    const rules = firewallRules(plan(), '172.30.0.2').rules4.split('\n');
    const accept = rules.indexOf('-A OUTPUT -o lo -d 127.0.0.11/32 -p tcp --dport 3128 -j ACCEPT');
    expect(accept).toBeGreaterThan(0);
    expect(accept).toBeLessThan(rules.indexOf('-A OUTPUT -o lo -d 127.0.0.11/32 -j DROP'));
  });
});

describe('firewallRules', () => {
  const rules = firewallRules(plan(), '172.30.0.2');
  test('drops by default both ways, IPv6 entirely; DNS to the local resolver only', () => {
    expect(rules.rules4).toContain(':OUTPUT DROP [0:0]');
    expect(rules.rules4).toContain(':INPUT DROP [0:0]');
    expect(rules.rules6).toMatch(/:OUTPUT DROP \[0:0\]\n-A INPUT -i lo -j ACCEPT\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT/);
    expect(rules.rules4).toContain('-A OUTPUT -d 127.0.0.11/32 -p udp --dport 53 -j DNAT --to-destination 127.0.0.11:5353');
    expect(rules.rules4).toContain('-A OUTPUT -o lo -d 127.0.0.11/32 -j DROP');
  });
  test('virtual destinations are translated to proxy listeners; only translated connections pass', () => {
    expect(rules.rules4).toContain('-A OUTPUT -d 198.18.0.1/32 -p tcp --dport 443 -j DNAT --to-destination 172.30.0.2:10001');
    expect(rules.rules4).toContain('-A OUTPUT -d 172.30.0.2/32 -p tcp --dport 10001 -m conntrack --ctstate DNAT -j ACCEPT');
    // Every other way out: loopback, replies, or a translated connection to the proxy.
    const accepts = rules.rules4.split('\n').filter((l) => l.startsWith('-A OUTPUT') && l.endsWith('-j ACCEPT'));
    for (const rule of accepts) expect(rule).toMatch(/-o lo |--ctstate ESTABLISHED|-d 172\.30\.0\.2\/32 .*--ctstate DNAT/);
    expect(rules.routes).toEqual(['198.18.0.0/24', '10.1.2.3/32']);
  });
});

describe('events', () => {
  test('a proxy log line becomes a connection event', () => {
    const line =
      '{"event":"connection","name":"api.github.com","port":443,"upstream":"140.82.1.1:443","verdict":"allowed","bytesOut":517,"bytesIn":4242,"durationMs":88,"termination":"--","startMs":1764633600123}';
    expect(parseProxyLine(line)).toEqual({
      kind: 'connection', name: 'api.github.com', port: 443, upstream: '140.82.1.1:443', verdict: 'allowed',
      bytesOut: 517, bytesIn: 4242, durationMs: 88, termination: '--', time: 1764633600123,
    });
  });
  test('a refused connection has no upstream', () => {
    const line = '{"event":"connection","name":"evil.test","port":443,"upstream":"-:-","verdict":"refused-name","bytesOut":0,"bytesIn":0,"durationMs":3,"termination":"PR","startMs":1000}';
    expect(parseProxyLine(line)).toMatchObject({ verdict: 'refused-name', upstream: '' });
    expect(parseProxyLine('[NOTICE]   (1) : Loading success.')).toBeUndefined();
  });
  test('dnsmasq NXDOMAIN lines become dns-refused events', () => {
    expect(parseDnsLine('dnsmasq[7]: config evil.test is NXDOMAIN', () => 5)).toEqual({ kind: 'dns-refused', name: 'evil.test', time: 5 });
    expect(parseDnsLine('dnsmasq[7]: query[A] evil.test from 127.0.0.1')).toBeUndefined();
  });
  test('tinyproxy refusals become connection events via connect, named from the request line before them', () => {
    const parse = connectLineParser(() => 5);
    expect(parse('CONNECT   Dec 02 06:27:30.420 [7]: Request (file descriptor 4): CONNECT Denied.test:443 HTTP/1.1')).toBeUndefined();
    expect(parse('NOTICE    Dec 02 06:27:30.420 [7]: Proxying refused on filtered domain "denied.test"')).toEqual({
      kind: 'connection', name: 'denied.test', port: 443, upstream: '', verdict: 'refused-name', bytesOut: 0, bytesIn: 0, durationMs: 0, termination: '', time: 5, via: 'connect',
    });
    parse('CONNECT   Dec 02 06:27:30.422 [7]: Request (file descriptor 4): CONNECT api.github.com:8443 HTTP/1.1');
    expect(parse('INFO      Dec 02 06:27:30.422 [7]: Refused CONNECT method on port 8443')).toMatchObject({ name: 'api.github.com', port: 8443, verdict: 'refused-port' });
    parse('CONNECT   Dec 02 06:27:30.423 [7]: Request (file descriptor 4): GET http://other.test/x HTTP/1.1');
    expect(parse('NOTICE    Dec 02 06:27:30.423 [7]: Proxying refused on filtered domain "other.test"')).toMatchObject({ name: 'other.test', port: 80 });
    expect(parse('NOTICE    Dec 02 06:27:19.202 [7]: Initializing tinyproxy ...')).toBeUndefined();
  });
  test('lineSplitter joins lines split across chunks', () => {
    const lines: string[] = [];
    const split = lineSplitter((l) => lines.push(l));
    split(Buffer.from('ab'));
    split(Buffer.from('c\nde\nf'));
    expect(lines).toEqual(['abc', 'de']);
  });
});
