/**
 * `run` enforces the lint verdict on the profile as it would run: error-level findings refuse
 * the run (exit 1, rule ids, positions) unless justified; variables, `~` and symlinks are
 * resolved first, and a cached profile is judged as strictly as a freshly loaded one.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exitCodeFor, formatError, SandboxError } from '../../../src/errors.js';
import { defaultRuleContext } from '../../../src/lint/context.js';
import { blockingFindings, enforceLintVerdict } from '../../../src/lint/enforce.js';
import { sensitiveReason } from '../../../src/lint/helpers.js';
import { SENSITIVE_PATHS } from '../../../src/lint/sensitive-paths.js';
import { loadProfile } from '../../../src/profile/load.js';
import { prepareForRun } from '../../../src/run/launch.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lint/enforce');
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-enforce-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: path.join(scratch, 'cache'), ...extra };
}

async function refusal(file: string, extra: NodeJS.ProcessEnv = {}): Promise<SandboxError> {
  try {
    await prepareForRun(file, { env: env(extra), extraArgs: [] });
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error(`${file} was not refused`);
}

describe('run refuses error-level findings', () => {
  test('privileged, root on runc, host namespaces and the engine socket: refused with every rule id and position', async () => {
    const error = await refusal(path.join(FIXTURES, 'dangerous.yaml'));
    expect(exitCodeFor(error)).toBe(1);
    const lines = formatError(error).split('\n');
    expect(lines[0]).toMatch(/^refused to run "enforce-dangerous": 7 lint errors \(MS402, MS101, MS202, MS103, MS104, MS102, MS301\)/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/dangerous\.yaml:5:7: MS402 user "0" is root$/),
      expect.stringMatching(/dangerous\.yaml:6:10: MS101 runtime "runc"/),
      expect.stringMatching(/dangerous\.yaml:7:10: MS202 network "host"/),
      expect.stringMatching(/dangerous\.yaml:9:8: MS103 /),
      expect.stringMatching(/dangerous\.yaml:10:8: MS104 /),
      expect.stringMatching(/dangerous\.yaml:12:15: MS102 security.privileged/),
      expect.stringMatching(/dangerous\.yaml:15:15: MS301 mount source \/var\/run\/docker.sock/),
    ]);
    // Warnings (MS303, writable mount) never block.
    expect(formatError(error)).not.toContain('MS303');
  });

  test('the same findings justified in the profile: the run goes ahead', async () => {
    const spec = await prepareForRun(path.join(FIXTURES, 'justified.yaml'), { env: env(), extraArgs: [] });
    expect(spec.privileged).toBe(true);
    expect(spec.name).toBe('enforce-justified');
  });

  test('MCP_WORKSPACE=/ makes the shipped filesystem profile refused: / is mounted', async () => {
    const file = path.join(ROOT, 'profiles/filesystem.yaml');
    await expect(prepareForRun(file, { env: env({ MCP_WORKSPACE: path.join(scratch) }), extraArgs: [] })).resolves.toBeDefined();
    // The first call left a cache entry: the hit must be judged too, and report the position.
    const error = await refusal(file, { MCP_WORKSPACE: '/' });
    expect(formatError(error)).toContain('MS301');
    expect(formatError(error)).toMatch(/profiles\/filesystem\.yaml:14:15: MS301 mount source \/ is sensitive: it is the host root filesystem/);
  });

  test.each([
    ['the home directory', (home: string) => home],
    ['~/.ssh', (home: string) => path.join(home, '.ssh')],
    ['/etc', () => '/etc'],
  ])('MCP_WORKSPACE pointing at %s is refused', async (_what, source) => {
    const error = await refusal(path.join(ROOT, 'profiles/filesystem.yaml'), { MCP_WORKSPACE: source(process.env.HOME ?? '/root') });
    expect(formatError(error)).toContain('MS301');
  });

  test('a symlink to the engine socket or into ~/.ssh is followed', async () => {
    const toSocket = path.join(scratch, 'innocent.sock-link');
    symlinkSync('/var/run/docker.sock', toSocket);
    const error = await refusal(path.join(FIXTURES, 'linked.yaml'), { LINKED_SOURCE: toSocket });
    expect(formatError(error)).toMatch(/MS301 mount source .*innocent\.sock-link is sensitive: it resolves to .*docker\.sock: /);
    const home = process.env.HOME ?? '/root';
    const toSsh = path.join(scratch, 'project');
    symlinkSync(path.join(home, '.ssh'), toSsh);
    const viaSsh = await refusal(path.join(FIXTURES, 'linked.yaml'), { LINKED_SOURCE: path.join(toSsh, 'id_ed25519') });
    expect(formatError(viaSsh)).toMatch(/resolves to .*\.ssh\/id_ed25519: lies inside ~\/\.ssh/);
  });

  test('the shipped profiles, with the env the catalog tests use, all pass', () => {
    for (const name of ['everything', 'fetch', 'filesystem', 'git', 'github', 'memory', 'postgres', 'sequential-thinking', 'sqlite']) {
      const loaded = loadProfile(path.join(ROOT, 'profiles', `${name}.yaml`), { env: { HOME: '/home/test', POSTGRES_HOST: 'db.example.com' }, home: '/home/test' });
      expect(blockingFindings(loaded.profile, { ctx: defaultRuleContext('/home/test'), locate: loaded.locate })).toEqual([]);
    }
  });

  test('enforceLintVerdict returns the profile itself when nothing blocks', () => {
    const loaded = loadProfile(path.join(ROOT, 'profiles/fetch.yaml'), { env: { HOME: '/home/test' }, home: '/home/test' });
    expect(enforceLintVerdict(loaded.profile)).toBe(loaded.profile);
  });
});

describe('sensitive paths (MS301)', () => {
  const links: Record<string, string> = { '/home/alice/work': '/home/alice/.ssh', '/opt/sock': '/run/docker.sock', '/home/alice/dot': '/home/alice/dotfiles' };
  const realpath = (p: string): string => {
    for (const [from, to] of Object.entries(links)) if (p === from || p.startsWith(`${from}/`)) return to + p.slice(from.length);
    return p;
  };
  const ctx = defaultRuleContext('/home/alice', { realpath, platform: 'linux' });

  test.each([
    ['/lib', 'host system directory /lib'],
    ['/bin', 'host system directory /bin'],
    ['/sbin/init', 'inside host system directory /sbin'],
    ['/var/lib/containerd', 'host system directory /var/lib/containerd'],
    ['/var/lib/kubelet/pods', 'inside host system directory /var/lib/kubelet'],
    ['/var/lib', 'contains host system directory /var/lib/docker'],
    ['/home/alice/.bashrc', 'shell start-up file'],
    ['/home/alice/.zshrc', 'shell start-up file'],
    ['/home/alice/.profile', 'shell start-up file'],
    ['/home/alice/.bash_history', 'shell history'],
    ['/home/alice/.zsh_history', 'shell history'],
    ['/home/alice/.local/bin', 'inside ~/.local'],
    ['/home/alice/.gitconfig', '~/.gitconfig'],
    ['/home/alice/.git-credentials', '~/.git-credentials'],
    ['/home/alice/.npmrc', '~/.npmrc'],
    ['/home/alice/Library/Keychains/login.keychain-db', 'inside ~/Library/Keychains'],
    ['/home/alice/work/id_rsa', 'resolves to /home/alice/.ssh/id_rsa'],
    ['/opt/sock', 'resolves to /run/docker.sock: an engine socket'],
  ])('sensitive: %s', (source, reason) => {
    expect(sensitiveReason(source, ctx)).toContain(reason);
  });

  test.each(['/home/alice/code', '/home/alice/.local/share/mcp-sandbox/mcp.db', '/srv', '/home/alice/.bashrc-notes/x', '/home/alice/dot/vimrc'])('not sensitive: %s', (source) => {
    expect(sensitiveReason(source, ctx)).toBeUndefined();
  });

  test('case variants count on case-insensitive platforms only', () => {
    const mac = defaultRuleContext('/Users/alice', { realpath: (p) => p, platform: 'darwin' });
    expect(sensitiveReason('/Users/alice/.SSH', mac)).toContain('~/.ssh');
    expect(sensitiveReason('/ETC/hosts', mac)).toContain('/etc');
    expect(sensitiveReason('/var/run/Docker.sock', mac)).toContain('engine socket');
    const linux = defaultRuleContext('/home/alice', { realpath: (p) => p, platform: 'linux' });
    expect(sensitiveReason('/home/alice/.SSH', linux)).toBeUndefined();
    expect(defaultRuleContext('C:\\Users\\a', { platform: 'win32' }).caseInsensitive).toBe(true);
  });

  test('an allowed directory that is a link elsewhere is judged where it leads', () => {
    const sneaky = defaultRuleContext('/home/alice', { realpath: (p) => p.replace('/home/alice/.local/share/mcp-sandbox', '/home/alice/.aws'), platform: 'linux' });
    expect(sensitiveReason('/home/alice/.local/share/mcp-sandbox/db', sneaky)).toContain('~/.aws');
  });

  test('every entry of the data says why, once', () => {
    const paths = SENSITIVE_PATHS.map((e) => e.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const entry of SENSITIVE_PATHS) expect(entry.why.length).toBeGreaterThan(10);
  });
});
