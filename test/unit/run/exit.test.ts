import { diagnoseExit, exitCode, exitCodeForSignal, oomLookup } from '../../../src/run/exit.js';

const MB = 1024 * 1024;

describe('oomLookup', () => {
  test('a clean or ordinary exit costs no lookup', () => {
    expect(oomLookup(0, false)).toBeUndefined();
    expect(oomLookup(1, false)).toBeUndefined();
    expect(oomLookup(127, false)).toBeUndefined();
  });
  test('a SIGKILL the launcher did not send lingers for a trailing OOM record; others do not', () => {
    expect(oomLookup(137, false)).toEqual({ lingerMs: 500 });
    expect(oomLookup(137, true)).toEqual({ lingerMs: 0 });
    expect(oomLookup(143, false)).toEqual({ lingerMs: 0 });
    expect(oomLookup(-1, false)).toEqual({ lingerMs: 0 });
  });
});

describe('diagnoseExit', () => {
  test('OOM recorded: the limit is named', () => {
    expect(diagnoseExit({ statusCode: 137, oomKilled: true, stoppedByUs: false, memoryLimit: 512 * MB })).toEqual({
      oomKilled: true,
      warning: 'the server was killed: it hit its memory limit of 512m (raise resources.memory in the profile)',
    });
    expect(diagnoseExit({ statusCode: 137, oomKilled: true, stoppedByUs: false }).warning).toContain('unknown size');
  });
  test('gVisor hedge: 137 without an OOM record, not stopped by us', () => {
    expect(diagnoseExit({ statusCode: 137, oomKilled: false, stoppedByUs: false, memoryLimit: 64 * MB }).warning).toBe(
      'the server was killed (SIGKILL, exit 137), most likely by its memory limit of 64m (raise resources.memory in the profile)',
    );
    expect(diagnoseExit({ statusCode: 137, oomKilled: false, stoppedByUs: false }).warning).toBe('the server was killed (SIGKILL, exit 137) by something other than the launcher');
  });
  test('no warning when we stopped it, when the lookup failed, or for other codes', () => {
    expect(diagnoseExit({ statusCode: 137, oomKilled: false, stoppedByUs: true, memoryLimit: MB })).toEqual({ oomKilled: false });
    expect(diagnoseExit({ statusCode: 137, oomKilled: undefined, stoppedByUs: false, memoryLimit: MB })).toEqual({ oomKilled: false });
    expect(diagnoseExit({ statusCode: 139, oomKilled: false, stoppedByUs: false, memoryLimit: MB })).toEqual({ oomKilled: false });
    expect(diagnoseExit({ statusCode: 0, oomKilled: undefined, stoppedByUs: false })).toEqual({ oomKilled: false });
  });
});

describe('exitCode', () => {
  const base = { statusCode: 3, oomKilled: false, reason: undefined, signal: undefined, stoppedByUs: false };
  test('the server code, OOM as 137, a signal as 128+N, a stop after client EOF as 0', () => {
    expect(exitCode(base)).toBe(3);
    expect(exitCode({ ...base, statusCode: 0, oomKilled: true })).toBe(137);
    expect(exitCode({ ...base, reason: 'signal', signal: 'SIGINT' })).toBe(130);
    expect(exitCode({ ...base, reason: 'signal', signal: 'SIGTERM', stoppedByUs: true })).toBe(143);
    expect(exitCode({ ...base, statusCode: 143, reason: 'stdin-eof', stoppedByUs: true })).toBe(0);
    expect(exitCode({ ...base, statusCode: 5, reason: 'stdin-eof' })).toBe(5);
  });
  test('signal numbers', () => {
    expect([exitCodeForSignal('SIGHUP'), exitCodeForSignal('SIGINT'), exitCodeForSignal('SIGTERM'), exitCodeForSignal(undefined)]).toEqual([129, 130, 143, 0]);
  });
});
