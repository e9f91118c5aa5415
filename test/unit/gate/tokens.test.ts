/**
 * The token finder (secretlint's recommended preset plus Stripe and JWT) and its prefilter: a
 * sample of every format is found, and passes TOKEN_HINT (the text the rules never see must
 * hold no token of any of these formats).
 */
import { loadTokenFinder, TOKEN_HINT } from '../../../src/gate/tokens.js';

const r = (chars: string, n: number): string => Array.from({ length: n }, (_, i) => chars[(i * 7 + 3) % chars.length]).join('');
const ALNUM = 'aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0';
const HEX = '0123456789abcdef';

const SAMPLES: Array<[string, string]> = [
  ['github', `token ghp_${r(ALNUM, 36)} here`],
  ['github fine-grained', `github_pat_${r(ALNUM, 82)}`],
  ['gitlab', `glpat-${r(ALNUM, 20)}`],
  ['slack', 'xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn'],
  ['slack webhook', `https://hooks.slack.com/services/T${r(ALNUM, 8)}/B${r(ALNUM, 8)}/${r(ALNUM, 24)}`],
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
  ['stripe', `sk_live_${r(ALNUM, 24)}`],
  ['grafana cloud', `glc_${r('aB3/dE5+gH7/jK9m', 40)}`],
  ['jwt', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
];

describe('token finder', () => {
  test.each(SAMPLES)('finds a %s sample, and the prefilter lets it through', async (_kind, text) => {
    const find = await loadTokenFinder();
    expect(TOKEN_HINT.test(text)).toBe(true);
    const found = find(JSON.stringify({ text }).slice(9, -2));
    expect(found.length).toBeGreaterThan(0);
    for (const match of found) expect(match.end).toBeGreaterThan(match.start);
  });

  test('ordinary small messages never reach the rules', async () => {
    const find = await loadTokenFinder();
    for (const text of ['{"result":{"content":[{"type":"text","text":"Echo: hello 42"}]},"jsonrpc":"2.0","id":7}', '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":3,"total":10}}']) {
      expect(TOKEN_HINT.test(text)).toBe(false);
      expect(find(text)).toEqual([]);
    }
  });
});
