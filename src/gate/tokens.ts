/**
 * Well-known token formats, from secretlint's recommended preset (a maintained pattern set:
 * GitHub, AWS, Slack, private keys, GCP, npm, OpenAI, Anthropic, ...), plus the two formats the
 * preset does not cover (Stripe secret keys, JWTs). Loaded on first use.
 *
 * The rules are driven directly (rule.create with a small context, then file(source)) rather
 * than through @secretlint/core's lintSource: lintSource sets every rule up again for each
 * text and is asynchronous, a fixed cost per message that the gate cannot afford on every
 * server message (BENCHMARKS.md, gate section).
 */

export interface TokenMatch {
  /** Which rule found it: a secretlint rule id, or mcp-sandbox/stripe, mcp-sandbox/jwt. */
  rule: string;
  start: number;
  end: number;
}

export type TokenFinder = (text: string) => TokenMatch[];

interface RuleContext {
  sharedOptions: Record<string, unknown>;
  createTranslator(messages: unknown): (messageId: string, data?: unknown) => { message: string; messageId: string; data?: unknown };
  report(descriptor: { message: unknown; range: readonly [number, number] }): void;
  ignore(descriptor: unknown): void;
}

interface RuleCreator {
  meta: { id: string; type?: string; supportedContentTypes: readonly string[] };
  create(context: RuleContext, options: Record<string, unknown>): { file?(source: unknown): unknown };
}

/**
 * Rule options that differ from the rule's own defaults: none. (secretlint-rule-aws can also
 * report access key ids and account ids, enableIDScanRule; they are identifiers, not secrets,
 * and that scan is the most expensive of the preset. The secret access key is always found.)
 */
const RULE_OPTIONS: Record<string, Record<string, unknown>> = {};

/** Formats the preset lacks. Stripe: live and test secret/restricted keys. JWT: three base64url parts, JSON header and payload. */
const OWN_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['mcp-sandbox/stripe', /\b[rs]k_(?:live|test)_[0-9A-Za-z]{10,247}\b/g],
  ['mcp-sandbox/jwt', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g],
];

/**
 * What every pattern needs to match at all: a run of 16 token characters (every token format of
 * the preset and ours is longer; `/` is left out so that method names and paths do not count,
 * and the base64 formats that may hold it are long or carry a prefix listed here), a URL
 * (credentials in URLs, connection strings, webhooks) or a PEM header. (npm's `_authToken` and
 * GCP's key files are only looked for in files of those names: not in messages.)
 * Text without any of them is not handed to the 25 rules:
 * running them costs a fixed amount per text that would dominate the gate's cost on small
 * messages (BENCHMARKS.md, gate section). test/unit/gate/secrets.test.ts checks samples of each
 * format against it.
 */
export const TOKEN_HINT = /[A-Za-z0-9_+=.-]{16}|:\/\/|PRIVATE KEY|glc_|ops_ey/;

let finder: Promise<TokenFinder> | undefined;

/** The token finder, loading the preset once. */
export function loadTokenFinder(): Promise<TokenFinder> {
  finder ??= import('@secretlint/secretlint-rule-preset-recommend').then((module) => buildFinder((module as unknown as { rules: RuleCreator[] }).rules));
  return finder;
}

function buildFinder(rules: readonly RuleCreator[]): TokenFinder {
  let sink: TokenMatch[] = [];
  let text = '';
  const handlers: Array<(source: unknown) => unknown> = [];
  for (const rule of rules) {
    // Filter rules (secretlint-disable comments) have no place in protocol messages.
    if (rule.meta.type === 'filter') continue;
    const types = rule.meta.supportedContentTypes;
    if (!types.includes('text') && !types.includes('all')) continue;
    const id = rule.meta.id;
    const context: RuleContext = {
      sharedOptions: {},
      createTranslator: () => (messageId, data) => ({ message: messageId, messageId, data }),
      report: (descriptor) => sink.push(widened(id, descriptor, text)),
      ignore: () => undefined,
    };
    const handler = rule.create(context, { ...(RULE_OPTIONS[id] ?? {}) });
    if (handler.file) handlers.push(handler.file.bind(handler));
  }
  return (content) => {
    if (!TOKEN_HINT.test(content)) return [];
    sink = [];
    text = content;
    // Plain text, not .json: secretlint-rule-gcp parses a whole .json file for a service-account
    // key, a second JSON.parse of every message; the PEM inside is found by the privatekey rule.
    const source = { content, filePath: 'message.txt', ext: '.txt', contentType: 'text' };
    for (const handler of handlers) handler(source);
    const found = sink;
    sink = [];
    text = '';
    for (const [rule, pattern] of OWN_PATTERNS) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(content); m !== null; m = pattern.exec(content)) found.push({ rule, start: m.index, end: m.index + m[0].length });
    }
    return found;
  };
}

/**
 * A report's range, widened to cover the secret the rule names in its message data: some
 * rules report the start of the whole match with the length of the captured secret
 * (secretlint-rule-aws's secret access key), which would leave part of the secret unmasked.
 */
function widened(rule: string, descriptor: { message: unknown; range: readonly [number, number] }, text: string): TokenMatch {
  let [start, end] = descriptor.range;
  const data = (descriptor.message as { data?: Record<string, unknown> }).data ?? {};
  for (const value of Object.values(data)) {
    if (typeof value !== 'string' || value.length < 8) continue;
    const at = text.indexOf(value, Math.max(0, start - value.length));
    if (at === -1 || at > end + 1024) continue;
    start = Math.min(start, at);
    end = Math.max(end, at + value.length);
  }
  return { rule, start, end };
}
