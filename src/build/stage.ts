/**
 * Staging: the server package and its dependencies are installed on the host, into the build
 * context's app/ directory, and the Dockerfile only COPYs them. Nothing executes in the image
 * at build time, and the engine needs no registry (containers here cannot use npm's TLS, and
 * no PyPI at all may be reachable from them).
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { SandboxError } from '../errors.js';
import type { PackageSpec } from './package-spec.js';

export interface StageOptions {
  /** npm only: install from the local cache only (npm --offline). */
  offline?: boolean;
  /** python only: the base image's Python version, for wheel selection (default 3.12). */
  pythonVersion?: string;
  /** Receives the installer's diagnostics. */
  log?: (line: string) => void;
}

export interface StageResult {
  /** URL for org.opencontainers.image.source, when the package names its repository. */
  source?: string;
}

/** Installs the package into <contextDir>/app with npm or pip on the host. */
export async function stagePackage(spec: PackageSpec, contextDir: string, options: StageOptions = {}): Promise<StageResult> {
  const app = path.join(contextDir, 'app');
  mkdirSync(app, { recursive: true });
  const result = spec.base === 'node' ? await stageNode(spec, app, options) : await stagePython(spec, app, options);
  await makeReadOnlyForOthers(app);
  return result;
}

/** Copies an already staged app directory (e.g. `pip install --target` made elsewhere). */
export async function stageFromDirectory(dir: string, contextDir: string): Promise<StageResult> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SandboxError('INPUT_UNREADABLE', `--app ${dir} is not a directory`);
  }
  const app = path.join(contextDir, 'app');
  cpSync(dir, app, { recursive: true, verbatimSymlinks: true });
  await makeReadOnlyForOthers(app);
  return {};
}

async function stageNode(spec: PackageSpec, app: string, options: StageOptions): Promise<StageResult> {
  writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: 'mcp-sandbox-server', private: true }, null, 2)}\n`);
  // --ignore-scripts: install scripts would run on the host, as whoever runs the build.
  // --omit=dev: only what the server needs at run time ends up in the image.
  const args = ['install', '--prefix', app, '--save-exact', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  if (options.offline) args.push('--offline');
  args.push(spec.installArg);
  await runInstaller('npm', args, spec, options);
  const installed = readJson(path.join(app, 'node_modules', spec.name, 'package.json'));
  if (installed?.version !== spec.version) {
    throw new SandboxError('INPUT_UNREADABLE', `npm installed ${spec.name} ${String(installed?.version ?? 'nothing')}, expected ${spec.version}`);
  }
  // Tool caches some packages create inside node_modules have no place in the image.
  rmSync(path.join(app, 'node_modules', '.cache'), { recursive: true, force: true });
  const source = repositoryUrl(installed.repository);
  return source ? { source } : {};
}

async function stagePython(spec: PackageSpec, app: string, options: StageOptions): Promise<StageResult> {
  const target = path.join(app, 'site-packages');
  const machine = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[arch()] ?? arch();
  // Wheels for the image's Python and glibc, not the host's: binary-only, explicit platform.
  const args = ['-m', 'pip', 'install', '--target', target, '--no-cache-dir', '--no-compile', '--disable-pip-version-check',
    '--only-binary=:all:', '--implementation', 'cp', '--python-version', options.pythonVersion ?? '3.12',
    '--platform', `manylinux2014_${machine}`, '--platform', `manylinux_2_28_${machine}`, '--platform', `manylinux_2_34_${machine}`,
    spec.installArg];
  await runInstaller('python3', args, spec, options);
  return { source: `https://pypi.org/project/${spec.name}/` };
}

async function runInstaller(command: string, args: string[], spec: PackageSpec, options: StageOptions): Promise<void> {
  options.log?.(`staging ${spec.installArg}: ${command} ${args.join(' ')}`);
  const result = await execa(command, args, { reject: false, all: true, env: { PIP_NO_INPUT: '1' } });
  if (result.failed) {
    const tail = (result.all ?? '').split('\n').filter(Boolean).slice(-8).join('\n  ');
    const missing = (result as { code?: string }).code === 'ENOENT';
    throw new SandboxError('INPUT_UNREADABLE', `staging ${spec.installArg} with ${command} failed${missing ? ` (${command} not found)` : `:\n  ${tail}`}`, {
      hint: spec.base === 'python'
        ? 'no PyPI reachable? stage elsewhere with pip install --target <dir>/site-packages and pass --app <dir>'
        : 'is the npm registry reachable from this host? (or pass --app with a staged node_modules tree)',
    });
  }
}

/** Root owns the staged files in the image; make sure nobody else may write them. */
async function makeReadOnlyForOthers(dir: string): Promise<void> {
  await execa('chmod', ['-R', 'u+rwX,go+rX,go-w', dir]);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** package.json `repository` as a browsable https URL. */
export function repositoryUrl(repository: unknown): string | undefined {
  const raw = typeof repository === 'string' ? repository : (repository as { url?: unknown } | undefined)?.url;
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  const url = raw.replace(/^git\+/, '').replace(/^git:\/\//, 'https://').replace(/\.git$/, '');
  if (/^github:/.test(url)) return `https://github.com/${url.slice('github:'.length)}`;
  if (/^[\w.-]+\/[\w.-]+$/.test(url)) return `https://github.com/${url}`;
  return /^https?:\/\//.test(url) ? url : undefined;
}

/** A stable hash of a directory tree: relative paths, modes and contents. */
export function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      const file = path.join(current, name);
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st) continue;
      const rel = path.relative(dir, file);
      if (st.isDirectory()) {
        hash.update(`d ${rel}\n`);
        walk(file);
      } else if (st.isFile()) {
        hash.update(`f ${rel} ${st.mode & 0o111 ? 'x' : '-'}\n`);
        hash.update(readFileSync(file));
      }
    }
  };
  walk(dir);
  return hash.digest('hex');
}
