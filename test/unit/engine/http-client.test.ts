/**
 * HttpEngineClient against a real node:http server on a unix socket in a temp directory: the
 * Engine API behaviours the launcher depends on, without an engine.
 */
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { EngineApiError, EngineConnectionError } from '../../../src/engine/client.js';
import { HttpEngineClient } from '../../../src/engine/http-client.js';
import { frame } from '../run/fake-engine.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  client: HttpEngineClient;
  requests: string[];
  routes: Map<string, Handler>;
  onUpgrade?: (req: http.IncomingMessage, socket: Duplex) => void;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-http-')), 'engine.sock');
  const state: TestServer = { requests: [], routes: new Map(), client: undefined as unknown as HttpEngineClient, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    state.requests.push(`${req.method} ${req.url}`);
    const handler = state.routes.get(route);
    if (handler) handler(req, res);
    else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `no route ${route}` }));
    }
  });
  server.on('upgrade', (req, socket) => {
    state.requests.push(`${req.method} ${req.url} upgrade`);
    state.onUpgrade?.(req, socket);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  state.client = new HttpEngineClient({ kind: 'unix', socketPath, source: 'test' });
  state.close = async () => {
    state.client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

const json = (status: number, body: unknown): Handler => (_req, res) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(async () => {
  await t.close();
});

describe('HttpEngineClient on a unix socket', () => {
  test('attach upgrades; end() reaches the server as EOF while the server can still write', async () => {
    const serverSaw: string[] = [];
    t.onUpgrade = (_req, socket) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      socket.write(frame(1, 'hello\n'));
      socket.on('data', (chunk: Buffer) => serverSaw.push(chunk.toString()));
      socket.on('end', () => {
        serverSaw.push('<EOF>');
        // The server answers after its stdin closed: those bytes must still arrive.
        socket.end(frame(1, 'after eof\n'));
      });
    };
    const stream = await t.client.attach('abc');
    expect(t.requests).toEqual(['POST /containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1 upgrade']);
    const received: Buffer[] = [];
    const done = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    stream.write('ping');
    stream.end();
    await done;
    expect(serverSaw).toEqual(['ping', '<EOF>']);
    expect(Buffer.concat(received)).toEqual(Buffer.concat([frame(1, 'hello\n'), frame(1, 'after eof\n')]));
  });

  test('attach answered without an upgrade rejects with the engine message', async () => {
    t.onUpgrade = (_req, socket) => {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 34\r\n\r\n{"message":"No such container: x"}');
    };
    await expect(t.client.attach('x')).rejects.toMatchObject({ statusCode: 404, message: 'No such container: x' });
  });

  test('wait resolves once registered (headers), before the body; the body is the result', async () => {
    let finish: ((code: number) => void) | undefined;
    t.routes.set('POST /containers/abc/wait', (req, res) => {
      expect(req.url).toBe('/containers/abc/wait?condition=next-exit');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      finish = (code) => res.end(JSON.stringify({ StatusCode: code, Error: null }));
    });
    const handle = await t.client.wait('abc', 'next-exit');
    // Registered, and the container has not exited yet.
    expect(finish).toBeDefined();
    let settled = false;
    void handle.result.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    finish?.(3);
    await expect(handle.result).resolves.toEqual({ StatusCode: 3, Error: null });
  });

  test('wait on a missing container rejects the registration', async () => {
    await expect(t.client.wait('nope', 'next-exit')).rejects.toBeInstanceOf(EngineApiError);
  });

  test('pull: progress lines resolve; an error line inside the 200 stream rejects with its message', async () => {
    const lines = (...events: object[]): Handler => (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      for (const event of events) res.write(`${JSON.stringify(event)}\r\n`);
      res.end();
    };
    t.routes.set('POST /images/create', lines({ status: 'Pulling from library/x' }, { status: 'Downloading', progressDetail: { current: 1, total: 2 } }, { status: 'Status: Downloaded newer image for x:1' }));
    await expect(t.client.pullImage('x:1')).resolves.toBeUndefined();
    expect(t.requests.pop()).toBe('POST /images/create?fromImage=x&tag=1');
    t.routes.set('POST /images/create', lines({ status: 'Pulling from library/x' }, { errorDetail: { message: 'manifest for x:1 not found' }, error: 'manifest for x:1 not found' }));
    await expect(t.client.pullImage('x:1')).rejects.toMatchObject({ message: 'manifest for x:1 not found' });
  });

  test.each([
    [304, 'resolves'],
    [404, 'resolves'],
    [500, 'rejects'],
  ] as const)('stop answered %i %s', async (status, outcome) => {
    t.routes.set('POST /containers/abc/stop', (req, res) => {
      expect(req.url).toBe('/containers/abc/stop?t=2');
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 304 ? undefined : JSON.stringify({ message: `stop ${status}` }));
    });
    const call = t.client.stop('abc', 2);
    if (outcome === 'resolves') await expect(call).resolves.toBeUndefined();
    else await expect(call).rejects.toMatchObject({ statusCode: 500, message: 'stop 500' });
  });

  test.each([
    [404, 'No such container: abc', 'resolves'],
    [409, 'removal of container abc is already in progress', 'resolves'],
    [409, 'You cannot remove a running container', 'rejects'],
  ] as const)('remove answered %i (%s) %s', async (status, message, outcome) => {
    t.routes.set('DELETE /containers/abc', (req, res) => {
      expect(req.url).toBe('/containers/abc?force=1&v=1');
      json(status, { message })(req, res);
    });
    const call = t.client.remove('abc', { force: true });
    if (outcome === 'resolves') await expect(call).resolves.toBeUndefined();
    else await expect(call).rejects.toMatchObject({ statusCode: status, message });
  });

  test('kill of a container that is not running (409) resolves', async () => {
    t.routes.set('POST /containers/abc/kill', json(409, { message: 'Container abc is not running' }));
    await expect(t.client.kill('abc')).resolves.toBeUndefined();
  });

  test('events: since/until and filters in the query, one record per line', async () => {
    t.routes.set('GET /events', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ Type: 'container', Action: 'oom', Actor: { ID: 'abc' }, time: 100 })}\n`);
      res.end(`${JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'abc' }, time: 100 })}\n`);
    });
    const events = await t.client.events({ container: ['abc'], event: ['oom', 'die'] }, 99.5, 101);
    expect(events.map((e) => e.Action)).toEqual(['oom', 'die']);
    const url = new URL(`http://x${t.requests.pop()?.split(' ')[1]}`);
    expect(url.searchParams.get('since')).toBe('99.500');
    expect(url.searchParams.get('until')).toBe('101.000');
    expect(JSON.parse(url.searchParams.get('filters') ?? '')).toEqual({ container: ['abc'], event: ['oom', 'die'] });
  });

  test('create sends the body and the name; an API error carries status and message', async () => {
    t.routes.set('POST /containers/create', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => json(201, { Id: 'new-id', Warnings: [`got ${JSON.parse(body).Image} as ${req.url}`] })(req, res));
    });
    await expect(t.client.createContainer({ Image: 'img:1' } as never, 'n1')).resolves.toEqual({ id: 'new-id', warnings: ['got img:1 as /containers/create?name=n1'] });
    await expect(t.client.inspectContainer('gone')).rejects.toMatchObject({ statusCode: 404, message: 'no route GET /containers/gone/json' });
    await expect(t.client.inspectImage('gone:1')).resolves.toBeUndefined();
  });
});

describe('HttpEngineClient without an engine', () => {
  test('a socket that does not exist is an EngineConnectionError naming it', async () => {
    const client = new HttpEngineClient({ kind: 'unix', socketPath: path.join(tmpdir(), 'mcp-sandbox-no-such.sock'), source: 'test' });
    const error = await client.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineConnectionError);
    expect(error).toMatchObject({ message: 'ENOENT', endpoint: expect.stringContaining('mcp-sandbox-no-such.sock') });
    client.close();
  });

  test('connection refused is an EngineConnectionError (ECONNREFUSED)', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new HttpEngineClient({ kind: 'tcp', host: '127.0.0.1', port, source: 'test' });
    await expect(client.version()).rejects.toMatchObject({ name: 'EngineConnectionError', message: 'ECONNREFUSED' });
    await expect(client.attach('x')).rejects.toBeInstanceOf(EngineConnectionError);
    await expect(client.wait('x', 'next-exit')).rejects.toBeInstanceOf(EngineConnectionError);
    client.close();
  });
});
