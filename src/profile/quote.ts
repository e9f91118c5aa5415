/**
 * How loading messages show text that came from a file. The file may not be a profile at all
 * (`extends: ~/.ssh/id_ed25519`, a docker config.json): only short, key-like text is quoted;
 * anything else is described by its kind and length, so no message carries a secret.
 */

/** Longest piece of a file a message quotes. */
const MAX_QUOTED = 40;

/** `"text"` when it is short and key- or token-like, otherwise `(not shown)`. */
export function quoted(text: string): string {
  return /^[A-Za-z0-9_.\/@$~+:-]{1,40}$/.test(text) ? `"${text}"` : '(not shown)';
}

/** A string value for a message: quoted (JSON) when short and printable, else described. */
export function quotedValue(text: string): string {
  return text.length <= MAX_QUOTED && !/[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : `a string of ${text.length} characters (not shown)`;
}
