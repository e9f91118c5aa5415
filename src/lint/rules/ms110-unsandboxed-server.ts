import path from 'node:path';
import { defineRule } from '../types.js';

/** Launchers that put the server in a container; anything else runs it on the host. */
const SANDBOXED = new Set(['docker', 'podman', 'nerdctl', 'mcp-sandbox']);

export const rule = defineRule({
  id: 'MS110',
  name: 'unsandboxed-server',
  title: 'Client runs a server unsandboxed',
  severity: 'error',
  rationale: 'A client config entry that starts node, npx, uvx, python or any other program directly runs the server as you, with your files, credentials and network. A prompt injection then has all of that.',
  remediation: 'Write a profile for the server and start it with `mcp-sandbox run <profile>` (or the `docker run` line from `mcp-sandbox render`).',
  check: () => [],
  checkEntry: (entry) => {
    // Our own entries start the launcher (node + bin/mcp-sandbox.js); container entries are judged by MS111-MS115.
    if (entry.remote || entry.command === undefined || entry.ours || entry.container) return [];
    const base = path.basename(entry.command.replace(/\\/g, '/')).toLowerCase().replace(/\.(exe|cmd|bat)$/, '');
    if (SANDBOXED.has(base)) return [];
    const shown = [entry.command, ...entry.args.slice(0, 2)].join(' ');
    return [{ pointer: '/command', message: `server "${entry.name}" runs "${shown}" directly on the host, outside any sandbox` }];
  },
});
