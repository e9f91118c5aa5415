/**
 * Writes the runtime mapping into the user config (~/.config/mcp-sandbox/config.yaml, the format
 * of src/run/user-config-core.ts), so networked runsc profiles go to `runsc-net` under the quirk.
 * Edits through the yaml library's Document so comments and other keys stay. A mapping the user
 * already wrote for `runsc` is theirs: it is reported, never replaced.
 */
import { readFileSync } from 'node:fs';
import { Document, isMap, parse, parseDocument } from 'yaml';
import { NETWORK_MAPPING } from '../doctor/facts.js';
import { userConfigFromText, userConfigPath } from '../run/user-config.js';

export type MappingOutcome =
  | { status: 'unchanged' | 'added'; text: string }
  /** The user's own mapping for runsc differs from setup's: left as is. */
  | { status: 'kept-user-mapping'; text: string; theirs: string };

const HEADER = '# mcp-sandbox launcher settings (see docs/run.md). Written by `mcp-sandbox setup`.\n';

/** The config text with the runsc mapping added when absent. `text` undefined = no file yet. */
export function addNetworkMapping(file: string, text: string | undefined): MappingOutcome {
  const wanted = { ...NETWORK_MAPPING };
  if (text === undefined || text.trim() === '') {
    const doc = new Document({ runtimes: { runsc: wanted } });
    flowInner(doc);
    return { status: 'added', text: `${text ?? HEADER}${doc.toString()}` };
  }
  // Validates like the launcher does (same errors, same exit code) before any edit.
  const config = userConfigFromText(file, text, parse);
  const theirs = config.runtimes.runsc;
  if (theirs !== undefined) {
    const same = typeof theirs === 'object' && JSON.stringify(sorted(theirs)) === JSON.stringify(sorted(wanted));
    return same ? { status: 'unchanged', text } : { status: 'kept-user-mapping', text, theirs: JSON.stringify(theirs) };
  }
  const doc = parseDocument(text);
  doc.setIn(['runtimes', 'runsc'], doc.createNode(wanted));
  flowInner(doc);
  return { status: 'added', text: doc.toString() };
}

/** `runsc: { none: runsc, bridge: runsc-net, host: runsc-net }` on one line, as the docs write it. */
function flowInner(doc: Document): void {
  const runtimes = doc.getIn(['runtimes']);
  if (!isMap(runtimes)) return;
  const runsc = runtimes.get('runsc', true);
  if (isMap(runsc)) runsc.flow = true;
}

function sorted(value: object): Array<[string, unknown]> {
  return Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The user config setup edits: MCP_SANDBOX_CONFIG, else the config of the user who ran sudo
 * (SUDO_USER's home from /etc/passwd) when running as root through sudo, else ours. `owner` is
 * that user, for files setup creates on their behalf.
 */
export function setupUserConfigPath(env: NodeJS.ProcessEnv, uid: number, passwd: () => string = () => readFileSync('/etc/passwd', 'utf8')): { file: string; owner?: { uid: number; gid: number } } {
  if (env.MCP_SANDBOX_CONFIG || uid !== 0 || !env.SUDO_USER || env.SUDO_USER === 'root') return { file: userConfigPath(env) };
  const line = passwd()
    .split('\n')
    .find((l) => l.split(':')[0] === env.SUDO_USER);
  const fields = line?.split(':');
  if (!fields || !fields[5]) return { file: userConfigPath(env) };
  return { file: userConfigPath(env, fields[5]), owner: { uid: Number(fields[2]), gid: Number(fields[3]) } };
}
