/**
 * The server entries `desktop` writes, and how it recognizes its own.
 *
 * Ownership marker: the arguments themselves. An entry is ours when its command line contains
 * the launcher (`…/mcp-sandbox.js`, `mcp-sandbox`, `mcp-sandbox@x`) immediately followed by
 * `run`. No extra key is written, because VS Code validates entries against a schema and
 * other clients may reject unknown keys; and the marker cannot drift from what the entry does.
 */
import path from 'node:path';
import type { ClientFormat } from './paths.js';
import type { ServerEntry } from './config-file.js';
import type { Launcher } from './launcher.js';

/** What one profile contributes: its name, file and declared secret names. */
export interface ProfileRef {
  name: string;
  /** Absolute path of the profile file. */
  file: string;
  secrets: string[];
}

export interface EntryOptions {
  launcher: Launcher;
  /** Write `"env": {"NAME": ""}` for declared secrets, for the user to fill in. */
  envPlaceholders?: boolean;
}

/** The entry a client needs to start `profile` through the launcher. */
export function buildEntry(profile: ProfileRef, format: ClientFormat, options: EntryOptions): ServerEntry {
  const entry: ServerEntry = {
    ...format.entryExtras,
    command: options.launcher.command,
    args: [...options.launcher.args, 'run', profile.file],
  };
  if (options.envPlaceholders && profile.secrets.length > 0) {
    entry.env = Object.fromEntries(profile.secrets.map((name) => [name, '']));
  }
  return entry;
}

function isLauncherToken(token: string): boolean {
  if (/^mcp-sandbox(@[^\s/]+)?$/.test(token)) return true;
  const base = path.win32.basename(token); // splits on both / and \
  return /^mcp-sandbox(\.js|\.cmd|\.exe|\.ps1)?$/i.test(base);
}

/** Index in `[command, ...args]` of the profile argument after `<launcher> run`, or -1. */
function runIndex(entry: unknown): { tokens: string[]; index: number } {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return { tokens: [], index: -1 };
  const { command, args } = entry as ServerEntry;
  if (typeof command !== 'string') return { tokens: [], index: -1 };
  const tokens = [command, ...(Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [])];
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (isLauncherToken(tokens[i] as string) && tokens[i + 1] === 'run') return { tokens, index: i + 2 };
  }
  return { tokens, index: -1 };
}

/** True when the entry starts the mcp-sandbox launcher with `run`, i.e. was written by us. */
export function isOurEntry(entry: unknown): boolean {
  return runIndex(entry).index !== -1;
}

/** The profile argument of one of our entries, if it has one. */
export function entryProfile(entry: unknown): string | undefined {
  const { tokens, index } = runIndex(entry);
  return index === -1 ? undefined : tokens[index];
}

/**
 * How an installed entry differs from the wanted one, as short phrases (empty = in sync).
 * Only the fields we write are compared; keys the user added are theirs. Env values are never
 * compared nor printed: with placeholders only the presence of each name counts.
 */
export function entryDifferences(installed: ServerEntry, wanted: ServerEntry): string[] {
  const differences: string[] = [];
  for (const key of Object.keys(wanted)) {
    if (key === 'env') continue;
    if (JSON.stringify(installed[key]) !== JSON.stringify(wanted[key])) {
      differences.push(`${key} is ${describe(installed[key])}, expected ${describe(wanted[key])}`);
    }
  }
  const wantedEnv = Object.keys(wanted.env ?? {});
  const installedEnv = installed.env && typeof installed.env === 'object' ? installed.env : {};
  const missing = wantedEnv.filter((name) => !Object.hasOwn(installedEnv, name));
  if (missing.length > 0) differences.push(`env lacks ${missing.join(', ')}`);
  return differences;
}

function describe(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}
