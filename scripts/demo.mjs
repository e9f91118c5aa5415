#!/usr/bin/env node
// @ts-check
// The MCP half of `npm run demo` (scripts/demo.sh prepares engine and image first).
//
//   node scripts/demo.mjs <profile>     (MCP_WORKSPACE names the directory to expose)
//
// Starts `mcp-sandbox run <profile>` under the MCP SDK's stdio client, exactly as an AI client
// would, then: initialize, list tools, call two tools, try two things the sandbox must refuse,
// look at the container the engine actually runs, close, and check nothing is left behind.
// Writes a readable account to stdout; exits non-zero if anything did not go as expected.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const profile = process.argv[2] ?? 'profiles/filesystem.yaml';
const workspace = process.env.MCP_WORKSPACE;
if (!workspace) {
  console.error('demo.mjs: set MCP_WORKSPACE to the directory to expose');
  process.exit(2);
}

const t0 = performance.now();
const ms = () => `${Math.round(performance.now() - t0)} ms`.padStart(8);
const out = (line = '') => process.stdout.write(`${line}\n`);
const say = (/** @type {string} */ label, /** @type {string | undefined} */ text) => out(`[${ms()}] ${label}${text ? `  ${text}` : ''}`);
const indent = (/** @type {unknown} */ text, n = 14) => String(text).trimEnd().split('\n').map((l) => ' '.repeat(n) + l).join('\n');
const textOf = (/** @type {unknown} */ result) =>
  (/** @type {{ content?: Array<{ text?: string, type: string }> }} */ (result).content ?? []).map((c) => c.text ?? `[${c.type}]`).join('\n');
const docker = (/** @type {string[]} */ ...args) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
let failures = 0;
const expectThat = (/** @type {boolean} */ ok, /** @type {string} */ what) => {
  out(`${' '.repeat(14)}${ok ? 'as expected:' : 'UNEXPECTED:'} ${what}`);
  if (!ok) failures++;
};

out('mcp-sandbox demo: an MCP client talks to the filesystem server inside a gVisor sandbox');
out(`  profile    ${profile}`);
out(`  workspace  ${workspace}  (mounted read-only at /workspace)`);
out(`  launcher   node bin/mcp-sandbox.js run ${profile}`);
out();

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.join(ROOT, 'bin', 'mcp-sandbox.js'), 'run', profile],
  env: { ...process.env, MCP_WORKSPACE: workspace },
  stderr: 'pipe',
  cwd: ROOT,
});
let launcherStderr = '';
transport.stderr?.on('data', (chunk) => (launcherStderr += chunk.toString('utf8')));
const client = new Client({ name: 'mcp-sandbox-demo', version: '1.0.0' });

try {
  await client.connect(transport);
} catch (error) {
  console.error(`demo.mjs: the server did not start: ${/** @type {Error} */ (error).message}\n${launcherStderr}`);
  process.exit(1);
}
const server = client.getServerVersion();
say('initialize', `server ${server?.name} ${server?.version}, protocol answered`);

// What the engine is really running, found by the launcher's pid label.
const launcherPid = transport.pid;
const id = docker('ps', '-q', '--filter', `label=mcp-sandbox.launcher-pid=${launcherPid}`);
if (id) {
  const [runtime, ro, user, caps, net, mem, pids] = docker(
    'inspect', '--format',
    '{{.HostConfig.Runtime}}|{{.HostConfig.ReadonlyRootfs}}|{{.Config.User}}|{{json .HostConfig.CapDrop}}|{{.HostConfig.NetworkMode}}|{{.HostConfig.Memory}}|{{.HostConfig.PidsLimit}}',
    id,
  ).split('|');
  say('container', `${id.slice(0, 12)}: runtime ${runtime}, network ${net}, read-only root ${ro}, user ${user}, cap-drop ${caps}, memory ${Math.round(Number(mem) / 2 ** 20)} MiB, pids ${pids}`);
}

const { tools } = await client.listTools();
say('tools/list', `${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);

const listing = await client.callTool({ name: 'list_directory', arguments: { path: '/workspace' } });
say('tools/call', 'list_directory /workspace');
out(indent(textOf(listing)));
expectThat(!listing.isError && textOf(listing).includes('README.md'), 'the workspace is visible');

const readme = await client.callTool({ name: 'read_text_file', arguments: { path: '/workspace/README.md' } });
say('tools/call', 'read_text_file /workspace/README.md');
out(indent(textOf(readme)));
expectThat(!readme.isError && textOf(readme).includes('Demo workspace'), 'the file is read through the sandbox');

out();
out('Now two things the sandbox must refuse:');
const write = await client.callTool({ name: 'write_file', arguments: { path: '/workspace/pwned.txt', content: 'written by the model' } });
say('tools/call', 'write_file /workspace/pwned.txt');
out(indent(textOf(write)));
expectThat(write.isError === true, 'DENIED: the workspace mount is read-only (the kernel refuses, not the server)');

const shadow = await client.callTool({ name: 'read_text_file', arguments: { path: '/etc/shadow' } });
say('tools/call', 'read_text_file /etc/shadow');
out(indent(textOf(shadow)));
expectThat(shadow.isError === true, "DENIED: outside the allowed directory; and the container has no host /etc/shadow to find anyway");

await client.close();
say('close', 'client closed stdin; the launcher stops and removes the container');

// Nothing may remain: poll briefly for this launcher's container, then for any of ours.
/** @type {string[]} */
let left = [];
for (let i = 0; i < 50; i++) {
  left = docker('ps', '-aq', '--filter', `label=mcp-sandbox.launcher-pid=${launcherPid}`).split('\n').filter(Boolean);
  if (left.length === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
const ours = docker('ps', '-a', '--filter', 'label=mcp-sandbox.profile', '--format', '{{.ID}} {{.Status}} {{.Labels}}').split('\n').filter(Boolean);
say('cleanup', left.length === 0 ? 'no container left behind (docker ps -a --filter label=mcp-sandbox.profile)' : `LEFT BEHIND: ${left.join(' ')}`);
if (left.length) failures++;
if (ours.length) out(indent(`(other mcp-sandbox containers on this engine, not from this demo: ${ours.length})`));

out();
out(failures === 0 ? `demo passed in ${ms().trim()}: read what it may, refused what it may not, left nothing behind.` : `demo FAILED: ${failures} unexpected result(s)`);
if (failures && launcherStderr) console.error(launcherStderr);
process.exit(failures === 0 ? 0 : 1);
