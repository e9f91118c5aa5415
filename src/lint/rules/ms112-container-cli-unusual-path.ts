import path from 'node:path';
import { defineRule } from '../types.js';

/** Where engine CLIs are installed (package managers, Docker Desktop, Rancher Desktop, OrbStack, Colima via Homebrew). */
const SYSTEM_DIRS = ['/usr/bin', '/usr/local/bin', '/bin', '/usr/sbin', '/usr/local/sbin', '/opt/homebrew/bin', '/home/linuxbrew/.linuxbrew/bin', '/snap/bin', '/Applications/Docker.app/Contents/Resources/bin', '/opt/podman/bin', '/opt/docker-desktop/bin'];
const HOME_DIRS = ['.docker/bin', '.rd/bin', '.orbstack/bin', '.local/bin'];
const WINDOWS_DIRS = ['c:\\program files\\docker\\docker\\resources\\bin', 'c:\\programdata\\dockerdesktop\\version-bin', 'c:\\program files\\redhat\\podman', 'c:\\program files\\rancher desktop\\resources\\resources\\win32\\bin'];

export const rule = defineRule({
  id: 'MS112',
  name: 'container-cli-unusual-path',
  title: 'Container CLI started from an unusual place',
  severity: 'warning',
  rationale: 'An entry that names the engine CLI by a path outside the places it is installed (`/tmp/docker`, `./docker`, a project directory) runs whatever file is there. It need not be docker at all, and the flags lint judged mean nothing to it.',
  remediation: 'Name the CLI as `docker` (found on PATH) or by its installed path, e.g. `/usr/bin/docker`.',
  check: () => [],
  checkEntry: (entry, ctx) => {
    const container = entry.container;
    if (entry.remote || !container) return [];
    const binary = container.binary;
    if (!/[\\/]/.test(binary)) return [];
    const windows = /^[A-Za-z]:[\\/]/.test(binary) || binary.includes('\\');
    const dir = windows ? path.win32.dirname(binary).toLowerCase() : path.posix.dirname(binary);
    const known = windows ? WINDOWS_DIRS.includes(dir) : path.posix.isAbsolute(binary) && [...SYSTEM_DIRS, ...HOME_DIRS.map((d) => path.posix.join(ctx.home, d))].includes(path.posix.normalize(dir));
    if (known) return [];
    const index = container.binaryIndex;
    return [{ pointer: index < 0 ? '/command' : `/args/${index}`, message: `${container.engine} is started as "${binary}", outside the directories it is installed in: that file may be anything` }];
  },
});
