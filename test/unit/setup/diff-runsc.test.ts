/** The dry-run account (unified diffs, shell lines) and the runtime decision per runsc release and kernel. */
import { fileDiff, shellLine } from '../../../src/setup/diff.js';
import { decideRuntimes } from '../../../src/setup/runsc.js';

describe('fileDiff', () => {
  it('a new file is a diff from /dev/null', () => {
    expect(fileDiff({ file: '/etc/docker/daemon.json', role: 'r', before: undefined, after: '{\n  "a": 1\n}\n' })).toBe(
      ['--- /dev/null', '+++ /etc/docker/daemon.json', '@@ -0,0 +1,3 @@', '+{', '+  "a": 1', '+}'].join('\n'),
    );
  });
  it('a change shows context and only the changed lines', () => {
    const before = '{\n  "debug": true,\n  "runtimes": {}\n}\n';
    const after = '{\n  "debug": true,\n  "runtimes": {\n    "runsc": {"path": "/usr/bin/runsc"}\n  }\n}\n';
    const diff = fileDiff({ file: '/f.json', role: 'r', before, after });
    expect(diff.split('\n').slice(0, 3)).toEqual(['--- /f.json', '+++ /f.json', '@@ -1,4 +1,6 @@']);
    expect(diff).toContain('\n   "debug": true,\n-  "runtimes": {}\n+  "runtimes": {\n+    "runsc": {"path": "/usr/bin/runsc"}\n+  }\n }');
  });
});

describe('shellLine', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(shellLine(['kill', '-HUP', '42'])).toBe('kill -HUP 42');
    expect(shellLine(['dockerd', '-H', 'unix:///tmp/a b/docker.sock', "it's"])).toBe("dockerd -H 'unix:///tmp/a b/docker.sock' 'it'\\''s'");
  });
});

describe('decideRuntimes', () => {
  it('an old runsc on a new kernel: the quirk runtimes and why', () => {
    const d = decideRuntimes('/usr/bin/runsc', 20221219, '6.18.44-fc-v1045', 'runsc version 0.0~20221219.0');
    expect(d.quirk).toBe(true);
    expect(d.wanted).toEqual({ runsc: { path: '/usr/bin/runsc', network: 'none' }, 'runsc-net': { path: '/usr/bin/runsc', network: 'host' } });
    expect(d.explanation.join(' ')).toMatch(/older than release-20240807\.0 and the kernel is 6\.18\.44-fc-v1045 \(>= 6\.11\).*gVisor#10704.*--network=none \(loopback only.*--network=host/);
  });
  it('an unknown release on a new kernel is treated as old (the quirk arguments work on every release)', () => {
    expect(decideRuntimes('/r', undefined, '6.11.0', 'version unknown').quirk).toBe(true);
  });
  it('a fixed release, or an older kernel: runsc with its defaults, runsc-net with --network=sandbox', () => {
    for (const [release, kernel] of [[20240807, '6.18.0'], [20221219, '6.1.0-18-amd64']] as const) {
      const d = decideRuntimes('/r', release, kernel, 'v');
      expect(d.quirk).toBe(false);
      expect(d.wanted).toEqual({ runsc: { path: '/r', network: undefined }, 'runsc-net': { path: '/r', network: 'sandbox' } });
    }
  });
});
