/**
 * serve() as the CLI calls it, with a fake sandbox factory: the --auth rules, the profile's
 * serve.auth handed to the auth module normalized (scopes as a Map) with the public URL as the
 * resource, the module's answers used as given, and a failing module leaving no listener.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../../../src/errors.js';
import type { ServeAuth, ServeAuthConfig } from '../../../src/serve/auth/types.js';
import { serve } from '../../../src/serve/serve.js';
import { fakeFactory } from './fake-sandbox.js';

const FIXTURE = path.resolve('test/fixtures/run/everything.yaml');
const AUTH_YAML = 'serve:\n  auth:\n    issuer: https://auth.example.com\n    audience: https://mcp.example.com/mcp\n    scopes:\n      "mcp:tools": ["*"]\n      "mcp:admin": ["delete-*"]\n';

function profile(extra = ''): { file: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(path.join(tmpdir(), 'serve-unit-'));
  const file = path.join(dir, 'p.yaml');
  writeFileSync(file, `${readFileSync(FIXTURE, 'utf8')}${extra}`);
  return { file, env: { HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache'), XDG_CONFIG_HOME: path.join(dir, 'config'), PATH: process.env.PATH } };
}

const stderr = { write: (): boolean => true } as unknown as NodeJS.WritableStream;
const noAuth = (): Promise<ServeAuth> => Promise.reject(new Error('not expected'));

describe('serve(): authentication rules', () => {
  test('a profile without serve.auth needs --auth none', async () => {
    const p = profile();
    await expect(serve(p.file, { env: p.env, listen: '127.0.0.1:0', loadAuth: noAuth, factory: fakeFactory(), stderr })).rejects.toThrow(/no serve.auth/);
  });

  test('--auth none only on loopback, and never for a profile with serve.auth', async () => {
    const p = profile();
    await expect(serve(p.file, { env: p.env, listen: '0.0.0.0:0', auth: 'none', loadAuth: noAuth, factory: fakeFactory(), stderr })).rejects.toThrow(/loopback/);
    const withAuth = profile(AUTH_YAML);
    await expect(serve(withAuth.file, { env: withAuth.env, listen: '127.0.0.1:0', auth: 'none', loadAuth: noAuth, factory: fakeFactory(), stderr })).rejects.toThrow(/sets serve.auth/);
    await expect(serve(p.file, { env: p.env, listen: '127.0.0.1:0', auth: 'oauth', loadAuth: noAuth, factory: fakeFactory(), stderr })).rejects.toThrow(SandboxError);
  });

  test('serve.auth reaches the auth module normalized, with the public URL as the resource; a failure closes the listener', async () => {
    const p = profile(AUTH_YAML);
    let seen: { config: ServeAuthConfig; url: URL } | undefined;
    const loadAuth = async (config: ServeAuthConfig, url: URL): Promise<ServeAuth> => {
      seen = { config, url };
      throw new SandboxError('PROFILE_INVALID', 'no auth here');
    };
    let listening: URL | undefined;
    await expect(serve(p.file, { env: p.env, listen: '127.0.0.1:0', publicUrl: 'https://mcp.example.com/mcp', loadAuth, factory: fakeFactory(), stderr, onListening: (u) => (listening = u) })).rejects.toThrow('no auth here');
    expect(listening).toBeUndefined();
    expect(seen?.url.href).toBe('https://mcp.example.com/mcp');
    expect(seen?.config.issuer).toBe('https://auth.example.com');
    expect(seen?.config.audience).toBe('https://mcp.example.com/mcp');
    expect([...(seen?.config.scopes ?? new Map())]).toEqual([
      ['mcp:tools', ['*']],
      ['mcp:admin', ['delete-*']],
    ]);
  });
});
