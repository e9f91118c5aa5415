import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadUserConfig, mapRuntime } from '../../../src/run/user-config.js';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-unit-'));

describe('user config', () => {
  test('runtime mapping per network mode, or one name for all', async () => {
    const dir = tmp();
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'runtimes:\n  runsc: { none: runsc, bridge: runsc-net, host: runsc-net }\n  kata: kata-qemu\nstopGrace: 5\n');
    const config = await loadUserConfig({ MCP_SANDBOX_CONFIG: file });
    expect(config.stopGrace).toBe(5);
    expect(mapRuntime(config, 'runsc', 'none')).toBe('runsc');
    expect(mapRuntime(config, 'runsc', 'bridge')).toBe('runsc-net');
    expect(mapRuntime(config, 'kata', 'host')).toBe('kata-qemu');
    expect(mapRuntime(config, 'runc', 'bridge')).toBe('runc');
  });

  test('missing file is empty; bad values are one clear error', async () => {
    expect(await loadUserConfig({ MCP_SANDBOX_CONFIG: '/nonexistent/config.yaml' })).toEqual({ runtimes: {}, stopGrace: 2 });
    const file = path.join(tmp(), 'config.yaml');
    writeFileSync(file, 'runtimes:\n  runsc: { wifi: x }\n');
    await expect(loadUserConfig({ MCP_SANDBOX_CONFIG: file })).rejects.toThrow(/runtimes\.runsc\.wifi: network mode must be none, bridge, host or allow/);
  });
});

describe('a broken user config is a user-config error naming its file', () => {
  test.each([
    ['not YAML', 'runtimes: [unclosed\n', /not valid YAML/],
    ['not a mapping', '- a\n- b\n', /the top level must be a mapping/],
    ['bad stopGrace', 'stopGrace: -1\n', /stopGrace must be a number/],
  ])('%s', async (_name, text, pattern) => {
    const file = path.join(tmp(), 'config.yaml');
    writeFileSync(file, text);
    const error = (await loadUserConfig({ MCP_SANDBOX_CONFIG: file }).catch((e: unknown) => e)) as { code: string; message: string; hint: string };
    expect(error.code).toBe('USER_CONFIG_INVALID');
    expect(error.message).toContain(`user config ${file}`);
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toMatch(/profile/);
  });
});
