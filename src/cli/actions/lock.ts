import { readFileSync } from 'node:fs';
import { resolveLauncher } from '../../clients/launcher.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { displayPath, SandboxError } from '../../errors.js';
import { listServer, type ServerListing } from '../../gate/lock-client.js';
import { buildLock, diffLocks, lockPathFor, parseLock, serializeLock, type ItemDiff, type ToolLock } from '../../gate/lock.js';
import { loadProfile } from '../../profile/load.js';
import { resolveProfileArg } from '../../profile/resolve.js';
import type { LockOptions } from '../commands/lock.js';
import { withEngine } from '../../engine/connect.js';

/** The outside world of `lock`, replaceable in tests. */
export interface LockDeps {
  /** Starts `mcp-sandbox run <file>` and lists what the server offers. */
  list(profileFile: string, options: LockOptions): Promise<ServerListing>;
  /** The digest of a local image: its registry digest when it has one, else its image id. */
  imageDigest(ref: string): Promise<string>;
}

const realDeps: LockDeps = {
  list: (profileFile, options) => {
    const launcher = resolveLauncher();
    return listServer({
      command: launcher.command,
      args: [...launcher.args, 'run', profileFile],
      // The lock pins what the server itself offers: its tools/list must not pass through the
      // gate, which hides denied and drifted tools (the launcher says so on stderr, shown with -v).
      env: { ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)), MCP_SANDBOX_GATE: 'off' },
      ...(options.verbose ? { onStderr: (chunk: string) => void process.stderr.write(chunk) } : {}),
    });
  },
  imageDigest: (ref) =>
    withEngine(async (engine) => {
      const image = await engine.inspectImage(ref);
      if (!image) throw new SandboxError('IMAGE_MISSING', `image ${ref} is not on the engine after the server ran`);
      const repoDigest = (image.RepoDigests as string[] | undefined)?.[0];
      return repoDigest?.includes('@') ? (repoDigest.split('@')[1] as string) : image.Id;
    }),
};

function readOldLock(file: string): ToolLock | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseLock(text, file);
  } catch {
    // A damaged lock is replaced; the new one is what the server lists now.
    return undefined;
  }
}

function describeDiff(old: ToolLock, now: ToolLock): string {
  const diff = diffLocks(old, now);
  const parts: string[] = [];
  const kinds: Array<[string, ItemDiff]> = [['tools', diff.tools], ['resources', diff.resources], ['prompts', diff.prompts]];
  for (const [kind, d] of kinds) {
    for (const [verb, names] of [['added', d.added], ['changed', d.changed], ['removed', d.removed]] as const) {
      if (names.length > 0) parts.push(`${kind} ${verb}: ${names.join(', ')}`);
    }
  }
  if (diff.image) parts.push(`image digest ${old.image.digest} -> ${now.image.digest}`);
  const server = (lock: ToolLock): string => (lock.server ? `${lock.server.name} ${lock.server.version}` : 'none');
  if (server(old) !== server(now)) parts.push(`server ${server(old)} -> ${server(now)}`);
  return parts.join('; ');
}

/** `mcp-sandbox lock <profile>` (declared in ../commands/lock.ts). */
export async function lockAction(profileArg: string, options: LockOptions, deps: LockDeps = realDeps): Promise<void> {
  const profileFile = resolveProfileArg(profileArg);
  const { profile } = loadProfile(profileFile);
  const listing = await deps.list(profileFile, options);
  const digest = await deps.imageDigest(profile.image);
  const lock = buildLock({ profile: profile.name, image: { ref: profile.image, digest }, ...listing });
  const file = lockPathFor(profileFile);
  const text = serializeLock(lock);
  const old = readOldLock(file);
  const oldText = old ? serializeLock(old) : undefined;
  const summary = `${lock.tools.length} tools, ${lock.resources.length} resources, ${lock.prompts.length} prompts; image ${digest}`;
  const changes = old ? describeDiff(old, lock) : '';
  if (options.check) {
    if (oldText === text) {
      process.stdout.write(`${displayPath(file)} is up to date (${summary})\n`);
      return;
    }
    throw new SandboxError('CONFIG_CONFLICT', `${displayPath(file)} ${old ? `differs from what the server lists now: ${changes || 'format changed'}` : 'is missing or unreadable'}`, {
      hint: 'review the change, then run `mcp-sandbox lock <profile>`',
    });
  }
  if (oldText === text && readFileSync(file, 'utf8') === text) {
    process.stdout.write(`${displayPath(file)} unchanged (${summary})\n`);
    return;
  }
  writeFileAtomic(file, text);
  process.stdout.write(`wrote ${displayPath(file)} (${summary})${changes ? `\n${changes}` : ''}\n`);
}
