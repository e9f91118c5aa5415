/** Finding and driving the dockerd that serves a socket: /proc reading, argv, pid files, runtimes. */
import { mkdirSync, mkdtempSync, readFileSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearStalePidfile, configFileOf, dockerdTarget, pidfileOf, runtimesMatch, socketOwnerPid, startArgv } from '../../../src/setup/dockerd.js';

/** A fake /proc: processes with a comm, a unix table (their netns's) and fds. */
function fakeProc(processes: Array<{ pid: number; comm: string; unix?: string[]; fds?: Record<string, string>; cmdline?: string[] }>): string {
  const proc = mkdtempSync(path.join(tmpdir(), 'fake-proc-'));
  for (const p of processes) {
    const dir = path.join(proc, String(p.pid));
    mkdirSync(path.join(dir, 'fd'), { recursive: true });
    mkdirSync(path.join(dir, 'net'), { recursive: true });
    writeFileSync(path.join(dir, 'comm'), `${p.comm}\n`);
    writeFileSync(path.join(dir, 'cmdline'), `${(p.cmdline ?? [p.comm]).join('\0')}\0`);
    writeFileSync(path.join(dir, 'net', 'unix'), ['Num       RefCount Protocol Flags    Type St Inode Path', ...(p.unix ?? [])].join('\n'));
    for (const [fd, target] of Object.entries(p.fds ?? {})) symlinkSync(target, path.join(dir, 'fd', fd));
  }
  return proc;
}

const listening = (inode: number, socket: string): string => `0000000000000000: 00000002 00000000 00010000 0001 01 ${inode} ${socket}`;
const connected = (inode: number, socket: string): string => `0000000000000000: 00000003 00000000 00000000 0001 03 ${inode} ${socket}`;

describe('socketOwnerPid', () => {
  it('finds the dockerd listening on the socket, not another dockerd nor a client', () => {
    const proc = fakeProc([
      { pid: 100, comm: 'dockerd', unix: [listening(111, '/var/run/docker.sock')], fds: { '3': 'socket:[111]' } },
      { pid: 200, comm: 'dockerd', unix: [listening(222, '/tmp/x/docker.sock')], fds: { '5': 'socket:[222]' } },
      { pid: 300, comm: 'docker', unix: [connected(333, '/tmp/x/docker.sock')], fds: { '3': 'socket:[333]' } },
    ]);
    expect(socketOwnerPid('/tmp/x/docker.sock', proc)).toBe(200);
    expect(socketOwnerPid('/var/run/docker.sock', proc)).toBe(100);
    expect(socketOwnerPid('/tmp/none.sock', proc)).toBeUndefined();
  });

  it('undefined when the listening inode is not among the process\'s fds', () => {
    const proc = fakeProc([{ pid: 100, comm: 'dockerd', unix: [listening(111, '/s.sock')], fds: { '3': 'socket:[999]' } }]);
    expect(socketOwnerPid('/s.sock', proc)).toBeUndefined();
  });
});

describe('dockerd argv and files', () => {
  it('starts with only what differs from the defaults', () => {
    const system = dockerdTarget({}, '/var/run/docker.sock');
    expect(system.system).toBe(true);
    expect(startArgv('/usr/sbin/dockerd', system)).toEqual(['/usr/sbin/dockerd']);
    const other = dockerdTarget({ MCP_SANDBOX_DAEMON_JSON: '/tmp/d/daemon.json', MCP_SANDBOX_DOCKERD_ARGS: ' --data-root /tmp/d/data  --iptables=false ', MCP_SANDBOX_DOCKERD: '/tmp/d/wrap' }, '/tmp/d/docker.sock');
    expect(other.system).toBe(false);
    expect(startArgv('/usr/sbin/dockerd', other)).toEqual(['/tmp/d/wrap', '--config-file', '/tmp/d/daemon.json', '-H', 'unix:///tmp/d/docker.sock', '--data-root', '/tmp/d/data', '--iptables=false']);
  });

  it('reads the config file and pid file a dockerd uses', () => {
    expect(configFileOf(['dockerd'])).toBe('/etc/docker/daemon.json');
    expect(configFileOf(['dockerd', '--config-file', '/tmp/a.json'])).toBe('/tmp/a.json');
    expect(configFileOf(['dockerd', '--config-file=/tmp/b.json'])).toBe('/tmp/b.json');
    expect(pidfileOf(['--pidfile', '/tmp/p'], {})).toBe('/tmp/p');
    expect(pidfileOf([], { pidfile: '/run/x.pid' })).toBe('/run/x.pid');
    expect(pidfileOf([], {})).toBe('/var/run/docker.pid');
  });

  it('clears a pid file whose process is gone or is not dockerd, keeps a live dockerd\'s', () => {
    const proc = fakeProc([
      { pid: 100, comm: 'dockerd', cmdline: ['/usr/sbin/dockerd', '-H', 'x'] },
      { pid: 200, comm: 'sleep', cmdline: ['sleep', '100'] },
    ]);
    const dir = mkdtempSync(path.join(tmpdir(), 'pidfile-'));
    const file = (pid: number): string => {
      const f = path.join(dir, `${pid}.pid`);
      writeFileSync(f, `${pid}\n`);
      return f;
    };
    const live = file(100);
    expect(clearStalePidfile(live, proc)).toBe(false);
    expect(readFileSync(live, 'utf8')).toBe('100\n');
    const reused = file(200);
    expect(clearStalePidfile(reused, proc)).toBe(true);
    expect(existsSync(reused)).toBe(false);
    const gone = file(300);
    expect(clearStalePidfile(gone, proc)).toBe(true);
    expect(clearStalePidfile(path.join(dir, 'none.pid'), proc)).toBe(false);
  });
});

describe('runtimesMatch', () => {
  const wanted = { runsc: { path: '/usr/bin/runsc', network: 'none' }, 'runsc-net': { path: '/usr/bin/runsc', network: 'host' } };
  it('true only when each runtime has the path and the network argument', () => {
    expect(runtimesMatch({ runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] }, 'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] } }, wanted)).toBe(true);
    expect(runtimesMatch({ runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] } }, wanted)).toBe(false);
    expect(runtimesMatch({ runsc: { path: '/usr/bin/runsc' }, 'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] } }, wanted)).toBe(false);
    expect(runtimesMatch({ runsc: { path: '/usr/local/bin/runsc' } }, { runsc: { path: '/usr/local/bin/runsc', network: undefined } })).toBe(true);
    expect(runtimesMatch(undefined, wanted)).toBe(false);
  });
});
