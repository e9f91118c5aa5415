/**
 * Engine failures translated into one-line SandboxErrors with the fix. The launcher does not ask
 * the engine first whether a runtime or an image exists: the create call reports both, so
 * preflight costs no round trip on the path every MCP server start takes.
 */
import { SandboxError } from '../errors.js';
import { describeEndpoint, type EngineEndpoint } from './endpoint.js';
import { EngineApiError, EngineConnectionError } from './client.js';

/** The daemon.json entry that registers a runtime (gVisor's runsc by default). */
export function daemonJsonSnippet(runtime: string): string {
  const args = runtime.endsWith('-net') ? '"--network=host"' : '"--network=none"';
  return `{"runtimes": {"${runtime}": {"path": "/usr/bin/runsc", "runtimeArgs": [${args}]}}}`;
}

export function unreachable(endpoint: EngineEndpoint, error: Error): SandboxError {
  const where = describeEndpoint(endpoint);
  const reason = error.message;
  const hint =
    endpoint.kind === 'unix'
      ? reason === 'EACCES'
        ? `add yourself to the docker group or run as a user who can open ${endpoint.socketPath}`
        : 'start Docker (dockerd), or point DOCKER_HOST at the engine socket'
      : 'check that the engine listens there, or fix DOCKER_HOST / the docker context';
  return new SandboxError('ENGINE_UNREACHABLE', `cannot reach the Docker engine at ${where} (${endpoint.source}): ${reason}`, { hint, cause: error });
}

/** An engine call that failed for no reason the user can fix in a profile: unreachable, or what failed. */
export function engineCallFailed(what: string, error: unknown, endpoint: EngineEndpoint): SandboxError {
  if (error instanceof EngineConnectionError) return unreachable(endpoint, error);
  return new SandboxError('ENGINE_ERROR', `${what} failed: ${(error as Error).message}`, { cause: error });
}

/** What a failed create means for the user. `image` and `runtime` are what the body asked for. */
export function classifyCreateError(error: unknown, context: { endpoint: EngineEndpoint; image: string; runtime: string }): SandboxError | 'no-such-image' {
  if (error instanceof SandboxError) return error;
  if (!(error instanceof EngineApiError)) return engineCallFailed('creating the container', error, context.endpoint);
  const message = error.message;
  if (/no such image/i.test(message) || (error.statusCode === 404 && /image/i.test(message))) return 'no-such-image';
  if (/unknown runtime specified|unknown or invalid runtime name/i.test(message)) {
    return new SandboxError('RUNTIME_MISSING', `the engine has no runtime "${context.runtime}" registered`, {
      hint: `add ${daemonJsonSnippet(context.runtime)} to /etc/docker/daemon.json and reload dockerd (kill -HUP), or map the runtime in ~/.config/mcp-sandbox/config.yaml`,
      cause: error,
    });
  }
  const mount = /bind source path does not exist: (.+)$/i.exec(message);
  if (mount) {
    return new SandboxError('MOUNT_SOURCE_MISSING', `mount source ${mount[1]} does not exist`, {
      hint: 'create it, or fix filesystem.mounts in the profile',
      cause: error,
    });
  }
  return new SandboxError('ENGINE_ERROR', `the engine refused to create the container: ${message}`, { cause: error });
}

export function imageMissing(image: string): SandboxError {
  return new SandboxError('IMAGE_MISSING', `image ${image} is not present and the profile says pull: never`, {
    hint: `build or load it first (e.g. docker pull ${image}), or set pull: missing in the profile`,
  });
}

export function pullFailed(image: string, error: unknown, endpoint: EngineEndpoint): SandboxError {
  if (error instanceof EngineConnectionError) return unreachable(endpoint, error);
  const message = error instanceof Error ? error.message : String(error);
  return new SandboxError('IMAGE_MISSING', `pulling image ${image} failed: ${message}`, {
    hint: 'check the image name and registry access (e.g. docker login); or build it locally and set pull: never',
    cause: error,
  });
}

export function startFailed(error: unknown, endpoint: EngineEndpoint, runtime: string): SandboxError {
  if (error instanceof EngineConnectionError) return unreachable(endpoint, error);
  const message = error instanceof Error ? error.message : String(error);
  const netstack = netstackHint(message, runtime);
  const hint = netstack ? `${netstack}, see \`mcp-sandbox doctor\`` : 'rerun with --verbose; see `mcp-sandbox doctor`';
  return new SandboxError('ENGINE_ERROR', `the engine could not start the container: ${message.split('\n')[0]}`, { hint, cause: error });
}

/** The fix when an old runsc cannot start its own network stack on a new kernel (gVisor#10704). */
export function netstackHint(message: string, runtime: string): string | undefined {
  if (!/network enabled in root network namespace/.test(message)) return undefined;
  return `this runsc cannot run its own network stack on this kernel: register "${runtime}" with runtimeArgs ["--network=none"] (or ["--network=host"] for networked profiles)`;
}
