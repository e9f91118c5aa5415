import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSecrets, resolveSecrets, secretSources } from '../../../src/run/secrets.js';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-unit-'));

describe('secrets', () => {
  test('parse KEY=VALUE with comments, export and quotes', () => {
    expect(parseSecrets('# c\nexport A=1\nB = "two words"\nC=\'x=y\'\n\nbad line\n')).toEqual({ A: '1', B: 'two words', C: 'x=y' });
  });

  test('environment first, then a 0600 file; a readable file is refused', () => {
    const dir = tmp();
    const file = path.join(dir, 'secrets.env');
    writeFileSync(file, 'FROM_FILE=f\nBOTH=file\n');
    chmodSync(file, 0o600);
    const env = { MCP_SANDBOX_SECRETS_FILE: file, BOTH: 'env' };
    expect(resolveSecrets(['BOTH', 'FROM_FILE'], { env })).toEqual({ BOTH: 'env', FROM_FILE: 'f' });
    expect(secretSources(['BOTH', 'FROM_FILE', 'NONE'], { env })).toEqual([
      { name: 'BOTH', source: 'env' },
      { name: 'FROM_FILE', source: 'file' },
      { name: 'NONE', source: 'missing' },
    ]);
    expect(() => resolveSecrets(['NONE'], { env })).toThrow(/secret NONE declared by the profile is not set/);
    chmodSync(file, 0o640);
    expect(() => resolveSecrets(['FROM_FILE'], { env })).toThrow(/mode is 0640/);
    // Nothing is read when the environment has everything.
    expect(resolveSecrets(['BOTH'], { env })).toEqual({ BOTH: 'env' });
  });
});
