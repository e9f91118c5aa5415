/**
 * `docker build` through the docker CLI (execa), with the legacy builder (DOCKER_BUILDKIT=0).
 *
 * Why the CLI and not the Engine API's POST /build: the CLI is already a requirement (render
 * prints a docker argv, engine-up installs docker.io), it tars the context, honours
 * .dockerignore, DOCKER_HOST and contexts, and reports errors as text. POST /build would need
 * a tar writer and a JSON progress-stream parser for no gain. Why the legacy builder: CLI 28
 * defaults to BuildKit through the buildx plugin, which Debian's docker.io 20.10 does not
 * ship; the Dockerfiles use nothing BuildKit-only (no RUN at all), so the legacy builder gives
 * the same image on every engine we support.
 *
 * Everything else (is the engine there, what is the image's id and build-hash label) goes
 * through the project's Engine API client, like every other caller of the engine.
 */
import { execa } from 'execa';
import { withEngine } from '../engine/connect.js';
import { SandboxError } from '../errors.js';

const DOCKER_ENV = { DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' };

/** Throws ENGINE_UNREACHABLE when the engine does not answer or the docker CLI (the builder) is missing. */
export async function checkEngine(): Promise<void> {
  await withEngine((engine) => engine.ping());
  const result = await execa('docker', ['--version'], { reject: false, timeout: 20_000 });
  if (result.failed) {
    const missing = (result as { code?: string }).code === 'ENOENT';
    throw new SandboxError('ENGINE_UNREACHABLE', missing ? 'the docker CLI (needed for `docker build`) is not installed' : `the docker CLI does not run: ${lastLine(result.stderr)}`, {
      hint: 'run scripts/engine-up.sh (as root) to install and start it',
    });
  }
}

/** The image's ID, or undefined when the engine has no such image. */
export async function imageId(ref: string): Promise<string | undefined> {
  return withEngine(async (engine) => (await engine.inspectImage(ref))?.Id);
}

/** One label of a local image, or undefined. */
export async function imageLabel(ref: string, label: string): Promise<string | undefined> {
  return withEngine(async (engine) => {
    const image = await engine.inspectImage(ref);
    const labels = (image?.Config as { Labels?: Record<string, string> | null } | undefined)?.Labels;
    const value = labels?.[label];
    return value ? value : undefined;
  });
}

export interface DockerBuildRequest {
  contextDir: string;
  dockerfile: string;
  tag: string;
  buildArgs: Record<string, string>;
  /** Streams the builder's output here (stderr in the CLI); otherwise only errors show. */
  onOutput?: (chunk: string) => void;
}

/** Runs `docker build`; throws ENGINE_ERROR with the builder's last lines on failure. */
export async function dockerBuild(request: DockerBuildRequest): Promise<void> {
  const args = ['build', '--file', request.dockerfile, '--tag', request.tag, '--rm', '--force-rm', '--network=none'];
  for (const [key, value] of Object.entries(request.buildArgs)) args.push('--build-arg', `${key}=${value}`);
  args.push(request.contextDir);
  const child = execa('docker', args, { reject: false, all: true, env: DOCKER_ENV });
  if (request.onOutput) child.all?.on('data', (chunk: Buffer) => request.onOutput?.(chunk.toString()));
  const result = await child;
  if (result.failed) {
    const output = (result.all ?? '').split('\n').filter((l) => l && !/legacy builder is deprecated|BuildKit is currently disabled|environment-variable\.$/.test(l));
    const base = request.buildArgs.BASE ?? '';
    const pull = /pull access denied|dial tcp|no such host|TLS handshake|manifest unknown|i\/o timeout|connection refused|not found: manifest/i.test(result.all ?? '');
    throw new SandboxError('ENGINE_ERROR', `docker build of ${request.tag} failed:\n  ${output.slice(-8).join('\n  ')}`, {
      hint: pull ? `the base image ${base} is not local and could not be pulled: pass --base-image <local image>` : 'see the builder output above',
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
