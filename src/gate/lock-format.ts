/**
 * The lock file's format. `<profile basename>.lock.json` next to a profile records what the
 * server offered when it was reviewed (`mcp-sandbox lock`): per tool its name and the sha256 of the canonical
 * JSON (keys sorted) of its description, inputSchema and annotations; the same for resources
 * (by uri) and prompts (by name); and the image's digest. At `run`, the gate compares the
 * server's tools/list with it (`createPinningCheck`). The text is deterministic: the same server
 * gives a byte-identical file, so a lock in git only changes when the server did.
 */
import path from 'node:path';
import { sha256Hex } from './audit/chain.js';
import type { ToolDescriptor } from './ports.js';

export const LOCK_VERSION = 1;

export interface LockedItem {
  /** Tool or prompt name, or resource uri. */
  name: string;
  sha256: string;
}

export interface ToolLock {
  lockVersion: typeof LOCK_VERSION;
  profile: string;
  image: { ref: string; digest: string };
  server?: { name: string; version: string };
  tools: LockedItem[];
  resources: LockedItem[];
  prompts: LockedItem[];
}

/** JSON with object keys sorted at every depth (array order kept); undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** The pinned hash of a tool: description, inputSchema and annotations, nothing else. */
export function toolHash(tool: ToolDescriptor): string {
  return sha256Hex(canonicalJson({ description: tool.description, inputSchema: tool.inputSchema, annotations: tool.annotations }));
}

export interface ResourceDescriptor {
  uri: string;
  name?: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: unknown;
}

/** A resource's hash: what a client shows and trusts about it (not its size, which may change with content). */
export function resourceHash(r: ResourceDescriptor): string {
  return sha256Hex(canonicalJson({ name: r.name, title: r.title, description: r.description, mimeType: r.mimeType, annotations: r.annotations }));
}

export interface PromptDescriptor {
  name: string;
  title?: string;
  description?: string;
  arguments?: unknown;
}

export function promptHash(p: PromptDescriptor): string {
  return sha256Hex(canonicalJson({ title: p.title, description: p.description, arguments: p.arguments }));
}

export interface LockInput {
  profile: string;
  image: { ref: string; digest: string };
  server?: { name: string; version: string };
  tools: readonly ToolDescriptor[];
  resources?: readonly ResourceDescriptor[];
  prompts?: readonly PromptDescriptor[];
}

const byName = (a: LockedItem, b: LockedItem): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The lock for what a server listed, entries sorted so the file does not depend on list order. */
export function buildLock(input: LockInput): ToolLock {
  return {
    lockVersion: LOCK_VERSION,
    profile: input.profile,
    image: { ref: input.image.ref, digest: input.image.digest },
    ...(input.server ? { server: { name: input.server.name, version: input.server.version } } : {}),
    tools: input.tools.map((t) => ({ name: t.name, sha256: toolHash(t) })).sort(byName),
    resources: (input.resources ?? []).map((r) => ({ name: r.uri, sha256: resourceHash(r) })).sort(byName),
    prompts: (input.prompts ?? []).map((p) => ({ name: p.name, sha256: promptHash(p) })).sort(byName),
  };
}

/** The file's text: 2-space JSON in the key order of `buildLock`, newline at the end. */
export function serializeLock(lock: ToolLock): string {
  return `${JSON.stringify(buildLockOrder(lock), null, 2)}\n`;
}

function buildLockOrder(lock: ToolLock): ToolLock {
  const items = (list: LockedItem[]): LockedItem[] => list.map((i) => ({ name: i.name, sha256: i.sha256 }));
  return {
    lockVersion: lock.lockVersion,
    profile: lock.profile,
    image: { ref: lock.image.ref, digest: lock.image.digest },
    ...(lock.server ? { server: { name: lock.server.name, version: lock.server.version } } : {}),
    tools: items(lock.tools),
    resources: items(lock.resources),
    prompts: items(lock.prompts),
  };
}

/** `profiles/github.yaml` → `profiles/github.lock.json`. */
export function lockPathFor(profileFile: string): string {
  return path.join(path.dirname(profileFile), `${path.basename(profileFile).replace(/\.ya?ml$/i, '')}.lock.json`);
}
