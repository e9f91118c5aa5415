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
import { KeywordIndex } from './keywords.js';

export interface TokenMatch {
  /** Which rule found it: a secretlint rule id, or mcp-sandbox/stripe, mcp-sandbox/jwt. */
  rule: string;
  start: number;
  end: number;
}

/** Finds tokens in a text; `mayHold` is the cheap check on bytes that no token can be in them. */
export interface TokenFinder {
  find(text: string): TokenMatch[];
  /** False when no rule could match the (UTF-8) bytes: no keyword of any rule is in them. */
  mayHold(bytes: Buffer): boolean;
  /** mayHold for a text. */
  mayHoldText(text: string): boolean;
}

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
 * For each rule, literals one of which every match the rule reports contains (read from the
 * rule's patterns: the prefix of a token format, the `@` after the password of a URL or a
 * connection string, which reports only one with credentials, ...). A rule
 * whose keywords are all absent from a text is not run on it: the 25 rules over a text cost a
 * fixed amount per message and ~8-20 ms per MB of long ones (BENCHMARKS.md, gate section),
 * while looking for the keywords costs a fraction of a millisecond per MB (keywords.ts).
 * A rule not listed here runs on every text. test/unit/gate/tokens.test.ts pins the preset's
 * patterns: when an upgrade changes them, it fails until this table has been checked again.
 * Not `://`: every tool's `$schema` URL holds it, and a client's tools/list then loaded the
 * preset in every session. Case: only the rules with the i flag match other cases, slack's
 * webhook (its keyword is in CASELESS_KEYWORDS) and the connection strings (`@` has none).
 */
export const RULE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  '@secretlint/secretlint-rule-aws': ['ecret', 'ECRET'],
  '@secretlint/secretlint-rule-privatekey': ['PRIVATE KEY'],
  '@secretlint/secretlint-rule-npm': ['npm_'],
  '@secretlint/secretlint-rule-basicauth': ['@'],
  '@secretlint/secretlint-rule-slack': ['xoxb-', 'xoxp-', 'xapp-', 'xoxa-', 'xoxo-', 'xoxr-', 'hooks.slack.com/'],
  '@secretlint/secretlint-rule-sendgrid': ['SG.'],
  '@secretlint/secretlint-rule-shopify': ['shppa_', 'shpca_', 'shpat_', 'shpss_'],
  '@secretlint/secretlint-rule-github': ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  '@secretlint/secretlint-rule-gitlab': ['glpat-'],
  '@secretlint/secretlint-rule-grafana': ['glc_', 'glsa_'],
  // Both of its formats hold the marker (base64 of "OpenAI"); `sk-` is in words like task-id.
  '@secretlint/secretlint-rule-openai': ['T3BlbkFJ'],
  '@secretlint/secretlint-rule-anthropic': ['sk-ant-api0'],
  '@secretlint/secretlint-rule-groq': ['gsk_'],
  '@secretlint/secretlint-rule-huggingface': ['hf_'],
  '@secretlint/secretlint-rule-linear': ['lin_api_'],
  '@secretlint/secretlint-rule-notion': ['ntn_'],
  '@secretlint/secretlint-rule-1password': ['ops_ey'],
  '@secretlint/secretlint-rule-database-connection-string': ['@'],
  '@secretlint/secretlint-rule-hashicorp-vault': ['hvs.', 'hvb.', 'hvr.'],
  '@secretlint/secretlint-rule-vercel': ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
  '@secretlint/secretlint-rule-databricks': ['dapi'],
  '@secretlint/secretlint-rule-docker': ['dckr_pat_'],
  '@secretlint/secretlint-rule-figma': ['figd_'],
  // Reports nothing (it only marks secretlint-disable comments).
  '@secretlint/secretlint-rule-filter-comments': ['secretlint-'],
  // Scans only .json and .p12 files, and messages are scanned as .txt: it never matches.
  '@secretlint/secretlint-rule-gcp': [],
  'mcp-sandbox/stripe': ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
  'mcp-sandbox/jwt': ['.eyJ'],
};

/** Keywords of RULE_KEYWORDS found in any case of their letters (their rule's pattern has the i flag). */
export const CASELESS_KEYWORDS: ReadonlySet<string> = new Set(['hooks.slack.com/']);

/** The longest keyword in RULE_KEYWORDS: a keyword across two pieces lies within this many bytes of their seam. */
export const LONGEST_KEYWORD = Math.max(...Object.values(RULE_KEYWORDS).flat().map((keyword) => keyword.length));

let finder: Promise<TokenFinder> | undefined;
let keywordsOfAll: KeywordIndex | undefined;

/**
 * Whether a text or its bytes hold a keyword of any rule in RULE_KEYWORDS, without loading the
 * preset: a session whose messages hold none never loads it (its code, and the ICU data its
 * `\p{L}` patterns pull in, are a few MB of the launcher's RSS; BENCHMARKS.md, gate section).
 */
export const ruleKeywords = {
  inText: (text: string): boolean => allKeywords().anyInText(text),
  inBytes: (bytes: Buffer): boolean => allKeywords().anyIn(bytes),
};

function allKeywords(): KeywordIndex {
  keywordsOfAll ??= new KeywordIndex([...new Set(Object.values(RULE_KEYWORDS).flat())], CASELESS_KEYWORDS);
  return keywordsOfAll;
}

/** The token finder, loading the preset once. */
export function loadTokenFinder(): Promise<TokenFinder> {
  finder ??= import('@secretlint/secretlint-rule-preset-recommend').then((module) => buildFinder((module as unknown as { rules: RuleCreator[] }).rules));
  return finder;
}

interface Handler {
  rule: string;
  run(source: unknown): unknown;
}

function buildFinder(rules: readonly RuleCreator[]): TokenFinder {
  let sink: TokenMatch[] = [];
  let text = '';
  const handlers: Handler[] = [];
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
    if (handler.file) handlers.push({ rule: id, run: handler.file.bind(handler) });
  }
  const gates = keywordGates([...handlers.map((h) => h.rule), ...OWN_PATTERNS.map(([rule]) => rule)]);
  return {
    mayHold: gates.mayHold,
    mayHoldText: gates.mayHoldText,
    find: (content) => {
      const runs = gates.runs(content);
      sink = [];
      text = content;
      // Plain text, not .json: secretlint-rule-gcp parses a whole .json file for a service-account
      // key, a second JSON.parse of every message; the PEM inside is found by the privatekey rule.
      const source = { content, filePath: 'message.txt', ext: '.txt', contentType: 'text' };
      handlers.forEach((handler, i) => {
        if (runs(i)) handler.run(source);
      });
      const found = sink;
      sink = [];
      text = '';
      OWN_PATTERNS.forEach(([rule, pattern], i) => {
        if (!runs(handlers.length + i)) return;
        pattern.lastIndex = 0;
        for (let m = pattern.exec(content); m !== null; m = pattern.exec(content)) found.push({ rule, start: m.index, end: m.index + m[0].length });
      });
      return found;
    },
  };
}

/** Per rule (by position), whether it can match a text; and whether any can match some bytes. */
function keywordGates(rules: readonly string[]): { runs(text: string): (rule: number) => boolean; mayHold(bytes: Buffer): boolean; mayHoldText(text: string): boolean } {
  const all = [...new Set(rules.flatMap((rule) => RULE_KEYWORDS[rule] ?? []))];
  const index = new KeywordIndex(all, CASELESS_KEYWORDS);
  const ofRule = rules.map((rule) => RULE_KEYWORDS[rule]?.map((keyword) => all.indexOf(keyword)));
  // A rule without keywords of its own (not in the table) runs on every text.
  const unlisted = ofRule.some((keywords) => keywords === undefined);
  return {
    runs: (text) => {
      const found = index.foundIn(text);
      return (rule) => {
        const keywords = ofRule[rule];
        return keywords === undefined || keywords.some((k) => found[k]);
      };
    },
    mayHold: (bytes) => unlisted || index.anyIn(bytes),
    mayHoldText: (text) => unlisted || index.anyInText(text),
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
