/**
 * A unix socket that only its owner can reach: listened on in a directory that is ours and no one
 * else's (mode 0700), socket mode 0600. The warm guard, the warm-start broker and the egress spare
 * keeper are told secrets and trusted by launchers through such sockets, so a directory another
 * user could have made or widened is refused rather than used.
 */
import { chmodSync, lstatSync, mkdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';

/** The directory is ours and no one else's: only then may a launcher trust who listens in it. */
export function ownerOnlyDir(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : stat.uid;
    return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Listens on `socketPath` (the caller holds the lock, so a socket there is stale). Undefined when it cannot. */
export async function listenOwnerOnly(socketPath: string, onConnection?: (socket: Socket) => void): Promise<Server | undefined> {
  const dir = path.dirname(socketPath);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // there already; checked next
  }
  if (!ownerOnlyDir(dir)) return undefined;
  try {
    unlinkSync(socketPath);
  } catch {
    // none left behind
  }
  const server = createServer(onConnection);
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(socketPath, () => resolve(true));
  });
  if (!listening) return undefined;
  server.on('error', () => undefined);
  try {
    chmodSync(socketPath, 0o600);
  } catch {
    // the directory is owner-only all the same
  }
  return server;
}

/**
 * Stops listening and removes the socket and its directory (which holds nothing else), so a
 * process of ours that ends leaves neither in the temp directory. Call it while still holding
 * the lock that makes this process the only listener there, so that no successor's directory is
 * removed. `done`: called once the last connection has ended.
 */
export function closeOwnerOnly(server: Server, socketPath: string, done?: () => void): void {
  server.close(() => done?.());
  try {
    unlinkSync(socketPath);
  } catch {
    // node removed it on close already
  }
  try {
    rmdirSync(path.dirname(socketPath));
  } catch {
    // not empty or gone: left as it is
  }
}
