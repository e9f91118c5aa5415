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

/** Rule options that differ from the rule's own defaults. */
const RULE_OPTIONS: Record<string, Record<string, unknown>> = {
  // Access key ids alone are a credential half worth hiding; the rule scans them only on request.
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

/** Formats the preset lacks. Stripe: live and test secret/restricted keys. JWT: three base64url parts, JSON header and payload. */
const OWN_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['mcp-sandbox/stripe', /\b[rs]k_(?:live|test)_[0-9A-Za-z]{10,247}\b/g],
  ['mcp-sandbox/jwt', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g],
];

let finder: Promise<TokenFinder> | undefined;

/** The token finder, loading the preset once. */
export function loadTokenFinder(): Promise<TokenFinder> {
  finder ??= import('@secretlint/secretlint-rule-preset-recommend').then((module) => buildFinder((module as unknown as { rules: RuleCreator[] }).rules));
  return finder;
}

function buildFinder(rules: readonly RuleCreator[]): TokenFinder {
  let sink: TokenMatch[] = [];
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
      report: (descriptor) => sink.push({ rule: id, start: descriptor.range[0], end: descriptor.range[1] }),
      ignore: () => undefined,
    };
    const handler = rule.create(context, { ...(RULE_OPTIONS[id] ?? {}) });
    if (handler.file) handlers.push(handler.file.bind(handler));
  }
  return (text) => {
    sink = [];
    const source = { content: text, filePath: 'message.json', ext: '.json', contentType: 'text' };
    for (const handler of handlers) handler(source);
    const found = sink;
    sink = [];
    for (const [rule, pattern] of OWN_PATTERNS) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) found.push({ rule, start: m.index, end: m.index + m[0].length });
    }
    return found;
  };
}
