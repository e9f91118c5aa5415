/**
 * The launcher's side of spare egress sets (./spare.ts, ./spare-keeper.ts): claim one for a
 * session, and ask for one to be made (starting the keeper when none runs). Never throws: no
 * spare means the set is made by the session as before.
 */
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineEndpoint } from '../engine/endpoint.js';
import { encodeOrder, spawnChild, type WatchdogOrder } from '../run/watchdog.js';
import type { EgressEvent } from './events.js';
import { DONE_LINE, parseSpareReply, sparePaths, type SpareRecipe } from './spare.js';
import { ownerOnlyDir, SPARE_FLAG } from './spare-keeper.js';
import type { SpareOrder } from './spare-main.js';

/** A spare this launcher won: its session names the holder the server joins. */
export interface ClaimedSpare {
  session: string;
  timings: Record<string, number>;
  /** Where the set's events go from now on. */
  onEvent(sink: (event: EgressEvent) => void): void;
  /** Ends the claim: the keeper removes the set; resolves once it has (or after `timeoutMs`). */
  release(timeoutMs?: number): Promise<void>;
  /** Resolves when the keeper closed the connection (it left, or the set ended). */
  lost: Promise<void>;
}

export interface ClaimInput {
  endpoint: EngineEndpoint;
  hash: string;
  /** The egress image's id (the keeper hands out only a spare made from it). */
  imageId: Promise<string | undefined>;
  /** The server container that will join the set: the keeper removes it if this launcher dies. */
  container: string;
  /** How long to wait for the keeper's answer before going cold. */
  timeoutMs?: number;
  /** Where keepers listen (default: the temporary directory). */
  dir?: string;
  debug(message: string): void;
}

/** The keeper's socket, if one may be trusted (an owner-only directory of ours). */
function keeperSocket(endpoint: EngineEndpoint, hash: string, dir?: string): string | undefined {
  const paths = sparePaths(endpoint, hash, dir);
  return paths && existsSync(paths.socket) && ownerOnlyDir(path.dirname(paths.socket)) ? paths.socket : undefined;
}

function connected(socketPath: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(undefined));
  });
}

/** Claims an idle spare of this recipe; undefined (said with --verbose) means make the set as before. */
export async function claimSpare(input: ClaimInput): Promise<ClaimedSpare | undefined> {
  const { debug } = input;
  const socketPath = keeperSocket(input.endpoint, input.hash, input.dir);
  if (!socketPath) return none(debug, 'no spare keeper for this allowlist');
  const [socket, imageId] = await Promise.all([connected(socketPath), input.imageId.catch(() => undefined)]);
  if (!socket) return none(debug, 'spare keeper not reachable');
  if (!imageId) {
    socket.destroy();
    return none(debug, 'egress image not present');
  }
  socket.on('error', () => undefined);
  socket.setEncoding('utf8');
  let sink: ((event: EgressEvent) => void) | undefined;
  let answer: (reply: { session: string; timings: Record<string, number> } | string) => void = () => undefined;
  const answered = new Promise<{ session: string; timings: Record<string, number> } | string>((resolve) => (answer = resolve));
  const lost = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let text = '';
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const reply = parseSpareReply(text.slice(0, newline));
      text = text.slice(newline + 1);
      if (reply && 'event' in reply) sink?.(reply.event);
      else if (reply && reply.ok) answer({ session: reply.session, timings: reply.timings });
      else answer(reply ? reply.reason : 'malformed answer');
    }
  });
  void lost.then(() => answer('keeper closed the connection'));
  const timer = setTimeout(() => answer('no answer in time'), input.timeoutMs ?? 1000);
  socket.write(`${JSON.stringify({ op: 'claim', container: input.container, imageId })}\n`);
  const reply = await answered;
  clearTimeout(timer);
  if (typeof reply === 'string') {
    // `done`, not a bare close: an answer that came too late must not have the keeper remove a
    // container of this name (the cold path creates it next).
    socket.end(`${DONE_LINE}\n`);
    socket.unref();
    return none(debug, `no spare claimed (${reply})`);
  }
  // The open connection guards the claim; it must not keep the launcher alive.
  socket.unref();
  debug(`claimed spare egress set ${reply.session}`);
  let released: Promise<void> | undefined;
  return {
    session: reply.session,
    timings: reply.timings,
    onEvent: (next) => (sink = next),
    lost,
    release: (timeoutMs = 10_000) =>
      (released ??= new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        void lost.then(() => {
          clearTimeout(t);
          resolve();
        });
        socket.end(`${DONE_LINE}\n`);
      })),
  };
}

function none(debug: (message: string) => void, why: string): undefined {
  debug(`${why}: egress set made for this session`);
  return undefined;
}

/** dist/egress-spares.js next to the bundle that runs this code (or from the sources, for the tests). */
export function keeperScript(from: string = import.meta.url): string | undefined {
  for (const candidate of ['./egress-spares.js', '../../dist/egress-spares.js']) {
    const file = fileURLToPath(new URL(candidate, from));
    if (existsSync(file)) return file;
  }
  return undefined;
}

export interface SpareRequestInput {
  endpoint: EngineEndpoint;
  recipe: SpareRecipe;
  hash: string;
  idleSeconds: number;
  debug(message: string): void;
  script?: string;
  dir?: string;
}

/** Asks this recipe's keeper for a spare, starting one when none runs. Never throws, never waits for the set. */
export async function requestSpare(input: SpareRequestInput): Promise<void> {
  const paths = sparePaths(input.endpoint, input.hash, input.dir);
  if (!paths || input.idleSeconds <= 0) return;
  const socketPath = keeperSocket(input.endpoint, input.hash, input.dir);
  const socket = socketPath ? await connected(socketPath) : undefined;
  if (socket) {
    socket.on('error', () => undefined);
    socket.end(`${JSON.stringify({ op: 'want' })}\n`);
    socket.unref();
    return void input.debug('asked the spare keeper for a spare egress set');
  }
  const script = input.script ?? keeperScript();
  if (!script) return void input.debug('spare keeper not available (dist/egress-spares.js missing)');
  try {
    const order: SpareOrder = { endpoint: input.endpoint, recipe: input.recipe, hash: input.hash, idleSeconds: input.idleSeconds, paths };
    const child = spawnChild(process.execPath, ['--max-old-space-size=32', script, SPARE_FLAG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: {} });
    child.on('error', (error) => input.debug(`spare keeper failed: ${error.message}`));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${encodeOrder(order as unknown as WatchdogOrder)}\n`);
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    input.debug(`spare keeper ${child.pid ?? '?'} started`);
  } catch (error) {
    input.debug(`spare keeper failed: ${(error as Error).message}`);
  }
}
