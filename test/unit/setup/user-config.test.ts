/** The runtime mapping setup writes into the user config (the launcher's format). */
import { parse } from 'yaml';
import { addNetworkMapping, setupUserConfigPath } from '../../../src/setup/user-config.js';
import { mapRuntime, userConfigFromText } from '../../../src/run/user-config.js';

const FILE = '/home/u/.config/mcp-sandbox/config.yaml';

describe('addNetworkMapping', () => {
  it('writes a new config the launcher reads as: networked runsc profiles go to runsc-net', () => {
    const outcome = addNetworkMapping(FILE, undefined);
    expect(outcome.status).toBe('added');
    expect(outcome.text).toContain('runsc: { none: runsc, bridge: runsc-net, host: runsc-net }');
    const config = userConfigFromText(FILE, outcome.text, parse);
    expect(mapRuntime(config, 'runsc', 'bridge')).toBe('runsc-net');
    expect(mapRuntime(config, 'runsc', 'host')).toBe('runsc-net');
    expect(mapRuntime(config, 'runsc', 'none')).toBe('runsc');
  });

  it('keeps comments and other keys, and is unchanged the second time', () => {
    const text = '# my settings\nstopGrace: 5 # seconds\nruntimes:\n  runc: runc\n';
    const first = addNetworkMapping(FILE, text);
    expect(first.status).toBe('added');
    expect(first.text).toContain('# my settings');
    expect(first.text).toContain('stopGrace: 5 # seconds');
    expect(first.text).toContain('  runc: runc');
    const config = userConfigFromText(FILE, first.text, parse);
    expect(config.stopGrace).toBe(5);
    expect(mapRuntime(config, 'runsc', 'bridge')).toBe('runsc-net');
    const second = addNetworkMapping(FILE, first.text);
    expect(second).toEqual({ status: 'unchanged', text: first.text });
  });

  it('never replaces a mapping the user wrote for runsc', () => {
    const text = 'runtimes:\n  runsc: { none: runsc }\n';
    const outcome = addNetworkMapping(FILE, text);
    expect(outcome.status).toBe('kept-user-mapping');
    expect(outcome.text).toBe(text);
  });

  it('refuses an invalid config with the launcher\'s own error', () => {
    expect(() => addNetworkMapping(FILE, 'runtimes: [1]\n')).toThrow(/runtimes must be a mapping/);
  });
});

describe('setupUserConfigPath', () => {
  const passwd = (): string => 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1001:Alice:/home/alice:/bin/bash\n';
  it('under sudo, the config of the user who ran sudo, owned by them', () => {
    expect(setupUserConfigPath({ SUDO_USER: 'alice', HOME: '/root' }, 0, passwd)).toEqual({
      file: '/home/alice/.config/mcp-sandbox/config.yaml',
      owner: { uid: 1000, gid: 1001 },
    });
  });
  it('MCP_SANDBOX_CONFIG wins; without sudo, our own', () => {
    expect(setupUserConfigPath({ SUDO_USER: 'alice', MCP_SANDBOX_CONFIG: '/x.yaml' }, 0, passwd)).toEqual({ file: '/x.yaml' });
    expect(setupUserConfigPath({ SUDO_USER: 'alice' }, 1000, passwd).owner).toBeUndefined();
  });
});
