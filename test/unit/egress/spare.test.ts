import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllow } from '../../../src/egress/allow.js';
import type { NetworkEngineClient } from '../../../src/engine/client.js';
import type { EgressEvent } from '../../../src/egress/events.js';
import { claimSpare, requestSpare } from '../../../src/egress/spare-client.js';
import { startKeeper, takeKeeperLock, type Keeper } from '../../../src/egress/spare-keeper.js';
import { parseSpareReply, parseSpareRequest, sparePaths, spareHash, spareRecipe } from '../../../src/egress/spare.js';
import type { EgressSession } from '../../../src/egress/start.js';

const entries = (allow: string[]) => parseAllow(allow).entries;
const IMAGE = `sha256:${'a'.repeat(64)}`;
const ENDPOINT = { kind: 'unix' as const, socketPath: '/var/run/docker.sock', source: 'default' as const };

describe('spareHash', () => {
  const base = spareHash(spareRecipe(entries(['api.example.com:443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'up' }));
  test('the same allowlist and user config give the same hash, whatever the host order', () => {
    const hosts = new Map([
      ['b.test', '10.0.0.2'],
      ['a.test', '10.0.0.1'],
    ]);
    const reversed = new Map([...hosts].reverse());
    expect(spareHash(spareRecipe(entries(['x.test:443']), hosts))).toBe(spareHash(spareRecipe(entries(['x.test:443']), reversed)));
    expect(spareHash(spareRecipe(entries(['api.example.com:443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'up' }))).toBe(base);
  });
  test('every input that goes into the set changes it', () => {
    const others = [
      spareRecipe(entries(['api.example.com:443', 'other.test:443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'up' }),
      spareRecipe(entries(['api.example.com:8443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'up' }),
      spareRecipe(entries(['api.example.com:443']), new Map([['api.example.com', '10.0.0.6']]), { upstreamNetwork: 'up' }),
      spareRecipe(entries(['api.example.com:443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'other' }),
      spareRecipe(entries(['api.example.com:443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'up', proxyRuntime: 'runc' }),
      spareRecipe(entries(['api.example.com:443']), new Map([['api.example.com', '10.0.0.5']]), { upstreamNetwork: 'up', image: 'mcp-sandbox/egress:other' }),
    ];
    const hashes = new Set([base, ...others.map(spareHash)]);
    expect(hashes.size).toBe(others.length + 1);
  });
  test('each recipe has its own socket, per engine too', () => {
    const a = sparePaths(ENDPOINT, 'a'.repeat(64), '/tmp');
    expect(a?.socket).toMatch(/^\/tmp\/mcp-sandbox-\d+-egress-spare-[0-9a-f]{16}\.d\/s\.sock$/);
    expect(sparePaths(ENDPOINT, 'b'.repeat(64), '/tmp')?.socket).not.toBe(a?.socket);
    expect(sparePaths({ ...ENDPOINT, socketPath: '/other.sock' }, 'a'.repeat(64), '/tmp')?.socket).not.toBe(a?.socket);
    expect(sparePaths(ENDPOINT, 'a'.repeat(64), `/${'d'.repeat(120)}`)).toBeUndefined();
  });
});

describe('spare protocol lines', () => {
  test('requests: a claim names a container and an image id; anything else is refused', () => {
    expect(parseSpareRequest(JSON.stringify({ op: 'claim', container: 'mcp-sandbox-x-1', imageId: IMAGE }))).toEqual({ op: 'claim', container: 'mcp-sandbox-x-1', imageId: IMAGE });
    expect(parseSpareRequest('{"op":"want"}')).toEqual({ op: 'want' });
    for (const bad of ['', 'nope', JSON.stringify({ op: 'claim', container: 'postgres', imageId: IMAGE }), '{"op":"claim","container":"../x","imageId":"sha256:00"}', JSON.stringify({ op: 'claim', container: 'a b', imageId: IMAGE }), '{"op":"claim","container":"x"}', '{"op":"remove"}']) {
      expect(parseSpareRequest(bad)).toBeUndefined();
    }
  });
  test('replies', () => {
    expect(parseSpareReply('{"ok":true,"session":"spare-1","env":[],"timings":{"total":5}}')).toEqual({ ok: true, session: 'spare-1', env: [], timings: { total: 5 } });
    expect(parseSpareReply('{"ok":false,"reason":"none"}')).toEqual({ ok: false, reason: 'none' });
    expect(parseSpareReply('{"ok":true,"session":"a/b","env":[]}')).toBeUndefined();
    expect(parseSpareReply('{"event":{"kind":"dns-refused","name":"x","time":1}}')).toEqual({ event: { kind: 'dns-refused', name: 'x', time: 1 } });
  });
});

/** A keeper whose sets are fakes: `start` resolves at once (or when released), `stop` is recorded. */
function fakeKeeper(dir: string, options: { idleSeconds?: number; imageId?: string; hold?: boolean } = {}) {
  const paths = sparePaths(ENDPOINT, 'f'.repeat(64), dir)!;
  const stopped: string[] = [];
  const removed: string[] = [];
  const sinks = new Map<string, (event: EgressEvent) => void>();
  const engine = { remove: async (id: string) => void removed.push(id) } as unknown as NetworkEngineClient;
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const start = async (session: string, sink: (event: EgressEvent) => void): Promise<EgressSession> => {
    sinks.set(session, sink);
    if (options.hold) await held;
    return { networkMode: `container:${session}`, env: [], networkId: 'n', holderId: 'h', proxyId: 'p', proxyAddress: '198.19.0.2', timings: { network: 1, holderCreated: 1, holderStarted: 2, firewall: 2, dns: 3, proxy: 4, total: 5 }, stop: async () => void stopped.push(session) };
  };
  return { paths, stopped, removed, sinks, release, keeper: startKeeper({ paths, hash: 'f'.repeat(64), idleSeconds: options.idleSeconds ?? 60, engine, start, imageId: async () => options.imageId ?? IMAGE }) };
}

/** claimSpare against the keeper in `dir`. */
function claimAt(dir: string, container: string, imageId = IMAGE) {
  return claimSpare({ endpoint: ENDPOINT, hash: 'f'.repeat(64), imageId: Promise.resolve(imageId), container, dir, debug: () => undefined });
}

/** A keeper at the path claimSpare derives for TMPDIR=dir. */
const keeperFor = fakeKeeper;

const settle = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the spare keeper', () => {
  let keeper: Keeper | undefined;
  afterEach(async () => {
    await keeper?.shutdown();
    keeper = undefined;
  });

  test('of two claims at once exactly one wins; the winner gets the events; done removes the set', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spare-'));
    const fake = keeperFor(dir);
    const started = fake.keeper;
    keeper = await started;
    await settle();
    const [a, b] = await Promise.all([claimAt(dir, 'mcp-sandbox-server-a'), claimAt(dir, 'mcp-sandbox-server-b')]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const won = (a ?? b)!;
    const events: EgressEvent[] = [];
    won.onEvent((e) => events.push(e));
    fake.sinks.get(won.session)?.({ kind: 'dns-refused', name: 'x.test', time: 1 });
    await settle();
    expect(events).toEqual([{ kind: 'dns-refused', name: 'x.test', time: 1 }]);
    await won.release();
    expect(fake.stopped).toEqual([won.session]);
    expect(fake.removed).toEqual([]);
  });

  test('a claimer that goes away without done has its server and the set removed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spare-'));
    const fake = keeperFor(dir);
    keeper = await fake.keeper;
    await settle();
    const { connect } = await import('node:net');
    const socket = connect(fake.paths.socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`${JSON.stringify({ op: 'claim', container: 'mcp-sandbox-server-gone', imageId: IMAGE })}\n`);
    const reply = await new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(chunk.toString())));
    expect(JSON.parse(reply)).toMatchObject({ ok: true });
    socket.destroy();
    for (let i = 0; i < 50 && fake.stopped.length === 0; i += 1) await settle();
    expect(fake.removed).toEqual(['mcp-sandbox-server-gone']);
    expect(fake.stopped).toHaveLength(1);
  });

  test('a spare still being made, or made from another image, is not handed out', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spare-'));
    const fake = keeperFor(dir, { hold: true });
    keeper = await fake.keeper;
    expect(await claimAt(dir, 'mcp-sandbox-server-early')).toBeUndefined();
    fake.release();
    await settle();
    expect(await claimAt(dir, 'mcp-sandbox-server-other', `sha256:${'b'.repeat(64)}`)).toBeUndefined();
    await settle();
    // The spare of the other image was removed.
    expect(fake.stopped).toHaveLength(1);
  });

  test('an unclaimed spare goes after the idle timeout, and the keeper leaves', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spare-'));
    const fake = keeperFor(dir, { idleSeconds: 0.1 });
    const k = await fake.keeper;
    await k?.closed;
    expect(fake.stopped).toHaveLength(1);
    expect(await claimAt(dir, 'mcp-sandbox-server-late')).toBeUndefined();
  });

  test('want makes one spare when none is idle; a lock whose holder is not a keeper is taken over', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spare-'));
    const fake = keeperFor(dir);
    keeper = await fake.keeper;
    await settle();
    expect(keeper?.spares).toHaveLength(1);
    const won = await claimAt(dir, 'mcp-sandbox-server-1');
    expect(won).toBeDefined();
    await requestSpare({ endpoint: ENDPOINT, recipe: spareRecipe([], new Map()), hash: 'f'.repeat(64), idleSeconds: 60, dir, debug: () => undefined, script: '/nonexistent' });
    await settle(50);
    expect(keeper?.spares.map((s) => s.claimed)).toEqual([true, false]);
    await won?.release();
    // The lock names a live keeper (this process counts as not one: a stale lock is taken over).
    writeFileSync(path.join(dir, 'other.pid'), String(process.ppid));
    expect(takeKeeperLock(path.join(dir, 'other.pid'))).toBe(true);
  });
});
