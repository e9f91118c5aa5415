/**
 * Where each MCP client keeps its server config, and under which key. One table, so `lint
 * --client`, `desktop --install` and `desktop --check` always agree on the file.
 */
import { homedir } from 'node:os';
import path from 'node:path';

export type ClientId = 'claude-desktop' | 'claude-code' | 'cursor' | 'vscode';

export const CLIENT_IDS: readonly ClientId[] = ['claude-desktop', 'claude-code', 'cursor', 'vscode'];

/** What differs between clients' config files. */
export interface ClientFormat {
  /** Top-level key holding the servers map. */
  serversKey: 'mcpServers' | 'servers';
  /** Whether the client accepts comments and trailing commas (JSONC). */
  jsonc: boolean;
  /** Extra fields each stdio entry needs (VS Code wants "type": "stdio"). */
  entryExtras: Record<string, string>;
}

export const CLIENT_FORMATS: Record<ClientId, ClientFormat> = {
  'claude-desktop': { serversKey: 'mcpServers', jsonc: false, entryExtras: {} },
  'claude-code': { serversKey: 'mcpServers', jsonc: false, entryExtras: {} },
  cursor: { serversKey: 'mcpServers', jsonc: false, entryExtras: {} },
  vscode: { serversKey: 'servers', jsonc: true, entryExtras: { type: 'stdio' } },
};

/**
 * The key holding the servers map: the client's own when known, otherwise guessed from the
 * file (`servers` only when it has that key and no `mcpServers`).
 */
export function serversKeyOf(data: Record<string, unknown>, client?: ClientId): ClientFormat['serversKey'] {
  if (client) return CLIENT_FORMATS[client].serversKey;
  return data.servers !== undefined && data.mcpServers === undefined ? 'servers' : 'mcpServers';
}

/** Inputs that decide a platform path; the defaults read the real process. */
export interface PathContext {
  platform?: NodeJS.Platform;
  home?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The config file a client reads by default on this platform. */
export function clientConfigPath(client: ClientId, ctx: PathContext = {}): string {
  const platform = ctx.platform ?? process.platform;
  const home = ctx.home ?? homedir();
  const env = ctx.env ?? process.env;
  const cwd = ctx.cwd ?? process.cwd();
  switch (client) {
    case 'claude-desktop':
      if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
      if (platform === 'win32') return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Claude', 'claude_desktop_config.json');
    case 'claude-code':
      return path.join(cwd, '.mcp.json');
    case 'cursor':
      return path.join(home, '.cursor', 'mcp.json');
    case 'vscode':
      return path.join(cwd, '.vscode', 'mcp.json');
  }
}

/** What each client is called in messages. */
export const CLIENT_NAMES: Record<ClientId, string> = {
  'claude-desktop': 'Claude Desktop',
  'claude-code': 'Claude Code',
  cursor: 'Cursor',
  vscode: 'VS Code',
};

/**
 * Every place below `home` where an AI client keeps its own configuration, on any platform:
 * a sandboxed server must not see or edit them (MS301).
 */
export function clientConfigLocations(home: string): string[] {
  const locations = [
    path.dirname(clientConfigPath('claude-desktop', { platform: 'darwin', home })),
    path.dirname(clientConfigPath('claude-desktop', { platform: 'linux', home, env: {} })),
    path.dirname(clientConfigPath('cursor', { home })),
    path.join(home, '.claude'),
    path.join(home, '.claude.json'),
    path.join(home, '.vscode'),
    path.join(home, 'Library', 'Application Support', 'Code'),
    path.join(home, '.config', 'Code'),
  ];
  return [...new Set(locations)];
}
