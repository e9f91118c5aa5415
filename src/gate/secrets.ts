/**
 * Finding and masking secrets in what the server sends: the profile's declared secret values
 * (as they are, JSON-escaped, URL-encoded and base64 at each of the three byte alignments, so a
 * value inside a longer base64 text is found too) and well-known token formats (tokens.ts).
 */
import { LONGEST_KEYWORD, ruleKeywords, type TokenFinder } from './tokens.js';

/** Values shorter than this are not scanned: they would match ordinary text everywhere. */
export const MIN_SECRET_LENGTH = 8;

interface Form {
  /** Label in the mask and the security event: the secret's name, never its value. */
  source: string;
  text: string;
}

export interface MaskResult<T> {
  value: T;
  /** What was found (secret:NAME or a rule id), one entry per hit. */
  sources: string[];
}

/** The forms a value can take in a message, each as it appears inside a parsed JSON string. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value, encodeURIComponent(value)]);
  const bytes = Buffer.from(value, 'utf8');
  for (let pad = 0; pad < 3; pad += 1) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    // Only the characters that depend on the value's bytes alone (not on the unknown neighbours).
    const from = Math.ceil((8 * pad) / 6);
    const to = Math.floor((8 * (pad + bytes.length)) / 6);
    const stable = encoded.slice(from, to);
    forms.add(stable);
    forms.add(stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** A `\u` or `\/` escape: it can spell a value or token the raw text does not show. */
function hasEscape(text: string): boolean {
  for (let at = text.indexOf('\\'); at !== -1; at = text.indexOf('\\', at + 1)) {
    const next = text.charCodeAt(at + 1);
    if (next === 0x75 || next === 0x2f) return true;
  }
  return false;
}

/** hasEscape on UTF-8 bytes (a backslash byte is always the character). */
function hasEscapeBytes(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(0x5c); at !== -1; at = bytes.indexOf(0x5c, at + 1)) {
    const next = bytes[at + 1];
    if (next === 0x75 || next === 0x2f) return true;
  }
  return false;
}

export class SecretScanner {
  /** Declared secrets not scanned, with the reason (for the launcher's log). */
  readonly skipped: Array<{ name: string; reason: string }> = [];
  private readonly plain: Form[] = [];
  private readonly raw: Form[] = [];
  /** The raw forms' UTF-8 bytes (a substring of the text is a substring of its UTF-8 bytes). */
  private readonly rawBytes: Buffer[] = [];
  private tokens: TokenFinder | undefined;
  /** Token rules are to be used (they load on the first text that may need them): their keywords count. */
  private tokensExpected = false;

  constructor(secrets: Readonly<Record<string, string>>) {
    for (const [name, value] of Object.entries(secrets)) {
      if (value.length < MIN_SECRET_LENGTH) {
        this.skipped.push({ name, reason: `its value is shorter than ${MIN_SECRET_LENGTH} characters, too short to tell from ordinary text` });
        continue;
      }
      for (const text of secretForms(value)) {
        this.plain.push({ source: `secret:${name}`, text });
        this.raw.push({ source: `secret:${name}`, text });
        const escaped = JSON.stringify(text).slice(1, -1);
        if (escaped !== text) this.raw.push({ source: `secret:${name}`, text: escaped });
      }
    }
    for (const text of new Set(this.raw.map((form) => form.text))) this.rawBytes.push(Buffer.from(text, 'utf8'));
  }

  get scansTokens(): boolean {
    return this.tokens !== undefined;
  }

  /** Token rules will come (setTokenFinder): until then a keyword of theirs counts in mayHold. */
  expectTokens(expected: boolean): void {
    this.tokensExpected = expected;
  }

  setTokenFinder(finder: TokenFinder): void {
    this.tokens = finder;
  }

  /** findInRaw can run in full (the token rules are loaded, or none are expected). */
  get ready(): boolean {
    return this.tokens !== undefined || !this.tokensExpected;
  }

  /**
   * False when findInRaw would find nothing in the text: no escape, no declared value, no keyword
   * of a token rule. Needs no token rules loaded.
   */
  mayHoldText(text: string): boolean {
    if (hasEscape(text)) return true;
    for (const form of this.raw) if (text.includes(form.text)) return true;
    if (this.tokens) return this.tokens.mayHoldText(text);
    return this.tokensExpected && ruleKeywords.inText(text);
  }

  /** What a raw message text holds (sources, one per hit); empty means forward it unchanged. */
  findInRaw(text: string): string[] {
    const sources: string[] = [];
    // \u and \/ escapes can spell a value or token the raw text does not show: look at the parsed strings.
    if (hasEscape(text)) sources.push('?escaped');
    for (const form of this.raw) if (text.includes(form.text)) sources.push(form.source);
    if (this.tokens) for (const match of this.tokens.find(text)) sources.push(match.rule);
    return sources;
  }

  /**
   * False when findInRaw would find nothing in the text of these bytes, told without decoding
   * them (prescan.ts: most pieces of a long answer are never made into text).
   */
  mayHold(bytes: Buffer): boolean {
    if (hasEscapeBytes(bytes)) return true;
    for (const form of this.rawBytes) if (bytes.includes(form)) return true;
    if (this.tokens) return this.tokens.mayHold(bytes);
    return this.tokensExpected && ruleKeywords.inBytes(bytes);
  }

  /**
   * mayHold of the pieces' concatenation, without making it: each piece alone, and each seam
   * (the last bytes before a piece with its first bytes), as wide as the longest thing mayHold
   * looks for, so that whatever crosses a seam lies whole in it. A long answer's window is
   * checked so instead of being copied together (prescan.ts).
   */
  mayHoldPieces(pieces: readonly Buffer[]): boolean {
    const reach = this.longestNeedle() - 1;
    let carry: Buffer = Buffer.alloc(0);
    for (const piece of pieces) {
      if (this.mayHold(piece)) return true;
      if (carry.length > 0 && this.mayHold(Buffer.concat([carry, piece.subarray(0, reach)]))) return true;
      carry = piece.length >= reach ? piece.subarray(piece.length - reach) : Buffer.concat([carry, piece]).subarray(-reach);
    }
    return false;
  }

  /** The longest byte string mayHold looks for: an escape (2), a declared value's raw form, a keyword. */
  private longestNeedle(): number {
    this.needle ??= Math.max(2, LONGEST_KEYWORD, ...this.rawBytes.map((form) => form.length));
    return this.needle;
  }

  private needle: number | undefined;

  /** One text with every hit replaced by `[masked:LABEL]`. */
  maskText(text: string): MaskResult<string> {
    const ranges: Array<[number, number, string]> = [];
    for (const form of this.plain) {
      for (let at = text.indexOf(form.text); at !== -1; at = text.indexOf(form.text, at + form.text.length)) ranges.push([at, at + form.text.length, form.source]);
    }
    if (this.tokens) for (const match of this.tokens.find(text)) ranges.push([match.start, match.end, match.rule]);
    if (ranges.length === 0) return { value: text, sources: [] };
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = '';
    let pos = 0;
    const sources: string[] = [];
    for (const [start, end, source] of ranges) {
      if (end <= pos) continue;
      out += text.slice(pos, Math.max(pos, start)) + `[masked:${source.replace(/^secret:/, '').replace(/^@secretlint\/secretlint-rule-/, '')}]`;
      pos = end;
      sources.push(source);
    }
    return { value: out + text.slice(pos), sources };
  }

  /** Every string (keys too) of a parsed JSON value masked; a new value when anything changed. */
  maskJson(value: unknown): MaskResult<unknown> {
    const sources: string[] = [];
    const walk = (node: unknown): unknown => {
      if (typeof node === 'string') {
        const masked = this.maskText(node);
        sources.push(...masked.sources);
        return masked.value;
      }
      if (Array.isArray(node)) return node.map(walk);
      if (typeof node === 'object' && node !== null) {
        // Keys come from the server: a null-prototype object, so "__proto__" stays a plain key.
        const out = Object.create(null) as Record<string, unknown>;
        for (const [key, child] of Object.entries(node)) out[walk(key) as string] = walk(child);
        return out;
      }
      return node;
    };
    const result = walk(value);
    return { value: result, sources };
  }
}
