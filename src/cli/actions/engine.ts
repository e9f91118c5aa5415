import { resolveEndpoint } from '../../engine/endpoint.js';
import { EngineConnectionError } from '../../engine/client.js';
import { unreachable } from '../../engine/errors.js';
import { HttpEngineClient } from '../../engine/http-client.js';

/** Runs `use` with a client for the resolved engine: a connection failure becomes ENGINE_UNREACHABLE, the client is always closed. */
export async function withEngine<T>(use: (engine: HttpEngineClient) => Promise<T>): Promise<T> {
  const engine = new HttpEngineClient(resolveEndpoint());
  try {
    return await use(engine);
  } catch (error) {
    throw error instanceof EngineConnectionError ? unreachable(engine.endpoint, error) : error;
  } finally {
    engine.close();
  }
}
