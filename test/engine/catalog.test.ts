/**
 * The node servers of the catalog (profiles/*.yaml), each built by `mcp-sandbox build` on the
 * local node base and started under runsc through `mcp-sandbox run` with its own profile:
 * the server initializes and lists its tools. Networked profiles run through `runsc-net`
 * (user config mapping, as a user on this kind of host writes it) with dummy secrets.
 * The Python servers (fetch, git, sqlite) cannot be built here: no PyPI.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { jest } from '@jest/globals';
import { ROOT, closeAndCheck, connect, describeEngine, runCli, tempDir, writeUserConfig } from './helpers/engine.js';

jest.setTimeout(300_000);

const NODE_BASE = 'mcp-sandbox-test/node-base:local';

interface Case {
  profile: string;
  tools: string[];
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { profile: 'everything', tools: ['echo', 'get-sum'] },
  { profile: 'memory', tools: ['create_entities', 'read_graph'] },
  { profile: 'sequential-thinking', tools: ['sequentialthinking'] },
  { profile: 'github', tools: ['search_repositories', 'create_issue'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_dummy_for_tests' } },
  { profile: 'postgres', tools: ['query'], env: { POSTGRES_URL: 'postgresql://nobody:dummy@127.0.0.1:1/none' } },
];

/** The named volume profiles/memory.yaml mounts: removed afterwards only if this test created it. */
const MEMORY_VOLUME = 'mcp-memory';

function volumeExists(name: string): boolean {
  try {
    execFileSync('docker', ['volume', 'inspect', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describeEngine('catalog: node servers build and start under runsc with their profiles', () => {
  let config: string;
  let memoryVolumeExisted = true;

  afterAll(() => {
    if (!memoryVolumeExisted && volumeExists(MEMORY_VOLUME)) execFileSync('docker', ['volume', 'rm', MEMORY_VOLUME], { stdio: 'ignore' });
  });

  beforeAll(() => {
    memoryVolumeExisted = volumeExists(MEMORY_VOLUME);
    execFileSync('bash', [path.join(ROOT, 'scripts', 'build-local-bases.sh'), 'node'], { stdio: ['ignore', 'ignore', 'inherit'] });
    // No spare egress sets: an allowlisted catalog server's session would otherwise leave a keeper
    // and its set idling for spareIdle after the test (egress-spare.test.ts covers spares).
    config = writeUserConfig(tempDir(), 'runtimes:\n  runsc: { none: runsc, bridge: runsc-net, host: runsc-net }\negress: { spareIdle: 0 }\n');
  });

  test.each(CASES)('$profile', async ({ profile, tools, env }) => {
    const file = path.join(ROOT, 'profiles', `${profile}.yaml`);
    const build = await runCli(['build', file, '--base-image', NODE_BASE], { timeout: 240_000 });
    if (build.code !== 0) throw new Error(`build of ${profile} failed (${build.code}):\n${build.stderr}`);
    const session = await connect(file, { env: { MCP_SANDBOX_CONFIG: config, ...env } });
    try {
      const listed = await session.client.listTools();
      expect(listed.tools.map((t) => t.name)).toEqual(expect.arrayContaining(tools));
    } finally {
      expect(await closeAndCheck(session)).toBe(true);
    }
  });
});
