/** The one mapping from a failure to printed output and an exit code. */
import { EXIT_CODES, ReportedFailure, SandboxError } from '../../../src/errors.js';
import { reportError } from '../../../src/cli/report.js';

function captured(fn: () => number): { code: number; stderr: string } {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('a ReportedFailure prints nothing more (not even with --debug) and exits with its code', () => {
  expect(captured(() => reportError(new ReportedFailure(EXIT_CODES.CONFIG_CONFLICT, 'drift'), true))).toEqual({ code: 3, stderr: '' });
  expect(captured(() => reportError(new ReportedFailure(1), false))).toEqual({ code: 1, stderr: '' });
});

test('a SandboxError prints its one line and maps its code; anything else is internal (70)', () => {
  expect(captured(() => reportError(new SandboxError('USAGE', 'bad flag'), false))).toEqual({ code: 2, stderr: 'mcp-sandbox: bad flag\n' });
  expect(captured(() => reportError(new Error('boom'), false)).code).toBe(70);
});
