/**
 * The keeper of spare egress sets for one recipe (./spare.ts): a detached process (the bundle
 * dist/egress-spares.js) that makes a set ahead, holds its containers' attaches (their life is
 * tied to stdin, start.ts) and hands it to the first launcher that claims it over a Unix socket.
 *
 * The claim is decided in this one process, so exactly one launcher wins a spare, with no engine
 * call on the launcher's path (a rename claim, as the warm pool does, costs a list and a rename).
 * The claiming connection stays open for the session: the keeper forwards the set's events on it
 * (the launcher writes them to its own audit log, so they carry the claiming session's id) and,
 * when it closes without `done` (the launcher died, SIGKILL included), removes the launcher's
 * server container and the set. Spares nobody claims are removed after the idle timeout; the
 * keeper leaves once it holds no set. If the keeper itself is killed, the engine closes the
 * attaches, the containers end, and the networks go at the next sweep (their launcher pid is
 * the keeper's).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { NetworkEngineClient } from '../engine/client.js';
import { closeOwnerOnly, listenOwnerOnly } from '../fs/owner-socket.js';
import { takePidLock } from '../fs/pid-lock.js';
import type { EgressEvent } from './events.js';
import type { EgressSession } from './start.js';
import { DONE_LINE, parseSpareRequest, type SparePaths, type SpareReply } from './spare.js';

/** The argument that makes dist/egress-spares.js a keeper (and tells its lock's holder in /proc). */
// `mcp-sandbox` in it: `ps` counts a launcher pid alive only when its command line names us.
export const SPARE_FLAG = '--mcp-sandbox-egress-spares';

export interface KeeperOptions {
  paths: SparePaths;
  hash: string;
  /** Seconds an unclaimed spare lives. */
  idleSeconds: number;
  engine: NetworkEngineClient;
  /** Makes one set (startEgress with the recipe's plan): `sink` gets its events, `onEnded` a container's end. */
  start(session: string, sink: (event: EgressEvent) => void, onEnded: () => void): Promise<EgressSession>;
  /** The egress image's id now (a spare made from another is not handed out). */
  imageId(): Promise<string | undefined>;
  now?(): number;
  debug?(message: string): void;
}

interface Spare {
  session: string;
  set?: EgressSession;
  imageId?: string;
  expires: number;
  /** Where its events go: nowhere until claimed. */
  sink?: (event: EgressEvent) => void;
  claimed: boolean;
  ended: boolean;
}

export interface Keeper {
  /** Make a spare if none is idle or being made. */
  want(): void;
  /** Resolves once the keeper has left (no set held, socket closed, lock released). */
  closed: Promise<void>;
  /** Removes every set and leaves (SIGTERM). */
  shutdown(): Promise<void>;
  /** For tests: the spares held. */
  readonly spares: readonly { session: string; claimed: boolean; ready: boolean }[];
}

/** Takes the keeper's lock and listens; undefined when another keeper of this recipe runs (it was told `want`). */
export async function startKeeper(options: KeeperOptions): Promise<Keeper | undefined> {
  if (!takeKeeperLock(options.paths.lock)) return undefined;
  const server = await listenOwnerOnly(options.paths.socket);
  if (!server) {
    releaseKeeperLock(options.paths.lock);
    return undefined;
  }
  return keeperOn(server, options);
}

function keeperOn(server: Server, options: KeeperOptions): Keeper {
  const keeper = new SpareKeeper(server, options);
  server.on('connection', (socket) => serveConnection(socket, keeper));
  keeper.want();
  return {
    want: () => keeper.want(),
    closed: keeper.closed,
    shutdown: async () => {
      await Promise.all([...keeper.spares].map((s) => keeper.removeSpare(s, 'keeper stopped')));
      keeper.leave();
      await keeper.closed;
    },
    get spares() {
      return keeper.spares.map((s) => ({ session: s.session, claimed: s.claimed, ready: s.set !== undefined }));
    },
  };
}

/** The keeper's state: its spares, what is being made and removed; it leaves once it holds nothing. */
class SpareKeeper {
  readonly spares: Spare[] = [];
  readonly closed: Promise<void>;
  readonly now: () => number;
  readonly debug: (message: string) => void;
  readonly engine: NetworkEngineClient;
  private making = 0;
  /** Removals in flight: the keeper leaves only once they are done (its exit would cut them off). */
  private removing = 0;
  private leaving = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveClosed: () => void = () => undefined;

  constructor(
    private readonly server: Server,
    private readonly options: KeeperOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.debug = options.debug ?? ((): void => undefined);
    this.engine = options.engine;
    this.closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  }

  /** Makes a spare if none is idle or being made. */
  want(): void {
    if (this.leaving || this.spares.some((s) => !s.claimed && !s.ended)) return;
    this.make();
  }

  async removeSpare(spare: Spare, why: string): Promise<void> {
    if (spare.ended && !this.spares.includes(spare)) return;
    spare.ended = true;
    this.spares.splice(this.spares.indexOf(spare), 1);
    this.debug(`removing spare ${spare.session}: ${why}`);
    this.removing += 1;
    await spare.set?.stop().catch(() => undefined);
    this.removing -= 1;
    this.check();
  }

  private make(): void {
    this.making += 1;
    const spare: Spare = { session: `spare-${this.options.hash.slice(0, 8)}-${process.pid}-${randomBytes(3).toString('hex')}`, expires: Infinity, claimed: false, ended: false };
    this.spares.push(spare);
    const onEnded = (): void => {
      if (!spare.ended) void this.removeSpare(spare, 'a container of it ended');
    };
    void Promise.all([this.options.start(spare.session, (event) => spare.sink?.(event), onEnded), this.options.imageId().catch(() => undefined)])
      .then(([set, imageId]) => {
        spare.set = set;
        spare.imageId = imageId;
        spare.expires = this.now() + this.options.idleSeconds * 1000;
        this.debug(`spare ${spare.session} ready in ${set.timings.total} ms`);
        if (spare.ended) void set.stop().catch(() => undefined);
      })
      .catch((error: unknown) => {
        this.debug(`spare ${spare.session} failed: ${(error as Error).message}`);
        spare.ended = true;
        if (this.spares.includes(spare)) this.spares.splice(this.spares.indexOf(spare), 1);
      })
      .finally(() => {
        this.making -= 1;
        this.check();
      });
  }

  /** Removes expired idle spares; leaves when nothing is held; else sleeps until the next expiry. */
  check(): void {
    clearTimeout(this.timer);
    if (this.leaving) return;
    for (const spare of [...this.spares]) if (!spare.claimed && spare.set && spare.expires <= this.now()) void this.removeSpare(spare, 'idle timeout');
    if (this.spares.length === 0 && this.making === 0) {
      if (this.removing === 0) this.leave();
      return;
    }
    const next = Math.min(...this.spares.filter((s) => !s.claimed && s.set).map((s) => s.expires));
    if (Number.isFinite(next)) {
      this.timer = setTimeout(() => this.check(), Math.max(next - this.now(), 50));
      this.timer.unref?.();
    }
  }

  leave(): void {
    if (this.leaving) return;
    this.leaving = true;
    clearTimeout(this.timer);
    closeOwnerOnly(this.server, this.options.paths.socket, () => {
      releaseKeeperLock(this.options.paths.lock);
      this.resolveClosed();
    });
  }
}

const MAX_LINE = 4096;

function send(socket: Socket, reply: SpareReply): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
}

/** One launcher's connection: a `want`, or a claim that then guards the session. */
function serveConnection(socket: Socket, context: SpareKeeper): void {
  let text = '';
  let claim: { spare: Spare; container: string } | undefined;
  let done = false;
  let answered = false;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let newline = text.indexOf('\n'); newline >= 0 && !socket.destroyed; newline = text.indexOf('\n')) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      if (!answered) {
        answered = true;
        const request = parseSpareRequest(line);
        if (request === undefined) return void socket.destroy();
        if (request.op === 'want') {
          context.want();
          return void socket.end();
        }
        claim = takeSpare(context, request.imageId, request.container);
        if (!claim) {
          send(socket, { ok: false, reason: 'no idle spare for this image' });
          return void socket.end();
        }
        const { set } = claim.spare;
        claim.spare.sink = (event) => send(socket, { event });
        send(socket, { ok: true, session: claim.spare.session, env: set?.env ?? [], timings: { ...(set?.timings ?? {}) } });
        context.debug(`spare ${claim.spare.session} claimed for ${request.container}`);
      } else if (line === DONE_LINE && claim && !done) {
        done = true;
        void context.removeSpare(claim.spare, 'session ended').finally(() => socket.end());
      }
    }
    if (text.length > MAX_LINE) socket.destroy();
  });
  socket.on('close', () => {
    if (!claim || done) return;
    const { spare, container } = claim;
    context.debug(`launcher of ${container} gone: removing it and spare ${spare.session}`);
    // The server first: it must not outlive the set it was confined by.
    void context.engine
      .remove(container, { force: true })
      .catch(() => undefined)
      .then(() => context.removeSpare(spare, 'launcher gone'));
  });
}

/** The first idle, ready spare made from this image; spares of another image are removed. */
function takeSpare(context: SpareKeeper, imageId: string, container: string): { spare: Spare; container: string } | undefined {
  for (const spare of [...context.spares]) {
    if (spare.claimed || spare.ended || !spare.set || spare.expires <= context.now()) continue;
    if (spare.imageId !== imageId) {
      void context.removeSpare(spare, 'made from another egress image');
      continue;
    }
    spare.claimed = true;
    return { spare, container };
  }
  return undefined;
}

export { ownerOnlyDir } from '../fs/owner-socket.js';

/**
 * The keeper's pid lock: created exclusively; one whose holder is gone (or is not a keeper: a
 * reused pid) is taken over. Unlike warm-lock.ts's, a live holder is not woken.
 */
export function takeKeeperLock(file: string): boolean {
  return takePidLock(file, keeperAlive);
}

function keeperAlive(file: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(SPARE_FLAG);
  } catch {
    return true;
  }
}

export function releaseKeeperLock(file: string): void {
  try {
    if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
  } catch {
    // gone already
  }
}
