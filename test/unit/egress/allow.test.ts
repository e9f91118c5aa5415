import { isIpv4, matchesName, parseAllow, parseAllowEntry } from '../../../src/egress/allow.js';

describe('parseAllowEntry', () => {
  test.each([
    ['api.github.com:443', { kind: 'name', index: 0, port: 443, name: 'api.github.com', wildcard: 'none' }],
    ['API.GitHub.com:443', { kind: 'name', index: 0, port: 443, name: 'api.github.com', wildcard: 'none' }],
    ['*.githubusercontent.com:443', { kind: 'name', index: 0, port: 443, name: 'githubusercontent.com', wildcard: 'subdomains' }],
    ['*:80', { kind: 'name', index: 0, port: 80, name: '', wildcard: 'any' }],
    ['db.internal:5432/tcp', { kind: 'tcp', index: 0, port: 5432, name: 'db.internal' }],
    ['10.1.2.3:5432/tcp', { kind: 'address', index: 0, port: 5432, address: '10.1.2.3' }],
    ['10.1.2.3:443', { kind: 'address', index: 0, port: 443, address: '10.1.2.3' }],
  ])('%s', (raw, expected) => {
    expect(parseAllowEntry(raw, 0)).toEqual(expected);
  });

  test.each([
    ['api.github.com', /has no port; write it as host:port, e.g. "api.github.com:443"/],
    ['api.github.com:0', /not a number from 1 to 65535/],
    ['api.github.com:65536', /not a number from 1 to 65535/],
    ['api.github.com:https', /not a number/],
    ['api.github.com:443/udp', /unknown protocol "\/udp"/],
    ['*.example.com:5432/tcp', /a \/tcp entry forwards to one host/],
    ['*:5432/tcp', /a \/tcp entry forwards to one host/],
    ['a*.example.com:443', /wildcard is allowed only as the whole first label/],
    ['exa_mple.com:443', /invalid label "exa_mple"/],
    ['example..com:443', /empty label/],
    ['999.1.1.1:443', /not a valid IPv4 address/],
    ['[::1]:443', /IPv6 destinations are not supported/],
    [':443', /no host before the port/],
  ])('%s is refused', (raw, message) => {
    const result = parseAllowEntry(raw, 3);
    expect(typeof result).toBe('string');
    expect(result).toMatch(message);
  });
});

describe('parseAllow', () => {
  test('problems carry the entry index; valid entries survive', () => {
    const parsed = parseAllow(['api.github.com:443', 'nope', 'api.github.com:443', 'x.test:22/tcp']);
    expect(parsed.entries.map((e) => e.index)).toEqual([0, 3]);
    expect(parsed.problems).toEqual([
      { index: 1, message: expect.stringContaining('has no port') },
      { index: 2, message: '"api.github.com:443" repeats entry 1; remove one' },
    ]);
  });

  test('a name cannot be both SNI-routed and forwarded by port on the same port', () => {
    const parsed = parseAllow(['*.example.com:443', 'db.example.com:443/tcp']);
    expect(parsed.problems).toEqual([{ index: 1, message: expect.stringContaining('both claim db.example.com:443') }]);
  });

  test('egress.hosts: IPv4 addresses for valid names', () => {
    const parsed = parseAllow([], { 'DB.internal': '10.1.2.3', 'bad name': '10.0.0.1', 'x.test': 'not-an-ip' });
    expect([...parsed.hosts]).toEqual([['db.internal', '10.1.2.3']]);
    expect(parsed.problems.map((p) => p.host)).toEqual(['bad name', 'x.test']);
  });
});

test('matchesName: exact, one label or more under the domain (not the apex), any', () => {
  const under = { kind: 'name', index: 0, port: 443, name: 'example.com', wildcard: 'subdomains' } as const;
  expect(matchesName(under, 'a.example.com')).toBe(true);
  expect(matchesName(under, 'a.b.example.com')).toBe(true);
  expect(matchesName(under, 'example.com')).toBe(false);
  expect(matchesName(under, 'badexample.com')).toBe(false);
  expect(matchesName({ ...under, wildcard: 'none' }, 'example.com')).toBe(true);
  expect(matchesName({ ...under, wildcard: 'any' }, 'anything.test')).toBe(true);
});

test('isIpv4', () => {
  expect(isIpv4('192.168.0.1')).toBe(true);
  expect(isIpv4('256.1.1.1')).toBe(false);
  expect(isIpv4('01.1.1.1')).toBe(false);
  expect(isIpv4('1.1.1')).toBe(false);
});
