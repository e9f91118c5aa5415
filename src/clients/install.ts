/**
 * Installing, removing and checking our entries in a client's config file.
 *
 * Safety rules, in order: a file that does not parse is never touched (the error names
 * file:line:col); an entry of the same name that we did not write is refused unless `force`;
 * nothing is written when nothing changes (so no backup either); otherwise the original bytes
 * are copied to `<file>.bak-YYYYMMDDTHHMMSSZ` first and the new text replaces the file
 * atomically (src/fs/atomic-write.ts). The whole read-modify-write holds `<file>.lock`
 * (src/fs/lock.ts), so parallel installs into one file all survive. A symlinked config is
 * written through to its target (also a dangling one, when the target's directory exists);
 * a UTF-8 byte-order mark is kept.
 * Edits are minimal text edits (json-edit.ts): comments and untouched bytes survive, and
 * install followed by uninstall gives back the original bytes.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Node } from 'jsonc-parser';
import { SandboxError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { backupFile } from '../fs/backup.js';
import { withFileLock } from '../fs/lock.js';
import { realpathLongestPrefix } from '../fs/realpath.js';
import { offsetToLineColumn, parseClientConfig, readClientConfig, withBom, type ClientConfig, type ServerEntry } from './config-file.js';
import { entryDifferences, entryProfile, isOurEntry } from './entries.js';
import { applyEdit, detectStyle, findProperty, insertPropertyEdit, isEmptyObject, removePropertyEdit, replaceValueEdit, rootNode, type TextStyle } from './json-edit.js';
import type { ClientFormat } from './paths.js';

export type EntryAction = 'added' | 'updated' | 'replaced' | 'unchanged' | 'removed' | 'absent' | 'foreign';

export interface ChangeResult {
  file: string;
  /** Per entry name, what happened to it. */
  actions: Array<{ name: string; action: EntryAction }>;
  /** Whether the file was written (or deleted). */
  changed: boolean;
  /** The backup of the previous bytes, when the file existed and changed. */
  backup?: string;
  /** Uninstall deleted a file that held nothing but our entries. */
  deleted?: boolean;
}

export interface InstallOptions {
  /** Replace same-name entries that we did not write. */
  force?: boolean;
  /** Clock for backup names (tests). */
  now?: Date;
}

/**
 * Where a symlinked config really lives, so the link survives the atomic rename. A dangling
 * link is followed to where it points; when even that directory is missing, it is refused
 * rather than replaced by a file.
 */
function targetOf(file: string): string {
  try {
    if (!lstatSync(file).isSymbolicLink()) return file;
  } catch {
    return file; // does not exist yet
  }
  try {
    return realpathSync(file);
  } catch {
    const target = realpathLongestPrefix(file);
    if (target !== file && existsSync(path.dirname(target))) return target;
    throw new SandboxError('CONFIG_CONFLICT', `${file} is a symlink to ${target}, whose directory does not exist`, {
      hint: 'create the directory, or replace the link by a file',
    });
  }
}

function serversNode(text: string, format: ClientFormat, file: string): Node | undefined {
  const root = rootNode(text);
  const property = root ? findProperty(root, format.serversKey) : undefined;
  const value = property?.children?.[1];
  if (value && value.type !== 'object') {
    throw new SandboxError('CONFIG_CONFLICT', `"${format.serversKey}" is not an object`, {
      location: { file, ...offsetToLineColumn(text, value.offset) },
      hint: 'fix the file by hand',
    });
  }
  return value;
}

/** The servers map of a read config (empty when absent), its type checked with a location. */
function serversOf(config: ClientConfig, format: ClientFormat): Record<string, unknown> {
  const servers = config.data[format.serversKey];
  if (servers !== undefined) serversNode(config.text, format, config.file);
  return (servers ?? Object.create(null)) as Record<string, unknown>;
}

function locationOf(file: string, text: string, format: ClientFormat, name: string): { file: string; line: number; column: number } {
  const property = findProperty(serversNode(text, format, file) as Node, name);
  return { file, ...offsetToLineColumn(text, property?.offset ?? 0) };
}

/** Adds `key: value` to the servers object, creating the object (and the document) if needed. */
function insertEntry(text: string, format: ClientFormat, name: string, entry: ServerEntry, style: TextStyle, file: string): string {
  if (/^\s*$/.test(text)) text = `{}${style.eol}`;
  const servers = serversNode(text, format, file);
  if (servers) return applyEdit(text, insertPropertyEdit(text, servers, name, entry, style));
  return applyEdit(text, insertPropertyEdit(text, rootNode(text) as Node, format.serversKey, { [name]: entry }, style));
}

/** Our fields over the existing entry: keys the user added stay, filled-in env values stay. */
function mergeEntry(existing: ServerEntry, wanted: ServerEntry): ServerEntry {
  const merged: ServerEntry = { ...existing };
  for (const [key, value] of Object.entries(wanted)) {
    if (key !== 'env') merged[key] = value;
  }
  if (wanted.env) {
    const env: Record<string, string> = Object.create(null) as Record<string, string>;
    if (existing.env && typeof existing.env === 'object') Object.assign(env, existing.env);
    for (const name of Object.keys(wanted.env)) if (!Object.hasOwn(env, name)) env[name] = '';
    merged.env = env;
  }
  return merged;
}

/** Entries by name: a Map, or a record (whose keys must be own properties). */
export type EntryMap = ReadonlyMap<string, ServerEntry> | Readonly<Record<string, ServerEntry>>;

function entryList(entries: EntryMap): Array<[string, ServerEntry]> {
  return entries instanceof Map ? [...entries] : Object.entries(entries as Record<string, ServerEntry>);
}

/** Merges `entries` (name -> entry) into the config file, holding its lock. */
export function installEntries(configFile: string, format: ClientFormat, entries: EntryMap, options: InstallOptions = {}): ChangeResult {
  const file = targetOf(configFile);
  mkdirSync(path.dirname(file), { recursive: true }); // the lock file lives next to it
  return withFileLock(file, () => installLocked(file, format, entryList(entries), options));
}

function installLocked(file: string, format: ClientFormat, entries: Array<[string, ServerEntry]>, options: InstallOptions): ChangeResult {
  const config = readClientConfig(file, format.jsonc);
  const original = config.text;
  const style = detectStyle(original);
  const servers = serversOf(config, format);
  const foreign = entries.map(([name]) => name).filter((name) => Object.hasOwn(servers, name) && !isOurEntry(servers[name]));
  if (foreign.length > 0 && !options.force) {
    throw new SandboxError(
      'CONFIG_CONFLICT',
      `${foreign.map((n) => `"${n}"`).join(', ')} already ${foreign.length === 1 ? 'exists' : 'exist'} and ${foreign.length === 1 ? 'was' : 'were'} not written by mcp-sandbox; nothing changed`,
      { location: locationOf(file, original, format, foreign[0] as string), hint: 'rename the profile, remove the entry, or pass --force to replace it' },
    );
  }
  let text = original;
  const actions: ChangeResult['actions'] = [];
  for (const [name, wanted] of entries) {
    const existing = Object.hasOwn(servers, name) ? servers[name] : undefined;
    const { next, action } = applyEntry(text, format, { name, wanted, existing }, style, file);
    text = next;
    actions.push({ name, action });
  }
  if (!text.endsWith(style.eol) && !config.exists) text += style.eol;
  if (text === original) return { file, actions, changed: false };
  parseClientConfig(file, text, format.jsonc); // never write what we could not read back
  const backup = config.exists ? backupFile(file, options.now) : undefined;
  writeFileAtomic(file, withBom(text, config.bom));
  return { file, actions, changed: true, ...(backup ? { backup } : {}) };
}

/** One entry into the text: added, updated in place, replaced, or left as it is. */
function applyEntry(text: string, format: ClientFormat, change: { name: string; wanted: ServerEntry; existing: unknown }, style: TextStyle, file: string): { next: string; action: EntryAction } {
  const { name, wanted, existing } = change;
  if (existing === undefined) return { next: insertEntry(text, format, name, wanted, style, file), action: 'added' };
  const ours = isOurEntry(existing);
  const desired = ours && typeof existing === 'object' ? mergeEntry(existing as ServerEntry, wanted) : wanted;
  if (JSON.stringify(desired) === JSON.stringify(existing)) return { next: text, action: 'unchanged' };
  const property = findProperty(serversNode(text, format, file) as Node, name) as Node;
  return { next: applyEdit(text, replaceValueEdit(text, property.children?.[1] as Node, desired, style)), action: ours ? 'updated' : 'replaced' };
}

/**
 * Removes our entries: those named in `names` (all of ours when omitted). A named entry we
 * did not write is left alone (action 'foreign') unless `force`.
 */
export function uninstallEntries(configFile: string, format: ClientFormat, names?: string[], options: InstallOptions = {}): ChangeResult {
  const file = targetOf(configFile);
  if (!existsSync(path.dirname(file))) return { file, actions: (names ?? []).map((name) => ({ name, action: 'absent' })), changed: false };
  return withFileLock(file, () => uninstallLocked(file, format, names, options));
}

function uninstallLocked(file: string, format: ClientFormat, names: string[] | undefined, options: InstallOptions): ChangeResult {
  const config = readClientConfig(file, format.jsonc);
  if (!config.exists) return { file, actions: (names ?? []).map((name) => ({ name, action: 'absent' })), changed: false };
  const original = config.text;
  const servers = serversOf(config, format);
  const targets = names ?? Object.keys(servers).filter((name) => isOurEntry(servers[name]));

  let text = original;
  const actions: ChangeResult['actions'] = [];
  for (const name of targets) {
    if (!Object.hasOwn(servers, name)) {
      actions.push({ name, action: 'absent' });
      continue;
    }
    if (!isOurEntry(servers[name]) && !options.force) {
      actions.push({ name, action: 'foreign' });
      continue;
    }
    const edit = removePropertyEdit(text, serversNode(text, format, file) as Node, name);
    if (edit) text = applyEdit(text, edit);
    actions.push({ name, action: 'removed' });
  }
  if (text === original) return { file, actions, changed: false };

  // An emptied servers object, and then an emptied file, go too when we created them.
  const origin = originOf(file, format);
  const servers2 = serversNode(text, format, file);
  if (servers2 && isEmptyObject(text, servers2) && origin.serversKeyOurs) {
    const edit = removePropertyEdit(text, rootNode(text) as Node, format.serversKey);
    if (edit) text = applyEdit(text, edit);
  }
  const deleteFile = origin.fileOurs && /^\s*\{\s*\}\s*$/.test(text);

  parseClientConfig(file, text, format.jsonc);
  const backup = backupFile(file, options.now);
  if (deleteFile) unlinkSync(file);
  else writeFileAtomic(file, withBom(text, config.bom));
  return { file, actions, changed: true, backup, ...(deleteFile ? { deleted: true } : {}) };
}

function safeParse(file: string, format: ClientFormat): Record<string, unknown> | undefined {
  try {
    return parseClientConfig(file, readFileSync(file, 'utf8'), format.jsonc);
  } catch {
    return undefined;
  }
}

/**
 * Whether we created the servers key and the file, judged by the oldest backup: that is the
 * file as it was before our first change. No backup means the file did not exist then; a
 * backup that holds only our entries was taken after we had created the file.
 */
function originOf(file: string, format: ClientFormat): { serversKeyOurs: boolean; fileOurs: boolean } {
  const oldest = backups(file)[0];
  if (!oldest) return { serversKeyOurs: true, fileOurs: true };
  const data = safeParse(oldest, format);
  if (!data) return { serversKeyOurs: false, fileOurs: false };
  const servers = data[format.serversKey];
  if (servers === undefined) return { serversKeyOurs: true, fileOurs: false };
  const onlyOurs =
    typeof servers === 'object' && servers !== null && Object.keys(servers).length > 0 && Object.values(servers).every((entry) => isOurEntry(entry));
  return { serversKeyOurs: onlyOurs, fileOurs: onlyOurs && Object.keys(data).length === 1 };
}

/** One of our installed entries, with the profile its arguments name. */
export interface InstalledEntry {
  name: string;
  entry: ServerEntry;
  profile?: string;
}

/** Every entry in the file, ours or not. A missing file has none. */
export function readEntries(configFile: string, format: ClientFormat): { file: string; exists: boolean; entries: Array<InstalledEntry & { ours: boolean }> } {
  const file = targetOf(configFile);
  const config = readClientConfig(file, format.jsonc);
  return {
    file,
    exists: config.exists,
    entries: Object.entries(serversOf(config, format)).map(([name, entry]) => {
      const profile = entryProfile(entry);
      return { name, entry: entry as ServerEntry, ours: isOurEntry(entry), ...(profile ? { profile } : {}) };
    }),
  };
}

export type DriftStatus = 'ok' | 'missing' | 'differs' | 'foreign' | 'extra' | 'broken';

export interface DriftLine {
  name: string;
  status: DriftStatus;
  detail?: string;
}

/**
 * Compares installed entries with `wanted` (name -> entry). With `reportExtra`, our entries
 * not in `wanted` are drift too.
 */
export function checkEntries(configFile: string, format: ClientFormat, wantedEntries: EntryMap, reportExtra: boolean): DriftLine[] {
  const wanted = new Map(entryList(wantedEntries));
  const { entries } = readEntries(configFile, format);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const lines: DriftLine[] = [];
  for (const [name, entry] of wanted) {
    const installed = byName.get(name);
    if (!installed) lines.push({ name, status: 'missing' });
    else if (!installed.ours) lines.push({ name, status: 'foreign', detail: 'an entry of this name was not written by mcp-sandbox' });
    else {
      const differences = entryDifferences(installed.entry, entry);
      lines.push(differences.length ? { name, status: 'differs', detail: differences.join('; ') } : { name, status: 'ok' });
    }
  }
  if (reportExtra) {
    for (const installed of entries) {
      if (installed.ours && !wanted.has(installed.name)) {
        lines.push({ name: installed.name, status: 'extra', detail: `installed by mcp-sandbox${installed.profile ? ` for ${installed.profile}` : ''} but not generated by the given profiles` });
      }
    }
  }
  return lines;
}


const BACKUP = /^\.bak-(\d{8}T\d{6}Z)(?:-(\d+))?$/;

/** The backups of `file`, oldest first. */
export function backups(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.bak-`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix) && BACKUP.test(n.slice(path.basename(file).length)));
  } catch {
    return [];
  }
  const key = (n: string): [string, number] => {
    const m = BACKUP.exec(n.slice(path.basename(file).length)) as RegExpExecArray;
    return [m[1] as string, Number(m[2] ?? 0)];
  };
  names.sort((a, b) => {
    const [sa, na] = key(a);
    const [sb, nb] = key(b);
    return sa === sb ? na - nb : sa < sb ? -1 : 1;
  });
  return names.map((n) => path.join(dir, n));
}

/** The atomic writer lives in src/fs/; re-exported for the callers and tests of this module. */
