import { GATE_DEFAULTS, gateConfigOf } from '../../../src/gate/config.js';
import { redact } from '../../../src/gate/redact.js';

describe('gateConfigOf', () => {
  test('no gate keys: the defaults', () => {
    expect(gateConfigOf({})).toEqual({ ...GATE_DEFAULTS, tools: { ...GATE_DEFAULTS.tools, constrain: {} } });
    expect(GATE_DEFAULTS).toMatchObject({ secretScan: 'mask', roots: 'mounts', auditArguments: 'redacted', limits: { maxMessageBytes: 16 * 1024 * 1024 } });
  });

  test('sections as written: sizes parsed, allow kept only when given, constrain in a null-prototype object', () => {
    const config = gateConfigOf({
      tools: { allow: ['read_*'], deny: ['write_*'], constrain: { read_text_file: { type: 'object' } }, onDrift: 'warn' },
      resources: { deny: ['file:///etc/**'] },
      limits: { callsPerMinute: 120, maxConcurrent: 8, maxMessageBytes: '2m' },
      secretScan: 'block',
      roots: 'none',
      audit: { arguments: 'keys' },
    });
    expect(config.tools).toMatchObject({ allow: ['read_*'], deny: ['write_*'], onDrift: 'warn' });
    expect(Object.getPrototypeOf(config.tools.constrain)).toBeNull();
    expect(config.resources).toEqual({ deny: ['file:///etc/**'] });
    expect(config.prompts).toEqual({ deny: [] });
    expect(config.limits).toEqual({ callsPerMinute: 120, maxConcurrent: 8, maxMessageBytes: 2 * 1024 * 1024 });
    expect([config.secretScan, config.roots, config.auditArguments]).toEqual(['block', 'none', 'keys']);
  });
});

describe('redact', () => {
  const secrets = { API_TOKEN: 'declared-secret-value', PIN: '1234' };
  const args = { query: 'uses declared-secret-value here', apiKey: 'k-123', nested: { Authorization: 'Bearer x', list: ['1234', 'a 1234'] }, author: 'me' };

  test('none and keys', () => {
    expect(redact(args, 'none', secrets)).toBeUndefined();
    expect(redact(args, 'keys', secrets)).toEqual(['query', 'apiKey', 'nested', 'author']);
  });

  test('redacted: sensitive keys hashed, declared secrets masked (short ones only as whole values)', () => {
    const out = redact(args, 'redacted', secrets) as Record<string, unknown>;
    expect(out.query).toBe('uses [masked:API_TOKEN] here');
    expect(out.apiKey).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect((out.nested as Record<string, unknown>).Authorization).toMatch(/^sha256:/);
    expect((out.nested as Record<string, unknown>).list).toEqual(['[masked:PIN]', 'a 1234']);
    expect(out.author).toBe('me');
    expect(redact({ token: 'same' }, 'redacted', {})).toEqual(redact({ token: 'same' }, 'redacted', {}));
  });

  test('full: values kept, declared secrets still masked', () => {
    const out = redact(args, 'full', secrets) as Record<string, unknown>;
    expect(out.apiKey).toBe('k-123');
    expect(out.query).toBe('uses [masked:API_TOKEN] here');
    expect(JSON.stringify(out)).not.toContain('declared-secret-value');
  });
});

describe('redact: long strings', () => {
  test('redacted cuts them to a summary, a secret across the cut still masked whole', () => {
    const secret = 'declared-secret-value';
    const text = `${'x'.repeat(195)}${secret}${'y'.repeat(5000)}`;
    const out = redact({ text }, 'redacted', { S: secret }) as { text: string };
    expect(out.text).toBe(`${'x'.repeat(195)}[mask…[${text.length} chars]`);
    expect(out.text).not.toContain(secret.slice(0, 10));
    expect((redact({ text }, 'full', { S: secret }) as { text: string }).text).toHaveLength(text.length - secret.length + '[masked:S]'.length);
  });
});
