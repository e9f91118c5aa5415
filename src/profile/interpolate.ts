/**
 * `${VAR}` interpolation in host paths, with the semantics of Compose (compose-go's template
 * package) and POSIX shell parameter expansion:
 *
 *   $$            a literal $
 *   $V, ${V}      the value of V; unset or empty is an error here (an empty segment would mount
 *                 a parent directory)
 *   ${V:-word}    word when V is unset or empty      ${V-word}  word when V is unset
 *   ${V:+word}    word when V is set and non-empty   ${V+word}  word when V is set
 *   ${V:?msg}     error msg when V is unset or empty ${V?msg}   error msg when V is unset
 *
 * `word` is itself interpolated (nested `${A:-${B}}`), but only when it is used, as in the shell.
 * Malformed text (`${`, `${1}`, `${V:x}`, a lone `$`) is an error naming the character offset.
 */

/** A variable that must be set is not, or the text is malformed; `offset` is 0-based. */
export class InterpolationError extends Error {
  readonly offset: number;
  /** Set when a required variable is unset (or empty); `detail` is the `${V:?detail}` text. */
  readonly variable?: string;
  readonly detail?: string;
  constructor(message: string, offset: number, variable?: string, detail?: string) {
    super(message);
    this.name = 'InterpolationError';
    this.offset = offset;
    this.variable = variable;
    this.detail = detail;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Expands every variable reference in `text`; throws InterpolationError. */
export function interpolate(text: string, env: Env): string {
  return expand(text, 0, env, true, undefined).value;
}

/**
 * Expands from `start` up to the end of the text or, inside `${…}` (`opener` is the offset of
 * its `$`), up to the closing `}`. A `}` outside braces is literal, as in the shell.
 */
function expand(text: string, start: number, env: Env, evaluate: boolean, opener: number | undefined): { value: string; end: number } {
  const nested = opener !== undefined;
  let value = '';
  let i = start;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '}' && nested) return { value, end: i };
    if (c !== '$') {
      value += c;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      value += '$';
      i += 2;
    } else if (next === '{') {
      const braced = expandBraced(text, i, env, evaluate);
      value += braced.value;
      i = braced.end;
    } else {
      const name = nameAt(text, i + 1);
      if (name === undefined) throw new InterpolationError('a "$" must start $NAME or ${NAME}; write $$ for a literal $', i);
      value += evaluate ? required(env, name, i) : '';
      i += 1 + name.length;
    }
  }
  if (nested) throw new InterpolationError('"${" is never closed with "}"', opener);
  return { value, end: i };
}

/** `${…}` starting at `dollar`; returns the expansion and the offset after its `}`. */
function expandBraced(text: string, dollar: number, env: Env, evaluate: boolean): { value: string; end: number } {
  const name = nameAt(text, dollar + 2);
  if (name === undefined) throw new InterpolationError('"${" must be followed by a variable name (letters, digits, _)', dollar);
  let i = dollar + 2 + name.length;
  if (i >= text.length) throw new InterpolationError('"${" is never closed with "}"', dollar);
  if (text[i] === '}') return { value: evaluate ? required(env, name, dollar) : '', end: i + 1 };
  const colon = text[i] === ':';
  if (colon) i += 1;
  const op = text[i];
  if (op !== '-' && op !== '+' && op !== '?') {
    throw new InterpolationError(`unknown operator in \${${name}…}: expected }, :-, -, :+, +, :? or ?`, i);
  }
  const value = lookup(env, name);
  const set = value !== undefined && (!colon || value !== '');
  const usesWord = op === '-' ? !set : op === '+' ? set : !set;
  const word = expand(text, i + 1, env, evaluate && usesWord, dollar);
  const end = word.end + 1;
  if (!evaluate) return { value: '', end };
  if (op === '-') return { value: set ? (value as string) : word.value, end };
  if (op === '+') return { value: set ? word.value : '', end };
  if (set) return { value: value as string, end };
  throw new InterpolationError(`environment variable ${name} is not set${word.value ? `: ${word.value}` : ''}`, dollar, name, word.value || undefined);
}

function nameAt(text: string, offset: number): string | undefined {
  NAME.lastIndex = offset;
  return NAME.exec(text)?.[0];
}

/** Own string values only: a variable called toString must not find Object.prototype's. */
function lookup(env: Env, name: string): string | undefined {
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function required(env: Env, name: string, offset: number): string {
  const value = lookup(env, name);
  if (value === undefined || value === '') throw new InterpolationError(`environment variable ${name} is not set`, offset, name);
  return value;
}
