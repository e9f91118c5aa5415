/**
 * The shim ↔ broker frames (src/run/warm-frames.ts), the broker's side of a connection
 * (src/run/warm-broker.ts) with a stand-in for `run`, and the native shim itself
 * (dist/native/mcp-sandbox, src/run/warm-shim.c) against that broker: no engine involved.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RUN_NODE_FLAGS } from '../../../src/clients/launcher.js';
import { brokerSocketPath, listenBroker, type BrokerRequest, type BrokerRun, type BrokerServer } from '../../../src/run/warm-broker.js';
import { decodeHeader, encodeFrame, encodeHeader, FRAME, FrameReader, HEADER_MAGIC, type Frame } from '../../../src/run/warm-frames.js';

describe('frames', () => {
  test('a frame split anywhere reads back whole, several per chunk too', () => {
    const bytes = Buffer.concat([encodeFrame(FRAME.stdout, Buffer.from('hello')), encodeFrame(FRAME.warm), encodeFrame(FRAME.exit, Buffer.from([7]))]);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const reader = new FrameReader();
      const frames = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      expect(frames.map((f) => [String.fromCharCode(f.type), f.payload.toString('latin1')])).toEqual([
        ['O', 'hello'],
        ['W', ''],
        ['X', '\u0007'],
      ]);
    }
  });

  test('a frame above the limit is refused before it is buffered', () => {
    const reader = new FrameReader(16);
    expect(() => reader.push(encodeFrame(FRAME.input, Buffer.alloc(17)))).toThrow(/17 bytes/);
  });

  test('the header round-trips; the environment is a null-prototype object; the first of duplicate names wins', () => {
    const payload = Buffer.concat([encodeHeader({ args: ['run', '-v', 'a b.yaml', ''], cwd: '/work', env: { A: '1', EMPTY: '', WITH_EQ: 'x=y' } }), Buffer.from('A=2\0NOEQUALS\0')]);
    const header = decodeHeader(payload);
    expect(header?.args).toEqual(['run', '-v', 'a b.yaml', '']);
    expect(header?.cwd).toBe('/work');
    expect(Object.getPrototypeOf(header?.env)).toBeNull();
    expect({ ...header?.env }).toEqual({ A: '1', EMPTY: '', WITH_EQ: 'x=y' });
  });

  test.each([
    ['another magic', Buffer.from('mcp-sandbox-shim 9\0/w\x000\0')],
    ['a relative cwd', Buffer.from(`${HEADER_MAGIC}\0w\x000\0`)],
    ['more arguments announced than sent', Buffer.from(`${HEADER_MAGIC}\0/w\x003\0run\0`)],
    ['no final NUL', Buffer.from(`${HEADER_MAGIC}\0/w\x000`)],
    ['a count that is not a number', Buffer.from(`${HEADER_MAGIC}\0/w\0x\0`)],
  ])('a malformed header is refused: %s', (_what, payload) => {
    expect(decodeHeader(payload)).toBeUndefined();
  });
});

/** A temp dir standing in for TMPDIR, with the broker socket in it. */
function brokerDir(): { dir: string; socket: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hws-'));
  return { dir, socket: brokerSocketPath(dir) as string };
}

async function withBroker(run: BrokerRun, body: (socket: string, server: BrokerServer, dir: string) => Promise<void>): Promise<void> {
  const { dir, socket } = brokerDir();
  let idle = 0;
  const server = await listenBroker(socket, { endpoint: 'unix:///fake.sock', load: async () => run, onIdle: () => (idle += 1) });
  expect(server).toBeDefined();
  try {
    await body(socket, server as BrokerServer, dir);
    // Every connection accounted for.
    for (let i = 0; i < 100 && (server as BrokerServer).active > 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect((server as BrokerServer).active).toBe(0);
    expect(idle).toBeGreaterThan(0);
  } finally {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A raw client: sends the header, collects frames until the broker closes. */
function rawClient(socketPath: string, args: string[]): { socket: Socket; frames: Frame[]; closed: Promise<void> } {
  const socket = createConnection(socketPath);
  const reader = new FrameReader();
  const frames: Frame[] = [];
  socket.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(encodeFrame(FRAME.header, encodeHeader({ args, cwd: '/', env: { SECRET: 's3' } })));
  return { socket, frames, closed };
}

const types = (frames: Frame[]): string => frames.map((f) => String.fromCharCode(f.type)).join('');

describe('the broker', () => {
  test('a claimed session: W, then what `run` wrote (held stderr first), then the exit code; input and EOF reach `run`', async () => {
    let request: BrokerRequest | undefined;
    const run: BrokerRun = async (r) => {
      request = r;
      r.io.stderr.write('before the claim\n');
      r.accept();
      r.io.stdout.write('answer');
      let input = '';
      r.io.stdin.on('data', (c: Buffer) => (input += c.toString()));
      await new Promise((resolve) => r.io.stdin.on('end', resolve));
      r.io.stdout.write(`got ${input}`);
      return 3;
    };
    await withBroker(run, async (socket) => {
      const client = rawClient(socket, ['run', 'p.yaml']);
      await new Promise((r) => setTimeout(r, 50));
      client.socket.write(Buffer.concat([encodeFrame(FRAME.input, Buffer.from('ping')), encodeFrame(FRAME.inputEnd)]));
      await client.closed;
      expect(types(client.frames)).toBe('WROOX');
      expect(client.frames.map((f) => f.payload.toString())).toEqual(['', 'before the claim\n', 'answer', 'got ping', '\u0003']);
      expect(request?.args).toEqual(['run', 'p.yaml']);
      expect(request?.env.SECRET).toBe('s3');
      expect(request?.endpoint).toBe('unix:///fake.sock');
    });
  });

  test('nothing claimed: C alone, and what `run` wrote before is dropped', async () => {
    const run: BrokerRun = async (r) => {
      r.io.stderr.write('no warm sandbox: cold start\n');
      return undefined;
    };
    await withBroker(run, async (socket) => {
      const client = rawClient(socket, ['run', 'p.yaml']);
      await client.closed;
      expect(types(client.frames)).toBe('C');
    });
  });

  test('a signal frame reaches the session; a shim gone mid-session is a hang-up and its stdin ends', async () => {
    const seen: string[] = [];
    const run: BrokerRun = async (r) => {
      r.accept();
      r.io.onSignal((signal) => seen.push(signal));
      r.io.stdin.resume();
      await new Promise((resolve) => r.io.stdin.on('end', resolve));
      seen.push('eof');
      return 0;
    };
    await withBroker(run, async (socket) => {
      const client = rawClient(socket, ['run', 'p.yaml']);
      await new Promise((r) => setTimeout(r, 50));
      client.socket.write(encodeFrame(FRAME.signal, Buffer.from([15])));
      await new Promise((r) => setTimeout(r, 50));
      client.socket.destroy();
      for (let i = 0; i < 100 && !seen.includes('eof'); i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(['SIGTERM', 'SIGHUP', 'eof']);
    });
  });

  test('a malformed header closes the connection without running anything', async () => {
    let ran = false;
    await withBroker(async () => ((ran = true), 0), async (socket) => {
      const conn = createConnection(socket);
      const closed = new Promise((resolve) => conn.on('close', resolve));
      conn.write(encodeFrame(FRAME.header, Buffer.from('nonsense\0')));
      await closed;
    });
    expect(ran).toBe(false);
  });

  test('a socket directory others can enter is not listened in', async () => {
    const { dir, socket } = brokerDir();
    mkdirSync(path.dirname(socket), { mode: 0o700 });
    chmodSync(path.dirname(socket), 0o755);
    expect(await listenBroker(socket, { endpoint: 'x', load: async () => async () => 0, onIdle: () => undefined })).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});

const SHIM = path.resolve('dist/native/mcp-sandbox');
const shimBuilt = existsSync(SHIM);
if (!shimBuilt && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error('dist/native/mcp-sandbox missing (npm run build with a C compiler)');

/** Runs the shim with TMPDIR = dir; resolves with its exit code and output. */
function runShim(dir: string, args: string[], input: string, options: { signal?: NodeJS.Signals; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(SHIM, args, { env: { PATH: process.env.PATH ?? '', TMPDIR: dir, MCP_SANDBOX_LAUNCHER: 'node', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.signal) {
      child.stdout.once('data', () => child.kill(options.signal));
      child.stdin.write(input);
    } else child.stdin.end(input);
  });
}

(shimBuilt ? describe : describe.skip)('the native shim against the broker', () => {
  test('relays a session: stdin to `run`, its stdout and stderr back, its exit code; env in the header, not argv', async () => {
    let request: BrokerRequest | undefined;
    const run: BrokerRun = async (r) => {
      request = r;
      r.accept();
      r.io.stderr.write('diag\n');
      const chunks: Buffer[] = [];
      r.io.stdin.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => r.io.stdin.on('end', resolve));
      // 1 MB and more back, in one write: the shim's frame parser across reads.
      r.io.stdout.write(Buffer.concat([Buffer.from('echo:'), ...chunks]));
      return 42;
    };
    await withBroker(run, async (_socket, _server, dir) => {
      const big = 'y'.repeat(1024 * 1024 + 3);
      const result = await runShim(dir, ['run', 'x.yaml'], big, { env: { HWS_SECRET: 'v' } });
      expect(result.code).toBe(42);
      expect(result.stderr).toBe('diag\n');
      expect(result.stdout.length).toBe(5 + big.length);
      expect(result.stdout.startsWith('echo:yyy')).toBe(true);
      expect(request?.args).toEqual(['run', 'x.yaml']);
      expect(request?.env.HWS_SECRET).toBe('v');
      expect(request?.cwd).toBe(process.cwd());
    });
  });

  test('forwards SIGTERM as a frame and exits with what the session returns', async () => {
    const run: BrokerRun = async (r) => {
      r.accept();
      r.io.stdout.write('ready\n');
      const signal = await new Promise<string>((resolve) => r.io.onSignal(resolve));
      return signal === 'SIGTERM' ? 143 : 1;
    };
    await withBroker(run, async (_socket, _server, dir) => {
      const result = await runShim(dir, ['run', 'x.yaml'], '', { signal: 'SIGTERM' });
      expect(result.stdout).toBe('ready\n');
      expect(result.code).toBe(143);
    });
  });

  test('a cold answer execs the node launcher with the same arguments and untouched stdin', async () => {
    await withBroker(async () => undefined, async (_socket, _server, dir) => {
      const result = await runShim(dir, ['run', '--dry-run', path.resolve('test/fixtures/desktop/everything-test.yaml')], '');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).create.Image).toBeDefined();
    });
  });

  test('a cold start of `run` gives node the run flags (RUN_NODE_FLAGS), other commands none', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hws-flags-'));
    try {
      // A copy of the shim whose "node" prints its arguments, one per line.
      const node = path.join(dir, 'node-args');
      writeFileSync(node, '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
      const shim = path.join(dir, 'shim');
      execFileSync(process.env.CC || 'cc', ['-O2', '-o', shim, path.resolve('src/run/warm-shim.c'), `-DMCP_SANDBOX_NODE=${JSON.stringify(node)}`]);
      const argsOf = (args: string[]): string[] => execFileSync(shim, args, { env: { PATH: process.env.PATH ?? '', TMPDIR: dir }, encoding: 'utf8' }).trimEnd().split('\n');
      const run = argsOf(['run', 'x.yaml']);
      expect(run.slice(0, RUN_NODE_FLAGS.length)).toEqual([...RUN_NODE_FLAGS]);
      expect(run.slice(RUN_NODE_FLAGS.length)).toEqual([expect.stringMatching(/\/bin\/mcp-sandbox\.js$/), 'run', 'x.yaml']);
      expect(argsOf(['--version'])).toEqual([expect.stringMatching(/\/bin\/mcp-sandbox\.js$/), '--version']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no broker (no socket directory): the node launcher, at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hws-none-'));
    const result = await runShim(dir, ['--version'], '');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    rmSync(dir, { recursive: true, force: true });
  });
});
