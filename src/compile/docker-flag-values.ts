/**
 * The value syntaxes of docker run flags, both ways: sizes, booleans, `--mount` CSV, `-v`
 * specs (with Windows drive letters), `--tmpfs` options. Shared by the flag table's parse and
 * emit sides (docker-flags.ts).
 */
import type { MountEntry, TmpfsEntry } from '../profile/types.js';

/** docker's `--flag` / `--flag=true|1` / `--flag=false|0`; undefined for anything else. */
export function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

/**
 * docker's RAM sizes (512m, 1g, 512MB, 1GiB, bytes) in the profile's spelling, which
 * profile/units.ts parses: docker also takes a trailing b/ib after the unit and a space before it.
 */
export function toProfileSize(value: string): string | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])?(?:i?b)?$/i.exec(value.trim());
  if (!match) return undefined;
  return `${match[1]}${(match[2] ?? '').toLowerCase()}`;
}

/** Splits a --mount value: CSV, where a field may be double-quoted. */
export function csvFields(value: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (quoted && char === '"' && value[i + 1] === '"') {
      current += '"';
      i++;
    } else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      fields.push(current);
      current = '';
    } else current += char;
  }
  fields.push(current);
  return fields;
}

/** --mount values are CSV: a field holding a comma or quote is quoted. */
export function csvField(field: string): string {
  return /[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** --mount's fields by lower-cased key (a bare key such as `readonly` has no value). */
export function mountFields(value: string): Map<string, string | undefined> {
  const fields = new Map<string, string | undefined>();
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    fields.set((eq >= 0 ? field.slice(0, eq) : field).toLowerCase(), eq >= 0 ? field.slice(eq + 1) : undefined);
  }
  return fields;
}

/** A Windows drive path (`C:\…`, `C:/…`): its colon is not a separator in a `-v` spec. */
const DRIVE = /^[A-Za-z]:[\\/]/;

/**
 * Splits `-v SOURCE:TARGET[:OPTIONS]` the way docker does on every host it may be meant for:
 * a drive letter (`C:\Users\me:/x:ro`) stays with its path.
 */
export function splitVolumeSpec(spec: string): string[] {
  const parts: string[] = [];
  let rest = spec;
  while (rest !== '') {
    const skip = DRIVE.test(rest) ? 2 : 0;
    const colon = rest.indexOf(':', skip);
    if (colon < 0) {
      parts.push(rest);
      break;
    }
    parts.push(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  return parts;
}

/** A `-v` source that is a host path (a bind), not a volume name. */
export function isHostPath(source: string): boolean {
  return /^[/.~$\\]/.test(source) || DRIVE.test(source) || source.includes('/');
}

/** Volume options docker accepts that change nothing the profile describes. */
export const HARMLESS_VOLUME_OPTIONS = new Set(['rw', 'consistent', 'cached', 'delegated']);

/** Mount propagation back to the host: a mount the container makes appears on the host. */
export const SHARED_PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave']);

/** A `--tmpfs PATH[:OPTIONS]` value as a profile entry, and the options that have no place in one. */
export function parseTmpfs(value: string): { entry: TmpfsEntry; unmapped: string[] } {
  const colon = value.indexOf(':');
  const entry: TmpfsEntry = { path: colon >= 0 ? value.slice(0, colon) : value };
  const unmapped: string[] = [];
  let exec = false;
  for (const option of colon >= 0 ? value.slice(colon + 1).split(',') : []) {
    const [key, val] = option.split('=', 2) as [string, string | undefined];
    const size = key === 'size' && val !== undefined ? toProfileSize(val) : undefined;
    if (size) entry.size = size;
    else if (key === 'mode' && val !== undefined) entry.mode = val;
    else if (key === 'exec') exec = true;
    else if (key === 'noexec') exec = false;
    else if (!['rw', 'nosuid', 'nodev', ''].includes(key)) unmapped.push(option);
  }
  entry.exec = exec;
  return { entry, unmapped };
}

/** A `--mount` of type bind or volume as a profile entry (undefined: not expressible). */
export function bindOrVolume(type: string, source: string | undefined, target: string, readOnly: boolean): MountEntry | undefined {
  if ((type !== 'bind' && type !== 'volume') || !source) return undefined;
  return { type, source, target, readOnly };
}
