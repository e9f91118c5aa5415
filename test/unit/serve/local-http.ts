/** A node:http server on loopback for one test, GETs (one that records when its parts came, one that leaves), and a count of socket writes. */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const servers: Server[] = [];

/** Closes the servers serveWith started (call in afterEach). */
export async function closeServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function serveWith(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp?x=1`;
}

/** The response's arrival (headers) and its body, with when each came. */
export function get(url: string, headers: Record<string, string> = {}): Promise<{ headersAt: number; endAt: number; body: string; res: IncomingMessage }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const headersAt = Date.now() - start;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ headersAt, endAt: Date.now() - start, body, res }));
    })
      .on('error', reject)
      .end();
  });
}

/** A GET whose client goes away as soon as the response's headers come. */
export function getAndLeave(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(url, (res) => {
      res.destroy();
      req.destroy();
      resolve();
    }).on('error', reject);
    req.end();
  });
}

/** Counts what the socket hands the OS: one _write or _writev per write system call. */
export function countWrites(res: ServerResponse): { writes: number } {
  const count = { writes: 0 };
  const socket = res.socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  for (const key of ['_write', '_writev'] as const) {
    const original = socket[key].bind(socket);
    socket[key] = (...args: unknown[]): void => {
      count.writes += 1;
      original(...args);
    };
  }
  return count;
}
