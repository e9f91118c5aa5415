/**
 * Bundle entry of the spare keeper (dist/egress-spares.js, ./spare-keeper.ts): its order on
 * stdin (the endpoint may carry TLS material, never put in argv), then the keeper until it holds
 * no set. Started detached by a launcher (../run/egress-session.ts `requestSpare`).
 */
import { connect } from 'node:net';
import { hostname } from 'node:os';
import type { EngineEndpoint } from '../engine/endpoint.js';
import { HttpEngineClient } from '../engine/http-client.js';
import { LABELS } from '../labels.js';
import { VERSION } from '../version.js';
import { decodeOrder } from '../run/watchdog.js';
import { EGRESS_IMAGE } from './containers.js';
import { recipePlan, type SparePaths, type SpareRecipe } from './spare.js';
import { startKeeper, type Keeper } from './spare-keeper.js';
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
  const keeper = await keeperOrWant(order, engine);
  if (!keeper) return engine.close();
  process.on('SIGTERM', () => void keeper.shutdown().finally(() => process.exit(143)));
  await keeper.closed;
  engine.close();
  process.exit(0);
}

/**
 * This recipe's keeper, or undefined once a live one has been told `want`. A keeper that is
 * leaving still holds the lock but no longer accepts: retried for a moment, so the request that
 * started this process is not lost.
 */
async function keeperOrWant(order: SpareOrder, engine: HttpEngineClient): Promise<Keeper | undefined> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const keeper = await keeperFor(order, engine);
    if (keeper) return keeper;
    if (await toldWant(order.paths.socket)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

function toldWant(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.end(`${JSON.stringify({ op: 'want' })}\n`);
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function keeperFor(order: SpareOrder, engine: HttpEngineClient): Promise<Keeper | undefined> {
  const plan = recipePlan(order.recipe);
  const image = order.recipe.render.image ?? EGRESS_IMAGE;
  return startKeeper({
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
}

main();
