import { escalate, settlesWithin } from '../../../src/run/escalate.js';

function steps(exitOn: 'eof' | 'stop' | 'kill' | 'never') {
  const calls: string[] = [];
  let resolveExit!: () => void;
  const exited = new Promise<void>((resolve) => (resolveExit = resolve));
  const maybe = (step: typeof exitOn): void => {
    if (exitOn === step) setTimeout(resolveExit, 5);
  };
  return {
    calls,
    exited,
    closeStdin: () => (calls.push('closeStdin'), maybe('eof')),
    stop: async (t: number) => (calls.push(`stop ${t}`), maybe('stop')),
    kill: async () => (calls.push('kill'), maybe('kill')),
    onStopping: () => calls.push('stopping'),
    debug: () => undefined,
    warn: (m: string) => calls.push(`warn ${m}`),
  };
}

describe('escalate', () => {
  test('a server that exits on EOF gets neither stop nor kill', async () => {
    const s = steps('eof');
    await escalate(s, { grace: 0.05, stopTimeout: 0 });
    expect(s.calls).toEqual(['closeStdin']);
  });
  test('EOF, grace, then stop with the timeout', async () => {
    const s = steps('stop');
    await escalate(s, { grace: 0.02, stopTimeout: 0 });
    expect(s.calls).toEqual(['closeStdin', 'stopping', 'stop 0']);
  });
  test('a server that survives the stop is killed, with a warning', async () => {
    const s = steps('kill');
    await escalate(s, { grace: 0.01, stopTimeout: -2.99 });
    expect(s.calls).toEqual(['closeStdin', 'stopping', 'stop -2.99', 'warn the server did not stop: killing it', 'kill']);
  });
});

test('settlesWithin', async () => {
  expect(await settlesWithin(Promise.resolve(), 10)).toBe(true);
  expect(await settlesWithin(Promise.reject(new Error('x')), 10)).toBe(true);
  expect(await settlesWithin(new Promise(() => undefined), 10)).toBe(false);
});
