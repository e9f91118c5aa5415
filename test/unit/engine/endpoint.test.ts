import { createHash } from 'node:crypto';
import { describeEndpoint, resolveEndpoint } from '../../../src/engine/endpoint.js';

describe('resolveEndpoint', () => {
  const none = { exists: () => false, readFile: (): string => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); } };

  test('DOCKER_HOST unix:// and tcp:// win', () => {
    expect(resolveEndpoint({ ...none, env: { DOCKER_HOST: 'unix:///run/x.sock' }, home: '/h' })).toMatchObject({ kind: 'unix', socketPath: '/run/x.sock', source: 'DOCKER_HOST' });
    const tcp = resolveEndpoint({ ...none, env: { DOCKER_HOST: 'tcp://10.0.0.2:2375' }, home: '/h' });
    expect(describeEndpoint(tcp)).toBe('tcp://10.0.0.2:2375');
    expect(() => resolveEndpoint({ ...none, env: { DOCKER_HOST: 'ssh://host' }, home: '/h' })).toThrow(/cannot use/);
  });

  test('the current docker context from config.json and its meta.json', () => {
    const home = '/h';
    const digest = createHash('sha256').update('colima').digest('hex');
    const files: Record<string, string> = {
      '/h/.docker/config.json': JSON.stringify({ currentContext: 'colima' }),
      [`/h/.docker/contexts/meta/${digest}/meta.json`]: JSON.stringify({ Endpoints: { docker: { Host: 'unix:///h/.colima/docker.sock' } } }),
    };
    const readFile = (f: string): string => {
      if (files[f] === undefined) throw new Error('ENOENT');
      return files[f] as string;
    };
    expect(resolveEndpoint({ env: {}, home, exists: () => true, readFile })).toMatchObject({ socketPath: '/h/.colima/docker.sock', source: 'docker context "colima"' });
    // DOCKER_CONTEXT=default goes back to the default socket.
    expect(resolveEndpoint({ env: { DOCKER_CONTEXT: 'default' }, home, exists: () => true, readFile })).toMatchObject({ socketPath: '/var/run/docker.sock' });
  });

  test('default socket, then Docker Desktop socket', () => {
    expect(resolveEndpoint({ ...none, env: {}, home: '/h', exists: (f) => f === '/var/run/docker.sock' })).toMatchObject({ socketPath: '/var/run/docker.sock' });
    expect(resolveEndpoint({ ...none, env: {}, home: '/h', exists: (f) => f === '/h/.docker/run/docker.sock' })).toMatchObject({ socketPath: '/h/.docker/run/docker.sock' });
  });
});
