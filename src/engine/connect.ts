/**
 * The one place that turns an environment into an engine client: callers depend on the
 * `EngineClient` interface and get it from here (or from a test's fake).
 */
import type { EngineClient } from './client.js';
import { resolveEndpoint, type EngineEndpoint } from './endpoint.js';
import { HttpEngineClient } from './http-client.js';

/** A client for the engine `env` points at (DOCKER_HOST, docker context, default socket), or for `endpoint`. */
export function connectEngine(env: NodeJS.ProcessEnv = process.env, endpoint: EngineEndpoint = resolveEndpoint({ env })): EngineClient {
  return new HttpEngineClient(endpoint);
}
