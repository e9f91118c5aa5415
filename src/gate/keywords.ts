/**
 * Which of a set of literal keywords a text (or its UTF-8 bytes) contains, in a few passes of
 * indexOf rather than one search per keyword. The token rules (tokens.ts) each need one of
 * their keywords in any text they can match, so a rule whose keywords are absent is not run.
 *
 * Why not `text.includes(keyword)` per keyword: a search whose first character is everywhere
 * in the text (`xox` in a run of `x`) compares at every position, ~0.5 ms per keyword per MB;
 * a single alternation regex of all keywords costs 6-10 ms per MB. Here each keyword with a
 * separator character (`_ - . :`) is found through the occurrences of that character (memchr
 * fast, and rare in the long runs of token characters that make the rules slow), and is checked
 * only there; the few keywords without one are searched for directly.
 *
 * A keyword given as caseless (written in lower case) is found in any case of its letters, for
 * the rules whose patterns have the i flag; it must hold a separator character, so it is only
 * ever compared where one is, never searched for in a case-folded copy of the text.
 */

/** Separator characters a keyword is found through, the rarest in ordinary text first. */
const ANCHORS = ['_', ':', '-', '.'] as const;

interface Anchored {
  /** Index of the keyword in the list given to the constructor. */
  index: number;
  text: string;
  bytes: Buffer;
  caseless: boolean;
}

/** The keywords found through one anchor character, by where it sits in them and by their first character. */
interface AnchorGroup {
  char: string;
  code: number;
  byOffset: Array<{ offset: number; byFirst: Map<number, Anchored[]> }>;
  count: number;
}

/** Up to this length anyInText uses one regex of all keywords. */
const SHORT_TEXT_CHARS = 8 * 1024;

export class KeywordIndex {
  private alternation: RegExp | undefined;
  private readonly anchored: AnchorGroup[] = [];
  private readonly direct: Array<{ index: number; text: string; bytes: Buffer }> = [];

  /** `caseless`: the keywords (lower case, each with a separator character) found in any case. */
  constructor(readonly keywords: readonly string[], private readonly caseless: ReadonlySet<string> = new Set()) {
    keywords.forEach((text, index) => {
      if (text.length === 0 || /[^\x20-\x7e]/.test(text)) throw new Error(`keyword ${JSON.stringify(text)}: printable ASCII only`);
      const anchor = ANCHORS.find((char) => text.includes(char));
      const bytes = Buffer.from(text, 'latin1');
      const folds = caseless.has(text);
      if (folds && (anchor === undefined || text !== text.toLowerCase())) throw new Error(`caseless keyword ${JSON.stringify(text)}: lower case, with one of ${ANCHORS.join(' ')}`);
      if (anchor === undefined) {
        this.direct.push({ index, text, bytes });
        return;
      }
      let group = this.anchored.find((g) => g.char === anchor);
      if (!group) this.anchored.push((group = { char: anchor, code: anchor.charCodeAt(0), byOffset: [], count: 0 }));
      const offset = text.indexOf(anchor);
      let atOffset = group.byOffset.find((o) => o.offset === offset);
      if (!atOffset) group.byOffset.push((atOffset = { offset, byFirst: new Map() }));
      const keyword = { index, text, bytes, caseless: folds };
      const firsts = new Set([text.charCodeAt(0), folds ? text.toUpperCase().charCodeAt(0) : text.charCodeAt(0)]);
      for (const first of firsts) atOffset.byFirst.set(first, [...(atOffset.byFirst.get(first) ?? []), keyword]);
      group.count += 1;
    });
  }

  /** For each keyword (by index), whether the text contains it. */
  foundIn(text: string): boolean[] {
    const found = new Array<boolean>(this.keywords.length).fill(false);
    this.search(text, found, false);
    return found;
  }

  /**
   * Whether the text contains any keyword: foundIn that stops at the first. A short text (most
   * messages) is tested with one alternation regex instead: irregexp's native code costs about
   * a microsecond on it from the first call, while search() runs as bytecode until V8 has
   * optimized it, tens of microseconds per message for the first thousands of messages of a
   * session (docs/gate.md). On long texts the regex is the slow one (see above).
   */
  anyInText(text: string): boolean {
    if (text.length <= SHORT_TEXT_CHARS) {
      this.alternation ??= new RegExp(this.keywords.map((keyword) => alternative(keyword, this.caseless.has(keyword))).join('|'));
      return this.alternation.test(text);
    }
    return this.search(text, new Array<boolean>(this.keywords.length).fill(false), true);
  }

  /** Marks in `found` the keywords the text holds; true once any is found (at once with `first`). */
  private search(text: string, found: boolean[], first: boolean): boolean {
    let any = false;
    for (const { index, text: keyword } of this.direct) {
      found[index] = text.includes(keyword);
      any ||= found[index] === true;
      if (any && first) return true;
    }
    for (const { char, byOffset, count } of this.anchored) {
      let left = count;
      for (let at = text.indexOf(char); at !== -1 && left > 0; at = text.indexOf(char, at + 1)) {
        for (const { offset, byFirst } of byOffset) {
          const candidates = at >= offset ? byFirst.get(text.charCodeAt(at - offset)) : undefined;
          if (!candidates) continue;
          for (const keyword of candidates) {
            if (found[keyword.index] || !textAt(text, keyword, at - offset)) continue;
            if (first) return true;
            found[keyword.index] = true;
            any = true;
            left -= 1;
          }
        }
      }
    }
    return any;
  }

  /** Whether the bytes contain any keyword (as ASCII they are found in UTF-8 whatever surrounds them). */
  anyIn(bytes: Buffer): boolean {
    for (const { bytes: keyword } of this.direct) if (bytes.includes(keyword)) return true;
    for (const { code, byOffset } of this.anchored) {
      for (let at = bytes.indexOf(code); at !== -1; at = bytes.indexOf(code, at + 1)) {
        for (const { offset, byFirst } of byOffset) {
          const candidates = at >= offset ? byFirst.get(bytes[at - offset] as number) : undefined;
          if (candidates) for (const keyword of candidates) if (bytesAt(bytes, keyword, at - offset)) return true;
        }
      }
    }
    return false;
  }
}

/** The keyword as an alternative of the short texts' regex: escaped, its letters as [xX] when caseless. */
function alternative(keyword: string, caseless: boolean): string {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return caseless ? escaped.replace(/[a-z]/g, (letter) => `[${letter}${letter.toUpperCase()}]`) : escaped;
}

/**
 * Whether a character (code) is the keyword's: the same, or for a caseless keyword's letter its
 * ASCII upper case (the i flag without u folds no other character to an ASCII letter).
 */
function sameCode(have: number, want: number, caseless: boolean): boolean {
  return have === want || (caseless && want >= 0x61 && want <= 0x7a && have === want - 0x20);
}

function textAt(text: string, keyword: Anchored, start: number): boolean {
  if (!keyword.caseless) return text.startsWith(keyword.text, start);
  if (start < 0 || start + keyword.text.length > text.length) return false;
  for (let i = 0; i < keyword.text.length; i += 1) if (!sameCode(text.charCodeAt(start + i), keyword.text.charCodeAt(i), true)) return false;
  return true;
}

function bytesAt(haystack: Buffer, keyword: Anchored, start: number): boolean {
  const needle = keyword.bytes;
  if (start < 0 || start + needle.length > haystack.length) return false;
  for (let i = 0; i < needle.length; i += 1) if (!sameCode(haystack[start + i] as number, needle[i] as number, keyword.caseless)) return false;
  return true;
}
