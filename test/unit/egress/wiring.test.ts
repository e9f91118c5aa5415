/**
 * The allowlist wired into the product: schema and normalize (positions, ${VAR}), the spec and
 * both emitters, the user config's egress section, the runtime mapping, audit records, lint.
 */
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toDockerArgv } from '../../../src/compile/docker-argv.js';
import { toCreateBody } from '../../../src/compile/engine-body.js';
import { compileSpec } from '../../../src/compile/spec.js';
import { renderSetShell } from '../../../src/egress/render-set.js';
import { SandboxError } from '../../../src/errors.js';
import { lintProfile } from '../../../src/lint/engine.js';
import { loadProfile } from '../../../src/profile/load.js';
import { egressRecord, holdAfterFirstLine } from '../../../src/run/egress-session.js';
import { ToolCallTimeline } from '../../../src/run/tool-calls.js';
import { mapRuntime, userConfigFromText } from '../../../src/run/user-config.js';
import { parse } from 'yaml';

const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-egress-wiring-'));
const HEAD = 'version: 1\nname: wired\nimage: mcp/fixture:1.0.0\nuser: "10001:10001"\n';

function load(body: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof loadProfile> {
  const file = path.join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `${HEAD}${body}`);
  return loadProfile(file, { env, home: '/home/u' });
}

function errorOf(body: string, env: NodeJS.ProcessEnv = {}): SandboxError {
  try {
    load(body, env);
  } catch (error) {
    return error as SandboxError;
  }
  throw new Error('expected a refusal');
}

describe('network: { allow } in a profile', () => {
  test('entries are parsed, variables expanded, the spec carries them', () => {
    const { profile } = load('network:\n  allow:\n    - api.example.com:443\n    - ${DB}:5432/tcp\n', { DB: 'db.internal' });
    expect(profile.network).toBe('allow');
    expect(profile.egress?.allow).toEqual(['api.example.com:443', 'db.internal:5432/tcp']);
    const spec = compileSpec(profile);
    expect(spec.egress?.entries.map((e) => e.kind)).toEqual(['name', 'tcp']);
    expect(toDockerArgv(spec)).toContain('--network=container:mcp-sandbox-egress-wired-dns');
    expect(toCreateBody(spec, { egressSession: 's1' }).HostConfig.NetworkMode).toBe('container:mcp-sandbox-egress-s1-dns');
  });

  test.each([
    ['    - api.example.com\n', 7, /has no port/],
    ['    - ok.example.com:443\n    - "[::1]:443"\n', 8, /IPv6/],
    ['    - a.example.com:443\n    - a.example.com:443\n', 8, /repeats entry 1/],
    ['    - ${NOPE}:443\n', 7, /environment variable NOPE .* is not set/],
  ])('a bad entry is one error at its line (%#)', (entries, line, message) => {
    const error = errorOf(`network:\n  allow:\n${entries}`);
    expect(error.code).toBe('PROFILE_INVALID');
    expect(error.message).toMatch(message);
    expect(error.location).toEqual(expect.objectContaining({ line, column: 7 }));
  });

  test('the schema refuses other keys and an empty list', () => {
    expect(errorOf('network:\n  deny: [x]\n').code).toBe('PROFILE_INVALID');
    expect(errorOf('network:\n  allow: []\n').code).toBe('PROFILE_INVALID');
  });

  test('render --format shell: the set, then the server joining the holder, then the clean-up', () => {
    const lines = renderSetShell(compileSpec(load('network:\n  allow: [api.example.com:443]\n').profile));
    expect(lines[0]).toMatch(/^docker network create --internal .* mcp-sandbox-egress-wired$/);
    const server = lines.findIndex((l) => l.startsWith('docker run --rm -i '));
    expect(lines[server]).toContain('--network=container:mcp-sandbox-egress-wired-dns');
    expect(lines.findIndex((l) => l.startsWith('docker start mcp-sandbox-egress-wired-proxy'))).toBeLessThan(server);
    expect(lines[lines.length - 1]).toMatch(/^# afterwards: docker rm -f /);
  });

  test('lint: no MS201 for an allowlist, MS203 for "*", a bare TLD and a public suffix, MS201 names the allowlist for bridge', () => {
    const allow = lintProfile(load('network:\n  allow: ["*:443", "*.com:443", "*.example.com:443"]\n')).findings;
    expect(allow.filter((f) => f.rule === 'MS201')).toEqual([]);
    expect(allow.filter((f) => f.rule === 'MS203').map((f) => f.path)).toEqual(['/network/allow/0', '/network/allow/1']);
    // Public suffixes of more than one label count as bare TLDs; a registrable domain under one does not.
    const suffixes = lintProfile(load('network:\n  allow: ["*.co.uk:443", "*.github.io:443", "*.example.co.uk:443", "*.uk.example.com:443"]\n')).findings.filter((f) => f.rule === 'MS203');
    expect(suffixes.map((f) => f.path)).toEqual(['/network/allow/0', '/network/allow/1']);
    expect(suffixes[0]?.message).toMatch(/public suffix co\.uk/);
    const bridge = lintProfile(load('network: bridge\n')).findings.find((f) => f.rule === 'MS201');
    expect(bridge?.message).toMatch(/network: \{ allow:/);
  });
});

describe('user config egress and runtime mapping', () => {
  test('egress.hosts and egress.network are read; bad hosts are refused', () => {
    const config = userConfigFromText('c.yaml', 'egress: { hosts: { db.internal: 10.1.2.3 }, network: corp }\n', parse);
    expect(config.egress).toEqual({ hosts: new Map([['db.internal', '10.1.2.3']]), network: 'corp' });
    expect(() => userConfigFromText('c.yaml', 'egress: { hosts: { db.internal: not-an-ip } }\n', parse)).toThrow(/not an IPv4 address/);
    expect(() => userConfigFromText('c.yaml', 'egress: { proxy: x }\n', parse)).toThrow(/egress\.proxy is not a setting/);
  });

  test('egress.spareIdle: whole seconds, 0 for no spares; anything else refused', () => {
    expect(userConfigFromText('c.yaml', 'egress: { spareIdle: 0 }\n', parse).egress).toEqual({ hosts: new Map(), spareIdle: 0 });
    expect(userConfigFromText('c.yaml', 'egress: { spareIdle: 120 }\n', parse).egress?.spareIdle).toBe(120);
    expect(userConfigFromText('c.yaml', 'egress: { network: corp }\n', parse).egress?.spareIdle).toBeUndefined();
    for (const bad of ['-1', '1.5', '"10"', '100000']) {
      expect(() => userConfigFromText('c.yaml', `egress: { spareIdle: ${bad} }\n`, parse)).toThrow(/egress\.spareIdle must be/);
    }
  });

  test('an allowlisted profile takes the allow mapping, else the bridge one', () => {
    const bridgeOnly = userConfigFromText('c.yaml', 'runtimes: { runsc: { none: runsc, bridge: runsc-net } }\n', parse);
    expect(mapRuntime(bridgeOnly, 'runsc', 'allow')).toBe('runsc-net');
    const own = userConfigFromText('c.yaml', 'runtimes: { runsc: { bridge: runsc-net, allow: runsc-egress } }\n', parse);
    expect(mapRuntime(own, 'runsc', 'allow')).toBe('runsc-egress');
  });
});

test('an egress record names the tools/call calls in flight when the connection was opened', () => {
  const calls = new ToolCallTimeline();
  calls.note({ id: 1, tool: 'early', phase: 'start', at: 100 });
  calls.note({ id: 1, tool: 'early', phase: 'end', at: 900 });
  calls.note({ id: 2, tool: 'fetch', phase: 'start', at: 950 });
  calls.note({ id: '3', tool: 'slow', phase: 'start', at: 990 });
  calls.note({ id: 2, tool: 'fetch', phase: 'end', at: 1200 });
  const event = { kind: 'connection', name: 'api.example.com', port: 443, upstream: '', verdict: 'allowed', bytesOut: 0, bytesIn: 0, durationMs: 5000, termination: '--', time: 960 } as const;
  // Not "slow": it started after the connection was opened, even though the connection outlived it.
  expect(egressRecord(event, (from, to) => calls.during(from, to)).toolCalls).toEqual([{ id: 2, tool: 'fetch' }]);
  expect(calls.during(1000, 1100)).toEqual([{ id: 2, tool: 'fetch' }, { id: '3', tool: 'slow' }]);
  // A connection after every call had ended names none; one still open later names the open call.
  expect(calls.during(1300, 1400)).toEqual([{ id: '3', tool: 'slow' }]);
  calls.note({ id: '3', tool: 'slow', phase: 'end', at: 1250 });
  expect(calls.during(1300, 1400)).toEqual([]);
});

test('holdAfterFirstLine: initialize passes at once, the rest waits for the proxy, nothing is lost or reordered', async () => {
  const input = new PassThrough();
  let ready = (): void => undefined;
  const held = holdAfterFirstLine(input, new Promise<void>((resolve) => (ready = resolve)));
  const got: string[] = [];
  held.on('data', (d: Buffer) => got.push(d.toString()));
  input.write('{"id":1,"method":"initialize"}\n{"method":"notifications/initialized"}\n');
  input.write('{"id":2,"method":"tools/call"}\n');
  await new Promise((r) => setTimeout(r, 20));
  expect(got.join('')).toBe('{"id":1,"method":"initialize"}\n');
  ready();
  input.end('{"id":3}\n');
  await new Promise((r) => held.on('end', r));
  expect(got.join('')).toBe('{"id":1,"method":"initialize"}\n{"method":"notifications/initialized"}\n{"id":2,"method":"tools/call"}\n{"id":3}\n');
});

test('holdAfterFirstLine: a proxy that failed to start releases the input too (the namespace stays closed)', async () => {
  const input = new PassThrough();
  const held = holdAfterFirstLine(input, Promise.reject(new Error('proxy failed')));
  const got: string[] = [];
  held.on('data', (d: Buffer) => got.push(d.toString()));
  input.end('a\nb\n');
  await new Promise((r) => held.on('end', r));
  expect(got.join('')).toBe('a\nb\n');
});

test('an egress event becomes an audit record of type egress', () => {
  const record = egressRecord({ kind: 'connection', name: 'api.example.com', port: 443, upstream: '192.0.2.1:443', verdict: 'allowed', bytesOut: 10, bytesIn: 20, durationMs: 5, termination: '--', time: 0 });
  expect(record).toEqual({ type: 'egress', event: 'connection', name: 'api.example.com', port: 443, upstream: '192.0.2.1:443', verdict: 'allowed', bytesOut: 10, bytesIn: 20, durationMs: 5, termination: '--', at: '1970-01-01T00:00:00.000Z' });
});
