/**
 * The token finder (secretlint's recommended preset plus Stripe and JWT) and its keyword
 * gates: a sample of every format is found, its bytes pass mayHold, and the preset's patterns
 * are the ones RULE_KEYWORDS was read from.
 */
import { createHash } from 'node:crypto';
import { CASELESS_KEYWORDS, loadTokenFinder, RULE_KEYWORDS, ruleKeywords } from '../../../src/gate/tokens.js';

const r = (chars: string, n: number): string => Array.from({ length: n }, (_, i) => chars[(i * 7 + 3) % chars.length]).join('');
const ALNUM = 'aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0';
const HEX = '0123456789abcdef';

const SAMPLES: Array<[string, string]> = [
  ['github', `token ghp_${r(ALNUM, 36)} here`],
  ['github fine-grained', `github_pat_${r(ALNUM, 82)}`],
  ['gitlab', `glpat-${r(ALNUM, 20)}`],
  ['slack', 'xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn'],
  ['slack webhook', `https://hooks.slack.com/services/T${r(ALNUM, 8)}/B${r(ALNUM, 8)}/${r(ALNUM, 24)}`],
  // Its pattern has the i flag.
  ['slack webhook in upper case', `HTTPS://HOOKS.SLACK.COM/SERVICES/T${r(ALNUM, 8)}/B${r(ALNUM, 8)}/${r(ALNUM, 24)}`],
  ['aws secret access key, no separators', `SecretAccessKey: ${r(ALNUM, 40)}`],
  ['aws secret access key', `aws_secret_access_key = ${r(ALNUM, 40)}`],
  ['private key', `-----BEGIN RSA PRIVATE KEY-----\nMI${r(ALNUM, 62)}\n${r(ALNUM, 64)}\n${r(ALNUM, 64)}\n-----END RSA PRIVATE KEY-----`],
  ['npm token', `npm_${r(ALNUM, 36)}`],
  ['openai', `sk-${r(ALNUM, 20)}T3BlbkFJ${r(ALNUM, 20)}`],
  ['anthropic', `sk-ant-api03-${r(ALNUM, 93)}AA`],
  ['groq', `gsk_${r(ALNUM, 52)}`],
  ['huggingface', `hf_${r('abcdefghijKLMNOPQRst', 34)}`],
  ['linear', `lin_api_${r(ALNUM, 40)}`],
  ['notion', `ntn_${r('0123456789', 11)}${r(ALNUM, 35)}`],
  ['sendgrid', `SG.${r(ALNUM, 22)}.${r(ALNUM, 43)}`],
  ['shopify', `shpat_${r(HEX, 32)}`],
  ['grafana', `glsa_${r(ALNUM, 32)}_${r(HEX, 8)}`],
  ['hashicorp vault', `hvs.${r(ALNUM, 95)}`],
  ['vercel', `vcp_${r(ALNUM, 24)}`],
  ['databricks', `dapi${r(HEX, 32)}`],
  ['docker', `dckr_pat_${r(ALNUM, 27)}`],
  ['figma', `figd_${r(ALNUM, 40)}`],
  ['basic auth in a URL', 'see https://admin:hunter2@example.com/path'],
  ['postgres connection string', 'postgres://app:s3cret@db.internal:5432/prod'],
  ['mongodb connection string', 'mongodb+srv://app:s3cret@cluster0.example.net/db'],
  ['mysql connection string', 'jdbc:mysql://app:s3cret@db.internal:3306/prod'],
  ['postgres connection string in upper case', 'POSTGRESQL://APP:S3CRET@DB.INTERNAL/PROD'],
  ['openai project key', `sk-proj-${r(ALNUM, 74)}T3BlbkFJ${r(ALNUM, 74)}`],
  ['stripe', `sk_live_${r(ALNUM, 24)}`],
  ['grafana cloud', `glc_${r('aB3/dE5+gH7/jK9m', 40)}`],
  ['jwt', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
];

describe('token finder', () => {
  test.each(SAMPLES)('finds a %s sample, and its bytes pass the keyword check', async (_kind, text) => {
    const find = await loadTokenFinder();
    const raw = JSON.stringify({ text }).slice(9, -2);
    expect(find.mayHold(Buffer.from(raw))).toBe(true);
    const found = find.find(raw);
    expect(found.length).toBeGreaterThan(0);
    for (const match of found) expect(match.end).toBeGreaterThan(match.start);
  });

  test.each(SAMPLES)('a %s sample inside a long run of token characters is found too', async (_kind, text) => {
    const find = await loadTokenFinder();
    const raw = `{"text":"${'x'.repeat(300_000)} ${JSON.stringify(text).slice(1, -1)} ${'y'.repeat(300_000)}"}`;
    expect(find.mayHold(Buffer.from(raw))).toBe(true);
    expect(find.find(raw).length).toBeGreaterThan(0);
  });

  test.each(SAMPLES)('every match in a %s sample holds a keyword of the rule that reported it', async (_kind, text) => {
    const find = await loadTokenFinder();
    for (const match of find.find(text)) {
      const found = text.slice(match.start, match.end);
      const keywords = RULE_KEYWORDS[match.rule] ?? [];
      expect([match.rule, keywords.some((k) => (CASELESS_KEYWORDS.has(k) ? found.toLowerCase() : found).includes(k))]).toEqual([match.rule, true]);
    }
  });

  test('a tools/list with $schema URLs and everyday words holds no keyword: the preset is not loaded for it', () => {
    // ("secret" still is one: AWS's keyword is `ecret`, docs/gate.md Memory says why.)
    const schema = { type: 'object', properties: { 'task-id': { type: 'string', description: 'the task name; see https://example.com/docs' } }, required: ['task-id'], additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' };
    const list = JSON.stringify({ result: { tools: [{ name: 'get-task', description: 'Reads a task (https://docs.example.com/task-list, ftp://mirror.example.com/x)', inputSchema: schema }] }, jsonrpc: '2.0', id: 2 });
    expect(ruleKeywords.inText(list)).toBe(false);
    expect(ruleKeywords.inText(list + ' '.repeat(9000))).toBe(false);
    expect(ruleKeywords.inBytes(Buffer.from(list))).toBe(false);
  });

  test('ordinary messages, and long runs of token characters, never reach the rules', async () => {
    const find = await loadTokenFinder();
    const texts = [
      '{"result":{"content":[{"type":"text","text":"Echo: hello 42"}]},"jsonrpc":"2.0","id":7}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":3,"total":10}}',
      `{"result":{"content":[{"type":"text","text":"Echo: ${'x'.repeat(1_000_000)}"}]},"jsonrpc":"2.0","id":8}`,
      `{"result":{"content":[{"type":"text","text":"${'aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0'.repeat(30_000)}"}]},"jsonrpc":"2.0","id":9}`,
    ];
    for (const text of texts) {
      expect(find.mayHold(Buffer.from(text))).toBe(false);
      expect(find.find(text)).toEqual([]);
    }
  });

  test('the patterns of the preset are the ones RULE_KEYWORDS was read from (re-check the table when this fails)', async () => {
    const module = (await import('@secretlint/secretlint-rule-preset-recommend')) as unknown as { rules: Array<{ meta: { id: string } }> };
    // Every rule of the preset is in the table (an unlisted one would run on every text: safe, but slow).
    expect(module.rules.map((rule) => rule.meta.id).filter((id) => RULE_KEYWORDS[id] === undefined)).toEqual([]);
    const seen = await patternsByRule();
    const pins = Object.fromEntries([...seen].map(([rule, sources]) => [rule, createHash('sha256').update([...sources].sort().join('\n')).digest('hex').slice(0, 16)]));
    expect(pins).toEqual(PATTERN_PINS);
  });
});

/**
 * The patterns each rule runs, seen through RegExp.prototype.exec (String.prototype.matchAll
 * calls it too) while the finder scans a text holding every sample, so every rule runs.
 */
async function patternsByRule(): Promise<Map<string, Set<string>>> {
  const module = (await import('@secretlint/secretlint-rule-preset-recommend')) as unknown as { rules: Array<{ meta: { id: string }; create(context: unknown, options: unknown): { file?(source: unknown): unknown } }> };
  const seen = new Map<string, Set<string>>();
  const text = SAMPLES.map(([, sample]) => sample).join('\n');
  const exec = RegExp.prototype.exec;
  let rule = '';
  RegExp.prototype.exec = function patched(this: RegExp, input: string): RegExpExecArray | null {
    const sources = seen.get(rule) ?? new Set<string>();
    seen.set(rule, sources.add(`${this.source}/${this.flags}`));
    return exec.call(this, input);
  };
  try {
    for (const candidate of module.rules) {
      rule = candidate.meta.id;
      const context = { sharedOptions: {}, createTranslator: () => (messageId: string) => ({ message: messageId, messageId }), report: () => undefined, ignore: () => undefined };
      candidate.create(context, {}).file?.({ content: text, filePath: 'message.txt', ext: '.txt', contentType: 'text' });
    }
  } finally {
    RegExp.prototype.exec = exec;
  }
  return seen;
}

/**
 * sha256 (16 hex digits) of each rule's patterns as patternsByRule sees them, when RULE_KEYWORDS
 * was last checked against them (preset 12.0.0; gcp runs none on .txt).
 */
const PATTERN_PINS: Record<string, string> = {
  '@secretlint/secretlint-rule-1password': '20e96d361aad7dd1',
  '@secretlint/secretlint-rule-anthropic': 'fe882a730e46f738',
  '@secretlint/secretlint-rule-aws': 'cba832dbbf356076',
  '@secretlint/secretlint-rule-basicauth': '7505123ade635a3d',
  '@secretlint/secretlint-rule-database-connection-string': 'eedbd30756561508',
  '@secretlint/secretlint-rule-databricks': 'b1229f2b6fd1a5df',
  '@secretlint/secretlint-rule-docker': 'a727a91fd7297fe1',
  '@secretlint/secretlint-rule-figma': 'fa9bcde7f632d48c',
  '@secretlint/secretlint-rule-filter-comments': '680ecc6fc633555f',
  '@secretlint/secretlint-rule-github': '10fa68c5531fe21e',
  '@secretlint/secretlint-rule-gitlab': 'e1747886a5177fa6',
  '@secretlint/secretlint-rule-grafana': '0f1c26f432096973',
  '@secretlint/secretlint-rule-groq': '65584d4118e10265',
  '@secretlint/secretlint-rule-hashicorp-vault': 'c93aea9b02382b55',
  '@secretlint/secretlint-rule-huggingface': '1a9cbec2aabe1af9',
  '@secretlint/secretlint-rule-linear': '18c483c9248bf5fb',
  '@secretlint/secretlint-rule-notion': '59cb5f9fc79edc0c',
  '@secretlint/secretlint-rule-npm': 'fb142dc900862966',
  '@secretlint/secretlint-rule-openai': '704a075f88f77af0',
  '@secretlint/secretlint-rule-privatekey': 'e7b3922ff43b2c1d',
  '@secretlint/secretlint-rule-sendgrid': 'c2c169c288e9e0ac',
  '@secretlint/secretlint-rule-shopify': '3afdef259dfd484a',
  '@secretlint/secretlint-rule-slack': '66fc49bda265f8ef',
  '@secretlint/secretlint-rule-vercel': 'ce441f7880e88d2c',
};
