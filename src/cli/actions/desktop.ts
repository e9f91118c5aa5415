import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { prepareSandbox } from '../../compile/prepare.js';
import { displayPath, EXIT_CODES, formatError, ReportedFailure, SandboxError } from '../../errors.js';
import type { ServerEntry } from '../../clients/config-file.js';
import { buildEntry, type EntryOptions, type ProfileRef } from '../../clients/entries.js';
import { checkEntries, installEntries, readEntries, uninstallEntries, type ChangeResult, type DriftLine } from '../../clients/install.js';
import { NPX_LAUNCHER, resolveLauncher } from '../../clients/launcher.js';
import { CLIENT_FORMATS, CLIENT_NAMES, clientConfigPath, type ClientFormat, type ClientId } from '../../clients/paths.js';
import { assertInsideDistro, throughWsl, windowsClientConfigPath } from '../../clients/wsl.js';

/** `desktop`'s command-line options (declared in ../commands/desktop.ts). */
export interface DesktopOptions {
  client: ClientId;
  install?: boolean;
  uninstall?: boolean;
  check?: boolean;
  force?: boolean;
  configPath?: string;
  npx?: boolean;
  envPlaceholders?: boolean;
  /** Windows: start the launcher inside this WSL2 distribution (src/clients/wsl.ts). */
  wsl?: string;
}


/** `mcp-sandbox desktop [profile…]` (declared in ../commands/desktop.ts). */
export function desktopAction(args: string[], options: DesktopOptions): void {
  const format = CLIENT_FORMATS[options.client];
  // HOME is read from the same environment as XDG_CONFIG_HOME and APPDATA, so a temporary
  // HOME (tests, sandboxed shells) moves every client path together.
  const home = process.platform === 'win32' ? homedir() : process.env.HOME || homedir();
  if (options.wsl) assertInsideDistro(options.wsl);
  const configFile = options.configPath ? path.resolve(options.configPath) : options.wsl ? windowsClientConfigPath(options.client) : clientConfigPath(options.client, { home });
  const entryOptions = (): EntryOptions => ({
    launcher: throughWsl(options.wsl, options.npx ? NPX_LAUNCHER : resolveLauncher()),
    envPlaceholders: options.envPlaceholders ?? false,
  });

  if (options.uninstall) {
    const result = uninstallEntries(configFile, format, args.length ? args.map(entryName) : undefined, { force: options.force ?? false });
    report(result, options.client);
    const foreign = result.actions.filter((a) => a.action === 'foreign');
    if (foreign.length > 0) {
      throw new SandboxError('CONFIG_CONFLICT', `${foreign.map((a) => `"${a.name}"`).join(', ')} not written by mcp-sandbox; left in place`, {
        hint: 'pass --force to remove anyway',
      });
    }
    return;
  }

  if (options.check) {
    const lines = args.length ? checkProfiles(args, configFile, format, entryOptions) : checkInstalled(configFile, format, entryOptions);
    if (lines.length === 0) process.stdout.write(`no mcp-sandbox entries in ${displayPath(configFile)}\n`);
    for (const line of lines) process.stdout.write(`${line.status.padEnd(8)} ${line.name}${line.detail ? `: ${line.detail}` : ''}\n`);
    const drift = lines.filter((l) => l.status !== 'ok');
    if (drift.length > 0) {
      process.stderr.write(`mcp-sandbox: ${drift.length} of ${lines.length} entr${lines.length === 1 ? 'y' : 'ies'} drifted in ${displayPath(configFile)} (run desktop --install to update)\n`);
      throw new ReportedFailure(EXIT_CODES.CONFIG_CONFLICT, 'drift');
    }
    return;
  }

  if (args.length === 0) throw new SandboxError('USAGE', 'name at least one profile', { hint: 'mcp-sandbox desktop profiles/everything.yaml' });
  const refs = args.map(profileRef);
  const seen = new Map<string, string>();
  for (const ref of refs) {
    const other = seen.get(ref.name);
    if (other && other !== ref.file) throw new SandboxError('USAGE', `two profiles are named "${ref.name}": ${displayPath(other)} and ${displayPath(ref.file)}`);
    seen.set(ref.name, ref.file);
  }
  const entryOpts = entryOptions();
  const entries = new Map<string, ServerEntry>(refs.map((ref) => [ref.name, buildEntry(ref, format, entryOpts)]));
  if (!options.envPlaceholders) noteSecrets(refs);

  if (options.install) {
    report(installEntries(configFile, format, entries, { force: options.force ?? false }), options.client);
    return;
  }
  process.stdout.write(`${JSON.stringify({ [format.serversKey]: Object.fromEntries(entries) }, null, 2)}\n`);
}

function profileRef(arg: string): ProfileRef {
  const { loaded } = prepareSandbox(arg);
  return { name: loaded.profile.name, file: loaded.file, secrets: loaded.profile.secrets };
}

/** For --uninstall: a profile's name, or the argument itself when it names no profile (deleted file). */
function entryName(arg: string): string {
  try {
    return profileRef(arg).name;
  } catch (error) {
    if (error instanceof SandboxError && error.code === 'PROFILE_NOT_FOUND' && !arg.includes('/') && !/\.ya?ml$/.test(arg)) return arg;
    throw error;
  }
}

function noteSecrets(refs: ProfileRef[]): void {
  for (const ref of refs) {
    if (ref.secrets.length === 0) continue;
    process.stderr.write(
      `note: ${ref.name} declares secrets ${ref.secrets.join(', ')}; no values are written: the launcher reads them from ~/.config/mcp-sandbox/secrets.env or its environment (or use --env-placeholders)\n`,
    );
  }
}

function report(result: ChangeResult, client: ClientId): void {
  const file = displayPath(result.file);
  for (const { name, action } of result.actions) {
    const where = action === 'removed' ? 'from' : 'in';
    process.stdout.write(`${action.padEnd(9)} ${name} ${where} ${file}\n`);
  }
  if (result.backup) process.stdout.write(`backup    ${displayPath(result.backup)}\n`);
  if (result.deleted) process.stdout.write(`deleted   ${file} (it held only mcp-sandbox entries)\n`);
  if (result.changed && client !== 'claude-code') process.stdout.write(`restart ${CLIENT_NAMES[client]} to load the change\n`);
}

/** Drift against the named profiles; our other entries count as extra. */
function checkProfiles(args: string[], configFile: string, format: ClientFormat, entryOptions: () => EntryOptions): DriftLine[] {
  const opts = entryOptions();
  const wanted = new Map<string, ServerEntry>();
  for (const arg of args) {
    const ref = profileRef(arg);
    wanted.set(ref.name, buildEntry(ref, format, opts));
  }
  return checkEntries(configFile, format, wanted, true);
}

/** Drift of every installed entry of ours against the profile file its arguments name. */
function checkInstalled(configFile: string, format: ClientFormat, entryOptions: () => EntryOptions): DriftLine[] {
  const { entries } = readEntries(configFile, format);
  const lines: DriftLine[] = [];
  let opts: EntryOptions | undefined;
  for (const installed of entries.filter((e) => e.ours)) {
    const profile = installed.profile;
    if (!profile || !path.isAbsolute(profile) || !existsSync(profile)) {
      lines.push({ name: installed.name, status: 'broken', detail: `profile ${profile ?? '(none)'} does not exist` });
      continue;
    }
    let ref: ProfileRef;
    try {
      ref = profileRef(profile);
    } catch (error) {
      lines.push({ name: installed.name, status: 'broken', detail: formatError(error) });
      continue;
    }
    opts ??= entryOptions();
    const [line] = checkEntries(configFile, format, new Map([[installed.name, buildEntry(ref, format, opts)]]), false);
    if (line && ref.name !== installed.name) {
      lines.push({ name: installed.name, status: 'differs', detail: `the profile is now named "${ref.name}"${line.detail ? `; ${line.detail}` : ''}` });
    } else if (line) lines.push(line);
  }
  return lines;
}
