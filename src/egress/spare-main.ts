/**
 * Bundle entry of the spare keeper (dist/egress-spares.js, ./spare-keeper.ts): its order on
 * stdin (the endpoint may carry TLS material, never put in argv), then the keeper until it holds
 * no set. Started detached by a launcher (../run/egress-session.ts `requestSpare`).
 */
import { hostname } from 'node:os';
import type { EngineEndpoint } from '../engine/endpoint.js';
import { HttpEngineClient } from '../engine/http-client.js';
import { LABELS } from '../labels.js';
import { VERSION } from '../version.js';
import { decodeOrder } from '../run/watchdog.js';
import { EGRESS_IMAGE } from './containers.js';
import { recipePlan, type SparePaths, type SpareRecipe } from './spare.js';
import { startKeeper } from './spare-keeper.js';
import { startEgress } from './start.js';

export interface SpareOrder {
  endpoint: EngineEndpoint;
  recipe: SpareRecipe;
  hash: string;
  idleSeconds: number;
  paths: SparePaths;
}

/** The label that marks a spare's network and containers (value: the recipe hash's first 16 digits). */
export const SPARE_LABEL = LABELS.egressSpare;

function main(): void {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => (text += chunk));
  process.stdin.on('end', () => void run(decodeOrder(text.trim()) as unknown as SpareOrder));
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGPIPE', 'SIGUSR2'] as const) process.on(signal, () => undefined);
}

async function run(order: SpareOrder): Promise<void> {
  const engine = new HttpEngineClient(order.endpoint);
  const plan = recipePlan(order.recipe);
  const image = order.recipe.render.image ?? EGRESS_IMAGE;
  const keeper = await startKeeper({
    paths: order.paths,
    hash: order.hash,
    idleSeconds: order.idleSeconds,
    engine,
    imageId: async () => (await engine.inspectImage(image))?.Id,
    start: (session, sink, onEnded) =>
      startEgress({
        engine,
        plan,
        ...order.recipe.render,
        sessionId: session,
        labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: hostname(), [LABELS.version]: VERSION, [SPARE_LABEL]: order.hash.slice(0, 16) },
        sink,
        onEnded,
      }),
  }).catch(() => undefined);
  if (!keeper) return engine.close();
  process.on('SIGTERM', () => void keeper.shutdown().finally(() => process.exit(143)));
  await keeper.closed;
  engine.close();
  process.exit(0);
}

main();
