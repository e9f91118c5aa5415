/**
 * `mcp-sandbox setup` on the real machine, against a PRIVATE dockerd: its own daemon.json,
 * socket, data root, exec root, pid file and network namespace (MCP_SANDBOX_DOCKERD is a wrapper
 * that starts it under `unshare --net`), no iptables; never the shared engine at
 * /var/run/docker.sock nor /etc/docker/daemon.json. The namespace matters: a dockerd started
 * with --bridge=none in the host's namespace deletes the host's docker0 (moby's
 * removeDefaultBridgeInterface), which breaks the shared engine's bridge network.
 * From nothing (no daemon.json, that dockerd stopped): setup starts it with the gVisor runtimes,
 * doctor passes real runsc starts of the shipped profiles through it (bridge ones included, on
 * the private engine's own docker0), a second setup changes nothing (bytes, inode, no reload),
 * foreign keys survive a merge (and a SIGHUP reload applies them), --dry-run changes nothing.
 * The private dockerd is stopped and its directories removed at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { describeEngine, ROOT, runCli, type CliResult } from './helpers/engine.js';

// Short: unix socket paths (containerd's below exec/) must stay under 108 bytes.
const DIR = mkdtempSync('/tmp/msd-');
const SOCKET = path.join(DIR, 'docker.sock');
const DAEMON_JSON = path.join(DIR, 'etc', 'daemon.json');
const CONFIG = path.join(DIR, 'home', 'config.yaml');
const LOG = path.join(DIR, 'dockerd.log');
const PIDFILE = path.join(DIR, 'docker.pid');
const WRAPPER = path.join(DIR, 'dockerd-netns');
const HOST = `unix://${SOCKET}`;
const DOCKERD_ARGS = [
  `--data-root ${DIR}/data`,
  `--exec-root ${DIR}/exec`,
  `--pidfile ${PIDFILE}`,
  '--iptables=false --ip-masq=false --ip-forward=false --storage-driver=vfs',
].join(' ');
const ENV = {
  DOCKER_HOST: HOST,
  DOCKER_CONTEXT: undefined,
  MCP_SANDBOX_DAEMON_JSON: DAEMON_JSON,
  MCP_SANDBOX_CONFIG: CONFIG,
  MCP_SANDBOX_DOCKERD_LOG: LOG,
  MCP_SANDBOX_DOCKERD_ARGS: DOCKERD_ARGS,
  MCP_SANDBOX_ENGINE_WAIT: '60',
  MCP_SANDBOX_DOCKERD: WRAPPER,
  HOME: path.join(DIR, 'home'),
};
const RELOADS = /Got signal to reload configuration/g;

function setup(...args: string[]): Promise<CliResult> {
  return runCli(['setup', ...args], { env: ENV, timeout: 180_000 });
}

function docker(...args: string[]): string {
  return execFileSync('docker', ['-H', HOST, ...args], { encoding: 'utf8', timeout: 60_000 });
}

function dockerdPid(): number | undefined {
  if (!existsSync(PIDFILE)) return undefined;
  const pid = Number(readFileSync(PIDFILE, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function reloads(): number {
  return existsSync(LOG) ? (readFileSync(LOG, 'utf8').match(RELOADS) ?? []).length : 0;
}

function snapshot(file: string): { text: string; ino: number; mtimeMs: number } {
  const stat = statSync(file);
  return { text: readFileSync(file, 'utf8'), ino: stat.ino, mtimeMs: stat.mtimeMs };
}

/** The ids of the doctor checks that failed, from setup's output (`  ✗ …` lines). */
function failedChecks(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('  ✗'));
}

/** The tiny busybox image doctor probes with, assembled from the host's busybox (scripts/lib/rootfs.sh). */
function importBusybox(): void {
  const script = [
    'set -e',
    'ROOTFS_PROG=setup-test',
    'source scripts/lib/rootfs.sh',
    'require_busybox',
    'stage_begin setup-test',
    'stage_base "$STAGE/root" /home/app',
    'own_rootfs "$STAGE/root"',
    'import_image "$STAGE/root" mcp-sandbox-test/busybox:local setup-test "setup engine test"',
  ].join('\n');
  execFileSync('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, DOCKER_HOST: HOST }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
}

/** Processes whose command line names our directory (the private dockerd and its containerd). */
function ourProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(DIR)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids.filter((pid) => pid !== process.pid);
}

async function stopPrivateDockerd(): Promise<void> {
  const pid = dockerdPid();
  if (pid) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && ourProcesses().length > 0) await new Promise((r) => setTimeout(r, 250));
  for (const left of ourProcesses()) {
    try {
      process.kill(left, 'SIGKILL');
    } catch {
      // gone
    }
  }
  // dockerd leaves its exec-root netns bind mount (and, killed hard, more): unmount before rm.
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target.startsWith(`${DIR}/`))
    .sort()
    .reverse();
  for (const target of mounts) spawnSync('umount', ['-l', target]);
  rmSync(DIR, { recursive: true, force: true });
}

/** dockerd in a network namespace of its own (lo up), the same pid throughout (exec). */
function writeWrapper(): void {
  writeFileSync(WRAPPER, `#!/bin/sh\nexec unshare --net -- sh -c 'ip link set lo up && exec dockerd "$@"' dockerd "$@"\n`, { mode: 0o755 });
}

function hostHasDocker0(): boolean {
  return existsSync('/sys/class/net/docker0');
}

jest.setTimeout(240_000);
// Outside the describe: runs even when the engine tests are skipped, or a test failed.
afterAll(stopPrivateDockerd, 90_000);

describeEngine('mcp-sandbox setup against a private dockerd', () => {
  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('the setup engine test starts a private dockerd: run it as root');
    writeWrapper();
    docker0Before = hostHasDocker0();
  });
  let docker0Before = false;

  it('--dry-run from nothing prints the diff and the dockerd start, and changes nothing', async () => {
    const result = await setup('--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`would create ${DAEMON_JSON} (dockerd config):`);
    expect(result.stdout).toContain('+++ ' + DAEMON_JSON);
    expect(result.stdout).toMatch(new RegExp(`would run: ${WRAPPER} --config-file ${DAEMON_JSON} -H unix://${SOCKET} --data-root`));
    expect(result.stdout).toContain('setup: dry run: nothing was changed');
    expect(existsSync(DAEMON_JSON)).toBe(false);
    expect(existsSync(CONFIG)).toBe(false);
    expect(existsSync(SOCKET)).toBe(false);
    expect(dockerdPid()).toBeUndefined();
  });

  it('setup --yes brings the engine up with the gVisor runtimes and writes the runtime mapping', async () => {
    const result = await setup('--yes');
    expect(result.stdout).toContain(`created ${DAEMON_JSON} (dockerd config)`);
    expect(result.stdout).toContain(`created ${CONFIG} (mcp-sandbox user config (runtime mapping))`);
    expect(result.stdout).toMatch(/started dockerd: runtimes runsc \[--network=none\], runsc-net \[--network=host\]/);
    // The new engine has no image to probe with yet: that is doctor's only failure.
    expect(failedChecks(result.stdout)).toEqual([expect.stringMatching(/^ {2}✗ no image available to test with/)]);
    expect(result.code).toBe(4);
    const runtimes = JSON.parse(docker('info', '--format', '{{json .Runtimes}}')) as Record<string, { path: string; runtimeArgs?: string[] }>;
    expect(runtimes.runsc).toEqual({ path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] });
    expect(runtimes['runsc-net']).toEqual({ path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] });
    expect(readFileSync(CONFIG, 'utf8')).toContain('runsc: { none: runsc, bridge: runsc-net, host: runsc-net }');
    expect(dockerdPid()).toBeDefined();
  });

  it('a second setup changes nothing (bytes, inode, no reload) and doctor passes real gVisor starts', async () => {
    importBusybox();
    const pid = dockerdPid();
    const before = [snapshot(DAEMON_JSON), snapshot(CONFIG)];
    const reloadsBefore = reloads();
    const result = await setup('--yes');
    expect(result.stdout).toContain('setup: nothing to change');
    expect([snapshot(DAEMON_JSON), snapshot(CONFIG)]).toEqual(before);
    expect(reloads()).toBe(reloadsBefore);
    expect(dockerdPid()).toBe(pid);
    expect(failedChecks(result.stdout)).toEqual([]);
    // The shipped profiles: the offline ones on runsc, the bridge ones mapped to runsc-net.
    expect(result.stdout).toMatch(/✓ start under runtime runsc, network none \(.*everything.*\): [\d.]+ s, gVisor kernel, interfaces lo\n/);
    expect(result.stdout).toMatch(/✓ start under runtime runsc-net, network bridge \(.*fetch.*\): [\d.]+ s, gVisor kernel, interfaces .*eth0/);
    expect(result.stdout).toMatch(/✓ pids limit under runsc-net enforced/);
    expect(result.stdout).toContain('setup: done: doctor passed');
    expect(result.code).toBe(0);
  });

  it('merges into a daemon.json with foreign keys, keeps them byte for byte, backs it up and reloads dockerd', async () => {
    const pid = dockerdPid();
    const foreign = '{\n    "labels": ["mcp-sandbox-setup-test=1"],\n    "log-level": "info",\n    "runtimes": {\n        "runc-extra": { "path": "runc" }\n    }\n}\n';
    writeFileSync(DAEMON_JSON, foreign);
    const reloadsBefore = reloads();
    const result = await setup('--yes');
    expect(result.code).toBe(0);
    const text = readFileSync(DAEMON_JSON, 'utf8');
    expect(text.startsWith('{\n    "labels": ["mcp-sandbox-setup-test=1"],\n    "log-level": "info",\n    "runtimes": {\n        "runc-extra": { "path": "runc" },\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['labels', 'log-level', 'runtimes']);
    const backup = /backup (\S+)/.exec(result.stdout)?.[1] as string;
    expect(readFileSync(backup, 'utf8')).toBe(foreign);
    expect(result.stdout).toContain(`reloaded dockerd (pid ${pid})`);
    expect(reloads()).toBe(reloadsBefore + 1);
    expect(dockerdPid()).toBe(pid);
    const info = JSON.parse(docker('info', '--format', '{{json .}}')) as { Labels: string[]; Runtimes: Record<string, { runtimeArgs?: string[] }> };
    expect(info.Labels).toContain('mcp-sandbox-setup-test=1');
    expect(Object.keys(info.Runtimes)).toEqual(expect.arrayContaining(['runc-extra', 'runsc', 'runsc-net']));
    expect(failedChecks(result.stdout)).toEqual([]);
  });

  it('--dry-run with a change pending shows the diff and the SIGHUP, and changes nothing', async () => {
    const pid = dockerdPid() as number;
    const data = JSON.parse(readFileSync(DAEMON_JSON, 'utf8')) as { runtimes: Record<string, unknown> };
    delete data.runtimes['runsc-net'];
    writeFileSync(DAEMON_JSON, `${JSON.stringify(data, null, 2)}\n`);
    const before = snapshot(DAEMON_JSON);
    const reloadsBefore = reloads();
    const result = await setup('--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`would change ${DAEMON_JSON} (dockerd config):`);
    expect(result.stdout).toContain('+    "runsc-net": {');
    expect(result.stdout).toContain(`would run: kill -HUP ${pid}`);
    expect(snapshot(DAEMON_JSON)).toEqual(before);
    expect(reloads()).toBe(reloadsBefore);
    expect(result.stdout).not.toContain('doctor:');
  });

  it('left the host\'s own network alone (docker0 of the shared engine still there)', () => {
    expect(hostHasDocker0()).toBe(docker0Before);
  });
});
