import { LABELS } from '../../../src/labels.js';
import { collectOrphans, describeSandbox, formatAge } from '../../../src/sandboxes/sandboxes.js';
import { FakeEngine } from '../run/fake-engine.js';

describe('sandboxes', () => {
  const probe = { hostname: () => 'here', isAlive: (pid: number) => pid === 100 };
  const summary = (pid: string | undefined, host = 'here') => ({
    Id: `id-${pid}`,
    Names: ['/mcp-sandbox-x'],
    Image: 'i',
    Labels: { 'mcp-sandbox.profile': 'p', ...(pid ? { 'mcp-sandbox.launcher-pid': pid, [LABELS.launcherHost]: host } : {}) },
    State: 'running',
    Status: 'Up',
    Created: 1000,
  });

  test('launcher liveness: alive, dead, remote, none', () => {
    expect(describeSandbox(summary('100'), probe, 1_060_000)).toMatchObject({ launcher: "alive", age: 60, name: 'mcp-sandbox-x' });
    expect(describeSandbox(summary('200'), probe).launcher).toBe('dead');
    expect(describeSandbox(summary('200', 'elsewhere'), probe).launcher).toBe('remote');
    expect(describeSandbox(summary(undefined), probe).launcher).toBe('none');
    expect(formatAge(59)).toBe('59s');
    expect(formatAge(7200)).toBe('2h');
  });

  test('gc removes only containers whose launcher is dead here', async () => {
    const engine = new FakeEngine({ containers: [summary('100'), summary('200'), summary('300', 'elsewhere'), summary(undefined)] });
    const removed = await collectOrphans(engine, { probe });
    expect(removed.map((e) => e.id)).toEqual(['id-200']);
    expect(engine.removed).toEqual(['id-200']);
  });
});
