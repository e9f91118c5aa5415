/** --listen, --public-url and the Origin/Host policy derived from them; the session limits. */
import { SandboxError } from '../../../src/errors.js';
import { SessionLimits } from '../../../src/serve/limits.js';
import { isLoopback, originPolicy, parseListen, publicUrlOf } from '../../../src/serve/listen.js';

describe('--listen', () => {
  test.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['localhost:9', { host: 'localhost', port: 9 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['8080', { host: '127.0.0.1', port: 8080 }],
  ])('%s', (value, expected) => expect(parseListen(value)).toEqual(expected));

  test.each(['127.0.0.1', '127.0.0.1:99999', '[nothex]:1', 'a:b:c', ''])('%s is refused', (value) => {
    expect(() => parseListen(value)).toThrow(SandboxError);
  });

  test('loopback means 127/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1'].some(isLoopback)).toBe(false);
  });
});

describe('--public-url and the origins serve accepts', () => {
  test('default: http on the listen address, path /mcp', () => {
    expect(publicUrlOf(undefined, { host: '127.0.0.1', port: 8080 }).href).toBe('http://127.0.0.1:8080/mcp');
    expect(publicUrlOf('https://mcp.example.com', { host: '127.0.0.1', port: 8080 }).href).toBe('https://mcp.example.com/mcp');
    expect(publicUrlOf('https://mcp.example.com/tools/mcp', { host: '127.0.0.1', port: 8080 }).pathname).toBe('/tools/mcp');
  });

  test.each(['ftp://x/mcp', 'https://u:p@x/mcp', 'https://x/mcp?a=1', 'not a url'])('%s is refused', (value) => {
    expect(() => publicUrlOf(value, { host: '127.0.0.1', port: 1 })).toThrow(SandboxError);
  });

  test('loopback listen: its own and localhost origins plus the public URL; nothing else', () => {
    const policy = originPolicy({ host: '127.0.0.1', port: 8080 }, new URL('https://mcp.example.com/mcp'));
    expect([...policy.origins].sort()).toEqual(['http://127.0.0.1:8080', 'http://[::1]:8080', 'http://localhost:8080', 'https://mcp.example.com'].sort());
    expect(policy.hosts?.has('mcp.example.com')).toBe(true);
    expect(policy.hosts?.has('127.0.0.1:8080')).toBe(true);
    expect(policy.hosts?.has('evil.example:8080')).toBe(false);
  });

  test('a wildcard listen address accepts any Host but still only the public origin', () => {
    const policy = originPolicy({ host: '0.0.0.0', port: 8080 }, new URL('https://mcp.example.com/mcp'));
    expect(policy.hosts).toBeUndefined();
    expect([...policy.origins]).toEqual(['https://mcp.example.com']);
  });
});

describe('SessionLimits', () => {
  test('max first (503), then per subject (429); release gives the slot back once', () => {
    const limits = new SessionLimits({ max: 3, perSubject: 2 });
    const a1 = limits.reserve('a');
    const a2 = limits.reserve('a');
    expect(limits.reserve('a')).toMatchObject({ ok: false, status: 429 });
    const b1 = limits.reserve('b');
    expect(limits.reserve('c')).toMatchObject({ ok: false, status: 503 });
    if (!a1.ok || !a2.ok || !b1.ok) throw new Error('expected slots');
    a1.release();
    a1.release();
    expect(limits.size).toBe(2);
    expect(limits.reserve('a').ok).toBe(true);
    expect(limits.reserve('c')).toMatchObject({ ok: false, status: 503 });
  });
});
