import { EngineConnectionError, type EngineClient } from '../../engine/client.js';
import { connectEngine } from '../../engine/connect.js';
import { unreachable } from '../../engine/errors.js';

/** Runs `use` with a client for the resolved engine: a connection failure becomes ENGINE_UNREACHABLE, the client is always closed. */
export async function withEngine<T>(use: (engine: EngineClient) => Promise<T>): Promise<T> {
  const engine = connectEngine();
  try {
    return await use(engine);
  } catch (error) {
    throw error instanceof EngineConnectionError ? unreachable(engine.endpoint, error) : error;
  } finally {
    engine.close();
  }
}
