/**
 * The one place that turns an environment into an engine client: callers depend on the
 * `EngineClient` interface and get it from here (or from a test's fake).
 */
import { EngineConnectionError, type EngineClient } from './client.js';
import { resolveEndpoint, type EngineEndpoint } from './endpoint.js';
import { unreachable } from './errors.js';
import { HttpEngineClient } from './http-client.js';

/** A client for the engine `env` points at (DOCKER_HOST, docker context, default socket), or for `endpoint`. */
export function connectEngine(env: NodeJS.ProcessEnv = process.env, endpoint: EngineEndpoint = resolveEndpoint({ env })): EngineClient {
  return new HttpEngineClient(endpoint);
}

/** Runs `use` with a client for the resolved engine: a connection failure becomes ENGINE_UNREACHABLE, the client is always closed. */
export async function withEngine<T>(use: (engine: EngineClient) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const engine = connectEngine(env);
  try {
    return await use(engine);
  } catch (error) {
    throw error instanceof EngineConnectionError ? unreachable(engine.endpoint, error) : error;
  } finally {
    engine.close();
  }
}
