/** Warm start with the fake engine: the pool hash, the claim decision, the claim itself, expiry and the reaper. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareSandbox } from '../../../src/compile/prepare.js';
import type { ContainerInspect, ContainerSummary } from '../../../src/engine/client.js';
import { LABELS } from '../../../src/labels.js';
import { durationSeconds } from '../../../src/profile/normalize.js';
import { launchBody } from '../../../src/run/launch.js';
import { runSession } from '../../../src/run/session.js';
import { claimWarm, fillOrder, fillPool } from '../../../src/run/warm.js';
import { poolHash, pooledBody } from '../../../src/run/warm-hash.js';
import { reap } from '../../../src/run/warm-reaper.js';
import { refill, refillLockFile, stopRefillers } from '../../../src/run/warm-refill.js';
import { claimedName, decidePool, poolName, poolState } from '../../../src/sandboxes/pool.js';
import { collectOrphans, describeSandbox } from '../../../src/sandboxes/sandboxes.js';
import { FakeContainer, FakeEngine } from './fake-engine.js';
import { setup } from './session-harness.js';

const { spec } = prepareSandbox(path.resolve('test/fixtures/run/secret.yaml'));
const KEY = Buffer.alloc(32, 7);
const body = (secret = 's3cret', runtime = 'runsc') => launchBody(spec, runtime, { MCP_SANDBOX_TEST_TOKEN: secret });
const hashOf = (b = body(), more: { imageId?: string; key?: Buffer; secret?: string; runtime?: string } = {}) =>
  poolHash({ body: b, secretNames: spec.secrets, secretValues: { MCP_SANDBOX_TEST_TOKEN: more.secret ?? 's3cret' }, imageId: more.imageId ?? 'sha256:aa', runtime: more.runtime ?? 'runsc' }, more.key ?? KEY);

describe('pool hash', () => {
  test('equal inputs give the same hash whatever the launcher; every input changes it', () => {
    const base = hashOf();
    const other = { ...body(), Labels: { ...body().Labels, [LABELS.launcherPid]: '424242', [LABELS.launcherHost]: 'elsewhere' } };
    expect(hashOf(other)).toBe(base);
    expect(hashOf(pooledBody(body(), 'x', 1))).toBe(base);
    expect(hashOf(body('other'), { secret: 'other' })).not.toBe(base);
    expect(hashOf(body(), { imageId: 'sha256:bb' })).not.toBe(base);
    expect(hashOf(body('s3cret', 'runc'), { runtime: 'runc' })).not.toBe(base);
    expect(hashOf({ ...body(), Env: [...body().Env, 'EDITED=1'] })).not.toBe(base);
    expect(hashOf({ ...body(), HostConfig: { ...body().HostConfig, Memory: 1 } })).not.toBe(base);
    expect(hashOf(body(), { key: Buffer.alloc(32, 8) })).not.toBe(base);
  });

  test('the hash and the pooled labels carry no secret value', () => {
    const pooled = pooledBody(body(), hashOf(), 1000);
    expect(JSON.stringify(pooled.Labels)).not.toContain('s3cret');
    expect(pooled.Labels[LABELS.pool]).toBe('idle');
    expect(pooled.Labels[LABELS.launcherPid]).toBeUndefined();
    expect(pooled.Labels[LABELS.poolExpires]).toBe('1000');
    expect(pooled.HostConfig.AutoRemove).toBe(true);
  });

  test('durations', () => {
    expect([durationSeconds('30m'), durationSeconds('2h'), durationSeconds('45s'), durationSeconds(90)]).toEqual([1800, 7200, 45, 90]);
  });
});

const NOW = 1_800_000_000_000;
function member(over: { name?: string; state?: string; hash?: string; expires?: number; created?: number; id?: string } = {}): ContainerSummary {
  return {
    Id: over.id ?? Math.random().toString(16).slice(2),
    Names: [`/${over.name ?? poolName('test-secret')}`],
    Image: 'x',
    Labels: { [LABELS.profile]: 'test-secret', [LABELS.pool]: 'idle', [LABELS.poolHash]: over.hash ?? 'H', [LABELS.poolExpires]: String(over.expires ?? NOW / 1000 + 60) },
    State: over.state ?? 'running',
    Status: '',
    Created: over.created ?? NOW / 1000 - 10,
  };
}

describe('claim decision', () => {
  test('names: one claimed name per member; claimed and foreign names are not idle', () => {
    const name = poolName('test-secret');
    expect(name).toMatch(/^mcp-sandbox-test-secret-pool-[0-9a-f]{12}$/);
    expect(claimedName(name)).toBe(name.replace('-pool-', '-claimed-'));
    expect(claimedName(claimedName(name) as string)).toBeUndefined();
    expect(claimedName('mcp-sandbox-test-secret-123-abcdef')).toBeUndefined();
  });

  test('exited, expired and other-hash members are stale; claimed and starting ones are left alone', () => {
    const good = member({ id: 'good' });
    const containers = [
      good,
      member({ id: 'exited', state: 'exited' }),
      member({ id: 'expired', expires: NOW / 1000 - 1 }),
      member({ id: 'other', hash: 'G' }),
      member({ id: 'claimed', name: (claimedName(poolName('test-secret')) as string) }),
      member({ id: 'starting', state: 'created' }),
    ];
    const decision = decidePool(containers, 'H', NOW);
    expect(decision.candidates.map((c) => c.id)).toEqual(['good']);
    expect(Object.fromEntries(decision.stale.map((s) => [s.id, s.reason]))).toEqual({
      exited: 'it is exited',
      expired: 'its idle timeout passed',
      other: 'it was made from another profile, image, secret or runtime',
    });
    expect(decidePool([member({ id: 'old', state: 'created', created: NOW / 1000 - 600 })], 'H', NOW).stale.map((s) => s.id)).toEqual(['old']);
  });

  test('another user\'s pool (other owner part of the hash) is neither claimed nor removed', () => {
    const decision = decidePool([member({ id: 'theirs', hash: 'them.d1' }), member({ id: 'mine-old', hash: 'me.d0' }), member({ id: 'mine', hash: 'me.d1' })], 'me.d1', NOW);
    expect(decision.candidates.map((c) => c.id)).toEqual(['mine']);
    expect(decision.stale.map((s) => s.id)).toEqual(['mine-old']);
  });

  test('the hash starts with the key\'s owner part', () => {
    expect(hashOf().split('.')[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(hashOf(body(), { key: Buffer.alloc(32, 8) }).split('.')[0]).not.toBe(hashOf().split('.')[0]);
  });

  test('candidates start at a random offset so concurrent launchers spread over the pool', () => {
    const pool = ['a', 'b', 'c', 'd'].map((id) => member({ id }));
    expect(decidePool(pool, 'H', NOW, () => 0).candidates.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(decidePool(pool, 'H', NOW, () => 0.5).candidates.map((c) => c.id)).toEqual(['c', 'd', 'a', 'b']);
  });

  test('ps shows pool states; gc and the orphan sweep remove stale members only', async () => {
    const probe = { hostname: () => 'h', isAlive: () => true };
    expect(describeSandbox(member(), probe, NOW).pool).toBe('idle');
    expect(describeSandbox(member({ expires: 1 }), probe, NOW).pool).toBe('stale');
    expect(poolState({ ...member(), Labels: {} })).toBeUndefined();
    const engine = new FakeEngine({ containers: [member({ id: 'fresh', expires: Date.now() / 1000 + 60 }), member({ id: 'stale', expires: 1 })] });
    const removed = await collectOrphans(engine, { probe });
    expect(removed.map((r) => r.id)).toEqual(['stale']);
    expect(engine.removed).toEqual(['stale']);
  });
});

/** A fake engine with a pool: images present, members running until told otherwise. */
class PoolEngine extends FakeEngine {
  running = new Set<string>();
  override async inspectImage(): Promise<undefined> {
    return { Id: 'sha256:aa' } as never;
  }
  override async inspectContainer(id: string): Promise<ContainerInspect> {
    this.calls.push(`inspect ${id}`);
    const running = this.running.has(id);
    return { Id: id, Name: '/x', State: { Status: running ? 'running' : 'exited', Running: running, OOMKilled: false, ExitCode: 0 }, HostConfig: {}, Config: {} };
  }
  override async remove(id: string): Promise<void> {
    await super.remove(id);
    this.behaviour.containers = this.behaviour.containers?.filter((c) => c.Id !== id);
  }
  override async attach(): Promise<import('node:stream').Duplex> {
    this.calls.push('attach');
    this.container ??= new FakeContainer(this);
    return this.container.socket;
  }
}

describe('claim', () => {
  const env = { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'h9-warm-key-')) };
  // The key the claim uses is the per-user cache key; make it exist, as `warm` does.
  const keyed = async (engine: FakeEngine) => (await import('../../../src/run/warm.js')).warmHash({ engine, body: body(), secretNames: spec.secrets, secretValues: { MCP_SANDBOX_TEST_TOKEN: 's3cret' }, env }, true);
  const input = (engine: FakeEngine, debug: string[] = []) => ({ engine, body: body(), secretNames: spec.secrets, secretValues: { MCP_SANDBOX_TEST_TOKEN: 's3cret' }, env, profile: 'test-secret', debug: (m: string) => debug.push(m) });

  test('an empty pool costs one list call and means cold start', async () => {
    const engine = new PoolEngine();
    const debug: string[] = [];
    expect(await claimWarm(input(engine, debug))).toBeUndefined();
    expect(engine.calls).toEqual(['list']);
    expect(debug).toEqual(['no warm sandbox: cold start']);
  });

  test('renames to the member\'s claimed name, skips one another launcher won, attaches then waits then checks it runs', async () => {
    const probe = new PoolEngine();
    const hash = (await keyed(probe)) as string;
    const first = member({ id: 'first', hash });
    const second = member({ id: 'second', hash });
    const engine = new PoolEngine({ containers: [first, second] });
    engine.running.add('second');
    // Another launcher already holds first's claimed name.
    engine.names.set('other', claimedName(first.Names[0]!.slice(1)) as string);
    const claimed = await claimWarm(input(engine));
    expect(claimed).toMatchObject({ id: expect.stringMatching(/first|second/) });
    expect(claimed?.id).toBe('second');
    expect(claimed?.hash).toBe(hash);
    expect(engine.calls.slice(-3)).toEqual(['attach', 'wait', 'inspect second']);
  });

  test('a member that exited between the list and the wait is removed and never handed out', async () => {
    const hash = (await keyed(new PoolEngine())) as string;
    const engine = new PoolEngine({ containers: [member({ id: 'dead', hash })] });
    const debug: string[] = [];
    expect(await claimWarm(input(engine, debug))).toBeUndefined();
    expect(engine.removed).toEqual(['dead']);
    expect(debug).toContain('no matching warm sandbox: cold start');
  });

  test('stale members are removed and a hash mismatch starts cold', async () => {
    const owner = ((await keyed(new PoolEngine())) as string).split('.')[0];
    const engine = new PoolEngine({ containers: [member({ id: 'mismatch', hash: `${owner}.not-it` }), member({ id: 'other-user', hash: 'someone.else' })] });
    engine.running.add('other-user');
    engine.running.add('mismatch');
    expect(await claimWarm(input(engine))).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(engine.removed).toEqual(['mismatch']);
    expect(engine.calls.some((c) => c.startsWith('rename'))).toBe(false);
  });

  test('a claimed session skips create and start, carries stdio and removes the container at the end', async () => {
    const t = setup({ onStdin: (c, chunk) => c.print(1, `echo:${chunk.toString()}`), exitOnEof: 0 });
    t.engine.container = new FakeContainer(t.engine);
    t.engine.container.running = true;
    const waitHandle = await t.engine.wait();
    const done = runSession({ ...t.options, claimed: { id: 'pooled', socket: t.engine.container.socket, waitHandle } });
    t.stdin.write('hi');
    setTimeout(() => t.stdin.end(), 20);
    const result = await done;
    expect(result.exitCode).toBe(0);
    expect(t.stdout.text()).toBe('echo:hi');
    expect(t.engine.calls).not.toContain('create');
    expect(t.engine.calls).not.toContain('start');
    expect(t.engine.removed).toEqual(['pooled']);
  });
});

describe('fill and reaper', () => {
  test('fill creates and starts members with the pool labels and an expiry', async () => {
    const engine = new PoolEngine();
    const order = fillOrder('test-secret', body(), 'H', 60, 2, NOW);
    const { created, errors } = await fillPool(engine, order);
    expect(errors).toEqual([]);
    expect(created).toHaveLength(2);
    expect(engine.calls.filter((c) => c === 'create' || c === 'start')).toHaveLength(4);
    expect(engine.bodies[0]?.Labels[LABELS.poolExpires]).toBe(String(NOW / 1000 + 60));
    expect(engine.bodies[0]?.Labels[LABELS.poolHash]).toBe('H');
  });

  test('the reaper sleeps until the earliest expiry, removes stale members, and exits once none is idle', async () => {
    let now = NOW;
    const expiring = member({ id: 'a', expires: NOW / 1000 + 30 });
    const engine = new PoolEngine({ containers: [expiring, member({ id: 'gone', state: 'exited' })] });
    const sleeps: number[] = [];
    const lockFile = path.join(mkdtempSync(path.join(tmpdir(), 'h9-reaper-')), 'lock');
    await reap({ endpoint: engine.endpoint, fill: [], lockFile }, engine, {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
        return false;
      },
    });
    expect(sleeps).toEqual([30_000]);
    expect(engine.removed.sort()).toEqual(['a', 'gone']);
  });
});

/** An engine whose pool is what was created: create lists a member (created), start runs it; in-flight creates are counted. */
class FillEngine extends FakeEngine {
  members: ContainerSummary[] = [];
  inFlight = 0;
  /** The most idle + starting + in-flight members seen at any create. */
  peak = 0;
  peakInFlight = 0;
  createdAt: number[] = [];
  constructor(private readonly clock: () => number, behaviour: ConstructorParameters<typeof FakeEngine>[0] = {}) {
    super(behaviour);
  }
  override async createContainer(b: import('../../../src/compile/engine-body.js').CreateBody, name?: string): Promise<{ id: string; warnings: string[] }> {
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    this.peak = Math.max(this.peak, this.members.filter((m) => /-pool-/.test(m.Names?.[0] ?? '')).length + this.inFlight);
    this.createdAt.push(this.clock());
    try {
      await new Promise((resolve) => setImmediate(resolve));
      const { id } = await super.createContainer(b);
      const unique = `${id}-${this.members.length}`;
      this.members.push({ Id: unique, Names: [`/${name}`], Image: 'x', Labels: b.Labels, State: 'created', Status: '', Created: this.clock() / 1000 });
      return { id: unique, warnings: [] };
    } finally {
      this.inFlight -= 1;
    }
  }
  override async start(id?: string): Promise<void> {
    this.calls.push('start');
    const m = this.members.find((c) => c.Id === id);
    if (m) m.State = 'running';
  }
  override async listContainers(filters: { labels?: string[] } = {}): Promise<ContainerSummary[]> {
    this.calls.push('list');
    return this.members.filter((m) => (filters.labels ?? []).every((l) => m.Labels?.[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1)));
  }
  /** A launcher claims one: renamed away from the idle name. */
  claim(): void {
    const m = this.members.find((c) => c.State === 'running' && /-pool-/.test(c.Names?.[0] ?? ''));
    if (m) m.Names = [(m.Names?.[0] ?? '').replace('-pool-', '-claimed-')];
  }
}

/** A process that looks like a pool reaper to the lock (its argv has --pool-reaper) and handles no signal; resolved once it runs (exec'd). */
async function fakeReaper(): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setTimeout(() => undefined, 30000)', '--', '--pool-reaper'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child;
}

describe('refill', () => {
  const lockDir = (): string => mkdtempSync(path.join(tmpdir(), 'h9-refill-'));
  const N = 10;
  const refillOrder = (lockFile: string, hash = 'H') => ({ fill: fillOrder('test-secret', body(), hash, 60, N, NOW), hash, idleTimeout: 60, lockFile });
  const idleCount = (engine: FillEngine): number => engine.members.filter((m) => m.State === 'running' && /-pool-/.test(m.Names?.[0] ?? '')).length;

  test('ten claims while the refiller waits cost one fill, after claims went quiet: the pool is back to N, never more than N + in flight', async () => {
    let now = NOW;
    const engine = new FillEngine(() => now);
    await fillPool(engine, fillOrder('test-secret', body(), 'H', 60, N, NOW));
    expect(idleCount(engine)).toBe(N);
    engine.peak = 0;
    engine.peakInFlight = 0;
    engine.createdAt = [];
    // The first claim starts the refiller; nine more arrive (each a wake) during its first sleeps.
    engine.claim();
    let wakes = 9;
    const sleeps: number[] = [];
    const lockFile = path.join(lockDir(), 'refill.pid');
    await refill(engine, refillOrder(lockFile), {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (wakes > 0) {
          wakes -= 1;
          engine.claim();
          now += 100;
          return true;
        }
        now += ms;
        return false;
      },
      quietMs: 1000,
      concurrency: 2,
    });
    expect(idleCount(engine)).toBe(N);
    expect(engine.members.filter((m) => /-claimed-/.test(m.Names?.[0] ?? ''))).toHaveLength(N);
    expect(engine.createdAt).toHaveLength(N);
    // Nothing was created before the last claim plus the quiet period.
    expect(Math.min(...engine.createdAt)).toBe(NOW + 9 * 100 + 1000);
    expect(engine.peak).toBeLessThanOrEqual(N);
    expect(engine.peakInFlight).toBe(2);
    expect(existsSync(lockFile)).toBe(false);
    // New members expire idleTimeout after they were made, not after the order.
    expect(engine.members.at(-1)?.Labels[LABELS.poolExpires]).toBe(String(Math.floor((NOW + 1900) / 1000 + 60)));
  });

  test('claims that keep coming delay the fill by at most maxDelayMs', async () => {
    let now = NOW;
    const engine = new FillEngine(() => now);
    await refill(engine, refillOrder(path.join(lockDir(), 'refill.pid')), {
      now: () => now,
      sleep: async () => {
        now += 200;
        return true;
      },
      quietMs: 1000,
      maxDelayMs: 5000,
    });
    expect(engine.createdAt[0]).toBe(NOW + 5000);
    expect(idleCount(engine)).toBe(N);
  });

  test('a pool that is full, or of another hash, gets nothing; an engine that refuses is not retried in a loop', async () => {
    let now = NOW;
    const full = new FillEngine(() => now);
    await fillPool(full, fillOrder('test-secret', body(), 'H', 60, N, NOW));
    const sleep = async (ms: number) => ((now += ms), false);
    await refill(full, refillOrder(path.join(lockDir(), 'l')), { now: () => now, sleep });
    expect(full.members).toHaveLength(N);
    await refill(full, refillOrder(path.join(lockDir(), 'l'), 'OTHER'), { now: () => now, sleep });
    expect(full.members.filter((m) => m.Labels[LABELS.poolHash] === 'OTHER')).toHaveLength(N);
    const refusing = new FillEngine(() => now, { createErrors: Array.from({ length: 100 }, () => new Error('no memory')) });
    await refill(refusing, refillOrder(path.join(lockDir(), 'l')), { now: () => now, sleep });
    expect(refusing.calls.filter((c) => c === 'create')).toHaveLength(2);
  });

  test('with a live refiller holding the lock, another one creates nothing and wakes it (SIGUSR2)', async () => {
    const holder = await fakeReaper();
    const lockFile = path.join(lockDir(), 'refill.pid');
    writeFileSync(lockFile, String(holder.pid));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => holder.on('exit', (_code, signal) => resolve(signal)));
    const engine = new FillEngine(() => NOW);
    await refill(engine, refillOrder(lockFile), { sleep: async () => false });
    expect(engine.calls).toEqual([]);
    // It has no handler: the wake signal's default action ends it, which proves it was sent.
    expect(await exited).toBe('SIGUSR2');
    // A lock whose holder is gone is taken over.
    await refill(engine, refillOrder(lockFile), { now: () => NOW, sleep: async () => false });
    expect(idleCount(engine)).toBe(N);
  });

  test('warm --stop ends the profile\'s refillers (SIGTERM) and no other profile\'s', async () => {
    const endpoint = new FakeEngine().endpoint;
    const ours = await fakeReaper();
    const theirs = await fakeReaper();
    const files = [refillLockFile(endpoint, 'h9-stop-ours', 'H'), refillLockFile(endpoint, 'h9-stop-theirs', 'H')];
    writeFileSync(files[0]!, String(ours.pid));
    writeFileSync(files[1]!, String(theirs.pid));
    try {
      const exited = new Promise<NodeJS.Signals | null>((resolve) => ours.on('exit', (_code, signal) => resolve(signal)));
      expect(stopRefillers(endpoint, 'h9-stop-ours')).toBe(1);
      expect(await exited).toBe('SIGTERM');
      expect(theirs.exitCode).toBeNull();
      expect(theirs.signalCode).toBeNull();
    } finally {
      theirs.kill();
      for (const file of files) rmSync(file, { force: true });
    }
  });

  test('a lock naming a live process that is no pool reaper (a reused pid) is taken over, and that process is not signalled', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 30000)'], { stdio: 'ignore' });
    const lockFile = path.join(lockDir(), 'refill.pid');
    writeFileSync(lockFile, String(other.pid));
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const engine = new FillEngine(() => NOW);
      await refill(engine, refillOrder(lockFile), { now: () => NOW, sleep: async () => false });
      expect(idleCount(engine)).toBe(N);
      expect(other.exitCode).toBeNull();
      expect(other.signalCode).toBeNull();
    } finally {
      other.kill();
    }
  });
});
