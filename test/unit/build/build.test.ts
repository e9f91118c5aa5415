/**
 * `mcp-sandbox build` without an engine: package specs, the pinned bases in the Dockerfiles,
 * the hardening the Dockerfiles promise, the build hash, and where the Dockerfiles are found.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildHash, chooseBase, defaultBase } from '../../../src/build/build.js';
import { dockerfileFor } from '../../../src/build/assets.js';
import { parsePackageSpec } from '../../../src/build/package-spec.js';
import { hashDirectory, repositoryUrl } from '../../../src/build/stage.js';
import { SandboxError } from '../../../src/errors.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const dockerfile = (base: 'node' | 'python'): string => readFileSync(path.join(ROOT, 'images', base, 'Dockerfile'), 'utf8');

describe('parsePackageSpec', () => {
  test.each([
    ['node', '@modelcontextprotocol/server-filesystem@2026.8.31', '@modelcontextprotocol/server-filesystem', '2026.8.31'],
    ['node', 'some-server@1.2.3-beta.1', 'some-server', '1.2.3-beta.1'],
    ['python', 'mcp-server-git==2026.8.18', 'mcp-server-git', '2026.8.18'],
    ['python', 'mcp_server.x==1.0rc1', 'mcp_server.x', '1.0rc1'],
  ] as const)('%s %s', (base, spec, name, version) => {
    const parsed = parsePackageSpec(base, spec);
    expect(parsed).toMatchObject({ base, name, version });
    expect(parsed.installArg).toBe(spec);
  });

  test.each([
    ['node', '@modelcontextprotocol/server-filesystem', /no version/],
    ['node', 'server@^1.2.3', /not an exact version/],
    ['node', 'server@latest', /not an exact version/],
    ['node', 'Bad Name@1.0.0', /not an npm package name/],
    ['python', 'mcp-server-git', /no exact version/],
    ['python', 'mcp-server-git>=1.0', /no exact version/],
    ['python', 'mcp-server-git==1.*', /not an exact version/],
  ] as const)('refuses %s %s', (base, spec, message) => {
    let error: unknown;
    try {
      parsePackageSpec(base, spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('PROFILE_INVALID');
    expect((error as SandboxError).message).toMatch(message);
  });
});

describe.each(['node', 'python'] as const)('images/%s/Dockerfile', (base) => {
  const text = dockerfile(base);

  test('the default BASE is the official image pinned by digest', () => {
    const official = base === 'node' ? 'node:20-bookworm-slim' : 'python:3.12-slim';
    expect(defaultBase(text)).toMatch(new RegExp(`^${official.replace('.', '\\.')}@sha256:[a-f0-9]{64}$`));
    expect(text).toMatch(/^FROM \$\{BASE\}$/m);
  });

  test('non-root uid 10001, HOME under /tmp, no RUN (nothing executes at build time)', () => {
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).toMatch(/HOME=\/tmp/);
    expect(text).not.toMatch(/^RUN /m);
    expect(text).toMatch(/^COPY app\/ \/app\/$/m);
  });

  test('OCI labels: source, version and the server package', () => {
    for (const label of ['org.opencontainers.image.source', 'org.opencontainers.image.version', 'mcp-sandbox.server.package', 'mcp-sandbox.build-hash']) {
      expect(text).toContain(label);
    }
    expect(text).toMatch(/^ARG PACKAGE$/m);
    expect(text).toMatch(/^ARG VERSION$/m);
  });

  test('a README next to it', () => {
    expect(readFileSync(path.join(ROOT, 'images', base, 'README.md'), 'utf8')).toMatch(/BASE/);
  });

  test('dockerfileFor finds it from the source tree and honours MCP_SANDBOX_IMAGES_DIR', () => {
    expect(dockerfileFor(base, {})).toBe(path.join(ROOT, 'images', base, 'Dockerfile'));
    const dir = mkdtempSync(path.join(tmpdir(), 'mcp-images-'));
    mkdirSync(path.join(dir, base));
    writeFileSync(path.join(dir, base, 'Dockerfile'), 'ARG BASE=x\n');
    expect(dockerfileFor(base, { MCP_SANDBOX_IMAGES_DIR: dir })).toBe(path.join(dir, base, 'Dockerfile'));
    expect(() => dockerfileFor(base, { MCP_SANDBOX_IMAGES_DIR: path.join(dir, 'nope') })).toThrow(/does not exist/);
  });
});

describe('chooseBase', () => {
  const text = 'ARG BASE=node:20-bookworm-slim@sha256:' + 'a'.repeat(64) + '\n';
  test('option, then environment, then the pinned default', () => {
    expect(chooseBase('node', text, 'local/base:1', { MCP_SANDBOX_NODE_BASE: 'env/base:1' })).toBe('local/base:1');
    expect(chooseBase('node', text, undefined, { MCP_SANDBOX_NODE_BASE: 'env/base:1' })).toBe('env/base:1');
    expect(chooseBase('python', text, undefined, { MCP_SANDBOX_NODE_BASE: 'env/base:1' })).toBe(defaultBase(text));
  });
  test('a Dockerfile without a default is an internal error', () => {
    expect(() => defaultBase('FROM scratch\n')).toThrow(/no ARG BASE/);
  });
});

describe('buildHash', () => {
  const inputs = { dockerfile: 'FROM x', base: 'b', baseId: 'sha256:1', installArg: 'p@1.0.0', appHash: '' };
  test('stable for equal inputs, different when any input changes', () => {
    const h = buildHash(inputs);
    expect(h).toMatch(/^[a-f0-9]{64}$/);
    expect(buildHash({ ...inputs })).toBe(h);
    for (const key of Object.keys(inputs) as Array<keyof typeof inputs>) {
      expect(buildHash({ ...inputs, [key]: `${inputs[key]}!` })).not.toBe(h);
    }
  });
});

describe('hashDirectory', () => {
  test('changes with content and names, not with mtime', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcp-hash-'));
    writeFileSync(path.join(dir, 'a.py'), 'print(1)\n');
    const h1 = hashDirectory(dir);
    writeFileSync(path.join(dir, 'a.py'), 'print(1)\n');
    expect(hashDirectory(dir)).toBe(h1);
    writeFileSync(path.join(dir, 'a.py'), 'print(2)\n');
    expect(hashDirectory(dir)).not.toBe(h1);
  });
});

describe('repositoryUrl', () => {
  test.each([
    [{ type: 'git', url: 'git+https://github.com/modelcontextprotocol/servers.git' }, 'https://github.com/modelcontextprotocol/servers'],
    ['github:owner/repo', 'https://github.com/owner/repo'],
    ['owner/repo', 'https://github.com/owner/repo'],
    ['git://github.com/o/r.git', 'https://github.com/o/r'],
    [undefined, undefined],
    [{ url: 'ssh://weird' }, undefined],
  ])('%j', (input, expected) => {
    expect(repositoryUrl(input)).toBe(expected);
  });
});
